"""The store's side of team sync (issue #14): remotes, run mappings, watermarks, pulled-run writes.

Every statement the sync layer (``tuitrack.sync``) and the store-merge importer need lives here,
parameterized, so SQL stays inside ``tuitrack/store/``.  Functions take an open
:class:`~tuitrack.store.core.Store`.

- ``sync_remotes``: one row per tracking-server URI.
- ``sync_runs``: local run <-> run on that server, with ``origin`` ('push' or 'pull'), the curated state
  both sides last agreed on (``base``, JSON), ``pushed_upto`` (the run's ``updated_at`` a complete push
  covered: a run whose ``updated_at`` is not newer has nothing to push) and ``inflight`` (a push began
  and did not finish: the next one compares with the server before sending points again).
- ``sync_marks``: per (run, remote, metric key) ``n`` points the server confirmed, the last at
  ``(step, ts, seq)``; a key whose local count is ``n`` has nothing to send.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.store.core import Store, _numeric, inserted_rowid, now_ms, write_batches_in
from tuitrack.store.gc import TEMP_PREFIX

_CHUNK = 900

#: One stored point: (step, ts, seq, value) with NaN as NaN.
StoredPoint = tuple[int, int, int, float]


@dataclass
class SyncRow:
    rid: int
    remote_run_id: str
    origin: str
    pushed_upto: int | None
    inflight: bool
    base: dict[str, Any]


@dataclass
class Mark:
    n: int
    step: int
    ts: int
    seq: int


@dataclass
class LocalRun:
    """Everything a push sends of one run, read in one go."""

    rid: int
    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    parent_id: str | None
    user: str | None
    host: str | None
    source: str | None
    note: str | None
    error: str | None
    deleted_at: int | None
    updated_at: int
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    artifacts: dict[str, int] = field(default_factory=dict)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _float(v: float | None) -> float:
    return math.nan if v is None else float(v)


# -- remotes ------------------------------------------------------------------------------
def remote_id(store: Store, uri: str) -> int:
    """The id of ``uri`` (created on first use), marked as the most recently used remote."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO sync_remotes(uri, last_used) VALUES (?, ?)"
            " ON CONFLICT(uri) DO UPDATE SET last_used = excluded.last_used",
            (uri, now_ms()),
        )
        return int(conn.execute("SELECT id FROM sync_remotes WHERE uri = ?", (uri,)).fetchone()[0])


def find_remote(store: Store, uri: str | None = None) -> tuple[int, str] | None:
    """(id, uri) of ``uri``, or of the most recently used remote when None; None when unknown."""
    try:
        if uri is None:
            row = store.conn_fetchone("SELECT id, uri FROM sync_remotes ORDER BY last_used DESC, id DESC LIMIT 1")
        else:
            row = store.conn_fetchone("SELECT id, uri FROM sync_remotes WHERE uri = ?", (uri,))
    except sqlite3.OperationalError:  # an older store opened read-only as it is: it never synced
        return None
    return (int(row[0]), str(row[1])) if row else None


# -- what needs pushing ----------------------------------------------------------------------
#: A run joined with its mapping to the remote bound as the first ``?``; ``_NEEDS_PUSH`` holds when the
#: server lacks some of it (never pushed complete, changed since, or a push left in flight).
_WITH_MAPPING = "FROM runs r LEFT JOIN sync_runs s ON s.rid = r.rid AND s.remote = ?"
_NEEDS_PUSH = "(s.rid IS NULL OR s.pushed_upto IS NULL OR s.inflight OR r.updated_at > s.pushed_upto)"


def runs_needing_push(store: Store, remote: int, rids: Sequence[int], *, live_only: bool = False) -> list[int]:
    """Of ``rids``, those never pushed complete to ``remote``, changed since, or left in flight (with
    ``live_only``, not soft-deleted); one query per 900 rids."""
    out: list[int] = []
    live = " AND r.deleted_at IS NULL" if live_only else ""
    for chunk in _chunks(list(rids)):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT r.rid {_WITH_MAPPING} WHERE r.rid IN ({marks}){live} AND {_NEEDS_PUSH}"
        out.extend(r for (r,) in store.conn_fetchall(sql, (remote, *chunk)))
    order = {r: i for i, r in enumerate(rids)}
    return sorted(out, key=order.__getitem__)


