"""Run curation on a store: tags, rename, note, soft-delete/restore, and undo.

Pure store-level code (no textual) shared by the CLI and the TUI, so both refuse
the same input with the same message and record the same undo information.

Every operation is expressed as "set these fields of these runs to these values"
and goes through :func:`_apply` to :meth:`Store.curate_runs`, which reads the
current values *inside* the same short ``BEGIN IMMEDIATE`` transaction that writes
the new ones.  The values read are what the returned :class:`Change` keeps, so
:func:`undo` restores exactly what was overwritten, even while training processes
keep logging to the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tuitrack import validation
from tuitrack.curation.inputs import (  # re-exported: the TUI and CLI import them from here
    DEFAULT_QUICK_TAGS,
    QuickTags,
    describe_tag_edit,
    load_quick_tags,
    parse_assignment,
    quick_tags_path,
    show,
    validate_tag_edit,
)
from tuitrack.errors import ValidationError
from tuitrack.store.core import Store, now_ms

__all__ = [
    "CHUNK",
    "DEFAULT_QUICK_TAGS",
    "Change",
    "QuickTags",
    "RunEdit",
    "RunRef",
    "UndoLog",
    "delete_runs",
    "deleted_flags",
    "describe_tag_edit",
    "load_quick_tags",
    "parse_assignment",
    "quick_tags_path",
    "rename_run",
    "resolve_runs",
    "restore_runs",
    "runs_matching",
    "set_note",
    "show",
    "tag_runs",
    "tag_values_of",
    "tag_vocabulary",
    "undo",
    "validate_tag_edit",
]

#: A curated field: ("tag", key) for a tag, ("run", column) for name/note/deleted_at (Store.curate_runs).
Field = tuple[str, str]
#: Runs written per transaction: keeps each write lock short beside live training writers.
CHUNK = 500
#: How many changes the undo log keeps.
UNDO_DEPTH = 200


@dataclass(frozen=True)
class RunRef:
    """A resolved run: internal rid, public id and the name it had when resolved."""

    rid: int
    run_id: str
    name: str

    @property
    def label(self) -> str:
        return show(self.name) if self.name else self.run_id[:8]


@dataclass(frozen=True)
class RunEdit:
    """One run's touched fields: values before and after the change (None = tag absent / NULL)."""

    run: RunRef
    before: Mapping[Field, Any]
    after: Mapping[Field, Any]


@dataclass(frozen=True)
class Change:
    """A stored curation change; keeps the previous values so :func:`undo` can put them back."""

    kind: str  # tag | rename | note | delete | restore | undo
    summary: str  # what an undo names: "tag status=keep on 3 runs"
    message: str  # what the user is told now: "tagged 3 runs status=keep"
    edits: tuple[RunEdit, ...]
    tag_set: Mapping[str, str] = field(default_factory=dict)
    tag_removed: tuple[str, ...] = ()

    @property
    def run_ids(self) -> list[str]:
        return [e.run.run_id for e in self.edits]

    def __len__(self) -> int:
        return len(self.edits)


# -- resolving runs --------------------------------------------------------------------
def resolve_runs(store: Store, refs: Iterable[str]) -> list[RunRef]:
    """Runs for ids, unique id prefixes or unique names (duplicates dropped, order kept)."""
    out: dict[int, RunRef] = {}
    rids: list[tuple[int, str]] = []
    for ref in refs:
        rid, run_id = store.resolve_run(ref)
        rids.append((rid, run_id))
    names = _names(store, [r for r, _ in rids])
    for rid, run_id in rids:
        out.setdefault(rid, RunRef(rid, run_id, names.get(rid, "")))
    return list(out.values())


def runs_matching(store: Store, filter_string: str, *, include_deleted: bool = False) -> list[RunRef]:
    """Every run matching a filter (``tuitrack.query.filter`` syntax), for bulk commands."""
    rids = store.search_rids(filter_string, include_deleted=include_deleted, now_ms=now_ms())
    return _refs_for_rids(store, rids)


