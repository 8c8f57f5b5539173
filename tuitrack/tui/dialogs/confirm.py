"""A yes/no question (delete/restore runs), answered with y/n, enter/escape or the buttons."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tuitrack.tui.text import safe

#: At most this many items are listed; the rest are counted.
ITEMS_SHOWN = 10


class ConfirmScreen(ModalScreen[bool]):
    """Returns True for yes, False for no; the question is shown literally (it names user runs)."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 70%; max-width: 80; height: auto; border: round $warning;
                               background: $surface; padding: 0 1; }
    ConfirmScreen #confirm-question, ConfirmScreen #confirm-detail { width: 1fr; height: auto; }
    ConfirmScreen #confirm-detail { color: $text-muted; }
    ConfirmScreen #confirm-items { width: 1fr; height: auto; max-height: 12; margin-top: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self, question: str, detail: str = "", *, yes_label: str = "Yes", items: list[str] | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes_label
        self.items = list(items or [])  # what the answer acts on, one per line (user text: shown literally)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question, style="bold"), id="confirm-question")
            if self.items:
                shown = self.items[:ITEMS_SHOWN]
                lines = Text("\n").join(safe(f"• {item}", limit=70) for item in shown)
                if len(self.items) > len(shown):
                    lines.append(f"\n… and {len(self.items) - len(shown)} more", style="dim")
                yield Static(lines, id="confirm-items")
            if self.detail:
                yield Label(Text(self.detail), id="confirm-detail")
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", variant="warning", id="confirm-yes")
                yield Button("No (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