def unpushed_rids(store: Store, remote: int | None = None) -> set[int]:
    """Live runs not pushed complete to ``remote`` (the most recently used one when None).

    With no remote ever used, every live run counts as unpushed.
    """
    if remote is None:
        found = find_remote(store)
        if found is None:
            return {r for (r,) in store.conn_fetchall("SELECT rid FROM runs WHERE deleted_at IS NULL")}
        remote = found[0]
    return {
        r
        for (r,) in store.conn_fetchall(
            f"SELECT r.rid {_WITH_MAPPING} WHERE r.deleted_at IS NULL AND {_NEEDS_PUSH}", (remote,)
        )
    }


def load_local_runs(store: Store, rids: Sequence[int]) -> list[LocalRun]:
    """The runs with params, tags, per-key point counts and artifact index, in ``rids`` order."""
    runs: dict[int, LocalRun] = {}
    for chunk in _chunks(list(rids)):
        marks = ",".join("?" * len(chunk))
        for row in store.conn_fetchall(
            "SELECT r.rid, r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.parent_id, r.user,"
            " r.host, r.source, r.note, r.error, r.deleted_at, r.updated_at FROM runs r"
            f" JOIN experiments e ON e.id = r.experiment_id WHERE r.rid IN ({marks})",
            chunk,
        ):
            runs[int(row[0])] = LocalRun(*row)
        for rid, k, v in store.conn_fetchall(f"SELECT rid, key, value FROM params WHERE rid IN ({marks})", chunk):
            runs[rid].params[k] = v
        for rid, k, v in store.conn_fetchall(f"SELECT rid, key, value FROM tags WHERE rid IN ({marks})", chunk):
            runs[rid].tags[k] = v
        for rid, k, n in store.conn_fetchall(
            f"SELECT rid, key, count FROM latest_metrics WHERE rid IN ({marks})", chunk
        ):
            runs[rid].counts[k] = int(n)
        for rid, p, size in store.conn_fetchall(f"SELECT rid, path, size FROM artifacts WHERE rid IN ({marks})", chunk):
            runs[rid].artifacts[p] = int(size)
    return [runs[r] for r in rids if r in runs]


# -- mappings -----------------------------------------------------------------------------------
def sync_rows(store: Store, remote: int, rids: Sequence[int] | None = None) -> dict[int, SyncRow]:
    sql = "SELECT rid, remote_run_id, origin, pushed_upto, inflight, base FROM sync_runs WHERE remote = ?"
    rows: list[tuple[Any, ...]] = []
    if rids is None:
        rows = store.conn_fetchall(sql, (remote,))
    else:
        for chunk in _chunks(list(rids)):
            rows.extend(store.conn_fetchall(sql + f" AND rid IN ({','.join('?' * len(chunk))})", (remote, *chunk)))
    return {int(r[0]): SyncRow(int(r[0]), r[1], r[2], r[3], bool(r[4]), json.loads(r[5] or "{}")) for r in rows}


def rid_of_remote_run(store: Store, remote: int, remote_run_id: str) -> int | None:
    row = store.conn_fetchone(
        "SELECT rid FROM sync_runs WHERE remote = ? AND remote_run_id = ?", (remote, remote_run_id)
    )
    return int(row[0]) if row else None


def remote_run_ids(store: Store, remote: int) -> dict[str, int]:
    """remote run id -> local rid for every mapped run of ``remote``."""
    return {
        r: int(rid)
        for rid, r in store.conn_fetchall("SELECT rid, remote_run_id FROM sync_runs WHERE remote = ?", (remote,))
    }


