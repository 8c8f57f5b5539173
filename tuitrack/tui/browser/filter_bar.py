"""The filter bar (``/``): an input for the filter language with inline errors.

Every keystroke is checked with the pure ``compile_filter`` (no I/O), so a
syntax error shows at once with a caret under its position; only a valid
filter is applied (on enter), so the last good filter stays in effect while
you type.  ``escape`` clears the filter and returns to the table.

The bar does not hide itself on enter: its owner applies the filter first and
closes it after, so the search never waits for the frame that lays the screen out.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from tuitrack.query.filter import FilterError, compile_filter
from tuitrack.tui.text import clean
from tuitrack.tui.timers import stop
from tuitrack.tui.widgets.quiet import update_static

#: Typing that pauses this long applies the filter (enter keeps it, escape clears it).
PREVIEW_DELAY_S = 0.25

PLACEHOLDER = "metrics.auc > 0.8 AND params.max_depth >= 10   (enter: apply · escape: clear · ↑↓: history)"


def check_filter(text: str) -> FilterError | None:
    """The error a filter has, or None when it compiles."""
    try:
        compile_filter(text)
    except FilterError as exc:
        return exc
    return None


def error_text(text: str, exc: FilterError) -> Text:
    """Caret line under the input plus the message, e.g. ``   ^ filter error at position 4: ...``."""
    out = Text(no_wrap=False)
    if exc.position is not None:
        # The input shows its value 3 cells in (border + padding).
        out.append(" " * (3 + len(clean(text[: exc.position]))) + "^\n", style="bold red")
    out.append(clean(str(exc), single_line=True), style="red")
    return out


class FilterBar(Vertical):
    """Input + error line; posts ``Applied`` (a valid filter, possibly ""); the owner then calls ``close``."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar > Input { border: tall $accent; }
    FilterBar > #filter-error { width: 1fr; height: auto; max-height: 3; padding: 0 0; }
    """
    BINDINGS = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
        Binding("up", "history(-1)", "Earlier filter", id="filter.history_back"),
        Binding("down", "history(1)", "Later filter", id="filter.history_forward"),
    ]

    @dataclass
    class Previewed(Message):
        """A valid filter typed and left alone for ``PREVIEW_DELAY_S``: the owner shows its runs (enter keeps it)."""

        filter: str

    @dataclass
    class Applied(Message):
        filter: str
        #: escape: the text that was in the bar (kept in the history, so ``up`` brings it back)
        draft: str = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.error: FilterError | None = None
        self._checked: str | None = None  # the text whose verdict is shown
        #: filters used before, oldest first (the owner keeps it per store); up/down walk it
        self.history: list[str] = []
        self._history_at = 0
        self._typed = ""  # what was in the bar before up went into the history
        self._preview_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder=PLACEHOLDER, id="filter-input")
        yield Static("", id="filter-error", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def open(self, current: str) -> None:
        """Show the bar.  ``-open`` marks it (no CSS uses it): showing and hiding set ``display``
        inline, so they restyle nothing (a class toggle re-matched the bar's CSS and its Input's)."""
        self.set_class(True, "-open", update=False)
        self.display = True
        self._history_at = len(self.history)
        self.input.value = current
        self.input.cursor_position = len(current)
        self._show(current)
        self.input.focus()

    def close(self) -> None:
        stop(self._preview_timer)
        self._preview_timer = None
        self.set_class(False, "-open", update=False)
        self.display = False

    def _show(self, text: str) -> None:
        """Check ``text`` and show the verdict; a same-height verdict repaints one line, no screen layout.

        enter checks again what typing already checked: the same verdict is not repainted (a
        frame drawn then would hold up the search that enter starts).
        """
        if text == self._checked and self.is_mounted:
            return
        self._checked = text
        self.error = check_filter(text)
        line = self.query_one("#filter-error", Static)
        if self.error is None:
            update_static(line, Text("  ✓ valid — enter applies it" if text.strip() else "", style="dim green"))
        else:
            update_static(line, error_text(text, self.error))

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.value)
        stop(self._preview_timer)
        self._preview_timer = None
        if self.error is None and self.display:  # applies as you type, once typing pauses
            text = event.value.strip()
            self._preview_timer = self.set_timer(PREVIEW_DELAY_S, lambda: self._preview(text))

    def _preview(self, text: str) -> None:
        self._preview_timer = None
        if self.display and self.input.value.strip() == text:
            self.post_message(self.Previewed(text))

    def show_count(self, shown: int, total: int) -> None:
        """The verdict line with how many runs the filter in effect keeps: ``✓ 8 of 20 runs``."""
        if self.error is None and self.input.value.strip():
            update_static(
                self.query_one("#filter-error", Static),
                Text(f"  ✓ {shown:,} of {total:,} run{'s' if total != 1 else ''} · enter keeps it", style="dim green"),
            )

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._show(event.value)
        if self.error is None:
            self.post_message(self.Applied(event.value.strip()))

    def action_clear(self) -> None:
        draft = self.input.value.strip()
        self.input.value = ""
        self.error = None
        self.post_message(self.Applied("", draft=draft))

    def action_history(self, step: int) -> None:
        """up/down: the previous/next filter of the history; past the newest, what was typed before."""
        at = max(0, min(len(self.history), self._history_at + step))
        if at == self._history_at:
            return
        if self._history_at == len(self.history):
            self._typed = self.input.value
        self._history_at = at
        text = self.history[at] if at < len(self.history) else self._typed
        self.input.value = text
        self.input.cursor_position = len(text)


HISTORY_SIZE = 50


def remember(history: list[str], text: str) -> list[str]:
    """``history`` with ``text`` moved (or added) to its newest end, at most ``HISTORY_SIZE`` long."""
    text = text.strip()
    if not text:
        return history
    return [*[h for h in history if h != text][-(HISTORY_SIZE - 1) :], text]
