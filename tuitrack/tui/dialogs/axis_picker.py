"""Pick the axes of the parallel-coordinates view: params, metrics and metric summaries, in a checklist.

A wide run has 10,000 metrics (and five summary fields each): the list shows at most :data:`LIMIT`
fields containing what is typed in the box above it, the picked ones always among them, so opening
the picker costs the same for 10 keys or 10,000.  Returns the picked fields in the order given
(the ones already shown keep their place, new ones go to the right), or None when cancelled.
"""

from __future__ import annotations

from typing import Callable, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, SelectionList
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from tuitrack.analysis.parcoords import Field, choices_from_keys
from tuitrack.tui.text import clean
from tuitrack.tui.widgets.checklist import CheckList

#: Most fields listed at once.
LIMIT = 200


def _prompt(field: Field) -> Text:
    if field.summary is not None:  # under its metric: "  · val_loss.min"
        text = Text("  · ", style="dim")
        text.append(clean(field.key, limit=40), style="magenta")
        text.append(f".{field.summary}", style="bold")
        return text
    text = Text("param: " if field.kind == "params" else "metric: ", style="dim")
    text.append(clean(field.key, limit=44), style="cyan" if field.kind == "params" else "magenta")
    return text


class AxisPicker(ModalScreen[Optional[list[Field]]]):
    """Checklist of every field; space toggles, enter applies, escape cancels."""

    DEFAULT_CSS = """
    AxisPicker { align: center middle; }
    AxisPicker > Vertical { width: 60; max-width: 95%; height: 80%; border: thick $accent; background: $surface; }
    AxisPicker SelectionList { height: 1fr; }
    AxisPicker #axis-filter { height: 1; border: none; padding: 0 1; }
    AxisPicker Label { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="axis_picker.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="axis_picker.apply"),
    ]

    def __init__(
        self, choices: list[Field], current: list[Field], search: Callable[[str], list[Field]] | None = None
    ) -> None:
        """``search``: when ``choices`` are only the first keys of many, it finds the fields containing a
        typed text among all of them (called in a worker thread; the store read is bounded by its caller)."""
        super().__init__()
        self.choices = list(choices)
        self.picked: list[Field] = [f for f in current if f in set(self.choices)]
        self.listed: list[Field] = []
        self.search = search
        self.searched = ""  # the last text whose search results were merged into the choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Axes: space toggles · enter applies · escape cancels", style="bold"))
            if len(self.choices) > LIMIT or self.search is not None:
                yield Input(placeholder=f"type to filter {len(self.choices):,} fields", id="axis-filter")
            yield CheckList[Field](id="axis-list")
            yield Label(Text(""), id="axis-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#axis-list", SelectionList).focus()

    @property
    def selection(self) -> SelectionList[Field]:
        return self.query_one("#axis-list", SelectionList)

    def _fill(self, needle: str) -> None:
        low = needle.strip().lower()
        matches = [f for f in self.choices if low in f.label.lower()] if low else self.choices
        shown = set(matches[:LIMIT]) | set(self.picked)
        self.listed = [f for f in self.choices if f in shown]
        picked = set(self.picked)
        with self.selection.prevent(SelectionList.SelectedChanged):
            self.selection.clear_options()
            self.selection.add_options([Selection(_prompt(f), f, f in picked) for f in self.listed])
        hint = f"{len(self.picked)} picked"
        if len(matches) > LIMIT:
            hint += f" · {LIMIT} of {len(matches):,} matching fields listed"
        self.query_one("#axis-hint", Label).update(Text(hint, style="dim"))

    @on(SelectionList.SelectedChanged, "#axis-list")
    def _changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        now = set(self.selection.selected)
        listed = set(self.listed)
        kept = [f for f in self.picked if f in now or f not in listed]
        self.picked = kept + [f for f in self.listed if f in now and f not in kept]
        self.query_one("#axis-hint", Label).update(Text(f"{len(self.picked)} picked", style="dim"))

    @on(Input.Changed, "#axis-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)
        if self.search is not None and event.value.strip():
            self._search(event.value.strip())

    @work(thread=True, exclusive=True, group="axis-search", description="axis picker: search the keys")
    def _search(self, needle: str) -> None:
        assert self.search is not None
        found = self.search(needle)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._found, needle, found)

    def _found(self, needle: str, found: list[Field]) -> None:
        known = set(self.choices)
        new = [f for f in found if f not in known]
        self.searched = needle
        if new:
            every = [*self.choices, *new]
            params = sorted({f.key for f in every if f.kind == "params"})
            metrics = sorted({f.key for f in every if f.kind == "metrics"})
            self.choices = choices_from_keys(params, metrics)
        box = self.query("#axis-filter").first(Input)
        self._fill(box.value)

    @on(Input.Submitted, "#axis-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.selection.option_count:
            self.selection.highlighted = 0
        self.selection.focus()

    def action_apply(self) -> None:
        if isinstance(self.focused, Input):  # enter in the filter box moves to the list
            if self.selection.option_count:
                self.selection.highlighted = 0
            self.selection.focus()
            return
        self.dismiss(list(self.picked))

    def action_cancel(self) -> None:
        self.dismiss(None)
