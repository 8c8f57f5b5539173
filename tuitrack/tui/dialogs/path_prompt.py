"""Ask for a file path (export destinations), prefilled with a sensible default."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tuitrack.tui.text import safe


class PathPrompt(ModalScreen[Optional[str]]):
    """Returns the typed path, or None when cancelled."""

    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > Vertical { width: 80%; max-width: 100; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    PathPrompt #path-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path_prompt.cancel")]

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self.prompt_title = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.prompt_title, "bold"))
            yield Input(value=self.default, id="path-input")
            yield Label(Text("enter: save · escape: cancel", style="dim"))
            yield Label("", id="path-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.query_one("#path-error", Label).update(Text("type a file path (or escape to cancel)"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
