"""Ask for a file path (export destinations), prefilled with a sensible default."""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.widgets import Input, Label

from tuitrack.errors import ValidationError
from tuitrack.tui.dialogs.line_prompt import LinePrompt
from tuitrack.tui.text import safe


class PathPrompt(LinePrompt):
    """Returns the typed path, or None when cancelled."""

    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > Vertical { width: 80%; max-width: 100; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    PathPrompt #path-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path_prompt.cancel")]
    ERROR_ID = "path-error"

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self.prompt_title = title
        self.default = default

    def heading(self) -> Iterator[Label]:
        yield Label(safe(self.prompt_title, "bold"))

    def make_input(self) -> Input:
        return Input(value=self.default, id="path-input")

    def check(self, text: str) -> str:
        if not text.strip():
            raise ValidationError("type a file path (or escape to cancel)")
        return text.strip()