def _refs_for_rids(store: Store, rids: Sequence[int]) -> list[RunRef]:
    found = store.run_names_of(rids)
    return [RunRef(r, *found[r]) for r in rids if r in found]


def _names(store: Store, rids: Sequence[int]) -> dict[int, str]:
    return {r.rid: r.name for r in _refs_for_rids(store, rids)}


# -- the one write path ----------------------------------------------------------------
def _apply(store: Store, targets: Sequence[tuple[RunRef, Mapping[Field, Any]]]) -> list[RunEdit]:
    """Write target values, returning each run's previous values read in the same transaction."""
    edits: list[RunEdit] = []
    for i in range(0, len(targets), CHUNK):
        chunk = targets[i : i + CHUNK]
        befores = store.curate_runs([(run.rid, run.run_id, target) for run, target in chunk])
        edits.extend(RunEdit(run, before, dict(target)) for (run, target), before in zip(chunk, befores))
    return edits


def _runs_label(runs: Sequence[RunRef]) -> str:
    return runs[0].label if len(runs) == 1 else f"{len(runs)} runs"


# -- tags --------------------------------------------------------------------------------
def tag_runs(
    store: Store,
    runs: Sequence[str] | Sequence[RunRef],
    set_tags: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
) -> Change:
    """Set and/or remove tags on one or many runs; a removal no run has is refused by name."""
    clean, gone = validate_tag_edit(set_tags, remove)
    refs = _as_refs(store, runs)
    if gone:
        have = _tag_presence(store, [r.rid for r in refs], gone)
        missing = [k for k in gone if not have.get(k)]
        if missing:
            where = f"run {refs[0].label} has no" if len(refs) == 1 else f"none of the {len(refs)} runs has"
            raise ValidationError(f"{where} tag {', '.join(repr(k) for k in missing)}; nothing was changed")
    target: dict[Field, Any] = {("tag", k): v for k, v in clean.items()}
    target.update({("tag", k): None for k in gone})
    edits = _apply(store, [(r, target) for r in refs])
    what = describe_tag_edit(clean, gone)
    label = _runs_label(refs)
    if clean:
        message = f"tagged {label} {describe_tag_edit(clean, [])}"
        if gone:
            message += f", removed {', '.join(show(k) for k in gone)}"
    else:
        message = f"removed tag {', '.join(show(k) for k in gone)} from {label}"
    return Change("tag", f"tag {what} on {label}", message, tuple(edits), clean, tuple(gone))


def _tag_presence(store: Store, rids: Sequence[int], keys: Sequence[str]) -> dict[str, int]:
    return store.tag_key_counts(rids, keys)


def _as_refs(store: Store, runs: Sequence[str | RunRef]) -> list[RunRef]:
    if not runs:
        raise ValidationError("no runs given")
    refs = [r for r in runs if isinstance(r, RunRef)]
    if len(refs) == len(runs):
        return list(dict.fromkeys(refs))
    return resolve_runs(store, [str(r) for r in runs])


# -- rename, note, delete/restore ------------------------------------------------------------
def rename_run(store: Store, run: str | RunRef, name: str) -> Change:
    """Rename a run; empty or multi-line names are refused."""
    name = validation.run_name(name)
    if not name.strip():
        raise ValidationError("run name must not be empty")
    if "\n" in name or "\r" in name:
        raise ValidationError("run name must be a single line")
    (ref,) = _as_refs(store, [run])
    edits = _apply(store, [(ref, {("run", "name"): name})])
    old = show(edits[0].before[("run", "name")] or ref.run_id[:8])
    return Change("rename", f"rename {old} → {show(name)}", f"renamed {old} → {show(name)}", tuple(edits))


def set_note(store: Store, run: str | RunRef, text: str | None) -> Change:
    """Replace a run's note (description); an empty or blank text clears it."""
    text = validation.note_text(text) if text is not None else None
    value = text if text is not None and text.strip() else None
    (ref,) = _as_refs(store, [run])
    edits = _apply(store, [(ref, {("run", "note"): value})])
    if value is None:
        return Change("note", f"clear note on {ref.label}", f"cleared the note on {ref.label}", tuple(edits))
    lines = len(value.splitlines())
    return Change(
        "note",
        f"note on {ref.label}",
        f"saved note on {ref.label} ({lines} line{'s' if lines != 1 else ''})",
        tuple(edits),
    )


