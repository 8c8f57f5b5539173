"""The SQLite run store: opening, migrations, transactions and writes.

A store is a directory holding ``tuitrack.db`` and ``artifacts/<run_id>/``.
Many training processes write one store at once, so every write is a short
``BEGIN IMMEDIATE`` transaction under a generous busy timeout, retried when
SQLite still reports the database as locked.  Readers never create anything
and open stores they cannot write in read-only mode.  Reads live in
``store_reads.py`` (mixed into :class:`Store`).
"""

from __future__ import annotations

import bisect
import math
import operator
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.errors import (
    NotATuitrackStoreError,
    ParamConflictError,
    ReadOnlyStoreError,
    RunGoneError,
    RunNotFoundError,
    StorageFullError,
    StoreError,
    StoreNotFoundError,
    StorePermissionError,
    StoreVersionError,
    ValidationError,
)
from tuitrack.store import schema
from tuitrack.store.reads import StoreReads

DB_NAME = "tuitrack.db"
ARTIFACTS = "artifacts"
BUSY_TIMEOUT_MS = 30_000
DEFAULT_EXPERIMENT = "Default"

#: One metric point as given to ``write_metrics``: (rid, key, value, step, timestamp_ms).
Point = tuple[int, str, float, int, int]
#: One metric row as queued by the logging API and stored: (rid, kid, step, timestamp_ms, value).
Row = tuple[int, int, int, int, float]
_STEP_TS = operator.itemgetter(2, 3)
#: A curated field: ("tag", key) for a tag, ("run", column) for one of ``CURATED_COLUMNS``.
Field = tuple[str, str]
#: The run columns curation may set: the only column names ever put into the SQL of ``curate_runs``.
CURATED_COLUMNS = ("name", "note", "deleted_at")


@dataclass
class ImportedRun:
    """A finished record of a run from another tracker, written by :meth:`Store.import_run` in one go.

    ``metrics`` are ``(key, value, step, ts)``, ``artifacts`` ``(path, size, created_at)`` and
    ``inputs`` ``(name, source, digest, rows, context, created_at, source_type, schema, profile)``.
    The experiment is created with the run when it is new (``experiment_created``: when it was made
    there, else now; ``experiment_deleted``: deleted there).
    """

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    heartbeat: int
    deleted_at: int | None
    parent_id: str | None = None
    user: str | None = None
    source: str | None = None
    note: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Sequence[tuple[str, float, int, int]] = ()
    artifacts: Sequence[tuple[str, int, int]] = ()
    inputs: Sequence[tuple[Any, ...]] = ()
    experiment_created: int | None = None
    experiment_deleted: bool = False
    experiment_tags: Mapping[str, str] = field(default_factory=dict)


_clock: Callable[[], int] | None = None


def now_ms() -> int:
    """Wall-clock milliseconds; ``set_clock`` pins it for deterministic demos and tests."""
    if _clock is not None:
        return _clock()
    return time.time_ns() // 1_000_000


def inserted_rowid(cur: sqlite3.Cursor) -> int:
    """The rowid an INSERT just made (the sqlite3 stubs say ``int | None``: None only before any INSERT)."""
    rowid = cur.lastrowid
    if rowid is None:
        raise StoreError("an INSERT returned no row id")
    return rowid


def set_clock(clock: Callable[[], int] | None) -> None:
    """Replace the clock used for every stored time (None restores the real one)."""
    global _clock
    _clock = clock


