"""Pick one key from a short list (scatter axes, colour-by, grouped chart metric)."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuitrack.tui.text import safe


class KeyPicker(ModalScreen[Optional[str]]):
    """Returns the chosen key, or None when cancelled.  ``current`` starts highlighted."""

    DEFAULT_CSS = """
    KeyPicker { align: center middle; }
    KeyPicker > Vertical { width: 60; max-width: 90%; height: auto; max-height: 80%;
                           border: round $accent; background: $surface; }
    KeyPicker OptionList { height: auto; max-height: 24; border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="key_picker.cancel")]

    def __init__(self, title: str, keys: list[str], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.keys = list(keys)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.title_text, "bold"))
            yield OptionList(*[Option(safe(k, limit=56), id=str(i)) for i, k in enumerate(self.keys)])
            yield Label(Text("enter: choose · escape: cancel", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.current in self.keys:
            options.highlighted = self.keys.index(self.current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.keys[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