def map_run(
    store: Store, rid: int, remote: int, remote_run_id: str, origin: str, *, base: Mapping[str, Any] | None = None
) -> None:
    """Record that local ``rid`` is ``remote_run_id`` on ``remote`` (kept when already mapped)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO sync_runs(rid, remote, remote_run_id, origin, base, synced_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(rid, remote) DO UPDATE SET remote_run_id = excluded.remote_run_id",
            (rid, remote, remote_run_id, origin, json.dumps(dict(base or {})), now_ms()),
        )


def set_inflight(store: Store, rid: int, remote: int, inflight: bool) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE sync_runs SET inflight = ? WHERE rid = ? AND remote = ?", (int(inflight), rid, remote))


def finish_sync(
    store: Store, rid: int, remote: int, base: Mapping[str, Any], *, covered_updated_at: int | None, pushed: bool
) -> None:
    """Store the agreed state; with ``pushed``, the run counts as pushed up to ``covered_updated_at``.

    A local write in the very millisecond the push read the run would share its ``updated_at``;
    when the clock has not moved past it, one less is recorded so that write is pushed next time.
    """
    t = now_ms()
    with store.transaction() as conn:
        if pushed:
            upto = covered_updated_at
            if upto is not None and upto >= t:
                upto -= 1
            conn.execute(
                "UPDATE sync_runs SET base = ?, synced_at = ?, inflight = 0, pushed_upto = ?"
                " WHERE rid = ? AND remote = ?",
                (json.dumps(dict(base)), t, upto, rid, remote),
            )
        else:
            conn.execute(
                "UPDATE sync_runs SET base = ?, synced_at = ? WHERE rid = ? AND remote = ?",
                (json.dumps(dict(base)), t, rid, remote),
            )


def mark_pulled_current(store: Store, rid: int, remote: int) -> None:
    """After a pull (or an artifact fetch) wrote a run: its own writes are not local changes to push back.

    A write in the same millisecond would share the run's ``updated_at``; the clock is let move past
    it first (2 ms), and only where it does not (a pinned test clock) is one less recorded.
    """
    for attempt in range(2):
        with store.transaction() as conn:
            row = conn.execute("SELECT updated_at FROM runs WHERE rid = ?", (rid,)).fetchone()
            if row is None:
                return
            upto = int(row[0])
            if upto < now_ms() or attempt:
                if upto >= now_ms():
                    upto -= 1
                conn.execute("UPDATE sync_runs SET pushed_upto = ? WHERE rid = ? AND remote = ?", (upto, rid, remote))
                return
        time.sleep(0.002)


# -- watermarks ---------------------------------------------------------------------------------------
def marks(store: Store, rid: int, remote: int) -> dict[str, Mark]:
    return {
        k: Mark(n, step, ts, seq)
        for k, n, step, ts, seq in store.conn_fetchall(
            "SELECT k.key, m.n, m.step, m.ts, m.seq FROM sync_marks m JOIN metric_keys k ON k.kid = m.kid"
            " WHERE m.rid = ? AND m.remote = ?",
            (rid, remote),
        )
    }


def set_marks(store: Store, rid: int, remote: int, updates: Mapping[str, Mark]) -> None:
    """Advance watermarks (called only after the server confirmed the points)."""
    if not updates:
        return
    kids = {k: store.metric_kid(k) for k in updates}
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO sync_marks(rid, remote, kid, n, step, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(rid, remote, kids[k], m.n, m.step, m.ts, m.seq) for k, m in updates.items()],
        )


def points(store: Store, rid: int, key: str, after: Mark | None = None) -> list[StoredPoint]:
    """A series' points in stored order (step, ts, seq), only those after ``after`` when given."""
    row = store.conn_fetchone("SELECT kid FROM metric_keys WHERE key = ?", (key,))
    if row is None:
        return []
    if after is None:
        rows = store.conn_fetchall(
            "SELECT step, ts, seq, value FROM metrics WHERE rid = ? AND kid = ? ORDER BY step, ts, seq", (rid, row[0])
        )
    else:
        rows = store.conn_fetchall(
            "SELECT step, ts, seq, value FROM metrics WHERE rid = ? AND kid = ?"
            " AND (step, ts, seq) > (?, ?, ?) ORDER BY step, ts, seq",
            (rid, row[0], after.step, after.ts, after.seq),
        )
    return [(s, t, q, _float(v)) for s, t, q, v in rows]


def last_point(store: Store, rid: int, key: str) -> StoredPoint | None:
    row = store.conn_fetchone("SELECT kid FROM metric_keys WHERE key = ?", (key,))
    if row is None:
        return None
    got = store.conn_fetchone(
        "SELECT step, ts, seq, value FROM metrics WHERE rid = ? AND kid = ?"
        " ORDER BY step DESC, ts DESC, seq DESC LIMIT 1",
        (rid, row[0]),
    )
    return (got[0], got[1], got[2], _float(got[3])) if got else None


def count_points(store: Store, rid: int, key: str) -> int:
    row = store.conn_fetchone("SELECT count FROM latest_metrics WHERE rid = ? AND key = ?", (rid, key))
    return int(row[0]) if row else 0


# -- writes a pull makes ---------------------------------------------------------------------------
def run_exists(store: Store, run_id: str) -> int | None:
    row = store.conn_fetchone("SELECT rid FROM runs WHERE run_id = ?", (run_id,))
    return int(row[0]) if row else None


