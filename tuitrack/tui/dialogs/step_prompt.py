"""Ask for a step (the compare view's values at a step): an integer, or empty for the latest values."""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.widgets import Input, Label

from tuitrack.errors import ValidationError
from tuitrack.tui.dialogs.line_prompt import LinePrompt
from tuitrack.tui.text import safe


class StepPrompt(LinePrompt):
    """Returns the typed step as text (checked to be an integer), ``""`` for "no step", None when cancelled."""

    DEFAULT_CSS = """
    StepPrompt { align: center middle; }
    StepPrompt > Vertical { width: 60; max-width: 90%; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    StepPrompt #step-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="step_prompt.cancel")]
    KEYS = "enter: show · empty: latest values · escape: cancel"
    ERROR_ID = "step-error"

    def __init__(self, title: str, default: str = "", hint: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.default = default
        self.hint = hint

    def heading(self) -> Iterator[Label]:
        yield Label(safe(self.prompt_title, "bold"))
        if self.hint:
            yield Label(safe(self.hint, "dim"))

    def make_input(self) -> Input:
        return Input(value=self.default, placeholder="a step, e.g. 50", id="step-input")

    def check(self, text: str) -> str:
        value = text.strip().replace("_", "").replace(",", "")
        if value:
            try:
                int(value)
            except ValueError:
                raise ValidationError(f"not a step: {text.strip()!r} (a whole number)") from None
        return value
