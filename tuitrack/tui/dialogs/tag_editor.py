"""The tag editor: see, add, edit and remove tags of one run or several marked runs at once.

Nothing is written while the editor is open: it collects a :class:`TagEdit` (tags to
set, keys to remove) and returns it, so the caller applies it as one change that a
single undo reverts.  Keys and values are checked with the logging API's rules as
they are staged, and the error is shown right under the inputs.

The table lists at most :data:`ROW_LIMIT` keys: those containing what the key input holds
(so typing a key narrows a run's 100,000 tags to the ones that matter), staged changes always.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Button, DataTable, Input, Label

from tuitrack.errors import ValidationError
from tuitrack.tui.dialogs.unsaved import APPLY, DISCARD, UnsavedChanges
from tuitrack.tui.text import editable, restore, safe
from tuitrack.tui.widgets.lists import KeyTable
from tuitrack.validation import tag_value, validate_key

#: Most keys the table lists (each row is measured when added; a run may carry 100,000 tags).
ROW_LIMIT = 200


@dataclass(frozen=True)
class TagEdit:
    """What the editor returns: tags to set and keys to remove, on every edited run."""

    set_tags: dict[str, str] = field(default_factory=dict)
    remove: tuple[str, ...] = ()


def describe_values(values: Mapping[str, int], n_runs: int) -> str:
    """``keep`` when all runs agree, else ``3 runs: a | 1 run: b | 1 run: (unset)``."""
    present = sum(values.values())
    if len(values) == 1 and present == n_runs:
        return next(iter(values))
    parts = [f"{n} run{'s' if n != 1 else ''}: {v}" for v, n in values.items()]
    if present < n_runs:
        missing = n_runs - present
        parts.append(f"{missing} run{'s' if missing != 1 else ''}: (unset)")
    return " | ".join(parts)


class ValueSuggester(Suggester):
    """Suggests values already used in the store for the key currently typed."""

    def __init__(self, vocabulary: Mapping[str, Sequence[str]], current_key: Callable[[], str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.vocabulary = vocabulary
        self.current_key = current_key

    async def get_suggestion(self, value: str) -> str | None:
        for candidate in self.vocabulary.get(self.current_key().strip(), ()):
            if candidate.startswith(value) and candidate != value:
                return candidate
        return None


class TagEditor(ModalScreen[Optional[TagEdit]]):
    """Lists current tags (with disagreements across runs), stages edits, returns them on apply."""

    DEFAULT_CSS = """
    TagEditor { align: center middle; }
    TagEditor > Vertical { width: 90%; max-width: 110; height: auto; max-height: 90%; border: round $accent;
                           background: $surface; padding: 0 1; }
    TagEditor DataTable { height: auto; max-height: 14; margin-bottom: 1; }
    TagEditor #tag-inputs { height: auto; }
    TagEditor #tag-key { width: 2fr; }
    TagEditor #tag-value { width: 3fr; }
    TagEditor #tag-error { color: $error; height: auto; }
    TagEditor #tag-hint, TagEditor #tag-help { color: $text-muted; height: auto; }
    TagEditor #tag-buttons { height: auto; align-horizontal: right; }
    TagEditor Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="tag_editor.apply"),
        Binding("escape", "cancel", "Cancel", id="tag_editor.cancel"),
        Binding("delete,x", "toggle_remove", "Remove key", id="tag_editor.remove"),
    ]

    def __init__(
        self,
        run_label: str,
        n_runs: int,
        current: Mapping[str, Mapping[str, int]],
        vocabulary: Mapping[str, Sequence[str]],
    ) -> None:
        super().__init__()
        self.run_label = run_label
        self.n_runs = n_runs
        # Read only here (never changed in place): no copy of each key's values (100,000 dicts took 0.3 s).
        self.current: Mapping[str, Mapping[str, int]] = current
        self.vocabulary = vocabulary
        self.staged: dict[str, str] = {}
        self.removed: list[str] = []
        self._sorted = sorted(self.current)
        self.listed: list[str] = []  # the keys the table shows

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # both come sorted from the store: sorting them again and merging is linear (a set union of
        # 120,000 keys sorted from scratch held the event loop ~0.2 s)
        keys = list(dict.fromkeys(heapq.merge(sorted(self.vocabulary), self._sorted)))
        with Vertical():
            title = Text("Tags of ", style="bold")
            title.append_text(safe(self.run_label, "bold"))
            yield Label(title, id="tag-title")
            table: DataTable[Text] = KeyTable(id="tag-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Value", "Change")
            yield table
            with Horizontal(id="tag-inputs"):
                yield Input(
                    placeholder="key (or key=value)", id="tag-key", suggester=SuggestFromList(keys, case_sensitive=True)
                )
                yield Input(
                    placeholder="value",
                    id="tag-value",
                    suggester=ValueSuggester(self.vocabulary, lambda: self.query_one("#tag-key", Input).value),
                )
            yield Label("", id="tag-error", markup=False)
            yield Label("", id="tag-hint", markup=False)
            yield Label(
                Text("enter: set · →: suggestion · on a row: enter edits, x removes · ctrl+s: apply · esc: cancel"),
                id="tag-help",
            )
            with Horizontal(id="tag-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="tag-apply")
                yield Button("Cancel", id="tag-cancel")

    def on_mount(self) -> None:
        self._refresh_table()
        self.query_one("#tag-key", Input).focus()

    def _keys(self) -> list[str]:
        """The keys the table lists: those containing the key input's text (any case), at most ROW_LIMIT,
        every staged or removed key among them."""
        typed = self.query_one("#tag-key", Input).value.split("=", 1)[0].strip().lower()
        changed = set(self.staged) | set(self.removed)
        extra = sorted(k for k in changed if k not in self.current)
        keys = self._sorted if not extra else sorted([*self._sorted, *extra])
        matches = [k for k in keys if typed in k.lower()] if typed else keys
        if len(matches) <= ROW_LIMIT:
            return matches
        head = matches[:ROW_LIMIT]
        missing = changed - set(head)
        return sorted([*head, *missing]) if missing else head

    def _refresh_table(self, focus_key: str | None = None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.listed = self._keys()
        for key in self.listed:
            values = self.current.get(key)
            shown = safe(describe_values(values, self.n_runs), limit=60) if values else Text("(new)", style="dim")
            if key in self.removed:
                change = Text("remove", style="bold red")
            elif key in self.staged:
                change = Text("set → ", style="bold green")
                change.append_text(safe(self.staged[key], "bold green", limit=40))
            else:
                change = Text("")
            table.add_row(safe(key, limit=40), shown, change, key=key)
        if focus_key is not None and focus_key in self.listed:
            table.move_cursor(row=self.listed.index(focus_key))
        if len(self.current) > ROW_LIMIT:
            title = Text("Tags of ", style="bold")
            title.append_text(safe(self.run_label, "bold"))
            title.append(
                f"  {len(self.listed):,} of {len(self.current):,} keys listed · type a key to narrow", style="dim"
            )
            self.query_one("#tag-title", Label).update(title)

    def _error(self, message: str) -> None:
        self.query_one("#tag-error", Label).update(Text(message))

    # -- staging ------------------------------------------------------------------------
    def stage(self, key: str, value: str) -> bool:
        """Validate and stage ``key=value``; shows the error and returns False when refused."""
        key = key.strip()
        try:
            validate_key(key, "tag key")
            tag_value(key, value)
        except ValidationError as exc:
            self._error(str(exc))
            return False
        self._error("")
        self.staged[key] = value
        if key in self.removed:
            self.removed.remove(key)
        self._refresh_table(focus_key=key)
        return True

    def toggle_remove(self, key: str) -> None:
        if key in self.removed:
            self.removed.remove(key)
        elif key in self.staged and key not in self.current:
            del self.staged[key]
        else:
            self.staged.pop(key, None)
            self.removed.append(key)
        self._refresh_table(focus_key=key)

    def _clear_inputs(self) -> None:
        self.query_one("#tag-key", Input).value = ""
        self.query_one("#tag-value", Input).value = ""
        self.query_one("#tag-key", Input).focus()

    def _stage_inputs(self) -> bool | None:
        """Stage what the inputs hold: True staged, False refused, None nothing typed."""
        key_input = self.query_one("#tag-key", Input)
        value_input = self.query_one("#tag-value", Input)
        key, value = key_input.value, value_input.value
        if "=" in key and not value:
            key, value = key.split("=", 1)
        if not key.strip() and not value:
            return None
        value = restore(value, self._raw_value(key.strip()))
        if not key.strip():
            self._error("type a tag key first")
            key_input.focus()
            return False
        ok = self.stage(key, value)
        if ok:
            self._clear_inputs()
        return ok

    @on(Input.Submitted, "#tag-key")
    def _key_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if "=" in event.value:
            self._stage_inputs()
            return
        key = event.value.strip()
        if not key:
            self._error("type a tag key, or key=value")
            return
        try:
            validate_key(key, "tag key")
        except ValidationError as exc:
            self._error(str(exc))
            return
        self._error("")
        value_input = self.query_one("#tag-value", Input)
        if not value_input.value:
            value_input.value = self._editable_value(key)
        value_input.focus()

    @on(Input.Submitted, "#tag-value")
    def _value_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._stage_inputs()

    @on(Input.Changed, "#tag-key")
    def _key_changed(self, event: Input.Changed) -> None:
        if len(self.current) > ROW_LIMIT:  # the table follows what is typed
            self._refresh_table()
        known = self.vocabulary.get(event.value.strip().split("=", 1)[0], ())
        hint = Text("")
        if known:
            hint = Text("used values: ")
            hint.append_text(safe(" · ".join(list(known)[:8]), limit=90))
        self.query_one("#tag-hint", Label).update(hint)

    def _raw_value(self, key: str) -> str:
        if key in self.staged:
            return self.staged[key]
        values = self.current.get(key, {})
        return next(iter(values)) if len(values) == 1 else ""

    def _editable_value(self, key: str) -> str:
        """The value for the input: control characters as visible stand-ins (``restore`` maps them back)."""
        return editable(self._raw_value(key))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        self.query_one("#tag-key", Input).value = key
        value_input = self.query_one("#tag-value", Input)
        value_input.value = self._editable_value(key)
        value_input.focus()

    # -- actions -----------------------------------------------------------------------
    def action_toggle_remove(self) -> None:
        table = self.query_one(DataTable)
        if not table.has_focus or table.row_count == 0:
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.toggle_remove(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "x" must stay typeable in the inputs; removal is a table action.
        if action == "toggle_remove":
            return self.query_one(DataTable).has_focus
        return True

    @on(Button.Pressed, "#tag-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#tag-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_apply(self) -> None:
        if self._stage_inputs() is False:
            return
        if not self.staged and not self.removed:
            self.dismiss(None)
            return
        self.dismiss(TagEdit(dict(self.staged), tuple(self.removed)))

    def pending_changes(self) -> int:
        """Changes that escape would lose: staged sets and removals, plus a key or value still in the inputs."""
        typed = bool(self.query_one("#tag-key", Input).value.strip() or self.query_one("#tag-value", Input).value)
        return len(self.staged) + len(self.removed) + typed

    def action_cancel(self) -> None:
        """escape: close; with changes not applied yet, ask first (apply / discard / keep editing)."""
        pending = self.pending_changes()
        if not pending:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == APPLY:
                self.action_apply()
            elif choice == DISCARD:
                self.dismiss(None)

        self.app.push_screen(
            UnsavedChanges(f"{pending} tag change{'s' if pending != 1 else ''} not applied yet"), answer
        )
