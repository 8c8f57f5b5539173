"""Permanent purge of soft-deleted runs (``tuitrack gc``).

Deleting a run in the TUI only sets ``deleted_at`` (so it can be undone); gc is
the one place rows and artifact folders really go away.  The rows of all
per-run tables go in one transaction; artifact folders are removed after it
commits, so a failure never leaves rows pointing at deleted files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .store import Store

#: Every table holding rows keyed by ``rid`` (runs itself goes last).
_RUN_TABLES = ("params", "tags", "metrics", "latest_metrics", "artifacts", "inputs", "run_env")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Purgeable:
    rid: int
    run_id: str
    name: str
    deleted_at: int
    artifact_bytes: int


def _folder_size(path: Path) -> int:
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def find_purgeable(store: Store, *, now_ms: int, older_than_days: float | None = None) -> list[Purgeable]:
    """Soft-deleted runs, optionally only those deleted at least ``older_than_days`` ago."""
    if older_than_days is not None and older_than_days < 0:
        raise ValueError(f"--older-than must be a number of days >= 0, got {older_than_days}")
    cutoff = now_ms - int(older_than_days * DAY_MS) if older_than_days is not None else None
    rows = store.conn_fetchall(
        "SELECT rid, run_id, name, deleted_at FROM runs WHERE deleted_at IS NOT NULL"
        " AND (? IS NULL OR deleted_at <= ?) ORDER BY deleted_at, rid", (cutoff, cutoff))
    return [Purgeable(rid, run_id, name, deleted_at, _folder_size(store.run_artifact_dir(run_id)))
            for rid, run_id, name, deleted_at in rows]


def purge(store: Store, runs: list[Purgeable]) -> int:
    """Delete the runs' rows everywhere, then their artifact folders; returns the runs purged."""
    if not runs:
        return 0
    rids = [r.rid for r in runs]
    with store.transaction() as conn:
        for i in range(0, len(rids), 900):
            chunk = rids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for table in _RUN_TABLES:  # fixed names from the tuple above, never user text
                conn.execute(f"DELETE FROM {table} WHERE rid IN ({marks})", chunk)
            conn.execute(f"DELETE FROM runs WHERE rid IN ({marks}) AND deleted_at IS NOT NULL", chunk)
    for r in runs:
        shutil.rmtree(store.run_artifact_dir(r.run_id), ignore_errors=True)
    return len(runs)