def default_store_path() -> Path:
    """``TUITRACK_STORE`` if set, else ``~/.tuitrack`` (one store per machine)."""
    env = os.environ.get("TUITRACK_STORE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".tuitrack"


def _as_float_or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _numeric(text: str) -> float | None:
    """The float a param value spells, or None ("10" -> 10.0, "abc" -> None, "nan" -> None)."""
    if len(text) > 64:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class Store(StoreReads):
    """One open store.  Thread-safe: every use of the connection holds ``self.lock``."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False, read_only: bool | None = None):
        try:
            self._open(Path(path).expanduser(), create, read_only)
        except PermissionError as exc:
            if isinstance(exc, StoreError):
                raise
            # A folder this user may not read or search, or a mode-000 database: one clear error,
            # never a raw traceback (the CLI prints it as its one ``Error:`` line).
            where = exc.filename or path
            raise StorePermissionError(
                f"permission denied: cannot read the tuitrack store at {where} "
                f"({exc.strerror or exc}); check the folder's and tuitrack.db's "
                "permissions"
            ) from None

    def _open(self, path: Path, create: bool, read_only: bool | None) -> None:
        if path.name == DB_NAME and path.is_file():
            path = path.parent
        self.path = path
        self.db_path = path / DB_NAME
        self.artifacts_root = path / ARTIFACTS
        self.lock = threading.RLock()
        if path.exists() and not path.is_dir():
            raise NotATuitrackStoreError(
                f"{path} is a file, not a tuitrack store folder (expected a folder holding {DB_NAME})"
            )
        if not self.db_path.exists():
            if not create:
                if path.exists():
                    raise NotATuitrackStoreError(f"{path} is not a tuitrack store: it has no {DB_NAME}")
                raise StoreNotFoundError(
                    f"no tuitrack store at {path} (run a training script with tuitrack, or pass --store)"
                )
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store folder {path}: {exc.strerror or exc}") from None
        if not os.access(path, os.R_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(path))
        if self.db_path.exists() and not os.access(self.db_path, os.R_OK):
            raise PermissionError(13, "Permission denied", str(self.db_path))
        writable = os.access(path, os.W_OK) and (not self.db_path.exists() or os.access(self.db_path, os.W_OK))
        if read_only is None:
            read_only = not writable
        elif not read_only and not writable:
            raise ReadOnlyStoreError(f"the store at {path} is read-only (no write permission)")
        self.read_only = read_only
        #: Set when the store is read in a degraded way (a private snapshot, or possibly stale).
        self.notice: str | None = None
        self._snapshot_dir: Path | None = None
        self.conn = self._connect()
        try:
            self._check_and_migrate(create)
        except BaseException:
            self.conn.close()  # a refused store must not keep its files open until garbage collection
            raise
        self._kid_cache: dict[str, int] = {}

    # -- opening -----------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        uri = self.db_path.resolve().as_uri() if self.db_path.exists() else None
        writable_folder = (
            os.access(self.path, os.W_OK)
            and self.db_path.exists()
            and os.access(self.db_path, os.W_OK)
            and not _on_read_only_mount(self.path)
        )
        try:
            if self.read_only and writable_folder:
                # Read-only by choice in a folder we could write: a normal connection that refuses
                # writes, because a mode=ro connection never removes the -wal/-shm files it creates.
                conn = sqlite3.connect(
                    str(self.db_path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
                )
                conn.execute("PRAGMA query_only = ON")
            elif self.read_only:
                conn = sqlite3.connect(
                    f"{uri}?mode=ro",
                    uri=True,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    check_same_thread=False,
                    isolation_level=None,
                )
                try:
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                except sqlite3.OperationalError:
                    # A WAL store in a folder we cannot write: no -shm can be made.  Committed data may
                    # still sit in the -wal (a writer killed before its checkpoint), which an immutable
                    # connection would ignore: read a private copy of db + wal instead.
                    conn.close()
                    conn = self._connect_snapshot() or sqlite3.connect(
                        f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False, isolation_level=None
                    )
            else:
                conn = sqlite3.connect(
                    str(self.db_path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
                )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise NotATuitrackStoreError(f"{self.db_path} is not a readable SQLite database ({exc})") from None
        return conn

    def _connect_snapshot(self) -> sqlite3.Connection | None:
        """A connection to a private copy of the db and its -wal, when the -wal holds anything.

        None when there is no WAL content (immutable reading then sees everything).  When the copy
        cannot be made (no room in the temp folder) the store is read as immutable and
        :attr:`notice` says the view may be stale (also emitted as a RuntimeWarning).
        """
        wal = self.db_path.with_name(DB_NAME + "-wal")
        try:
            wal_size = wal.stat().st_size
        except OSError:
            return None
        if not wal_size:
            return None
        tmp = None
        try:
            need = self.db_path.stat().st_size + wal_size
            tmp = Path(tempfile.mkdtemp(prefix="tuitrack-ro-"))
            if shutil.disk_usage(tmp).free < need + (1 << 20):
                raise OSError(28, "not enough room for a copy", str(tmp))
            shutil.copyfile(self.db_path, tmp / DB_NAME)
            shutil.copyfile(wal, tmp / (DB_NAME + "-wal"))
            conn = sqlite3.connect(str(tmp / DB_NAME), check_same_thread=False, isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # replays the WAL into the copy
            conn.execute("PRAGMA query_only = ON")
        except (OSError, sqlite3.Error) as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            self.notice = (
                f"the store at {self.path} has committed data in {wal.name} that a read-only folder "
                f"cannot index (no {DB_NAME}-shm) and no private copy could be made ({exc}): "
                "the view may be stale; open it where it is writable to see everything"
            )
            warnings.warn(f"tuitrack: {self.notice}", RuntimeWarning, stacklevel=4)
            return None
        self._snapshot_dir = tmp
        weakref.finalize(self, shutil.rmtree, str(tmp), True)
        self.notice = (
            f"read from a private copy of {self.db_path} and its -wal made at opening (a read-only folder "
            "without -shm); writes made after that are not shown"
        )
        return conn

    def _enable_wal(self) -> None:
        """WAL + synchronous=NORMAL, set only once the file is known to be ours (never on a foreign db).

        Switching the journal mode needs a moment of exclusive access, which SQLite does
        not wait for, so a writer racing others retries while the database is busy.
        """

        def set_wal() -> None:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")

        try:
            self._while_busy(set_wal, BUSY_TIMEOUT_MS / 1000)
        except sqlite3.DatabaseError as exc:  # OperationalErrors come out of _while_busy translated
            raise NotATuitrackStoreError(f"{self.db_path} is not a usable SQLite database ({exc})") from None

    def _while_busy(self, attempt: Callable[[], object], seconds: float) -> None:
        """Call ``attempt`` until SQLite stops answering busy or locked, backing off
        from 5 ms to 200 ms, for ``seconds`` at most.  A busy past that, or another OperationalError, raises
        as ``_translate`` names it; other errors pass through."""
        deadline = time.monotonic() + seconds
        delay = 0.005
        while True:
            try:
                attempt()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise _translate(exc, self.path) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _read_meta(self) -> dict[str, str] | None:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            if tables:
                raise NotATuitrackStoreError(
                    f"{self.db_path} is a SQLite database of another application (tables: "
                    f"{', '.join(sorted(tables)[:5])}), not a tuitrack store; nothing was changed"
                )
            return None
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != schema.APP_ID:
            raise NotATuitrackStoreError(f"{self.db_path} has a meta table but was not written by tuitrack")
        return meta

    def _check_and_migrate(self, create: bool) -> None:
        meta = self._read_meta()
        version = int(meta["schema_version"]) if meta else 0
        if version > schema.SCHEMA_VERSION:
            raise StoreVersionError(
                f"the store at {self.path} has schema version {version}, newer than this tuitrack "
                f"understands ({schema.SCHEMA_VERSION}); upgrade tuitrack to read it"
            )
        if version == schema.SCHEMA_VERSION:
            if not self.read_only:
                self._enable_wal()
            return
        if self.read_only and version >= schema.MIN_READABLE_VERSION:
            return  # readable as it is; the first writer migrates it
        if self.read_only or (version == 0 and not create):
            if version == 0 and self.notice is not None:  # everything may be in the unreadable -wal
                raise NotATuitrackStoreError(f"{self.db_path} shows no tuitrack tables: {self.notice}")
            if version == 0:
                raise NotATuitrackStoreError(f"{self.db_path} is an empty database, not a tuitrack store")
            raise ReadOnlyStoreError(
                f"the store at {self.path} needs upgrading from schema {version} to {schema.SCHEMA_VERSION}, "
                "but it is read-only"
            )
        # Several processes may race to create a fresh store: the migration runs in one
        # IMMEDIATE transaction and re-reads the version inside it.
        self._enable_wal()
        with self.transaction():
            meta = self._read_meta()
            version = int(meta["schema_version"]) if meta else 0
            for step in range(version, schema.SCHEMA_VERSION):
                for statement in _split_sql(schema.MIGRATIONS[step]):
                    self.conn.execute(statement)
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('app', ?)", (schema.APP_ID,))
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(schema.SCHEMA_VERSION),)
            )

    def close(self) -> None:
        with self.lock:
            self.conn.close()
            if self._snapshot_dir is not None:
                shutil.rmtree(self._snapshot_dir, ignore_errors=True)
                self._snapshot_dir = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, retried while another process holds the write lock."""
        if self.read_only:
            raise ReadOnlyStoreError(f"the store at {self.path} is open read-only; nothing was written")
        with self.lock:
            self._while_busy(lambda: self.conn.execute("BEGIN IMMEDIATE"), 120)
            try:
                yield self.conn
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _translate(exc, self.path) from None
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise _translate(exc, self.path) from None

    # -- experiments and runs -------------------------------------------------------
    def experiment_id(self, name: str, *, create: bool = True) -> int:
        name = validation.experiment_name(name)
        row = self.conn_fetchone("SELECT id FROM experiments WHERE name = ?", (name,))
        if row:
            return int(row[0])
        if not create:
            raise LookupError(f"no experiment named {name!r}")
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO experiments(name, created_at) VALUES (?, ?)", (name, now_ms()))
            return int(conn.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()[0])

    def create_run(
        self,
        *,
        run_id: str,
        experiment_id: int,
        name: str,
        start_time: int,
        parent_id: str | None = None,
        user: str | None = None,
        host: str | None = None,
        pid: int | None = None,
        source: str | None = None,
        note: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        packages: Mapping[str, str] | None = None,
    ) -> int:
        """Insert a RUNNING run with its first tags/params in one transaction; returns its rid."""
        import json

        validation.run_id(run_id)
        if parent_id is not None:
            validation.run_id(parent_id, "parent run id")
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs(run_id, experiment_id, name, status, start_time, heartbeat, parent_id, user, host,"
                " pid, source, note, updated_at) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    experiment_id,
                    name,
                    start_time,
                    start_time,
                    parent_id,
                    user,
                    host,
                    pid,
                    source,
                    note,
                    now_ms(),
                ),
            )
            rid = inserted_rowid(cur)
            if tags:
                conn.executemany(
                    "INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)",
                    [(rid, k, v) for k, v in tags.items()],
                )
            if params:
                conn.executemany(
                    "INSERT INTO params(rid, key, value, num) VALUES (?, ?, ?, ?)",
                    [(rid, k, v, _numeric(v)) for k, v in params.items()],
                )
            if packages is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO run_env(rid, packages) VALUES (?, ?)",
                    (rid, json.dumps(dict(packages), sort_keys=True)),
                )
        return rid

    def _require_run(self, conn: sqlite3.Connection, rid: int) -> None:
        """Inside a write transaction: refuse a write for a run that is gone (purged meanwhile).

        Without this, rows for a purged run would be inserted as orphans (and, when rids were
        reused, attached to whichever run received that rid next)."""
        if conn.execute("SELECT 1 FROM runs WHERE rid = ?", (rid,)).fetchone() is None:
            raise RunGoneError(
                f"the run (internal id {rid}) no longer exists in the store at {self.path}: it was "
                "purged (tuitrack gc) while still being logged to; nothing was written"
            )

    def run_exists(self, rid: int) -> bool:
        return self.conn_fetchone("SELECT 1 FROM runs WHERE rid = ?", (rid,)) is not None

    def rid(self, run_id: str) -> int:
        row = self.conn_fetchone("SELECT rid FROM runs WHERE run_id = ?", (run_id,))
        if row is None:
            raise RunNotFoundError(f"no run with id {run_id!r} in the store at {self.path}")
        return int(row[0])

    def resume_run(self, rid: int, *, pid: int | None, host: str | None) -> None:
        t = now_ms()
        with self.transaction() as conn:
            self._require_run(conn, rid)
            conn.execute(
                "UPDATE runs SET status='RUNNING', end_time=NULL, error=NULL, heartbeat=?, pid=?, host=?,"
                " updated_at=? WHERE rid=?",
                (t, pid, host, t, rid),
            )

    def end_run(self, rid: int, status: str, *, end_time: int | None = None, error: str | None = None) -> None:
        t = now_ms()
        with self.transaction() as conn:
            self._require_run(conn, rid)
            conn.execute(
                "UPDATE runs SET status=?, end_time=?, error=COALESCE(?, error), heartbeat=?, updated_at=? WHERE rid=?",
                (status, end_time if end_time is not None else t, error, t, t, rid),
            )

    def heartbeat(self, rids: Iterable[int]) -> None:
        rids = list(rids)
        if not rids:
            return
        t = now_ms()
        with self.transaction() as conn:
            conn.executemany("UPDATE runs SET heartbeat=? WHERE rid=? AND status='RUNNING'", [(t, r) for r in rids])

    # -- params and tags -----------------------------------------------------------
    def log_params(self, rid: int, params: Mapping[str, str]) -> None:
        """Insert params; a key already logged with another value raises and writes nothing."""
        if not params:
            return
        with self.transaction() as conn:
            self._require_run(conn, rid)
            keys = list(params)
            existing: dict[str, str] = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(
                    conn.execute(
                        f"SELECT key, value FROM params WHERE rid = ? AND key IN ({marks})", (rid, *chunk)
                    ).fetchall()
                )
            for key, value in params.items():
                old = existing.get(key)
                if old is not None and old != value:
                    raise ParamConflictError(
                        f"param {key!r} was already logged as {old!r}; params cannot change "
                        f"(new value {value!r}). Log a new key or start a new run."
                    )
            fresh = [(rid, k, v, _numeric(v)) for k, v in params.items() if k not in existing]
            conn.executemany("INSERT INTO params(rid, key, value, num) VALUES (?, ?, ?, ?)", fresh)
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (now_ms(), rid))

    def set_tags(self, rid: int, tags: Mapping[str, str]) -> None:
        with self.transaction() as conn:
            self._require_run(conn, rid)
            conn.executemany(
                "INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)", [(rid, k, v) for k, v in tags.items()]
            )
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (now_ms(), rid))

    def delete_tags(self, rid: int, keys: Iterable[str]) -> int:
        with self.transaction() as conn:
            self._require_run(conn, rid)
            n = sum(conn.execute("DELETE FROM tags WHERE rid=? AND key=?", (rid, k)).rowcount for k in keys)
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (now_ms(), rid))
        return n

    def update_run_fields(self, rid: int, **fields: Any) -> None:
        """Set curation columns (name, note, deleted_at); column names come from this whitelist only."""
        allowed = {"name", "note", "deleted_at"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update run fields {sorted(bad)}")
        if not fields:
            return
        cols = sorted(fields)
        assignments = ", ".join(f"{c} = ?" for c in cols)
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE runs SET {assignments}, updated_at = ? WHERE rid = ?",
                (*[fields[c] for c in cols], now_ms(), rid),
            )

    # -- metrics -------------------------------------------------------------------
    def write_metrics(self, points: list[Point]) -> None:
        """Write ``(rid, key, value, step, ts)`` points (importers, tools) through the batch path."""
        if not points:
            return
        with self.lock:
            grouped: dict[tuple[int, str], list[Row]] = {}
            for rid, key, value, step, ts in points:
                kid = self.metric_kid(key)
                grouped.setdefault((rid, key), []).append((rid, kid, step, ts, value))
            gone = self.write_batches([(rid, key, rows) for (rid, key), rows in grouped.items()])
        if gone:
            raise RunGoneError(
                f"runs with internal ids {sorted(gone)} no longer exist in the store at {self.path}; "
                "their points were not written"
            )

    def metric_kid(self, key: str) -> int:
        """The interned id of a metric key, creating it on first use."""
        kid = self._kid_cache.get(key)
        if kid is not None:
            return kid
        row = self.conn_fetchone("SELECT kid FROM metric_keys WHERE key=?", (key,))
        if row is not None:
            with self.lock:
                self._kid_cache[key] = int(row[0])
            return int(row[0])
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO metric_keys(key) VALUES (?)", (key,))
            kid = int(conn.execute("SELECT kid FROM metric_keys WHERE key=?", (key,)).fetchone()[0])
        with self.lock:  # cached only once committed: a failed commit must not leave a phantom id
            self._kid_cache[key] = kid
        return kid

    def write_batches(self, batches: list[tuple[int, str, list[Row]]]) -> set[int]:
        """The writer's fast path: per-(run, key) lists of ready rows ``(rid, kid, step, ts, value)``.

        Returns the rids whose runs no longer exist (purged while logging): their rows are not
        written, so they can never land as orphans or in another run; the caller reports them.
        """
        if not batches:
            return set()
        with self.transaction() as conn:
            rids = sorted({b[0] for b in batches})
            found: set[int] = set()
            for i in range(0, len(rids), 500):
                chunk = rids[i : i + 500]
                found.update(
                    r
                    for (r,) in conn.execute(f"SELECT rid FROM runs WHERE rid IN ({','.join('?' * len(chunk))})", chunk)
                )
            gone = set(rids) - found
            live = [b for b in batches if b[0] not in gone] if gone else batches
            if live:
                write_batches_in(conn, live)
        return gone

    # -- artifacts, inputs ---------------------------------------------------------
    def run_artifact_dir(self, run_id: str) -> Path:
        """``<store>/artifacts/<run_id>``, refused unless it provably lies inside the artifacts folder.

        The id must have the run-id format and the resolved folder (symlinks followed) must be
        a direct child of the resolved artifacts root, so an id that slipped past validation
        (an old import, a hand-edited row) can never become a read, write or delete elsewhere.
        """
        validation.run_id(run_id)
        root = self.artifacts_root.resolve()
        target = (root / run_id).resolve()
        if target != root / run_id:  # a symlink (even to a sibling run's folder) is not the run's own folder
            raise StoreError(
                f"the artifact folder of run {run_id!r} resolves to {target}, outside the store's "
                f"artifacts folder {root}; refusing to use it"
            )
        return target

    def record_artifacts(self, rid: int, entries: Iterable[tuple[str, int]]) -> None:
        t = now_ms()
        with self.transaction() as conn:
            self._require_run(conn, rid)
            conn.executemany(
                "INSERT OR REPLACE INTO artifacts(rid, path, size, created_at) VALUES (?, ?, ?, ?)",
                [(rid, p, size, t) for p, size in entries],
            )
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (t, rid))

    def record_input(
        self,
        rid: int,
        name: str,
        source: str | None,
        digest: str | None,
        rows: int | None,
        context: str | None,
        *,
        source_type: str | None = None,
        schema: str | None = None,
        profile: str | None = None,
    ) -> None:
        """A dataset the run read; ``schema`` and ``profile`` are JSON text (MLflow's dataset fields)."""
        t = now_ms()
        with self.transaction() as conn:
            self._require_run(conn, rid)
            conn.execute(
                "INSERT OR REPLACE INTO inputs(rid, name, source, digest, rows, context, created_at,"
                " source_type, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rid, name, source, digest, rows, context, t, source_type, schema, profile),
            )
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (t, rid))

    def set_experiment_tags(self, experiment_id: int, tags: Mapping[str, str]) -> None:
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)).fetchone() is None:
                raise validation.ValidationError(f"no experiment with id {experiment_id!r}")
            conn.executemany(
                "INSERT OR REPLACE INTO experiment_tags(experiment_id, key, value) VALUES (?, ?, ?)",
                [(experiment_id, k, v) for k, v in tags.items()],
            )

    def import_experiment(self, name: str, *, tags: Mapping[str, str], deleted: bool) -> int:
        """An experiment from another tracker: created when missing (deleted there: deleted here), tags merged."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()
            if row is None:
                t = now_ms()
                exp_id = inserted_rowid(
                    conn.execute(
                        "INSERT INTO experiments(name, created_at, deleted_at) VALUES (?, ?, ?)",
                        (name, t, t if deleted else None),
                    )
                )
            else:
                exp_id = int(row[0])
            conn.executemany(
                "INSERT OR REPLACE INTO experiment_tags(experiment_id, key, value) VALUES (?, ?, ?)",
                [(exp_id, k, v) for k, v in tags.items()],
            )
        return exp_id

    def has_run(self, run_id: str) -> bool:
        return self.conn_fetchone("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)) is not None

    def import_run(self, run: ImportedRun) -> int | None:
        """Write a run from another tracker (row, params, tags, full metric history, artifact index,
        inputs, its experiment when new) in one transaction; returns its rid.

        None when the run id is already in the store: checked inside the transaction, so two imports
        of the same source at once skip each other's runs instead of failing on the unique id.
        """
        t = now_ms()
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone():
                return None
            exp_id = _experiment_in(conn, run, t)
            cur = conn.execute(
                "INSERT INTO runs(run_id, experiment_id, name, status, start_time, end_time, heartbeat, parent_id,"
                " user, host, pid, source, note, error, deleted_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL, ?, ?)",
                (
                    run.run_id,
                    exp_id,
                    run.name,
                    run.status,
                    run.start_time,
                    run.end_time,
                    run.heartbeat,
                    run.parent_id,
                    run.user,
                    run.source,
                    run.note,
                    run.deleted_at,
                    t,
                ),
            )
            rid = inserted_rowid(cur)
            conn.executemany(
                "INSERT INTO params(rid, key, value, num) VALUES (?, ?, ?, ?)",
                [(rid, k, v, _numeric(v)) for k, v in run.params.items()],
            )
            conn.executemany(
                "INSERT INTO tags(rid, key, value) VALUES (?, ?, ?)", [(rid, k, v) for k, v in run.tags.items()]
            )
            _insert_history(conn, rid, run.metrics)
            conn.executemany(
                "INSERT INTO artifacts(rid, path, size, created_at) VALUES (?, ?, ?, ?)",
                [(rid, path, size, created) for path, size, created in run.artifacts],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO inputs(rid, name, source, digest, rows, context, created_at, source_type,"
                " schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(rid, *row) for row in run.inputs],
            )
        return rid

    # -- curation ---------------------------------------------------------------------
    def curate_runs(self, edits: Sequence[tuple[int, str, Mapping[Field, Any]]]) -> list[dict[Field, Any]]:
        """Set curated fields of runs in one short transaction; returns each run's previous values.

        An edit is ``(rid, run id, {field: new value})``, a field ``("run", column)`` for a column of
        ``CURATED_COLUMNS`` or ``("tag", key)``; None clears a column or removes a tag.  The previous
        values are read inside the same transaction, so an undo restores exactly what was overwritten
        even while training processes keep logging.
        """
        befores: list[dict[Field, Any]] = []
        t = now_ms()
        with self.transaction() as conn:
            for rid, run_id, target in edits:
                before: dict[Field, Any] = {}
                cols = [c for kind, c in target if kind == "run"]
                for col in cols:
                    if col not in CURATED_COLUMNS:  # the only names ever put into the SQL below
                        raise ValueError(f"cannot curate run column {col!r}")
                # Checked by rid *and* run id: gc may have purged the run since it was resolved (an
                # undo much later), and SQLite hands a purged rid to the next new run.
                row = conn.execute(
                    f"SELECT {', '.join(['run_id', *cols])} FROM runs WHERE rid = ? AND run_id = ?", (rid, run_id)
                ).fetchone()
                if row is None:
                    raise ValidationError(
                        f"run {run_id[:8]} no longer exists in the store (purged by "
                        "`tuitrack gc`?); nothing was changed"
                    )
                if cols:
                    before.update({("run", c): v for c, v in zip(cols, row[1:])})
                    conn.execute(
                        f"UPDATE runs SET {', '.join(f'{c} = ?' for c in cols)} WHERE rid = ?",
                        (*[target[("run", c)] for c in cols], rid),
                    )
                for (kind, key), value in target.items():
                    if kind != "tag":
                        continue
                    row = conn.execute("SELECT value FROM tags WHERE rid = ? AND key = ?", (rid, key)).fetchone()
                    before[("tag", key)] = row[0] if row else None
                    if value is None:
                        conn.execute("DELETE FROM tags WHERE rid = ? AND key = ?", (rid, key))
                    else:
                        conn.execute("INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)", (rid, key, value))
                conn.execute("UPDATE runs SET updated_at = ? WHERE rid = ?", (t, rid))
                befores.append(before)
        return befores

    def pin_for_snapshots(self, *, pid_base: int, strip_prefix: str) -> None:
        """Pin what no logging setting fixes, for pictures that must not change: every run's process id
        becomes ``pid_base + rid``, and ``strip_prefix`` (a checkout folder) is cut out of recorded tracebacks."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET pid = ? + rid", (pid_base,))
            conn.execute("UPDATE runs SET error = replace(error, ?, '') WHERE error IS NOT NULL", (strip_prefix,))

    def set_packages(self, rid: int, packages: Mapping[str, str]) -> None:
        """Replace a run's recorded package versions (importers, and demos that show a recorded environment)."""
        import json

        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_env(rid, packages) VALUES (?, ?)",
                (rid, json.dumps(dict(packages), sort_keys=True)),
            )
            conn.execute("UPDATE runs SET updated_at=? WHERE rid=?", (now_ms(), rid))

    def conn_fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def conn_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()


