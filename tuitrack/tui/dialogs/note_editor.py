"""Edit a run's note (its multi-line description) in a TextArea."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from tuitrack.errors import ValidationError
from tuitrack.tui.dialogs.unsaved import APPLY, DISCARD, UnsavedChanges
from tuitrack.tui.text import editable, restore, safe
from tuitrack.validation import note_text


class NoteEditor(ModalScreen[Optional[str]]):
    """Returns the edited text ("" clears the note), or None when cancelled or unchanged."""

    DEFAULT_CSS = """
    NoteEditor { align: center middle; }
    NoteEditor > Vertical { width: 90%; max-width: 110; height: 80%; border: round $accent;
                            background: $surface; padding: 0 1; }
    NoteEditor TextArea { height: 1fr; }
    NoteEditor #note-error { color: $error; height: auto; }
    NoteEditor Horizontal { height: auto; align-horizontal: right; }
    NoteEditor Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note.save"),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(self, current: str | None, run_label: str) -> None:
        super().__init__()
        self.current = current or ""
        self.run_label = run_label

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Note on ", style="bold")
            title.append_text(safe(self.run_label, "bold"))
            yield Label(title)
            # Control characters shown as stand-ins (a TextArea would send them to the terminal).
            yield TextArea(
                editable(self.current, multiline=True), id="note-text", soft_wrap=True, show_line_numbers=False
            )
            yield Label("", id="note-error", markup=False)
            with Horizontal():
                yield Label(Text("ctrl+s: save · escape: cancel · empty text clears the note", style="dim"))
                yield Button("Save", variant="primary", id="note-save")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(Button.Pressed, "#note-save")
    def _save_button(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        text = restore(self.query_one(TextArea).text, self.current, multiline=True)
        try:
            note_text(text)
        except ValidationError as exc:
            self.query_one("#note-error", Label).update(Text(str(exc)))
            return
        self.dismiss(None if text == self.current else text)

    def action_cancel(self) -> None:
        """escape: close; with an edited text, ask first (save / discard / keep editing)."""
        if restore(self.query_one(TextArea).text, self.current, multiline=True) == self.current:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == APPLY:
                self.action_save()
            elif choice == DISCARD:
                self.dismiss(None)

        self.app.push_screen(UnsavedChanges("the edited note", apply_label="Save"), answer)
