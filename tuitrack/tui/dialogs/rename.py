"""Rename a run: one input prefilled with the current name, checked before it is returned."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, Label

from tuitrack.errors import ValidationError
from tuitrack.tui.dialogs.line_prompt import LinePrompt
from tuitrack.tui.text import editable, restore, safe
from tuitrack.validation import run_name


def check_run_name(name: str) -> str:
    """The same rules as ``curation.rename_run`` (so the error shows here, not after the write)."""
    run_name(name)
    if not name.strip():
        raise ValidationError("run name must not be empty")
    if "\n" in name or "\r" in name:
        raise ValidationError("run name must be a single line")
    return name


class RenameScreen(LinePrompt):
    """Returns the new name, or None when cancelled or unchanged."""

    DEFAULT_CSS = """
    RenameScreen { align: center middle; }
    RenameScreen > Vertical { width: 80%; max-width: 100; height: auto; border: round $accent;
                              background: $surface; padding: 0 1; }
    RenameScreen #rename-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rename.cancel")]
    ERROR_ID = "rename-error"

    def __init__(self, current: str, run_label: str) -> None:
        super().__init__()
        self.current = current
        self.run_label = run_label

    def heading(self) -> Iterator[Label]:
        title = Text("Rename run ", style="bold")
        title.append_text(safe(self.run_label, "bold"))
        yield Label(title)

    def make_input(self) -> Input:
        # Control characters shown as stand-ins (an Input would send them to the terminal).
        return Input(value=editable(self.current), id="rename-input", select_on_focus=True)

    def check(self, text: str) -> str | None:
        name = check_run_name(restore(text, self.current))
        return None if name == self.current else name
