"""Pick one key from a list (scatter axes, colour-by, grouped chart metric), filtered by typing.

A wide run has 10,000 metrics: the list shows at most :data:`LIMIT` keys containing what is typed
in the box above it (any case), so opening the picker costs the same for 10 keys or 10,000.
"""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tuitrack.tui.text import safe
from tuitrack.tui.widgets.lists import KeyOptionList

#: Most keys listed at once.
LIMIT = 200


class KeyPicker(ModalScreen[Optional[str]]):
    """Returns the chosen key, or None when cancelled.  ``current`` starts highlighted."""

    DEFAULT_CSS = """
    KeyPicker { align: center middle; }
    KeyPicker > Vertical { width: 60; max-width: 90%; height: auto; max-height: 80%;
                           border: round $accent; background: $surface; }
    KeyPicker OptionList { height: auto; max-height: 24; border: none; }
    KeyPicker #key-filter { height: 1; border: none; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="key_picker.cancel")]

    def __init__(self, title: str, keys: list[str], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.keys = list(keys)
        self.current = current
        self.listed: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.title_text, "bold"))
            if len(self.keys) > LIMIT:
                yield Input(placeholder=f"type to filter {len(self.keys):,} keys", id="key-filter")
            yield KeyOptionList()
            yield Label(Text("enter: choose · escape: cancel", style="dim"), id="key-hint")

    def on_mount(self) -> None:
        self._fill("")
        options = self.query_one(OptionList)
        options.focus()
        if self.current in self.listed:
            options.highlighted = self.listed.index(self.current)

    def _fill(self, needle: str) -> None:
        low = needle.strip().lower()
        matches = [k for k in self.keys if low in k.lower()] if low else self.keys
        self.listed = matches[:LIMIT]
        if self.current in matches and self.current not in self.listed:
            self.listed.append(self.current)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(safe(k, limit=56), id=str(i)) for i, k in enumerate(self.listed)])
        if len(self.keys) > LIMIT:
            hint = Text(
                f"{len(self.listed):,} of {len(matches):,} matching · enter: choose · escape: cancel", style="dim"
            )
            self.query_one("#key-hint", Label).update(hint)

    @on(Input.Changed, "#key-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    @on(Input.Submitted, "#key-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if self.listed:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.listed[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
