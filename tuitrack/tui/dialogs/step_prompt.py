"""Ask for a step (the compare view's values at a step): an integer, or empty for the latest values."""

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


class StepPrompt(ModalScreen[Optional[str]]):
    """Returns the typed step as text (checked to be an integer), ``""`` for "no step", None when cancelled."""

    DEFAULT_CSS = """
    StepPrompt { align: center middle; }
    StepPrompt > Vertical { width: 60; max-width: 90%; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    StepPrompt #step-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="step_prompt.cancel")]

    def __init__(self, title: str, default: str = "", hint: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.default = default
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.prompt_title, "bold"))
            if self.hint:
                yield Label(safe(self.hint, "dim"))
            yield Input(value=self.default, placeholder="a step, e.g. 50", id="step-input")
            yield Label(Text("enter: show · empty: latest values · escape: cancel", style="dim"))
            yield Label("", id="step-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip().replace("_", "").replace(",", "")
        if value:
            try:
                int(value)
            except ValueError:
                self.query_one("#step-error", Label).update(
                    Text(f"not a step: {event.value.strip()!r} (a whole number)")
                )
                return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
