"""The column chooser (``o``): pick which run attributes, params and metrics the table shows.

A modal returning a :class:`ColumnChoice` (``columns=None`` means "back to the
defaults", which follow the keys the runs actually have) or ``None`` when
cancelled.  The browser remembers the choice per store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList
from textual.widgets.selection_list import Selection

from tuitrack.tui.browser.run_columns import NAME, STATUS, split_key, summary_of
from tuitrack.tui.text import clean
from tuitrack.tui.widgets.checklist import CheckList

_KIND_STYLE = {"attributes": "bold", "params": "cyan", "metrics": "magenta", "tags": "green"}


@dataclass(frozen=True)
class ColumnChoice:
    columns: list[str] | None


def _prompt(key: str) -> Text:
    kind, name = split_key(key)
    summary = summary_of(key)
    if summary is not None:  # indented under its metric: "  · val_loss.min"
        text = Text("  · ", style="dim")
        text.append(clean(summary[0]), style=_KIND_STYLE[kind])
        text.append(f".{summary[1]}", style="bold")
        return text
    text = Text(f"{kind[:-1] if kind != 'attributes' else 'run'}: ", style="dim")
    text.append(clean(name), style=_KIND_STYLE[kind])
    return text


def _grouped(keys: list[str]) -> list[str]:
    """Each metric's summary columns right under the metric (when it is listed), in the given order."""
    under: dict[str, list[str]] = {}
    for key in keys:
        summary = summary_of(key)
        if summary is not None and f"metrics.{summary[0]}" in keys:
            under.setdefault(f"metrics.{summary[0]}", []).append(key)
    placed = {k for group in under.values() for k in group}
    return [k for key in keys if key not in placed for k in (key, *under.get(key, ()))]


class ColumnsScreen(ModalScreen[Optional[ColumnChoice]]):
    """Checklist of every known column; space toggles, enter applies, escape cancels."""

    DEFAULT_CSS = """
    ColumnsScreen { align: center middle; }
    ColumnsScreen > Vertical { width: 60; max-width: 95%; height: 80%; border: thick $accent; background: $surface; }
    ColumnsScreen SelectionList { height: 1fr; }
    ColumnsScreen #columns-buttons { height: 3; }
    ColumnsScreen Label { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="columns.apply"),
        Binding("a", "all", "All", id="columns.all"),
        Binding("n", "none", "Only basics", id="columns.none"),
        Binding("ctrl+r", "defaults", "Defaults", id="columns.defaults"),
    ]

    def __init__(self, current: list[str], known: list[str], defaults: list[str]) -> None:
        super().__init__()
        self.current = list(current)
        self.known = _grouped(list(dict.fromkeys([*current, *known])))
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Columns: space toggles · enter applies · a all · n basics · ctrl+r defaults")
            yield CheckList[str](
                *(Selection(_prompt(k), k, k in self.current, disabled=k in (STATUS, NAME)) for k in self.known),
                id="columns-list",
            )
            with Horizontal(id="columns-buttons"):
                yield Button("Apply", variant="primary", id="columns-apply")
                yield Button("Defaults", id="columns-defaults")
                yield Button("Cancel", id="columns-cancel")

    @property
    def selection(self) -> SelectionList[str]:
        return self.query_one("#columns-list", SelectionList)

    def chosen(self) -> list[str]:
        picked = set(self.selection.selected)
        return [k for k in self.known if k in picked or k in (STATUS, NAME)]

    def action_apply(self) -> None:
        self.dismiss(ColumnChoice(self.chosen()))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_defaults(self) -> None:
        self.dismiss(ColumnChoice(None))

    def action_all(self) -> None:
        self.selection.select_all()

    def action_none(self) -> None:
        self.selection.deselect_all()
        for key in ("attributes.run_id", "attributes.start_time", "attributes.duration"):
            if key in self.known:
                self.selection.select(key)

    @on(Button.Pressed, "#columns-apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#columns-defaults")
    def _defaults(self) -> None:
        self.action_defaults()

    @on(Button.Pressed, "#columns-cancel")
    def _cancel(self) -> None:
        self.action_cancel()