def existing_run_ids(store: Store, run_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(run_ids)):
        marks_ = ",".join("?" * len(chunk))
        found.update(r for (r,) in store.conn_fetchall(f"SELECT run_id FROM runs WHERE run_id IN ({marks_})", chunk))
    return found


def insert_run(
    store: Store,
    *,
    run_id: str,
    experiment: str,
    name: str,
    status: str,
    start_time: int,
    end_time: int | None,
    parent_id: str | None,
    user: str | None,
    host: str | None,
    source: str | None,
    note: str | None,
    error: str | None,
    deleted_at: int | None,
    params: Mapping[str, str],
    tags: Mapping[str, str],
    series: Mapping[str, Sequence[tuple[int, int, float]]],
    artifacts: Iterable[tuple[str, int]] = (),
    created_at: int | None = None,
    heartbeat: int | None = None,
) -> int | None:
    """A whole run (row, params, tags, histories ``key -> [(step, ts, value)]``, artifact index) in one
    transaction; None when ``run_id`` is already in the store."""
    exp_id = store.experiment_id(experiment)
    kids = {k: store.metric_kid(k) for k in series}
    t = now_ms()
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            return None
        cur = conn.execute(
            "INSERT INTO runs(run_id, experiment_id, name, status, start_time, end_time, heartbeat, parent_id,"
            " user, host, pid, source, note, error, deleted_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
            (
                run_id,
                exp_id,
                name,
                status,
                start_time,
                end_time,
                heartbeat if heartbeat is not None else (end_time or start_time),
                parent_id,
                user,
                host,
                source,
                note,
                error,
                deleted_at,
                t,
            ),
        )
        rid = inserted_rowid(cur)
        conn.executemany(
            "INSERT INTO params(rid, key, value, num) VALUES (?, ?, ?, ?)",
            [(rid, k, v, _numeric(v)) for k, v in params.items()],
        )
        conn.executemany("INSERT INTO tags(rid, key, value) VALUES (?, ?, ?)", [(rid, k, v) for k, v in tags.items()])
        batches = [(rid, k, [(rid, kids[k], s, ts, v) for s, ts, v in pts]) for k, pts in series.items() if pts]
        if batches:
            write_batches_in(conn, batches, heartbeat=False)
        conn.executemany(
            "INSERT OR REPLACE INTO artifacts(rid, path, size, created_at) VALUES (?, ?, ?, ?)",
            [(rid, p, size, created_at or t) for p, size in artifacts],
        )
    return rid


def append_points(store: Store, rid: int, series: Mapping[str, Sequence[tuple[int, int, float]]]) -> None:
    """New points of existing series (exact duplicates are dropped, as on first write)."""
    kids = {k: store.metric_kid(k) for k in series}
    batches = [(rid, k, [(rid, kids[k], s, ts, v) for s, ts, v in pts]) for k, pts in series.items() if pts]
    if batches:
        with store.transaction() as conn:
            write_batches_in(conn, batches, heartbeat=False)


def update_pulled_run(
    store: Store,
    rid: int,
    *,
    fields: Mapping[str, Any] | None = None,
    set_tags: Mapping[str, str] | None = None,
    delete_tags: Iterable[str] = (),
    params: Mapping[str, str] | None = None,
) -> None:
    """Apply a server's changes to a run in one transaction (column names from a whitelist only)."""
    allowed = {
        "name",
        "note",
        "deleted_at",
        "status",
        "end_time",
        "parent_id",
        "user",
        "host",
        "source",
        "error",
        "heartbeat",
    }
    fields = dict(fields or {})
    bad = set(fields) - allowed
    if bad:
        raise ValueError(f"cannot update run fields {sorted(bad)}")
    with store.transaction() as conn:
        if fields:
            cols = sorted(fields)
            conn.execute(
                f"UPDATE runs SET {', '.join(c + ' = ?' for c in cols)} WHERE rid = ?",
                (*[fields[c] for c in cols], rid),
            )
        if set_tags:
            conn.executemany(
                "INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)",
                [(rid, k, v) for k, v in set_tags.items()],
            )
        for k in delete_tags:
            conn.execute("DELETE FROM tags WHERE rid = ? AND key = ?", (rid, k))
        if params:
            conn.executemany(
                "INSERT OR IGNORE INTO params(rid, key, value, num) VALUES (?, ?, ?, ?)",
                [(rid, k, v, _numeric(v)) for k, v in params.items()],
            )
        conn.execute("UPDATE runs SET updated_at = ? WHERE rid = ?", (now_ms(), rid))


