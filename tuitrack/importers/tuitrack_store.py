"""``tuitrack import tuitrack OTHER`` (alias ``merge``): merge another host's store into this one.

Runs keep their ids (uuid4 hex, unique across hosts), so a run already here is skipped and merging
the same copy twice adds nothing.  Each run (row, params, tags, full histories, artifact index) is
written in one transaction after its artifact files were copied; a failed write removes the files it
copied.  The other store is opened read-only; its artifact files are copied only when they are
regular files inside its run folders (a symlink or a path leaving the folder is reported, not
followed).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tuitrack.errors import TuitrackError
from tuitrack.store import sync as state
from tuitrack.store.core import Store

Progress = Callable[[int, int, int, int], None]


@dataclass
class MergeStats:
    runs: int = 0
    skipped: int = 0
    points: int = 0
    artifacts: int = 0
    problems: list[str] = field(default_factory=list)


def _safe_file(root: Path, rel: str) -> Path | None:
    if (
        not rel
        or rel.startswith("/")
        or "\\" in rel
        or "\x00" in rel
        or any(p in ("", ".", "..") for p in rel.split("/"))
    ):
        return None
    path = root / rel
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if not str(path.resolve()).startswith(str(root.resolve()) + "/"):
            return None
    except OSError:
        return None
    return path


def merge_store(store: Store, other: Store, progress: Progress | None = None) -> MergeStats:
    """Copy every run of ``other`` (live and deleted) that ``store`` lacks."""
    if other.path.resolve() == store.path.resolve():
        raise TuitrackError(f"{other.path} is the store being merged into; pass another host's store folder")
    stats = MergeStats()
    rids = list(other.search_rids(None, include_deleted=True))
    runs = state.load_local_runs(other, rids)
    present = state.existing_run_ids(store, [r.run_id for r in runs])
    todo = [r for r in runs if r.run_id not in present]
    stats.skipped = len(runs) - len(todo)
    # parents before children keeps the hierarchy readable while a merge runs
    order = {r.run_id: i for i, r in enumerate(todo)}
    todo.sort(key=lambda r: (r.parent_id in order, order[r.run_id]))
    for i, run in enumerate(todo):
        series = {k: [(s, t, v) for s, t, _, v in state.points(other, run.rid, k)] for k in run.counts}
        src_root = other.run_artifact_dir(run.run_id)
        dest = store.run_artifact_dir(run.run_id)
        fresh_dir = not dest.exists()
        copied: list[tuple[str, int]] = []
        for rel, size in sorted(run.artifacts.items()):
            src = _safe_file(src_root, rel)
            if src is None:
                stats.problems.append(
                    f"run {run.run_id[:12]} ({run.name}): artifact {rel!r} is missing, a link, "
                    "or outside its run folder; not copied"
                )
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            copied.append((rel, size))
        try:
            rid = state.insert_run(
                store,
                run_id=run.run_id,
                experiment=run.experiment,
                name=run.name,
                status=run.status,
                start_time=run.start_time,
                end_time=run.end_time,
                parent_id=run.parent_id,
                user=run.user,
                host=run.host,
                source=run.source,
                note=run.note,
                error=run.error,
                deleted_at=run.deleted_at,
                params=run.params,
                tags=run.tags,
                series=series,
                artifacts=copied,
            )
        except BaseException:
            if fresh_dir:
                shutil.rmtree(dest, ignore_errors=True)
            raise
        if rid is None:
            stats.skipped += 1
        else:
            stats.runs += 1
            stats.points += sum(len(p) for p in series.values())
            stats.artifacts += len(copied)
        if progress is not None:
            progress(i + 1, len(todo), stats.points, 0)
    return stats
