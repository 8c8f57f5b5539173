"""Permanent purge of soft-deleted runs (``tuitrack gc``).

Deleting a run in the TUI only sets ``deleted_at`` (so it can be undone); gc is
the one place rows and artifact folders really go away.  The rows of all
per-run tables go in one transaction; artifact folders are removed after it
commits, so a failure never leaves rows pointing at deleted files.

Between listing the candidates and purging them the user may sit at the
confirmation prompt for minutes while someone restores a run in the app, so
:func:`purge` re-checks inside its transaction which runs are *still* deleted
(by rid and run id) and touches only those.  A run still being logged to (RUNNING with a
fresh heartbeat) is skipped unless forced.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tuitrack.entities import HEARTBEAT_TIMEOUT_MS
from tuitrack.errors import TuitrackError
from tuitrack.store.core import Store
from tuitrack.store.core import now_ms as store_now

DAY_MS = 86_400_000
_CHUNK = 400  # rids per statement (two parameters each, under SQLite's 999-variable floor)


@dataclass(frozen=True)
class Purgeable:
    """A soft-deleted run gc may purge, with what it would free on disk."""

    rid: int
    run_id: str
    name: str
    deleted_at: int
    artifact_bytes: int


def _folder_size(path: Path) -> int:
    """Bytes under ``path``; files that vanish or cannot be read while walking count as 0."""
    total = 0
    try:
        for p in path.rglob("*"):
            try:
                if p.is_file():
                    total += p.stat().st_size
            except OSError:
                continue
    except OSError:
        return total
    return total


def artifact_folder(store: Store, run_id: str) -> Path | None:
    """The run's artifact folder, or None when its id could not name a folder inside the store."""
    try:
        return store.run_artifact_dir(run_id)
    except TuitrackError:
        return None