def deleted_flags(store: Store, runs: Sequence[RunRef]) -> dict[int, bool]:
    """rid -> whether the run is soft-deleted now."""
    return {rid: deleted is not None for rid, deleted in store.deleted_at_of([r.rid for r in runs]).items()}


def delete_runs(store: Store, runs: Sequence[str] | Sequence[RunRef]) -> Change:
    """Soft-delete runs (hidden from listings, restorable); already deleted runs are left as they are."""
    refs = _as_refs(store, runs)
    flags = deleted_flags(store, refs)
    todo = [r for r in refs if not flags.get(r.rid)]
    skipped = len(refs) - len(todo)
    if not todo:
        raise ValidationError(
            f"{_runs_label(refs)} {'is' if len(refs) == 1 else 'are'} already deleted"
            " (restore with `tuitrack restore` or D then d in the app)"
        )
    t = now_ms()
    edits = _apply(store, [(r, {("run", "deleted_at"): t}) for r in todo])
    label = _runs_label(todo)
    note = f" ({skipped} already deleted)" if skipped else ""
    return Change("delete", f"delete {label}", f"deleted {label}{note}", tuple(edits))


def restore_runs(store: Store, runs: Sequence[str] | Sequence[RunRef]) -> Change:
    """Bring soft-deleted runs back; runs that are not deleted are left as they are."""
    refs = _as_refs(store, runs)
    flags = deleted_flags(store, refs)
    todo = [r for r in refs if flags.get(r.rid)]
    skipped = len(refs) - len(todo)
    if not todo:
        raise ValidationError(
            f"{_runs_label(refs)} {'is' if len(refs) == 1 else 'are'} not deleted; nothing to restore"
        )
    edits = _apply(store, [(r, {("run", "deleted_at"): None}) for r in todo])
    label = _runs_label(todo)
    note = f" ({skipped} were not deleted)" if skipped else ""
    return Change("restore", f"restore {label}", f"restored {label}{note}", tuple(edits))


# -- undo ------------------------------------------------------------------------------------
def undo(store: Store, change: Change) -> Change:
    """Put back the values a change overwrote; the returned Change undoes the undo (a redo)."""
    targets = [(e.run, e.before) for e in reversed(change.edits)]
    edits = _apply(store, targets)
    return Change("undo", f"undo of {change.summary}", f"undid: {change.summary}", tuple(edits))


class UndoLog:
    """The most recent changes, newest last (bounded so a long session stays small)."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self.depth = depth
        self._changes: list[Change] = []

    def push(self, change: Change) -> Change:
        self._changes.append(change)
        del self._changes[: -self.depth]
        return change

    def pop(self) -> Change | None:
        return self._changes.pop() if self._changes else None

    def peek(self) -> Change | None:
        return self._changes[-1] if self._changes else None

    def __len__(self) -> int:
        return len(self._changes)


# -- reading helpers for editors ----------------------------------------------------------------
def tag_values_of(store: Store, rids: Sequence[int]) -> dict[str, dict[str, int]]:
    """key -> {value: number of the given runs with it}: what the tag editor lists."""
    out = store.tag_value_counts(rids)
    # (one value per key is the common case: sorting 100,000 one-item dicts took 1.5 s for one wide run)
    return {
        k: v if len(v) == 1 else dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in sorted(out.items())
    }


def tag_vocabulary(store: Store, *, max_values: int = 50, max_rows: int = 20_000) -> dict[str, list[str]]:
    """key -> values already used in the store, most used first (feeds autocompletion)."""
    out: dict[str, list[str]] = {}
    for key, value in store.tag_values_in_use(max_rows=max_rows):
        values = out.setdefault(key, [])
        if len(values) < max_values:
            values.append(value)
    return out
