"""The browser's curation keys: tag editor, quick tags, repeat, note, rename, delete/restore, undo.

The bindings are the browser screen's, so they are active only while the browser is in front (never
under a dialog or on a compare view, where ``t`` would tag a run nobody sees).  The quick-tag keys come
from the user's ``quick_tags.json``, read when the screen is built (:func:`curation_bindings`).
:class:`Curation` holds the state (undo log, the last tag change, the write queue) and the actions the
screen's ``action_*`` methods call.  Reads and writes run in thread workers; writes are applied in the
order the keys were pressed (a ticket queue), each is one short store transaction via
:mod:`tuitrack.curation.core`, and each lands in an undo log that ``u`` walks back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual.binding import Binding

from tuitrack.curation import core as curation
from tuitrack.curation.core import Change, QuickTags, RunRef
from tuitrack.errors import TuitrackError
from tuitrack.store.core import Store
from tuitrack.tui.browser.run_detail import RunDetail

if TYPE_CHECKING:
    from tuitrack.tui.browser.screen import BrowserScreen
    from tuitrack.tui.dialogs.tag_editor import TagEdit

T = TypeVar("T")
#: What the tag editor opens on: the runs, their tag values (key -> value -> runs), the store's vocabulary.
_TagLoad = tuple[list[RunRef], dict[str, dict[str, int]], dict[str, list[str]]]

#: The key the quick-tag keys follow in the bindings (and so in the help screen).
QUICK_TAGS_AFTER = "full_stop"


def quick_tag_bindings(quick: QuickTags) -> list[Binding]:
    """The 1-9 keys of the configured quick tags; descriptions name their tag so the help screen shows them."""
    return [
        Binding(
            digit,
            f"quick_tag('{digit}')",
            f"Quick tag {curation.show(k)}={curation.show(v)}",
            show=False,
            id=f"curation.quick_tag_{digit}",
        )
        for digit, (k, v) in quick.tags.items()
    ]


#: The curation keys without the quick tags (which depend on the user's config: see :func:`curation_bindings`).
CURATION_BINDINGS: list[Binding] = [
    Binding("t", "tag_editor", "Tags", id="curation.tags"),
    Binding("full_stop", "repeat_tag", "Repeat last tag change", show=False, key_display=".", id="curation.repeat"),
    Binding("n", "edit_note", "Note", show=False, id="curation.note"),
    Binding("R", "rename_run", "Rename", show=False, id="curation.rename"),
    Binding("d", "delete_runs", "Delete/restore", show=False, id="curation.delete"),
    Binding("D", "toggle_deleted", "Show/hide deleted runs", show=False, id="curation.show_deleted"),
    Binding("u", "undo_curation", "Undo", show=False, id="curation.undo"),
]


def curation_bindings(quick: QuickTags) -> list[Binding]:
    """Every curation key, the quick tags of ``quick`` after ``.``."""
    out: list[Binding] = []
    for binding in CURATION_BINDINGS:
        out.append(binding)
        if binding.key == QUICK_TAGS_AFTER:
            out.extend(quick_tag_bindings(quick))
    return out


def title(ref: RunRef) -> str:
    """A run in a dialog's title: its name and short id (names repeat: a sweep's runs often share one)."""
    return f"{ref.label} ({ref.run_id[:8]})" if ref.name else ref.label


class Curation:
    """The curation keys of one browser screen, and their state."""

    def __init__(self, browser: BrowserScreen, quick: QuickTags) -> None:
        self.browser = browser
        #: The quick-tag config the keys were bound from (a bad file: its error, and the defaults).
        self.quick = quick
        self.undo_log = curation.UndoLog()
        self.last_tag: TagEdit | None = None
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    @property
    def store(self) -> Store:
        return self.browser.store

    # -- plumbing --------------------------------------------------------------------
    def _refuse_read_only(self) -> bool:
        if self.store.read_only:
            self.browser.notify(
                f"the store at {curation.show(str(self.store.path), 60)} is read-only (no write permission):"
                " tags, notes, names and deletions cannot be changed",
                title="read-only",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def _notify_error(self, exc: Exception) -> None:
        self.browser.notify(str(exc), title="not changed", severity="error", markup=False, timeout=8)

    def _in_thread(self, job: Callable[[], T], done: Callable[[T], None]) -> None:
        """Run ``job`` off the event loop, then ``done(result)`` on it; errors become notifications."""
        app = self.browser.app

        def work() -> None:
            try:
                result = job()
            except (TuitrackError, LookupError, ValueError) as exc:
                app.call_from_thread(self._notify_error, exc)
                return
            app.call_from_thread(done, result)

        self.browser.run_worker(work, thread=True, group="curation", exit_on_error=False)

    def _write(
        self, op: Callable[[Store], Change], *, record: bool = True, on_fail: Callable[[], object] | None = None
    ) -> None:
        """Apply a curation op in a worker, strictly in key-press order, then notify and refresh."""
        app = self.browser.app
        store = self.store
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1

        def work() -> None:
            with self._cond:
                # Timeout: never hang if an earlier write's worker was cancelled before it ran (app exit).
                self._cond.wait_for(lambda: self._serving >= ticket, timeout=30)
            try:
                change = op(store)
            except (TuitrackError, LookupError, ValueError) as exc:
                app.call_from_thread(self._notify_error, exc)
                if on_fail is not None:
                    app.call_from_thread(on_fail)
                return
            finally:
                with self._cond:
                    self._serving += 1
                    self._cond.notify_all()
            app.call_from_thread(self._changed, change, record)

        self.browser.run_worker(work, thread=True, group="curation-write", exit_on_error=False)

    def _changed(self, change: Change, record: bool) -> None:
        if record:
            self.undo_log.push(change)
        if change.kind == "tag":
            from tuitrack.tui.dialogs.tag_editor import TagEdit

            self.last_tag = TagEdit(dict(change.tag_set), tuple(change.tag_removed))
        self.browser.notify(change.message, markup=False)
        self._refresh_views()

    def _refresh_views(self) -> None:
        """Table and detail pane show the edit at once (request_refresh re-reads both)."""
        self.browser.request_refresh()
        for pane in self.browser.app.screen.query(RunDetail):
            pane.refresh_run()

    def _targets(self, *, marked: bool) -> list[str] | None:
        browser = self.browser
        run_ids = browser.selected_run_ids() if marked else [r for r in [browser.current_run_id()] if r]
        if not run_ids:
            browser.notify("no run selected: move the cursor to a run first", severity="warning", markup=False)
            return None
        if marked and browser.marked_run_ids():
            browser.say_marks_out_of_view("acting on")
        return list(run_ids)

    # -- tags ----------------------------------------------------------------------------
    def tag_editor(self) -> None:
        """t: edit tags of the marked runs (or the run under the cursor)."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=True)) is None:
            return
        store = self.store

        def load() -> _TagLoad:
            refs = curation.resolve_runs(store, run_ids)
            return refs, curation.tag_values_of(store, [r.rid for r in refs]), curation.tag_vocabulary(store)

        def show(loaded: _TagLoad) -> None:
            refs, current, vocabulary = loaded
            label = title(refs[0]) if len(refs) == 1 else f"{len(refs)} runs"

            def apply(edit: TagEdit | None) -> None:
                if edit is not None:
                    self._write(lambda st: curation.tag_runs(st, refs, edit.set_tags, edit.remove))

            from tuitrack.tui.dialogs.tag_editor import TagEditor  # the dialogs load on first use

            self.browser.app.push_screen(TagEditor(label, len(refs), current, vocabulary), apply)

        self._in_thread(load, show)

    def quick_tag(self, digit: str) -> None:
        """1-9: set the configured quick tag on the marked runs (or the run under the cursor)."""
        if self._refuse_read_only():
            return
        spec = self.quick.tags.get(str(digit))
        if spec is None:
            self.browser.notify(f"key {digit} has no quick tag; set one in {self.quick.path}", markup=False)
            return
        if (run_ids := self._targets(marked=True)) is None:
            return
        key, value = spec
        self._write(lambda st: curation.tag_runs(st, run_ids, {key: value}))

    def repeat_tag(self) -> None:
        """.: apply the last tag change again, to the run under the cursor."""
        if self._refuse_read_only():
            return
        last = self.last_tag
        if last is None:
            self.browser.notify("no tag change to repeat yet: tag a run with t or a quick-tag key first", markup=False)
            return
        if (run_ids := self._targets(marked=False)) is None:
            return
        self._write(lambda st: curation.tag_runs(st, run_ids, last.set_tags, last.remove))

    # -- note, rename ----------------------------------------------------------------------
    def edit_note(self) -> None:
        """n: edit the note (description) of the run under the cursor."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=False)) is None:
            return
        store = self.store

        def load() -> tuple[RunRef, str | None]:
            (ref,) = curation.resolve_runs(store, run_ids)
            return ref, store.runs_by_rids([ref.rid], with_data=False)[0].info.note

        def show(loaded: tuple[RunRef, str | None]) -> None:
            ref, note = loaded

            def apply(text: str | None) -> None:
                if text is not None:
                    self._write(lambda st: curation.set_note(st, ref, text))

            from tuitrack.tui.dialogs.note_editor import NoteEditor  # the dialogs load on first use

            self.browser.app.push_screen(NoteEditor(note, title(ref)), apply)

        self._in_thread(load, show)

    def rename_run(self) -> None:
        """R: rename the run under the cursor."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=False)) is None:
            return
        store = self.store

        def show(refs: list[RunRef]) -> None:
            ref = refs[0]

            def apply(name: str | None) -> None:
                if name is not None:
                    self._write(lambda st: curation.rename_run(st, ref, name))

            from tuitrack.tui.dialogs.rename import RenameScreen  # the dialogs load on first use

            self.browser.app.push_screen(RenameScreen(ref.name, title(ref)), apply)

        self._in_thread(lambda: curation.resolve_runs(store, run_ids), show)

    # -- delete / restore -------------------------------------------------------------------
    def delete_runs(self) -> None:
        """d: soft-delete the marked runs (or restore them when they are all deleted), after a confirmation."""
        if self._refuse_read_only() or (run_ids := self._targets(marked=True)) is None:
            return
        store = self.store

        def load() -> tuple[list[RunRef], dict[int, bool]]:
            refs = curation.resolve_runs(store, run_ids)
            return refs, curation.deleted_flags(store, refs)

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

            self.browser.app.push_screen(ConfirmScreen(question, detail, yes_label=yes, items=items), answer)

        self._in_thread(load, show)

    def toggle_deleted(self) -> None:
        """D: show or hide soft-deleted runs."""
        browser = self.browser
        browser.include_deleted = shown = not browser.include_deleted
        browser.notify("showing deleted runs (d restores one)" if shown else "hiding deleted runs", markup=False)
        browser.request_refresh()

    # -- undo --------------------------------------------------------------------------------
    def undo(self) -> None:
        """u: undo the last curation change (tags, rename, note, delete/restore)."""
        if self._refuse_read_only():
            return
        log = self.undo_log
        change = log.pop()
        if change is None:
            self.browser.notify("nothing to undo", markup=False)
            return
        self._write(lambda st: curation.undo(st, change), record=False, on_fail=lambda: log.push(change))