def run_tables(store: Store) -> list[str]:
    """Every table with a ``rid`` column except ``runs``, read from the schema itself.

    Read rather than listed by hand so a table added by a later migration (as
    ``metric_blocks`` was) can never be forgotten and leave rows behind for a
    reused rid to pick up.
    """
    names = [
        r[0]
        for r in store.conn_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    out = []
    for name in names:
        cols = {r[1] for r in store.conn_fetchall("SELECT * FROM pragma_table_info(?)", (name,))}
        if "rid" in cols and name != "runs":
            out.append(name)
    return out


#: A soft-deleted run still RUNNING whose heartbeat is newer than this is being logged to right now.
_LIVE = "(status = 'RUNNING' AND heartbeat >= ?)"


def find_purgeable(
    store: Store, *, now_ms: int, older_than_days: float | None = None, live: bool = False
) -> list[Purgeable]:
    """Soft-deleted runs, optionally only those deleted at least ``older_than_days`` ago.

    Runs still RUNNING with a fresh heartbeat (a process is logging to them) are left out;
    ``live=True`` lists exactly those instead (what ``gc`` skips unless ``--force``).
    """
    if older_than_days is not None and older_than_days < 0:
        raise ValueError(f"--older-than must be a number of days >= 0, got {older_than_days}")
    cutoff = now_ms - int(older_than_days * DAY_MS) if older_than_days is not None else None
    fresh = now_ms - HEARTBEAT_TIMEOUT_MS
    rows = store.conn_fetchall(
        "SELECT rid, run_id, name, deleted_at FROM runs WHERE deleted_at IS NOT NULL"
        f" AND (? IS NULL OR deleted_at <= ?) AND {'' if live else 'NOT '}coalesce({_LIVE}, 0)"
        " ORDER BY deleted_at, rid",
        (cutoff, cutoff, fresh),
    )
    out = []
    for rid, run_id, name, deleted_at in rows:
        folder = artifact_folder(store, run_id)
        out.append(Purgeable(rid, run_id, name, deleted_at, _folder_size(folder) if folder is not None else 0))
    return out


#: Artifacts are written to a temporary name with this prefix and renamed into place.
TEMP_PREFIX = ".tmp-"


def temp_files_in(folder: Path, recorded: set[str]) -> list[Path]:
    """Temporary files an interrupted artifact copy left under a run's folder.

    Every artifact is written to a ``.tmp-*`` name and renamed into place; a process killed in
    between leaves the temporary file (as big as the artifact).  Files the run recorded as
    artifacts are never listed, even when their name starts with ``.tmp-``.
    """
    out = []
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if name.startswith(TEMP_PREFIX):
                path = Path(dirpath) / name
                if path.relative_to(folder).as_posix() not in recorded:
                    out.append(path)
    return out


def remove_stale_temp_files(store: Store, rid: int, run_id: str) -> tuple[int, int]:
    """Delete a run's leftover ``.tmp-*`` files (call only when no process is writing to it); (files, bytes)."""
    try:
        folder = store.run_artifact_dir(run_id)
    except TuitrackError:
        return 0, 0
    recorded = {p for (p,) in store.conn_fetchall("SELECT path FROM artifacts WHERE rid = ?", (rid,))}
    count = size = 0
    for path in temp_files_in(folder, recorded):
        try:
            n = path.stat().st_size
            path.unlink()
        except OSError:
            continue
        count, size = count + 1, size + n
    return count, size


def stale_temp_files(store: Store, *, now_ms: int) -> list[Path]:
    """Leftover ``.tmp-*`` files of interrupted artifact copies, in runs no process is writing to.

    A run RUNNING with a fresh heartbeat may be copying an artifact right now: its folder is
    skipped.  Files recorded as artifacts are never listed (see :func:`temp_files_in`).
    """
    root = store.artifacts_root
    if not root.is_dir():
        return []
    rows = store.conn_fetchall(f"SELECT rid, run_id, coalesce({_LIVE}, 0) FROM runs", (now_ms - HEARTBEAT_TIMEOUT_MS,))
    by_id = {run_id: (rid, live) for rid, run_id, live in rows}
    out: list[Path] = []
    for entry in sorted(root.iterdir()):
        known = by_id.get(entry.name)
        if known is None or known[1] or not entry.is_dir():
            continue
        folder = artifact_folder(store, entry.name)
        if folder is None:
            continue
        recorded = {p for (p,) in store.conn_fetchall("SELECT path FROM artifacts WHERE rid = ?", (known[0],))}
        out += temp_files_in(folder, recorded)
    return out


def purge(store: Store, runs: list[Purgeable], *, now_ms: int | None = None, force: bool = False) -> list[Purgeable]:
    """Delete the runs' rows everywhere, then their artifact folders; returns the runs really purged.

    A run restored (or purged by someone else) since :func:`find_purgeable` listed it is left
    alone, and so is one that came alive meanwhile (RUNNING with a heartbeat fresher than
    ``HEARTBEAT_TIMEOUT_MS`` at ``now_ms``) unless ``force``.  A process still logging to a run
    purged with ``force`` gets a warning (an error with ``strict=True``); its writes go nowhere.
    """
    if not runs:
        return []
    tables = run_tables(store)
    by_key = {(r.rid, r.run_id): r for r in runs}
    keys = list(by_key)
    done: list[Purgeable] = []
    with store.transaction() as conn:
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            pairs = " OR ".join("(rid = ? AND run_id = ?)" for _ in chunk)
            args: list[int | str] = [v for pair in chunk for v in pair]
            alive = "" if force else f" AND NOT coalesce({_LIVE}, 0)"
            extra: list[int | str] = (
                [] if force else [(now_ms if now_ms is not None else store_now()) - HEARTBEAT_TIMEOUT_MS]
            )
            still = [
                (int(rid), run_id)
                for rid, run_id in conn.execute(
                    f"SELECT rid, run_id FROM runs WHERE deleted_at IS NOT NULL AND ({pairs}){alive}", args + extra
                )
            ]
            if not still:
                continue
            rids = [rid for rid, _ in still]
            marks = ",".join("?" * len(rids))
            for table in tables:  # names read from sqlite_master, never user text
                conn.execute(f'DELETE FROM "{table}" WHERE rid IN ({marks})', rids)
            conn.execute(f"DELETE FROM runs WHERE rid IN ({marks})", rids)
            done += [by_key[k] for k in still]
    for r in done:
        folder = artifact_folder(store, r.run_id)
        if folder is None:  # only rows are removed: no path built from a malformed id is ever deleted
            continue
        shutil.rmtree(folder, ignore_errors=True)
    return done