def record_artifacts(store: Store, rid: int, entries: Iterable[tuple[str, int]]) -> None:
    store.record_artifacts(rid, entries)


def forget_mapping(store: Store, rid: int, remote: int) -> None:
    """The server lost the run: drop the mapping and watermarks so the next push creates it anew."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM sync_runs WHERE rid = ? AND remote = ?", (rid, remote))
        conn.execute("DELETE FROM sync_marks WHERE rid = ? AND remote = ?", (rid, remote))


def note_conflict(store: Store, rid: int, text: str) -> None:
    """Say on the run (its ``tuitrack.sync.conflict`` tag, shown in the detail) which side a conflict kept."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)",
            (rid, "tuitrack.sync.conflict", text[:8000]),
        )
        conn.execute("UPDATE runs SET updated_at = ? WHERE rid = ?", (now_ms(), rid))


def unpushed_count(store: Store) -> int | None:
    """Live runs not pushed complete to the most recently used server; None when none was ever used."""
    found = find_remote(store)
    if found is None:
        return None
    row = store.conn_fetchone(
        f"SELECT count(*) {_WITH_MAPPING} WHERE r.deleted_at IS NULL AND {_NEEDS_PUSH}", (found[0],)
    )
    return int(row[0]) if row else 0


# -- per-row sync state and server-only artifacts (the app) ---------------------------------------------
def unpushed_among(store: Store, rids: Sequence[int]) -> set[int] | None:
    """Of ``rids`` (a page of the runs table), the live runs not pushed complete to the most recently used
    server; None when the store never synced (the app then marks nothing).  One query per 900 rids."""
    found = find_remote(store)
    if found is None:
        return None
    return set(runs_needing_push(store, found[0], rids, live_only=True))


@dataclass
class RunRemote:
    """Where a run lives on a server: the remote's id and URI, the run's id there, the agreed state."""

    remote: int
    uri: str
    remote_run_id: str
    origin: str
    base: dict[str, Any]


def run_remote(store: Store, rid: int) -> RunRemote | None:
    """The server a run was last synced with (pulled from, or pushed to); None when it never was."""
    try:
        row = store.conn_fetchone(
            "SELECT s.remote, r.uri, s.remote_run_id, s.origin, s.base FROM sync_runs s"
            " JOIN sync_remotes r ON r.id = s.remote WHERE s.rid = ? ORDER BY s.synced_at DESC, s.remote DESC LIMIT 1",
            (rid,),
        )
    except sqlite3.OperationalError:  # an older store opened read-only as it is: it never synced
        return None
    if row is None:
        return None
    return RunRemote(int(row[0]), str(row[1]), str(row[2]), str(row[3]), json.loads(row[4] or "{}"))


def server_only_artifacts(store: Store, rid: int) -> tuple[str, list[tuple[str, int]]] | None:
    """(server URI, [(path, size)]) of the files a pull listed on the server that the store does not have
    (a pull without ``--artifacts``); None when the run has none or never came from a server."""
    found = run_remote(store, rid)
    if found is None or not found.base.get("listed"):
        return None
    listed = found.base.get("artifacts") or {}
    local = {p for (p,) in store.conn_fetchall("SELECT path FROM artifacts WHERE rid = ?", (rid,))}
    missing = sorted((p, int(s)) for p, s in listed.items() if p not in local and isinstance(p, str))
    return (found.uri, missing) if missing else None


def save_artifact(store: Store, run_id: str, rel: str, data: bytes) -> int:
    """Write one file a server sent into the run's artifact folder; returns its size.

    The path is checked by the store's own rules (relative, no ``..``, no control characters), the run's
    folder must be the store's own (``run_artifact_dir``), and the file's folder must resolve inside it
    (a symlinked sub-folder is refused); the bytes go to a ``.tmp-`` file renamed into place, as the
    tracking API writes artifacts, so a killed fetch leaves only what ``tuitrack gc`` cleans.
    """
    path = validation.artifact_path(rel)
    if not path:
        raise validation.ValidationError(f"artifact path {rel!r} names the run's folder itself")
    root = store.run_artifact_dir(run_id)
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    parent = target.parent.resolve()
    if parent != root and root not in parent.parents:
        raise validation.ValidationError(f"artifact path {rel!r} escapes the run's artifact folder")
    if target.is_dir() and not target.is_symlink():
        raise validation.ValidationError(f"artifact path {rel!r} names a folder in the run's artifacts")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, parent / target.name)  # a symlink there is replaced, never written through
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)