# Every SET expression reads the row as it was before this statement (SQLite's UPDATE semantics), so
# min_step is compared against the old min_value.  A tie keeps the earlier step: "best at step N" is
# where the best value was first reached.
_UPSERT_LATEST = """
INSERT INTO latest_metrics(rid, key, value, step, ts, min_value, max_value, count, min_step, max_step)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(rid, key) DO UPDATE SET
  value = CASE WHEN (excluded.step, excluded.ts) >= (step, ts) THEN excluded.value ELSE value END,
  step = CASE WHEN (excluded.step, excluded.ts) >= (step, ts) THEN excluded.step ELSE step END,
  ts = CASE WHEN (excluded.step, excluded.ts) >= (step, ts) THEN excluded.ts ELSE ts END,
  min_value = CASE WHEN min_value IS NULL THEN excluded.min_value WHEN excluded.min_value IS NULL THEN min_value
                   ELSE min(min_value, excluded.min_value) END,
  max_value = CASE WHEN max_value IS NULL THEN excluded.max_value WHEN excluded.max_value IS NULL THEN max_value
                   ELSE max(max_value, excluded.max_value) END,
  min_step = CASE WHEN excluded.min_value IS NULL THEN min_step
                  WHEN min_value IS NULL OR excluded.min_value < min_value THEN excluded.min_step
                  WHEN excluded.min_value = min_value THEN min(coalesce(min_step, excluded.min_step), excluded.min_step)
                  ELSE min_step END,
  max_step = CASE WHEN excluded.max_value IS NULL THEN max_step
                  WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_step
                  WHEN excluded.max_value = max_value THEN min(coalesce(max_step, excluded.max_step), excluded.max_step)
                  ELSE max_step END,
  count = count + excluded.count
"""
# The mean of a series' last 10 points (summaries.TAIL_N), read back after its batch is in: one short
# range scan from the end of the (rid, kid, step, ...) primary key per series and batch, whatever the
# order the points arrived in.  avg() skips NULL, which is how NaN is stored.
_UPDATE_TAIL = """
UPDATE latest_metrics SET tail_mean = (SELECT avg(value) FROM (SELECT value FROM metrics
  WHERE rid = ? AND kid = ? ORDER BY step DESC, ts DESC, seq DESC LIMIT 10))
WHERE rid = ? AND key = ?
"""


