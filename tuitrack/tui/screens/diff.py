"""Artifact diff (``D`` in compare): "what changed between these two runs?", file by file.

Left, what the two runs can be diffed by: their run fields (params, metrics, tags,
environment, packages, inputs, artifacts) and every artifact both have.  Right, the diff:
JSON/YAML by key path, other text unified or side by side (``v``), ``t`` shows a JSON/YAML
file as text.  Every line starts with a marker (``-`` only in A, ``+`` only in B, ``~``
changed) and changed lines are bold, so the diff reads the same under ``NO_COLOR``.
Reads run in a worker; user text (paths, values, file lines) is shown literally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tuitrack.analysis import diff as df
from tuitrack.tui.text import clean, safe
from tuitrack.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

RUN_FIELDS = "\x00run"  # the option id of "run fields" (no artifact path can hold a NUL)
_STYLE = {"-": "red", "+": "bold green", "~": "bold yellow", "@": "cyan", " ": ""}
_TAG_MARK = {"equal": " ", "replace": "~", "delete": "-", "insert": "+"}


class DiffScreen(Screen[None]):
    """Diff run ``a`` against run ``b`` (``-`` is a, ``+`` is b)."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    DiffScreen #diff-title { height: 1; padding: 0 1; background: $panel; }
    DiffScreen #diff-body { height: 1fr; }
    DiffScreen #diff-files { width: 26; max-width: 25%; height: 1fr; }
    DiffScreen #diff-view { width: 1fr; height: 1fr; overflow: auto auto; }
    DiffScreen #diff-text { width: auto; min-width: 100%; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="diff.back"),
        Binding("v", "toggle_side", "Side by side", id="diff.side"),
        Binding("t", "toggle_text", "As text", id="diff.text"),
        Binding("a", "toggle_same", "Show same", id="diff.same"),
        Binding("tab", "focus_next", "Switch pane", show=False, id="diff.pane"),
        Binding("j", "scroll('down')", "Scroll", show=False, id="diff.down"),
        Binding("k", "scroll('up')", "Scroll", show=False, id="diff.up"),
        Binding("h", "scroll('left')", "Scroll", show=False, id="diff.left"),
        Binding("l", "scroll('right')", "Scroll", show=False, id="diff.right"),
    ]

    def __init__(self, run_a: str, run_b: str, path: str | None = None) -> None:
        super().__init__()
        self.run_a, self.run_b = run_a, run_b
        self.names = ("", "")
        self.current = path or RUN_FIELDS
        self.side = False
        self.structured = True
        self.show_same = False
        self.result: df.ArtifactDiff | None = None
        self.sections: list[df.Section] | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…"), id="diff-title")
        with Horizontal(id="diff-body"):
            yield OptionList(id="diff-files")
            with ScrollableContainer(id="diff-view"):
                yield Static(Text(""), id="diff-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load_list()

    # -- reading (workers) -------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="diff-list")
    def _load_list(self) -> None:
        store = self.app.store
        a, b = store.get_run(self.run_a), store.get_run(self.run_b)
        paths = df.common_text_artifacts(store, a.id, b.id)
        self.app.call_from_thread(self._listed, (a.info.run_name, b.info.run_name), paths)

    def _listed(self, names: tuple[str, str], paths: list[str]) -> None:
        self.names = names
        files = self.query_one("#diff-files", OptionList)
        files.add_option(Option(Text("run fields", style="bold"), id=RUN_FIELDS))
        for path in paths:
            files.add_option(Option(safe(path), id=path))
        ids = [RUN_FIELDS, *paths]
        files.highlighted = ids.index(self.current) if self.current in ids else 0
        self.current = ids[files.highlighted or 0]
        self._load_diff()

    @work(thread=True, exclusive=True, group="diff-read")
    def _load_diff(self) -> None:
        store = self.app.store
        path, structured = self.current, self.structured
        if path == RUN_FIELDS:
            _, _, sections = df.run_diff(store, self.run_a, self.run_b)
            self.app.call_from_thread(self._shown, path, None, sections)
        else:
            result = df.artifact_diff_of(store, self.run_a, self.run_b, path, structured=structured)
            self.app.call_from_thread(self._shown, path, result, None)

    def _shown(self, path: str, result: df.ArtifactDiff | None, sections: list[df.Section] | None) -> None:
        if path != self.current:
            return  # an older read finished after the user moved on
        self.result, self.sections, self.loaded = result, sections, True
        self._redraw()

    # -- drawing -----------------------------------------------------------------------------
    def _redraw(self) -> None:
        title = Text("Diff  ", style="bold")
        title.append("- ", style=_STYLE["-"])
        title.append_text(safe(self.names[0], limit=30))
        title.append("  + ", style=_STYLE["+"])
        title.append_text(safe(self.names[1], limit=30))
        body = Text(no_wrap=True)
        if self.sections is not None:
            title.append("  ·  run fields", style="dim")
            self._render_sections(body)
        elif self.result is not None:
            r = self.result
            mode = {"structured": "by key path", "text": "side by side" if self.side else "unified"}.get(r.mode, r.mode)
            title.append("  ·  ")
            title.append_text(safe(r.path, limit=40))
            title.append(f"  ·  {mode}", style="dim")
            if r.note:
                body.append(clean(r.note, single_line=False) + "\n", style="italic")
            self._render_artifact(body, r)
        self.query_one("#diff-title", Static).update(title)
        self.query_one("#diff-text", Static).update(body)

    def _line(self, body: Text, marker: str, text: str) -> None:
        body.append(f"{marker} {clean(text)}\n", style=_STYLE.get(marker, ""))

    def _render_sections(self, body: Text) -> None:
        for section in self.sections or []:
            diffs = section.differences
            head = f"{section.title}: " + (f"{len(diffs)} differ" if diffs else "same")
            body.append(head + "\n", style="bold underline")
            for marker, text in df.change_lines(section.changes, show_same=self.show_same):
                self._line(body, marker, "  " + text if marker == " " else text)

    def _render_artifact(self, body: Text, r: df.ArtifactDiff) -> None:
        if r.mode == "structured":
            lines = df.change_lines(r.changes, show_same=self.show_same)
            for marker, text in lines:
                self._line(body, marker, text)
            if not lines:
                body.append("no differences\n", style="italic")
        elif r.mode == "text":
            if r.identical:
                body.append("no differences\n", style="italic")
            elif self.side:
                self._render_side(body, r.rows)
            else:
                for text in r.unified:
                    marker = text[:1] if text[:1] in "-+@" and not text.startswith(("---", "+++")) else " "
                    body.append(clean(text) + "\n", style=_STYLE.get(marker, "dim"))

    def _render_side(self, body: Text, rows: list[df.SideRow]) -> None:
        width = max(12, (self.query_one("#diff-view").size.width - 16) // 2)

        def fit(text: str) -> str:
            text = clean(text)
            return text[: width - 1] + "…" if len(text) > width else text.ljust(width)

        for row in rows:
            marker = _TAG_MARK[row.tag]
            left = fit(row.a or "")
            a_no = f"{row.a_no:>4}" if row.a_no else "    "
            b_no = f"{row.b_no:>4}" if row.b_no else "    "
            line = Text(f"{marker} {a_no} ", style=_STYLE[marker])
            line.append(left, style=_STYLE["-"] if row.tag in ("replace", "delete") else "")
            line.append(" │ ", style="dim")
            line.append(f"{b_no} ")
            line.append(fit(row.b or "").rstrip(), style=_STYLE["+"] if row.tag in ("replace", "insert") else "")
            body.append_text(line)
            body.append("\n")

    # -- actions -----------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#diff-files")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.current:
            self.current = event.option.id
            self.structured = True
            self._load_diff()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_side(self) -> None:
        self.side = not self.side
        self._redraw()

    def action_toggle_text(self) -> None:
        if self.result is None or self.result.mode not in ("structured", "text"):
            self.notify("t shows a JSON or YAML artifact as text; pick one on the left", severity="warning")
            return
        self.structured = not self.structured
        self._load_diff()

    def action_toggle_same(self) -> None:
        self.show_same = not self.show_same
        self._redraw()

    def action_scroll(self, where: str) -> None:
        """j/k move in the file list while it has focus, else j/k/h/l scroll the diff."""
        files = self.query_one("#diff-files", OptionList)
        if self.focused is files and where in ("up", "down"):
            (files.action_cursor_up if where == "up" else files.action_cursor_down)()
            return
        view = self.query_one("#diff-view", ScrollableContainer)
        {"down": view.scroll_down, "up": view.scroll_up, "left": view.scroll_left, "right": view.scroll_right}[where](
            animate=False
        )
