"""Asked when an editor would close with changes not yet applied: apply, discard, or keep editing."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

APPLY, DISCARD, KEEP = "apply", "discard", "keep"


class UnsavedChanges(ModalScreen[str]):
    """Returns ``APPLY``, ``DISCARD`` or ``KEEP`` (escape keeps editing: nothing typed is lost by a key)."""

    DEFAULT_CSS = """
    UnsavedChanges { align: center middle; }
    UnsavedChanges > Vertical { width: 64; max-width: 95%; height: auto; border: round $warning;
                                background: $surface; padding: 0 1; }
    UnsavedChanges #unsaved-detail { color: $text-muted; height: auto; }
    UnsavedChanges Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    UnsavedChanges Button { margin-left: 1; min-width: 10; }
    """
    BINDINGS = [
        Binding("a", "choose('apply')", "Apply", id="unsaved.apply"),
        Binding("d", "choose('discard')", "Discard", id="unsaved.discard"),
        Binding("k,escape", "choose('keep')", "Keep editing", id="unsaved.keep"),
    ]

    def __init__(self, what: str, apply_label: str = "Apply") -> None:
        super().__init__()
        self.what = what
        self.apply_label = apply_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Discard {self.what}?", style="bold"), id="unsaved-question")
            yield Label(Text("a: apply them · d: discard them · k or escape: keep editing"), id="unsaved-detail")
            with Horizontal():
                yield Button(f"{self.apply_label} (a)", variant="primary", id="unsaved-apply")
                yield Button("Discard (d)", variant="error", id="unsaved-discard")
                yield Button("Keep editing (k)", id="unsaved-keep")

    def on_mount(self) -> None:
        self.query_one("#unsaved-keep", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "unsaved-keep").removeprefix("unsaved-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