def _first_step(rows: list[Row], vals: list[float], value: float) -> int:
    """The smallest step among ``rows`` holding ``value`` (list.index/count are C loops; ties are rare)."""
    if vals.count(value) == 1:
        return rows[vals.index(value)][2]
    return min(r[2] for r in rows if r[4] == value)


BLOCK_BITS = 10  # 1024 steps per metric block
# Slow path for a batch with collisions: an exact duplicate (same step, ms and value) is
# dropped, as MLflow's primary key drops it; a different value gets the next free seq.
_INSERT_WITH_SEQ = (
    "INSERT INTO metrics(rid, kid, step, ts, seq, value) SELECT ?, ?, ?, ?,"
    " (SELECT coalesce(max(seq) + 1, 0) FROM metrics WHERE rid = ? AND kid = ? AND step = ? AND ts = ?), ?"
    " WHERE NOT EXISTS (SELECT 1 FROM metrics WHERE rid = ? AND kid = ? AND step = ? AND ts = ? AND value IS ?)"
)


_CHUNK_ROWS = 400
_multi_sql: dict[int, str] = {}


def _experiment_in(conn: sqlite3.Connection, run: ImportedRun, t: int) -> int:
    """The id of an imported run's experiment, created inside the run's transaction when new."""
    row = conn.execute("SELECT id FROM experiments WHERE name = ?", (run.experiment,)).fetchone()
    if row is not None:
        return int(row[0])
    created = run.experiment_created if run.experiment_created is not None else t
    cur = conn.execute(
        "INSERT INTO experiments(name, created_at, deleted_at) VALUES (?, ?, ?)",
        (run.experiment, int(created), t if run.experiment_deleted else None),
    )
    exp_id = inserted_rowid(cur)
    if run.experiment_tags:
        conn.executemany(
            "INSERT OR REPLACE INTO experiment_tags(experiment_id, key, value) VALUES (?, ?, ?)",
            [(exp_id, k, v) for k, v in run.experiment_tags.items()],
        )
    return exp_id


