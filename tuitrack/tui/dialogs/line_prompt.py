"""What the one-line prompts share (a path, a run's new name, a step): a title, one input, a line of keys
and an error line, in a box in the middle of the screen.

A prompt says what its box shows (``heading``, ``make_input``, ``KEYS``, ``ERROR_ID``) and ``check``s the
entered text: a ValidationError's message is shown in the box and the prompt stays open; anything else
is what the prompt returns.  escape (each prompt binds it, under its own id) returns None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tuitrack.errors import ValidationError


class LinePrompt(ModalScreen[Optional[str]]):
    """Returns ``check``'s answer for the entered text, or None when cancelled."""

    KEYS = "enter: save · escape: cancel"
    ERROR_ID = "prompt-error"

    def heading(self) -> Iterator[Label]:
        """The lines above the input."""
        raise NotImplementedError

    def make_input(self) -> Input:
        raise NotImplementedError

    def check(self, text: str) -> str | None:
        """What the prompt returns for ``text``; raises ValidationError, shown in the box, to keep it open."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical():
            yield from self.heading()
            yield self.make_input()
            yield Label(Text(self.KEYS, style="dim"))
            yield Label("", id=self.ERROR_ID, markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            answer = self.check(event.value)
        except ValidationError as exc:
            self.query_one(f"#{self.ERROR_ID}", Label).update(Text(str(exc)))
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
