"""Curation keys for the browser: tag editor, quick tags, repeat, note, rename, delete/restore, undo.

A mixin for the App (``class TuitrackApp(CurationActions, App)``) plus ``CURATION_BINDINGS``.
It relies on the App contract (``store``, ``current_run_id()``, ``selected_run_ids()``,
``request_refresh()``).  Reads and writes run in thread workers; writes are applied in
the order the keys were pressed (a ticket queue), each is one short store transaction
via :mod:`tuitrack.curation.core`, and each lands in an undo log that ``u`` walks back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from tuitrack.curation import core as curation
from tuitrack.curation.core import Change, QuickTags, RunRef
from tuitrack.errors import TuitrackError
from tuitrack.tui.browser.run_detail import RunDetail

if TYPE_CHECKING:
    from tuitrack.tui.dialogs.tag_editor import TagEdit


def curation_bindings(quick: QuickTags) -> list[Binding]:
    """The curation keys; quick-tag descriptions name their tag so the help screen shows them."""
    quick_keys = [
        Binding(
            digit,
            f"quick_tag('{digit}')",
            f"Quick tag {curation.show(k)}={curation.show(v)}",
            show=False,
            id=f"curation.quick_tag_{digit}",
        )
        for digit, (k, v) in quick.tags.items()
    ]
    return [
        Binding("t", "tag_editor", "Tags", id="curation.tags"),
        Binding("full_stop", "repeat_tag", "Repeat last tag change", show=False, key_display=".", id="curation.repeat"),
        *quick_keys,
        Binding("n", "edit_note", "Note", show=False, id="curation.note"),
        Binding("R", "rename_run", "Rename", show=False, id="curation.rename"),
        Binding("d", "delete_runs", "Delete/restore", show=False, id="curation.delete"),
        Binding("D", "toggle_deleted", "Show/hide deleted runs", show=False, id="curation.show_deleted"),
        Binding("u", "undo_curation", "Undo", show=False, id="curation.undo"),
    ]


def title(ref: RunRef) -> str:
    """A run in a dialog's title: its name and short id (names repeat: a sweep's runs often share one)."""
    return f"{ref.label} ({ref.run_id[:8]})" if ref.name else ref.label


CURATION_BINDINGS: list[Binding] = curation_bindings(curation.load_quick_tags())
_ACTIONS = {
    "tag_editor",
    "repeat_tag",
    "quick_tag",
    "edit_note",
    "rename_run",
    "delete_runs",
    "toggle_deleted",
    "undo_curation",
}


@dataclass
class _State:
    """Per-app curation state (kept off the class so it never shadows App attributes)."""

    undo: curation.UndoLog = field(default_factory=curation.UndoLog)
    last_tag: TagEdit | None = None
    quick: QuickTags | None = None
    cond: threading.Condition = field(default_factory=threading.Condition)
    next_ticket: int = 0
    serving: int = 0


class CurationActions:
    """Mixin: curation actions on the App.  Host must provide the TuitrackApp contract."""

    # Filled by the App class this is mixed into.
    store: Any

    # -- plumbing --------------------------------------------------------------------
    @property
    def _curation(self) -> _State:
        state = self.__dict__.get("_curation_state")
        if state is None:
            state = _State()
            self.__dict__["_curation_state"] = state
        return state

    @property
    def quick_tags(self) -> QuickTags:
        """The quick-tag config (read once per app; a bad file is reported and the defaults used)."""
        state = self._curation
        if state.quick is None:
            state.quick = curation.load_quick_tags()
            if state.quick.error:
                self.notify(state.quick.error, title="quick tags", severity="warning", markup=False)
        return state.quick

    @property
    def curation_undo_log(self) -> curation.UndoLog:
        return self._curation.undo

    @property
    def show_deleted_runs(self) -> bool:
        """Whether deleted runs are listed (``include_deleted`` of the app when it has one)."""
        return bool(getattr(self, "include_deleted", getattr(self, "show_deleted", False)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Curation keys act on the runs table: not while a dialog or another screen is on top.
        # Other full screens (compare, charts) have their own keys; t there would tag an unseen run.
        browser = getattr(self, "browser", None)
        screen = self.screen  # type: ignore[attr-defined]
        if action in _ACTIONS and (screen.is_modal or (browser is not None and screen is not browser)):
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]

    def _refuse_read_only(self) -> bool:
        if getattr(self.store, "read_only", False):
            self.notify(
                f"the store at {curation.show(str(self.store.path), 60)} is read-only (no write permission):"
                " tags, notes, names and deletions cannot be changed",
                title="read-only",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def _notify_error(self, exc: Exception) -> None:
        self.notify(str(exc), title="not changed", severity="error", markup=False, timeout=8)

    def _in_thread(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``job`` off the event loop, then ``done(result)`` on it; errors become notifications."""

        def work() -> None:
            try:
                result = job()
            except (TuitrackError, LookupError, ValueError) as exc:
                self.call_from_thread(self._notify_error, exc)
                return
            self.call_from_thread(done, result)

        self.run_worker(work, thread=True, group="curation", exit_on_error=False)

    def _write(
        self, op: Callable[[Any], Change], *, record: bool = True, on_fail: Callable[[], None] | None = None
    ) -> None:
        """Apply a curation op in a worker, strictly in key-press order, then notify and refresh."""
        state = self._curation
        with state.cond:
            ticket = state.next_ticket
            state.next_ticket += 1

        def work() -> None:
            with state.cond:
                # Timeout: never hang if an earlier write's worker was cancelled before it ran (app exit).
                state.cond.wait_for(lambda: state.serving >= ticket, timeout=30)
            try:
                change = op(self.store)
            except (TuitrackError, LookupError, ValueError) as exc:
                self.call_from_thread(self._notify_error, exc)
                if on_fail is not None:
                    self.call_from_thread(on_fail)
                return
            finally:
                with state.cond:
                    state.serving += 1
                    state.cond.notify_all()
            self.call_from_thread(self._changed, change, record)

        self.run_worker(work, thread=True, group="curation-write", exit_on_error=False)

    def _changed(self, change: Change, record: bool) -> None:
        state = self._curation
        if record:
            state.undo.push(change)
        if change.kind == "tag":
            from tuitrack.tui.dialogs.tag_editor import TagEdit

            state.last_tag = TagEdit(dict(change.tag_set), tuple(change.tag_removed))
        self.notify(change.message, markup=False)
        self._refresh_views()

    def _refresh_views(self) -> None:
        """Table and detail pane show the edit at once (request_refresh re-reads the table)."""
        self.request_refresh()  # type: ignore[attr-defined]
        for pane in self.screen.query(RunDetail):  # type: ignore[attr-defined]
            pane.refresh_run()

    def _targets(self, *, marked: bool) -> list[str] | None:
        run_ids = self.selected_run_ids() if marked else [r for r in [self.current_run_id()] if r]  # type: ignore[attr-defined]
        if not run_ids:
            self.notify("no run selected: move the cursor to a run first", severity="warning", markup=False)
            return None
        if marked and self.marked_run_ids():  # type: ignore[attr-defined]
            self.say_marks_out_of_view("acting on")  # type: ignore[attr-defined]
        return list(run_ids)

    # -- tags ----------------------------------------------------------------------------
    def action_tag_editor(self) -> None:
        """t: edit tags of the marked runs (or the run under the cursor)."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=True)) is None:
            return

        def load() -> tuple[list[RunRef], dict[str, dict[str, int]], dict[str, list[str]]]:
            refs = curation.resolve_runs(self.store, run_ids)
            return refs, curation.tag_values_of(self.store, [r.rid for r in refs]), curation.tag_vocabulary(self.store)

        def show(loaded: tuple[list[RunRef], dict[str, dict[str, int]], dict[str, list[str]]]) -> None:
            refs, current, vocabulary = loaded
            label = title(refs[0]) if len(refs) == 1 else f"{len(refs)} runs"

            def apply(edit: TagEdit | None) -> None:
                if edit is not None:
                    self._write(lambda st: curation.tag_runs(st, refs, edit.set_tags, edit.remove))

            from tuitrack.tui.dialogs.tag_editor import TagEditor  # the dialogs load on first use

            self.push_screen(TagEditor(label, len(refs), current, vocabulary), apply)  # type: ignore[attr-defined]

        self._in_thread(load, show)

    def action_quick_tag(self, digit: str) -> None:
        """1-9: set the configured quick tag on the marked runs (or the run under the cursor)."""
        if self._refuse_read_only():
            return
        spec = self.quick_tags.tags.get(str(digit))
        if spec is None:
            self.notify(f"key {digit} has no quick tag; set one in {self.quick_tags.path}", markup=False)
            return
        if (run_ids := self._targets(marked=True)) is None:
            return
        key, value = spec
        self._write(lambda st: curation.tag_runs(st, run_ids, {key: value}))

    def action_repeat_tag(self) -> None:
        """.: apply the last tag change again, to the run under the cursor."""
        if self._refuse_read_only():
            return
        last = self._curation.last_tag
        if last is None:
            self.notify("no tag change to repeat yet: tag a run with t or a quick-tag key first", markup=False)
            return
        if (run_ids := self._targets(marked=False)) is None:
            return
        self._write(lambda st: curation.tag_runs(st, run_ids, last.set_tags, last.remove))

    # -- note, rename ----------------------------------------------------------------------
    def action_edit_note(self) -> None:
        """n: edit the note (description) of the run under the cursor."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=False)) is None:
            return

        def load() -> tuple[RunRef, str | None]:
            (ref,) = curation.resolve_runs(self.store, run_ids)
            return ref, self.store.runs_by_rids([ref.rid], with_data=False)[0].info.note

        def show(loaded: tuple[RunRef, str | None]) -> None:
            ref, note = loaded

            def apply(text: str | None) -> None:
                if text is not None:
                    self._write(lambda st: curation.set_note(st, ref, text))

            from tuitrack.tui.dialogs.note_editor import NoteEditor  # the dialogs load on first use

            self.push_screen(NoteEditor(note, title(ref)), apply)  # type: ignore[attr-defined]

        self._in_thread(load, show)

    def action_rename_run(self) -> None:
        """R: rename the run under the cursor."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=False)) is None:
            return

        def show(refs: list[RunRef]) -> None:
            ref = refs[0]

            def apply(name: str | None) -> None:
                if name is not None:
                    self._write(lambda st: curation.rename_run(st, ref, name))

            from tuitrack.tui.dialogs.rename import RenameScreen  # the dialogs load on first use

            self.push_screen(RenameScreen(ref.name, title(ref)), apply)  # type: ignore[attr-defined]

        self._in_thread(lambda: curation.resolve_runs(self.store, run_ids), show)

    # -- delete / restore -------------------------------------------------------------------
    def action_delete_runs(self) -> None:
        """d: soft-delete the marked runs (or restore them when they are all deleted), after a confirmation."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=True)) is None:
            return

        def load() -> tuple[list[RunRef], dict[int, bool]]:
            refs = curation.resolve_runs(self.store, run_ids)
            return refs, curation.deleted_flags(self.store, refs)

        def show(loaded: tuple[list[RunRef], dict[int, bool]]) -> None:
            refs, flags = loaded
            alive = [r for r in refs if not flags.get(r.rid)]
            restore = not alive
            todo = refs if restore else alive
            label = title(todo[0]) if len(todo) == 1 else f"{len(todo)} runs"
            if restore:
                question, detail, yes = f"Restore {label}?", "They will show in listings again.", "Restore"
            else:
                question, yes = f"Delete {label}?", "Delete"
                detail = (
                    "Soft delete: hidden from listings, kept in the store; D shows deleted runs, "
                    "u undoes, d on a deleted run restores it."
                )
                if len(alive) < len(refs):
                    detail += f" ({len(refs) - len(alive)} already deleted.)"

            def answer(yes_: bool | None) -> None:
                if yes_:
                    op = curation.restore_runs if restore else curation.delete_runs
                    self._write(lambda st: op(st, todo))

            items = [title(ref) for ref in todo] if len(todo) > 1 else []
            from tuitrack.tui.dialogs.confirm import ConfirmScreen  # the dialogs load on first use

            self.push_screen(
                ConfirmScreen(question, detail, yes_label=yes, items=items),  # type: ignore[attr-defined]
                answer,
            )

        self._in_thread(load, show)

    def action_toggle_deleted(self) -> None:
        """D: show or hide soft-deleted runs (the browser lists them when ``include_deleted`` is set)."""
        shown = not self.show_deleted_runs
        self.show_deleted = shown
        if hasattr(self, "include_deleted"):
            self.include_deleted = shown
        self.notify("showing deleted runs (d restores one)" if shown else "hiding deleted runs", markup=False)
        self.request_refresh()  # type: ignore[attr-defined]

    # -- undo --------------------------------------------------------------------------------
    def action_undo_curation(self) -> None:
        """u: undo the last curation change (tags, rename, note, delete/restore)."""
        if self._refuse_read_only():
            return
        log = self._curation.undo
        change = log.pop()
        if change is None:
            self.notify("nothing to undo", markup=False)
            return
        self._write(lambda st: curation.undo(st, change), record=False, on_fail=lambda: log.push(change))