def _insert_history(conn: sqlite3.Connection, rid: int, points: Sequence[tuple[str, float, int, int]]) -> None:
    """Full histories through the batch path (summaries, chart blocks, same-step values kept)."""
    if not points:
        return
    keys = sorted({k for k, _, _, _ in points})
    conn.executemany("INSERT OR IGNORE INTO metric_keys(key) VALUES (?)", [(k,) for k in keys])
    kids = {k: int(conn.execute("SELECT kid FROM metric_keys WHERE key = ?", (k,)).fetchone()[0]) for k in keys}
    grouped: dict[str, list[Row]] = {}
    for k, v, step, ts in points:
        grouped.setdefault(k, []).append((rid, kids[k], step, ts, v))
    write_batches_in(conn, [(rid, k, rows) for k, rows in grouped.items()], heartbeat=False)


def _insert_rows(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """Multi-row INSERTs of up to 400 rows per statement.

    Python's sqlite3 releases the GIL around every statement step, so
    ``executemany`` re-acquires it once per row; with a training loop busy on the
    other thread each re-acquisition waits, and a flush ran ~6x slower than alone.
    One step per 400 rows removes almost all of that (and is ~2x faster even alone).
    """
    flat = chain.from_iterable
    for i in range(0, len(rows), _CHUNK_ROWS):
        chunk = rows[i : i + _CHUNK_ROWS]
        sql = _multi_sql.get(len(chunk))
        if sql is None:
            sql = _multi_sql[len(chunk)] = (
                "INSERT OR IGNORE INTO metrics(rid, kid, step, ts, value) VALUES "
                + ",".join(["(?, ?, ?, ?, ?)"] * len(chunk))
            )
        conn.execute(sql, list(flat(chunk)))


def write_batches_in(
    conn: sqlite3.Connection, batches: list[tuple[int, str, list[Row]]], *, heartbeat: bool = True
) -> None:
    """Store per-(run, key) row lists inside the caller's transaction (writer and importers share it).

    Rows go to executemany unchanged and each list is summarised with C-level builtins
    (sum/min/max), not a Python loop per point.  Values sharing a step and millisecond
    are all kept: the plain insert ignores collisions, and a batch that had any is
    redone row by row with the next free ``seq``.
    """
    stored: list[int] = []
    exact: list[bool] = []
    for _, _, rows in batches:
        conn.execute("SAVEPOINT rows")
        before = conn.total_changes
        _insert_rows(conn, rows)
        if conn.total_changes - before != len(rows):
            conn.execute("ROLLBACK TO rows")
            before = conn.total_changes
            conn.executemany(_INSERT_WITH_SEQ, [(*r[:4], *r[:4], r[4], *r[:4], r[4]) for r in rows])
        stored.append(conn.total_changes - before)
        exact.append(stored[-1] == len(rows))
        conn.execute("RELEASE rows")
    latest = []
    for (rid, key, rows), count in zip(batches, stored):
        if not count:
            continue
        vals = [r[4] for r in rows]
        total = sum(vals)
        if total == total:
            lo: float | None = min(vals)
            hi: float | None = max(vals)
        else:  # NaN present (or inf - inf): summaries ignore NaN
            finite = [v for v in vals if v == v]
            lo, hi = (min(finite), max(finite)) if finite else (None, None)
        lo_step = hi_step = None
        if lo is not None and hi is not None:  # the earliest step holding each extreme (C-level scans of the batch)
            lo_step, hi_step = _first_step(rows, vals, lo), _first_step(rows, vals, hi)
        last = max(reversed(rows), key=_STEP_TS)
        latest.append((rid, key, _as_float_or_none(last[4]), last[2], last[3], lo, hi, count, lo_step, hi_step))
    t = now_ms()
    conn.executemany(_UPSERT_LATEST, latest)
    conn.executemany(
        _UPDATE_TAIL, [(rid, rows[0][1], rid, key) for (rid, key, rows), count in zip(batches, stored) if count]
    )
    for (_, _, rows), all_inserted in zip(batches, exact):
        _refresh_blocks(conn, rows, all_inserted)
    rids = {b[0] for b in batches}
    if heartbeat:  # a live writer's points prove its process is alive; imported history does not
        conn.executemany(
            "UPDATE runs SET updated_at=?, heartbeat=CASE WHEN status='RUNNING' THEN ? ELSE heartbeat END WHERE rid=?",
            [(t, t, r) for r in rids],
        )
    else:
        conn.executemany("UPDATE runs SET updated_at=? WHERE rid=?", [(t, r) for r in rids])


_INSERT_BLOCK = (
    "INSERT OR REPLACE INTO metric_blocks(rid, kid, block, n, lo, lo_step, lo_ts, hi, hi_step, hi_ts,"
    " first_step, first_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _refresh_blocks(conn: sqlite3.Connection, rows: list[Row], all_inserted: bool = True) -> None:
    """Bring the summary blocks a batch touched up to date.

    The common case, a batch appending steps in order to blocks that did not exist
    yet, is summarised from the batch itself with C builtins.  Blocks that already
    held rows, out-of-order batches and batches that had same-step collisions are
    recomputed from the stored rows in SQL.
    """
    rid, kid = rows[0][0], rows[0][1]
    steps = [r[2] for r in rows]
    first, last = steps[0] >> BLOCK_BITS, steps[-1] >> BLOCK_BITS
    in_order = all_inserted and first <= last and steps == sorted(steps)
    if not in_order:
        lo_b, hi_b = min(steps) >> BLOCK_BITS, max(steps) >> BLOCK_BITS
        blocks = range(lo_b, hi_b + 1) if hi_b - lo_b < len(rows) else sorted({s >> BLOCK_BITS for s in steps})
        for block in blocks:
            _recompute_block(conn, rid, kid, block)
        return
    existing = {
        b
        for (b,) in conn.execute(
            "SELECT block FROM metric_blocks WHERE rid=? AND kid=? AND block>=? AND block<=?", (rid, kid, first, last)
        )
    }
    fresh = []
    i, n = 0, len(rows)
    while i < n:
        block = steps[i] >> BLOCK_BITS
        j = bisect.bisect_left(steps, (block + 1) << BLOCK_BITS, i)
        if block in existing:
            _recompute_block(conn, rid, kid, block)
        else:
            seg = rows[i:j]
            vals = [r[4] for r in seg]
            total = sum(vals)
            if total != total:  # NaN (or inf - inf): extremes among the non-NaN values
                finite = [k for k, v in enumerate(vals) if v == v]
                lo_i = min(finite, key=vals.__getitem__) if finite else None
                hi_i = max(finite, key=vals.__getitem__) if finite else None
            else:
                lo_i, hi_i = vals.index(min(vals)), vals.index(max(vals))
            lo_row = seg[lo_i] if lo_i is not None else None
            hi_row = seg[hi_i] if hi_i is not None else None
            fresh.append(
                (
                    rid,
                    kid,
                    block,
                    len(seg),
                    lo_row[4] if lo_row else None,
                    lo_row[2] if lo_row else None,
                    lo_row[3] if lo_row else None,
                    hi_row[4] if hi_row else None,
                    hi_row[2] if hi_row else None,
                    hi_row[3] if hi_row else None,
                    seg[0][2],
                    seg[0][3],
                )
            )
        i = j
    if fresh:
        conn.executemany(_INSERT_BLOCK, fresh)


def _recompute_block(conn: sqlite3.Connection, rid: int, kid: int, block: int) -> None:
    """One block from the stored rows; bare columns beside min()/max() give each extreme's position."""
    a, b = block << BLOCK_BITS, (block + 1) << BLOCK_BITS
    lo_step, lo_ts, lo, n = conn.execute(
        "SELECT step, ts, min(value), count(*) FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<?",
        (rid, kid, a, b),
    ).fetchone()
    if not n:
        return
    hi_step, hi_ts, hi = conn.execute(
        "SELECT step, ts, max(value) FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<?", (rid, kid, a, b)
    ).fetchone()
    first_step, first_ts = conn.execute(
        "SELECT step, ts FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<? ORDER BY step, ts LIMIT 1",
        (rid, kid, a, b),
    ).fetchone()
    if lo is None:  # every value in the block is NaN
        lo_step = lo_ts = hi_step = hi_ts = None
    conn.execute(_INSERT_BLOCK, (rid, kid, block, n, lo, lo_step, lo_ts, hi, hi_step, hi_ts, first_step, first_ts))


def _on_read_only_mount(path: Path) -> bool:
    """os.access ignores read-only mounts for root; statvfs tells."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _translate(exc: sqlite3.Error, path: Path) -> Exception:
    text = str(exc).lower()
    if "full" in text:
        return StorageFullError(f"the store at {path} is out of space ({exc}); the last batch was not written")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyStoreError(f"the store at {path} is read-only ({exc}); nothing was written")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"the store at {path} refused the write ({exc})")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store at {path} stayed locked by another process for too long ({exc})")
    if "malformed" in text or "not a database" in text:
        return StoreError(f"the store at {path} is corrupt ({exc})")
    return StoreError(f"store error at {path}: {exc}")
