"""Read queries of the store, mixed into :class:`tuitrack.store.core.Store`.

Listing works from ``runs`` + ``latest_metrics`` only (never metric history), and
builds ``Run`` objects for a page of rids at a time, so 100k-run stores stay fast.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.entities import (
    HEARTBEAT_TIMEOUT_MS,
    Artifact,
    DatasetInput,
    Experiment,
    MetricPoint,
    MetricSummary,
    Run,
    RunData,
    RunInfo,
    from_db_float,
)
from tuitrack.errors import AmbiguousRunError, RunNotFoundError
from tuitrack.query import filter as query
from tuitrack.store import topn

_INFO_COLS = (
    "r.rid, r.run_id, r.name, r.experiment_id, e.name, r.status, r.start_time, r.end_time, r.heartbeat,"
    " r.parent_id, r.user, r.host, r.pid, r.source, r.note, r.error, r.deleted_at, r.updated_at"
)
_CHUNK = 900
#: Runs per query of the curation reads (a tag-key query binds the keys besides).
_CURATION_CHUNK = 500
#: Columns schema 7 added to latest_metrics (summary steps and the last-10 mean).
_V4_COLUMNS = (".min_step", ".max_step", ".tail_mean")
#: kind -> (table, columns, prefix of the keys listed last: system tags, system metrics)
_KEY_KINDS: dict[str, tuple[str, str, str | None]] = {
    "params": ("params", "key, value", None),
    "tags": ("tags", "key, value", "tuitrack."),
    "metrics": ("latest_metrics", "key, value, step, ts, min_value, max_value, count", "system/"),
}
#: Above this many points in all, grouped series are read from the 1024-step summary blocks.
_BLOCKS_ABOVE = 2_000_000


@dataclass(frozen=True)
class KeyWindow:
    """Rows ``offset .. offset + len(rows)`` of one run's params, tags or metric summaries, by key.

    Keys with the kind's trailing prefix (``tuitrack.`` tags, ``system/`` metrics) come after the
    others; ``tail`` says how many of the ``total`` matching rows are those.  ``needle`` (a
    case-insensitive substring of the key) filters; ``unfiltered`` is the count without it.
    """

    kind: str
    total: int
    tail: int
    unfiltered: int
    offset: int
    rows: list[Any] = field(default_factory=list)
    needle: str = ""

    def get(self, index: int) -> Any | None:
        i = index - self.offset
        return self.rows[i] if 0 <= i < len(self.rows) else None


def _summary(row: Sequence[Any]) -> MetricSummary:
    """A ``latest_metrics`` row (key, value, step, ts, min, max, count, min_step, max_step, tail mean) as read by
    ``_summary_steps_sql``."""
    k, v, step, ts, lo, hi, n, lo_step, hi_step, tail = row
    return MetricSummary(
        key=k,
        value=from_db_float(v),
        step=step,
        timestamp=ts,
        min=from_db_float(lo),
        max=from_db_float(hi),
        count=n,
        min_step=lo_step,
        max_step=hi_step,
        tail_mean=None if tail is None else float(tail),
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _info(row: Sequence[Any], root_uri: str | None = None) -> RunInfo:
    """``root_uri``: the artifacts folder as a file URI (run ids are hex, so joining needs no quoting)."""
    uri = f"{root_uri}/{row[1]}" if root_uri is not None else None
    return RunInfo(
        artifact_uri=uri,
        run_id=row[1],
        run_name=row[2],
        experiment_id=row[3],
        experiment=row[4],
        status=row[5],
        start_time=row[6],
        end_time=row[7],
        heartbeat=row[8],
        parent_id=row[9],
        user=row[10],
        host=row[11],
        pid=row[12],
        source=row[13],
        note=row[14],
        error=row[15],
        deleted_at=row[16],
        updated_at=row[17],
    )


class StoreReads:
    """Reading half of the store (see ``store.py`` for the connection and writes)."""

    conn: sqlite3.Connection
    lock: threading.RLock
    path: Path
    artifacts_root: Path

    def run_artifact_dir(self, run_id: str) -> Path:
        raise NotImplementedError  # Store defines it (core.py: where writes put a run's artifacts)

    @cached_property
    def _artifacts_uri(self) -> str:
        """The artifacts folder as a file URI, resolved once (resolving costs lstat calls per run)."""
        return self.artifacts_root.resolve().as_uri()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    # -- experiments -------------------------------------------------------------
    def list_experiments(self, include_deleted_runs: bool = False) -> list[Experiment]:
        deleted = "" if include_deleted_runs else " AND r.deleted_at IS NULL"
        rows = self._all(
            "SELECT e.id, e.name, e.created_at, e.deleted_at,"
            f" (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id{deleted})"
            " FROM experiments e ORDER BY e.name"
        )
        return [
            Experiment(experiment_id=r[0], name=r[1], created_at=r[2], deleted_at=r[3], run_count=r[4]) for r in rows
        ]

    def get_experiment(self, experiment_id: int | None = None, *, name: str | None = None) -> Experiment | None:
        """One experiment by id or by name (a single indexed lookup), None when there is none."""
        col, value = ("e.id", experiment_id) if experiment_id is not None else ("e.name", name)
        rows = self._all(
            "SELECT e.id, e.name, e.created_at, e.deleted_at,"
            " (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id AND r.deleted_at IS NULL)"
            f" FROM experiments e WHERE {col} = ?",
            (value,),
        )
        if not rows:
            return None
        r = rows[0]
        return Experiment(experiment_id=r[0], name=r[1], created_at=r[2], deleted_at=r[3], run_count=r[4])

    def experiment_ids(self, names: Iterable[str]) -> list[int]:
        """Ids for experiment names; an unknown name raises LookupError naming it."""
        out = []
        for name in names:
            row = self._all("SELECT id FROM experiments WHERE name = ?", (name,))
            if not row:
                known = ", ".join(repr(e.name) for e in self.list_experiments()) or "none"
                raise LookupError(f"no experiment named {name!r} (known: {known})")
            out.append(int(row[0][0]))
        return out

    # -- resolving ids -------------------------------------------------------------
    def resolve_run(self, ref: str) -> tuple[int, str]:
        """(rid, run_id) for a full id, a unique id prefix, or a unique run name."""
        if not isinstance(ref, str) or not ref.strip():
            raise RunNotFoundError("a run id (or unique prefix, or run name) is required")
        ref = ref.strip()
        low = ref.lower()
        by_name = self._all("SELECT rid, run_id FROM runs WHERE name = ? LIMIT 3", (ref,))
        by_id: list[tuple[Any, ...]] = []
        if all(c in "0123456789abcdef" for c in low):
            by_id = self._all("SELECT rid, run_id FROM runs WHERE run_id >= ? AND run_id < ? LIMIT 3", (low, low + "g"))
            exact = [r for r in by_id if r[1] == low]
            if exact:  # a full id always wins
                return int(exact[0][0]), exact[0][1]
        if by_id and by_name and {r[1] for r in by_id} != {r[1] for r in by_name}:
            # "cafe" may be the start of one run's id and another run's name: never guess.
            raise AmbiguousRunError(
                f"{ref!r} is both the start of run id {by_id[0][1][:12]}... and the name of run "
                f"{by_name[0][1][:12]}...; give more of the id"
            )
        if len(by_id) == 1:
            return int(by_id[0][0]), by_id[0][1]
        if len(by_id) > 1:
            ids = ", ".join(r[1][:12] for r in by_id)
            raise AmbiguousRunError(f"run id prefix {ref!r} matches several runs ({ids}...); type more of it")
        if len(by_name) == 1:
            return int(by_name[0][0]), by_name[0][1]
        if len(by_name) > 1:
            raise AmbiguousRunError(f"several runs are named {ref!r}; use the run id instead")
        raise RunNotFoundError(f"no run with id, id prefix or name {ref!r} in the store at {self.path}")

    # -- runs ------------------------------------------------------------------------
    def runs_by_rids(self, rids: Sequence[int], *, with_data: bool = True) -> list[Run]:
        """Runs for the given rids, in the given order (unknown rids are skipped)."""
        infos = self._infos(rids)
        data = self._data_for(list(infos)) if with_data else {}
        return [Run(info=infos[r], data=data.get(r, RunData())) for r in rids if r in infos]

    def _infos(self, rids: Sequence[int]) -> dict[int, RunInfo]:
        infos: dict[int, RunInfo] = {}
        for chunk in _chunks(list(rids)):
            marks = ",".join("?" * len(chunk))
            for row in self._all(
                f"SELECT {_INFO_COLS} FROM runs r JOIN experiments e ON e.id = r.experiment_id"
                f" WHERE r.rid IN ({marks})",
                chunk,
            ):
                infos[int(row[0])] = _info(row, self._artifacts_uri)
        return infos

    def _data_for(self, rids: list[int]) -> dict[int, RunData]:
        params: dict[int, dict[str, str]] = {r: {} for r in rids}
        tags: dict[int, dict[str, str]] = {r: {} for r in rids}
        metrics: dict[int, dict[str, float]] = {r: {} for r in rids}
        summaries: dict[int, dict[str, MetricSummary]] = {r: {} for r in rids}
        for chunk in _chunks(rids):
            marks = ",".join("?" * len(chunk))
            for rid, k, v in self._all(f"SELECT rid, key, value FROM params WHERE rid IN ({marks})", chunk):
                params[rid][k] = v
            for rid, k, v in self._all(f"SELECT rid, key, value FROM tags WHERE rid IN ({marks})", chunk):
                tags[rid][k] = v
            for rid, *row in self._all(
                f"SELECT rid, key, value, step, ts, min_value, max_value, count, {self._summary_steps_sql}"
                f" FROM latest_metrics WHERE rid IN ({marks})",
                chunk,
            ):
                summary = _summary(row)
                metrics[rid][summary.key] = summary.value
                summaries[rid][summary.key] = summary
        return {r: RunData(params=params[r], metrics=metrics[r], tags=tags[r], summaries=summaries[r]) for r in rids}

    def runs_with_keys(
        self, rids: Sequence[int], *, params: Sequence[str] = (), metrics: Sequence[str] = ()
    ) -> list[Run]:
        """Runs ``rids`` (in that order, unknown ones skipped) holding only the given param and metric keys.

        What a view of many runs that shows a few fields reads (the parallel-coordinates axes): the runs'
        attributes, plus the latest value and summary of each metric in ``metrics`` and each param in
        ``params`` that a run has.  No tags, and no other key: a run with 100,000 tags or 10,000 metrics
        costs what the asked keys cost (primary-key seeks of ``(rid, key)``).  Runs go in chunks and the
        keys as one JSON argument, so no statement binds more than :data:`_CHUNK` + 1 variables.
        """
        infos = self._infos(rids)
        by_rid = {rid: Run(info=info, data=RunData()) for rid, info in infos.items()}
        keys_p, keys_m = json.dumps(sorted(set(params))), json.dumps(sorted(set(metrics)))
        for chunk in _chunks(list(by_rid)):
            marks = ",".join("?" * len(chunk))
            if params:
                for rid, k, v in self._all(
                    f"SELECT rid, key, value FROM params WHERE rid IN ({marks})"
                    " AND key IN (SELECT value FROM json_each(?))",
                    (*chunk, keys_p),
                ):
                    by_rid[rid].data.params[k] = v
            if metrics:
                for rid, *row in self._all(
                    f"SELECT rid, key, value, step, ts, min_value, max_value, count, {self._summary_steps_sql}"
                    f" FROM latest_metrics WHERE rid IN ({marks}) AND key IN (SELECT value FROM json_each(?))",
                    (*chunk, keys_m),
                ):
                    summary = _summary(row)
                    data = by_rid[rid].data
                    data.metrics[summary.key] = summary.value
                    data.summaries[summary.key] = summary
        return [by_rid[r] for r in rids if r in by_rid]

    def keys_of_runs(
        self, rids: Sequence[int], kind: str, *, limit: int = 1000, needle: str = "", budget: int | None = None
    ) -> list[str]:
        """The first ``limit`` distinct param or metric keys (``kind``) that any of the runs ``rids`` has, sorted.

        Bounded by ``limit``, not by how wide the runs are: the store's distinct keys are walked in order
        on the key index (one seek each) and a key is kept when one of the runs has it (a primary-key
        seek per run until one does; the first run usually does).  At most ``budget`` keys of the
        store are looked at (default: ``4 * limit + 1000``), so keys only other runs have cannot make it
        slow; past that the list is shorter.  ``needle`` keeps keys containing it (ASCII case ignored).
        Ask for ``limit + 1`` to learn whether the list was cut.
        """
        table = {"params": "params", "metrics": "latest_metrics"}[kind]
        limit = max(0, int(limit))
        if not rids or not limit:
            return []
        budget = 4 * limit + 1000 if budget is None else max(1, int(budget))
        match, margs = ("", []) if not needle else (" AND instr(lower(k.key), ?) > 0", [needle.lower()])
        keys: set[str] = set()
        for chunk in _chunks(list(rids)):
            marks = ",".join("?" * len(chunk))
            # NOT INDEXED: the membership test seeks (rid, key) on the primary key, never walks a key's rows.
            rows = self._all(
                f"WITH RECURSIVE k(key, n) AS (SELECT (SELECT min(key) FROM {table}), 1"
                f" UNION ALL SELECT (SELECT min(key) FROM {table} WHERE key > k.key), n + 1 FROM k"
                " WHERE k.key IS NOT NULL AND n < ?)"
                f" SELECT k.key FROM k WHERE k.key IS NOT NULL{match}"
                f" AND EXISTS (SELECT 1 FROM {table} t NOT INDEXED WHERE t.rid IN ({marks}) AND t.key = k.key)"
                " LIMIT ?",
                (budget, *margs, *chunk, limit),
            )
            keys.update(r[0] for r in rows)
        return sorted(keys)[:limit]

    def get_run(self, ref: str) -> Run:
        rid, _ = self.resolve_run(ref)
        return self.runs_by_rids([rid])[0]

    def _search_plan(
        self,
        select: str,
        filter_string: str | None,
        order_by: list[str] | str | None,
        experiment_ids: Sequence[int] | None,
        include_deleted: bool,
        now_ms: int | None,
        parent_id: str | None = None,
        directions: Mapping[str, str] | None = None,
    ) -> tuple[str, list[Any], list[topn.Phase] | None]:
        """The search SQL and its arguments, plus its top-N phases when it sorts by a metric or param first."""
        where = query.compile_filter(
            filter_string,
            now_ms=now_ms,
            heartbeat_timeout_ms=HEARTBEAT_TIMEOUT_MS,
            metric_key_exists=self.metric_key_exists,
            directions=directions,
        )
        order = query.compile_order_by(
            order_by, now_ms=now_ms, metric_key_exists=self.metric_key_exists, directions=directions
        )
        clauses = [where.sql]
        args: list[Any] = [*order.params, *where.params]
        if not include_deleted:
            # Unary + keeps SQLite from scanning runs through the partial index runs_experiment_live
            # (made for counting an experiment's runs): out of rowid order, every correlated
            # filter lookup lands at random and searches ran ~3x slower.
            clauses.append("+r.deleted_at IS NULL")
        if experiment_ids is not None:
            ids = list(experiment_ids)
            clauses.append(f"r.experiment_id IN ({','.join('?' * len(ids))})" if ids else "0")
            args.extend(ids)
        table = "runs r"
        if parent_id is not None:
            clauses.append("r.parent_id = ?")
            args.append(parent_id)
            table = "runs r INDEXED BY runs_parent"  # see child_runs: ANALYZE's NULL group makes SQLite scan
        sql = f"SELECT {select} FROM {table} {order.joins} WHERE {' AND '.join(clauses)} {order.order_sql}"
        if not self._has_summary_steps and any(c in where.sql or c in order.order_sql for c in _V4_COLUMNS):
            raise query.FilterError(
                f"the store at {self.path} predates summary steps and means (schema 7): open it once with a "
                "tuitrack that can write it to upgrade it; min, max, last and count work as it is"
            )
        bounds = [b for b in where.bounds if (b.entity, b.key) == order.first and b.column == order.first_column]
        return (
            sql,
            args,
            (
                topn.phases(sql, args, len(order.params), bounds, order.first_column, self._indexed_metric_columns)
                if order.first
                else None
            ),
        )

    def search_rids(
        self,
        filter_string: str | None = None,
        order_by: list[str] | str | None = None,
        *,
        experiment_ids: Sequence[int] | None = None,
        include_deleted: bool = False,
        max_results: int | None = None,
        offset: int = 0,
        now_ms: int | None = None,
        directions: Mapping[str, str] | None = None,
        parent_id: str | None = None,
    ) -> list[int]:
        """Ordered rids matching a filter (cheap: ints only), for paging large result sets.

        ``directions`` (metric key -> "min"/"max") overrides which way ``metrics.KEY.best`` points.
        ``parent_id``: only that run's direct children (read through the parent index: a few rows
        sorted plainly, never a walk of the sort key's index over the whole store).
        """
        for name, value in (("max_results", max_results), ("offset", offset)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise validation.ValidationError(f"{name} must be a whole number >= 0, got {value!r}")
        sql, args, phases = self._search_plan(
            "r.rid",
            filter_string,
            order_by,
            experiment_ids,
            include_deleted,
            now_ms,
            parent_id=parent_id,
            directions=directions,
        )
        if max_results is not None and phases and parent_id is None:
            try:
                return topn.run_phases(self.conn, self.lock, phases, int(max_results), int(offset))
            except topn.OverBudget:
                pass  # the filter rejects most of the index walk: a plain sort of the matches is cheaper
        if max_results is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [int(max_results), int(offset)]
        elif offset:
            sql += " LIMIT -1 OFFSET ?"
            args.append(int(offset))
        else:
            # One JSON row, not one row per run: pysqlite re-takes the GIL per row, which waits on a busy UI.
            text = self._all(f"SELECT json_group_array(rid) FROM ({sql})", args)[0][0]
            return json.loads(text) if text else []
        return [r[0] for r in self._all(sql, args)]

    def search_runs(
        self,
        filter_string: str | None = None,
        order_by: list[str] | str | None = None,
        *,
        experiment_ids: Sequence[int] | None = None,
        include_deleted: bool = False,
        max_results: int | None = None,
        offset: int = 0,
        now_ms: int | None = None,
        directions: Mapping[str, str] | None = None,
    ) -> list[Run]:
        rids = self.search_rids(
            filter_string,
            order_by,
            experiment_ids=experiment_ids,
            include_deleted=include_deleted,
            max_results=max_results,
            offset=offset,
            now_ms=now_ms,
            directions=directions,
        )
        return self.runs_by_rids(rids)

    def count_runs(
        self,
        filter_string: str | None = None,
        *,
        experiment_ids: Sequence[int] | None = None,
        include_deleted: bool = False,
        now_ms: int | None = None,
        directions: Mapping[str, str] | None = None,
    ) -> int:
        sql, args, _ = self._search_plan(
            "count(*)", filter_string, None, experiment_ids, include_deleted, now_ms, directions=directions
        )
        sql = sql.split(" ORDER BY ")[0]
        return int(self._all(sql, args)[0][0])

    def child_runs(self, run_id: str, *, include_deleted: bool = False) -> list[tuple[str, str]]:
        """(run_id, name) of a run's direct children, oldest first.

        ``INDEXED BY``: after ``ANALYZE`` SQLite counts the NULL parent ids as one huge group and scans.
        """
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        rows = self._all(
            f"SELECT run_id, name FROM runs INDEXED BY runs_parent WHERE parent_id = ?{deleted}"
            " ORDER BY start_time, rid",
            (run_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def count_children(self, run_id: str, *, include_deleted: bool = False) -> int:
        """How many direct children a run has (index-pinned like :meth:`child_runs`)."""
        deleted = "" if include_deleted else " AND deleted_at IS NULL"
        return int(
            self._all(f"SELECT count(*) FROM runs INDEXED BY runs_parent WHERE parent_id = ?{deleted}", (run_id,))[0][0]
        )

    def parent_links(self, rids: Sequence[int] | None = None) -> dict[int, int]:
        """child rid -> parent rid for child runs whose parent is in the store: of ``rids``, or of them all.

        All of them costs one row per child run (read through the parent index, never a scan of
        every run): the browser nests children under their parents with it.
        """
        join = "FROM runs c{} JOIN runs p ON p.run_id = c.parent_id WHERE "
        if rids is None:
            sql = join.format(" INDEXED BY runs_parent") + "c.parent_id IS NOT NULL"
            row = self._all(f"SELECT json_group_array(c.rid), json_group_array(p.rid) {sql}")[0]
            return dict(zip(json.loads(row[0]), json.loads(row[1]))) if row[0] else {}
        out: dict[int, int] = {}
        for chunk in _chunks(list(rids)):
            marks = ",".join("?" * len(chunk))
            out.update(
                (int(c), int(p))
                for c, p in self._all(f"SELECT c.rid, p.rid {join.format('')}c.rid IN ({marks})", chunk)
            )
        return out

    def with_children(self, rids: Sequence[int], *, include_deleted: bool = False) -> set[int]:
        """Which of ``rids`` have child runs (one indexed probe each)."""
        deleted = "" if include_deleted else " AND c.deleted_at IS NULL"
        out: set[int] = set()
        for chunk in _chunks(list(rids)):
            marks = ",".join("?" * len(chunk))
            out.update(
                int(r[0])
                for r in self._all(
                    f"SELECT p.rid FROM runs p WHERE p.rid IN ({marks}) AND EXISTS"
                    f" (SELECT 1 FROM runs c INDEXED BY runs_parent WHERE c.parent_id = p.run_id{deleted})",
                    chunk,
                )
            )
        return out

    def run_id_exists(self, run_id: str) -> bool:
        """Whether a run with exactly this id is in the store (deleted or not)."""
        return bool(self._all("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)))

    def run_name(self, run_id: str) -> str | None:
        """The name of the run with this exact id (None: no such run)."""
        rows = self._all("SELECT name FROM runs WHERE run_id = ?", (run_id,))
        return rows[0][0] if rows else None

    def run_ids_of(self, rids: Sequence[int]) -> dict[int, str]:
        """rid -> run id for the rids still in the store."""
        out: dict[int, str] = {}
        for chunk in _chunks(list(rids)):
            marks = ",".join("?" * len(chunk))
            out.update(
                (int(rid), run_id)
                for rid, run_id in self._all(f"SELECT rid, run_id FROM runs WHERE rid IN ({marks})", chunk)
            )
        return out

    def existing_run_ids(self, run_ids: Sequence[str]) -> set[str]:
        """Those of ``run_ids`` that are in the store (deleted or not)."""
        found: set[str] = set()
        for chunk in _chunks(list(run_ids)):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._all(f"SELECT run_id FROM runs WHERE run_id IN ({marks})", chunk))
        return found

    def run_names_of(self, rids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """rid -> (run id, name or "") for the rids still in the store."""
        out: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(list(rids), _CURATION_CHUNK):
            marks = ",".join("?" * len(chunk))
            for rid, run_id, name in self._all(f"SELECT rid, run_id, name FROM runs WHERE rid IN ({marks})", chunk):
                out[int(rid)] = (run_id, name or "")
        return out

    def deleted_at_of(self, rids: Sequence[int]) -> dict[int, int | None]:
        """rid -> when the run was soft-deleted (None: it is not), for the rids still in the store."""
        out: dict[int, int | None] = {}
        for chunk in _chunks(list(rids), _CURATION_CHUNK):
            marks = ",".join("?" * len(chunk))
            for rid, deleted in self._all(f"SELECT rid, deleted_at FROM runs WHERE rid IN ({marks})", chunk):
                out[int(rid)] = deleted
        return out

    def last_update_ms(self) -> int | None:
        """The newest ``updated_at`` of any run: live refresh reads what changed after it."""
        rows = self._all("SELECT max(updated_at) FROM runs")
        return rows[0][0] if rows else None

    def sweep_parents(self, *, include_deleted: bool = False, limit: int = 500) -> list[tuple[str, str, int, int]]:
        """(run_id, name, experiment_id, children) of runs that have child runs, newest first."""
        return [
            (r[0], r[1], int(r[2]), int(r[3]))
            for r in self._all(
                "SELECT p.run_id, p.name, p.experiment_id, count(*) FROM runs c JOIN runs p ON p.run_id = c.parent_id"
                " WHERE c.parent_id IS NOT NULL AND (? OR (c.deleted_at IS NULL AND p.deleted_at IS NULL))"
                " GROUP BY p.run_id ORDER BY p.start_time DESC LIMIT ?",
                (1 if include_deleted else 0, limit),
            )
        ]

    def changed_since(self, since_ms: int) -> list[int]:
        """Rids written at or after ``since_ms`` (live refresh reads only these)."""
        return [r[0] for r in self._all("SELECT rid FROM runs WHERE updated_at >= ?", (since_ms,))]

    @cached_property
    def _has_summary_steps(self) -> bool:
        """Whether latest_metrics has schema 7's columns (a read-only reader may open a schema 2-6 store)."""
        return any(r[1] == "tail_mean" for r in self._all("PRAGMA table_info(latest_metrics)"))

    @cached_property
    def _indexed_metric_columns(self) -> frozenset[str]:
        """The latest_metrics columns whose (key, column) index this store has (schema 8 indexed the step
        fields and the tail mean; a read-only reader of an older store sorts those without an index walk)."""
        names = {r[0] for r in self._all("SELECT name FROM sqlite_master WHERE type = 'index'")}
        return frozenset(c for c, ix in topn.METRIC_COLUMN_INDEXES.items() if ix in names)

    @property
    def _summary_steps_sql(self) -> str:
        return "min_step, max_step, tail_mean" if self._has_summary_steps else "NULL, NULL, NULL"

    def metric_key_exists(self, key: str) -> bool:
        """Whether any run of the store ever logged metric ``key`` (settles ``metrics.a.min``, see summaries)."""
        return bool(self._all("SELECT 1 FROM metric_keys WHERE key = ?", (key,)))

    def data_version(self) -> int:
        """Changes whenever another connection commits: a free "did anything change?" probe."""
        return int(self._all("PRAGMA data_version")[0][0])

    def distinct_keys(self, kind: str, experiment_ids: Sequence[int] | None = None) -> list[str]:
        """Sorted param/tag/metric keys used by runs (of the given experiments)."""
        table = {"params": "params", "tags": "tags", "metrics": "latest_metrics"}[kind]
        if experiment_ids is None:
            rows = self._all(f"SELECT DISTINCT key FROM {table}")
        else:
            ids = list(experiment_ids)
            rows = self._all(
                f"SELECT DISTINCT t.key FROM {table} t JOIN runs r ON r.rid = t.rid"
                f" WHERE r.experiment_id IN ({','.join('?' * len(ids))})",
                ids,
            )
        return sorted(r[0] for r in rows)

    # -- metric history ---------------------------------------------------------------
    def get_metric_history(self, ref: str, key: str, max_points: int | None = None) -> list[MetricPoint]:
        """A metric's points by step; with ``max_points``, downsampled in SQL keeping each bucket's min and max."""
        rid, _ = self.resolve_run(ref)
        row = self._all("SELECT kid FROM metric_keys WHERE key = ?", (key,))
        if not row:
            return []
        kid = row[0][0]
        base = "SELECT step, ts, value FROM metrics WHERE rid = ? AND kid = ?"
        if max_points is None:
            rows = self._all(base + " ORDER BY step, ts, seq", (rid, kid))
            return [MetricPoint(key, from_db_float(v), s, t) for s, t, v in rows]
        if max_points < 1:
            raise ValueError("max_points must be at least 1")
        # min/max(step) are O(log n) on the primary key; the count is kept in latest_metrics.
        lo = self._all("SELECT min(step) FROM metrics WHERE rid = ? AND kid = ?", (rid, kid))[0][0]
        hi = self._all("SELECT max(step) FROM metrics WHERE rid = ? AND kid = ?", (rid, kid))[0][0]
        counted = self._all("SELECT count FROM latest_metrics WHERE rid = ? AND key = ?", (rid, key))
        n = counted[0][0] if counted else 0
        if lo is None:
            return []
        if n <= max_points:
            rows = self._all(base + " ORDER BY step, ts, seq", (rid, kid))
            return [MetricPoint(key, from_db_float(v), s, t) for s, t, v in rows]
        if max_points == 1:  # one point cannot hold a min and a max: give the latest
            row = self._all(base + " ORDER BY step DESC, ts DESC, seq DESC LIMIT 1", (rid, kid))
            return [MetricPoint(key, from_db_float(v), s, t) for s, t, v in row]
        buckets = max(1, max_points // 2)
        if (hi - lo + 1) >> 10 >= 2 * buckets and n > 16 * max_points:
            return self._downsample_blocks(key, rid, kid, lo, hi, buckets)
        return self._downsample(key, rid, kid, lo, hi, buckets)

    def _downsample_blocks(self, key: str, rid: int, kid: int, lo: int, hi: int, buckets: int) -> list[MetricPoint]:
        """Long series: merge the precomputed 1024-step blocks into buckets (reads ~n/1024 rows)."""
        rows = self._all(
            "SELECT block, lo, lo_step, lo_ts, hi, hi_step, hi_ts, first_step, first_ts"
            " FROM metric_blocks WHERE rid = ? AND kid = ? ORDER BY block",
            (rid, kid),
        )
        width = (hi - lo + 1) / buckets
        groups: dict[int, list[tuple[Any, ...]]] = {}
        for row in rows:
            groups.setdefault(min(buckets - 1, int((row[7] - lo) / width)), []).append(row)
        out: dict[tuple[int, int], MetricPoint] = {}
        for members in groups.values():
            finite = [m for m in members if m[1] is not None]
            if not finite:
                m = members[0]
                out[(m[7], m[8])] = MetricPoint(key, math.nan, m[7], m[8])
                continue
            low = min(finite, key=lambda m: m[1])
            high = max(finite, key=lambda m: m[4])
            out[(low[2], low[3])] = MetricPoint(key, float(low[1]), low[2], low[3])
            out[(high[5], high[6])] = MetricPoint(key, float(high[4]), high[5], high[6])
        return [out[k] for k in sorted(out)]

    def _downsample(self, key: str, rid: int, kid: int, lo: int, hi: int, buckets: int) -> list[MetricPoint]:
        # Bucket by step range.  Each bucket is one primary-key range scan; SQLite's
        # min()/max() with bare columns return the row holding the extreme, so spikes survive.
        width = (hi - lo + 1) / buckets
        bounds = [(lo + math.floor(i * width), lo + math.floor((i + 1) * width)) for i in range(buckets)]
        bounds[-1] = (bounds[-1][0], hi + 1)
        out: dict[tuple[int, int], MetricPoint] = {}
        sql_min = "SELECT step, ts, min(value) FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<?"
        sql_max = "SELECT step, ts, max(value) FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<?"
        sql_nan = "SELECT step, ts FROM metrics WHERE rid=? AND kid=? AND step>=? AND step<? AND value IS NULL LIMIT 1"
        with self.lock:
            for a, b in bounds:
                if a >= b:
                    continue
                for sql in (sql_min, sql_max):
                    s, t, v = self.conn.execute(sql, (rid, kid, a, b)).fetchone()
                    if s is not None and v is not None:
                        out[(s, t)] = MetricPoint(key, float(v), s, t)
                if not any(a <= s < b for s, _ in out):
                    nan = self.conn.execute(sql_nan, (rid, kid, a, b)).fetchone()
                    if nan:
                        out[(nan[0], nan[1])] = MetricPoint(key, math.nan, nan[0], nan[1])
        return [out[k] for k in sorted(out)]

    # -- metrics paired by step: a metric as a chart's x axis, the compare view at a step ------------
    def metric_points_around(self, ref: str, key: str, steps: Sequence[int]) -> list[MetricPoint]:
        """Metric ``key``'s points next to each of ``steps``: those at the last step at or before it and at
        the first step at or after it (every point logged at such a step), sorted by step, each point once.

        What pairs one metric with another by step (``tuitrack.analysis.series.align_by_step``) without
        reading either history: two primary-key seeks per step, so the cost follows the number of steps
        asked (a chart's width), not the history's length.
        """
        rid, _ = self.resolve_run(ref)
        row = self._all("SELECT kid FROM metric_keys WHERE key = ?", (key,))
        wanted = sorted({int(s) for s in steps})
        if not row or not wanted:
            return []
        kid = row[0][0]
        # The neighbour steps first (two seeks per asked step), then their points: a plain join lets the
        # planner walk the whole history on the outside (seconds on 200k points instead of a millisecond).
        seek = "SELECT step FROM metrics WHERE rid = ? AND kid = ? AND step {} j.value ORDER BY step {} LIMIT 1"
        rows = self._all(
            f"WITH near(step) AS (SELECT ({seek.format('<=', 'DESC')}) FROM json_each(?) j"
            f" UNION SELECT ({seek.format('>=', 'ASC')}) FROM json_each(?) j)"
            " SELECT m.step, m.ts, m.seq, m.value FROM near CROSS JOIN metrics m"
            " ON m.rid = ? AND m.kid = ? AND m.step = near.step ORDER BY m.step, m.ts, m.seq",
            (rid, kid, json.dumps(wanted), rid, kid, json.dumps(wanted), rid, kid),
        )
        return [MetricPoint(key, from_db_float(v), s, t) for s, t, _, v in rows]

    def metric_values_at(
        self, rids: Sequence[int], step: int
    ) -> list[tuple[int, str, int | None, float | None, int | None, int]]:
        """Every metric of runs ``rids`` at ``step``: ``(rid, key, found step, value, first step, last step)``.

        ``found step``/``value`` are the run's last point at or before ``step`` (both None when there is
        none; the value is None for a NaN point, as stored); ``first step``/``last step`` bound the series.
        Three primary-key seeks per (run, metric), whatever the histories' lengths.
        """
        if not rids:
            return []
        at = (
            "FROM metrics WHERE rid = lm.rid AND kid = k.kid AND step <= ?"
            " ORDER BY step DESC, ts DESC, seq DESC LIMIT 1"
        )
        return self._all(
            f"SELECT lm.rid, lm.key, (SELECT step {at}), (SELECT value {at}),"
            " (SELECT step FROM metrics WHERE rid = lm.rid AND kid = k.kid ORDER BY step LIMIT 1), lm.step"
            " FROM latest_metrics lm JOIN metric_keys k ON k.key = lm.key"
            " WHERE lm.rid IN (SELECT value FROM json_each(?)) ORDER BY lm.rid, lm.key",
            (int(step), int(step), json.dumps([int(r) for r in rids])),
        )

    def metric_keys_of(self, rid: int) -> list[str]:
        return [r[0] for r in self._all("SELECT key FROM latest_metrics WHERE rid = ? ORDER BY key", (rid,))]

    # -- wide runs: a window of one run's keys, and histories of many runs in one read ------------
    def key_window(
        self,
        rid: int,
        kind: str,
        offset: int = 0,
        limit: int = 100,
        needle: str = "",
        counts: tuple[int, int, int] | None = None,
        unfiltered: int | None = None,
    ) -> KeyWindow:
        """Rows ``offset .. offset + limit`` of run ``rid``'s params, tags or metric summaries, by key.

        What the app shows of a run with 100,000 tags: one window at a time (a few ms, bounded by
        ``limit``), never the whole run.  Tags under ``tuitrack.`` and metrics under ``system/`` come
        after the others (three primary-key ranges, merged in key order).  ``needle`` keeps keys
        containing it, ignoring ASCII case.  Metric rows are :class:`MetricSummary`, others ``(key, value)``.
        ``counts`` (total, tail, unfiltered of an earlier window with the same needle) skips counting
        again while the user scrolls; ``unfiltered`` (known from a window without the needle) skips
        that count when the needle changes.
        """
        table, cols, prefix = _KEY_KINDS[kind]
        match, margs = ("", []) if not needle else (" AND instr(lower(key), ?) > 0", [needle.lower()])
        offset, limit = max(0, int(offset)), max(0, int(limit))
        if prefix is None:
            head = counts or self._all(f"SELECT count(*), 0 FROM {table} WHERE rid = ?{match}", (rid, *margs))[0]
            rows = self._all(
                f"SELECT {cols} FROM {table} WHERE rid = ?{match} ORDER BY key LIMIT ? OFFSET ?",
                (rid, *margs, limit, offset),
            )
        else:
            end = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # keys starting with prefix are those in [prefix, end)
            head = (
                counts
                or self._all(
                    f"SELECT count(*), coalesce(sum(key >= ? AND key < ?), 0) FROM {table} WHERE rid = ?{match}",
                    (prefix, end, rid, *margs),
                )[0]
            )
            arms = [("key < ?", [prefix]), ("key >= ?", [end]), ("key >= ? AND key < ?", [prefix, end])]
            sql = (
                " UNION ALL ".join(
                    f"SELECT {g} AS g, {cols} FROM {table} WHERE rid = ? AND {cond}{match}"
                    for g, (cond, _) in enumerate(arms)
                )
                + " ORDER BY g, key LIMIT ? OFFSET ?"
            )
            args: list[Any] = []
            for _, cargs in arms:
                args += [rid, *cargs, *margs]
            rows = [r[1:] for r in self._all(sql, (*args, limit, offset))]
        total, tail = int(head[0]), int(head[1])
        if counts is not None:
            unfiltered = counts[2]
        elif unfiltered is not None:
            pass
        elif needle:
            unfiltered = int(self._all(f"SELECT count(*) FROM {table} WHERE rid = ?", (rid,))[0][0])
        else:
            unfiltered = total
        if kind == "metrics":
            out: list[Any] = [
                MetricSummary(
                    key=k,
                    value=from_db_float(v),
                    step=s,
                    timestamp=t,
                    min=from_db_float(lo),
                    max=from_db_float(hi),
                    count=n,
                )
                for k, v, s, t, lo, hi, n in rows
            ]
        else:
            out = [(k, v) for k, v in rows]
        return KeyWindow(kind, total, tail, unfiltered, offset, out, needle)

    def run_tags(self, rid: int, keys: Sequence[str]) -> dict[str, str]:
        """The values of the given tag keys of one run (those it has)."""
        keys = list(keys)
        if not keys:
            return {}
        return dict(
            self._all(
                f"SELECT key, value FROM tags WHERE rid = ? AND key IN ({','.join('?' * len(keys))})", (rid, *keys)
            )
        )

    def tag_key_counts(self, rids: Sequence[int], keys: Sequence[str]) -> dict[str, int]:
        """How many of the runs ``rids`` have each of the tag ``keys`` (a key none of them has is left out)."""
        keys = list(keys)
        counts: dict[str, int] = {}
        if not keys:
            return counts
        kmarks = ",".join("?" * len(keys))
        for chunk in _chunks(list(rids), _CURATION_CHUNK):
            marks = ",".join("?" * len(chunk))
            for key, n in self._all(
                f"SELECT key, count(*) FROM tags WHERE rid IN ({marks}) AND key IN ({kmarks}) GROUP BY key",
                [*chunk, *keys],
            ):
                counts[key] = counts.get(key, 0) + int(n)
        return counts

    def tag_value_counts(self, rids: Sequence[int]) -> dict[str, dict[str, int]]:
        """key -> {value: how many of the runs ``rids`` have it}, in no particular order."""
        out: dict[str, dict[str, int]] = {}
        for chunk in _chunks(list(rids), _CURATION_CHUNK):
            marks = ",".join("?" * len(chunk))
            for key, value, n in self._all(
                f"SELECT key, value, count(*) FROM tags WHERE rid IN ({marks}) GROUP BY key, value", chunk
            ):
                values = out.setdefault(key, {})
                values[value] = values.get(value, 0) + int(n)
        return out

    def tag_values_in_use(self, *, max_rows: int, max_length: int = 200) -> list[tuple[str, str]]:
        """(key, value) pairs of the store's tags up to ``max_length`` characters: by key, most used first."""
        return [
            (key, value)
            for key, value in self._all(
                "SELECT key, value FROM tags WHERE length(value) <= ? GROUP BY key, value"
                " ORDER BY key, count(*) DESC, value LIMIT ?",
                (max_length, max_rows),
            )
        ]

    def binned_histories(self, run_ids: Sequence[str], key: str, buckets: int) -> dict[str, list[tuple[int, float]]]:
        """Each run's history of ``key`` as ``(step, mean value)`` over ``buckets`` step ranges shared by all runs.

        One read for all the runs (a grouped chart of 1,000 runs used to query each run's history,
        about 180 queries per run): the step range comes from the primary key, then one statement
        averages every (run, bucket) with a primary-key range scan each.  Above ``_BLOCKS_ABOVE``
        points in all, the 1024-step summary blocks stand in for the points (each block's min/max
        midpoint).  A bucket's step is where it starts; NaN points and empty buckets are left out.
        """
        if not run_ids or buckets < 1:
            return {}
        kid_row = self._all("SELECT kid FROM metric_keys WHERE key = ?", (key,))
        if not kid_row:
            return {}
        kid = kid_row[0][0]
        ids = json.dumps(list(run_ids))
        runs = "SELECT r.rid, r.run_id FROM json_each(?) j JOIN runs r ON r.run_id = j.value"
        lo, hi, points = self._all(
            f"SELECT min((SELECT min(step) FROM metrics WHERE rid = x.rid AND kid = ?)),"
            f" max((SELECT max(step) FROM metrics WHERE rid = x.rid AND kid = ?)),"
            f" sum((SELECT count FROM latest_metrics WHERE rid = x.rid AND key = ?)) FROM ({runs}) x",
            (kid, kid, key, ids),
        )[0]
        if lo is None:
            return {}
        width = (hi - lo + 1) / buckets
        starts = sorted({lo + math.ceil(i * width) for i in range(buckets)})
        spans = list(zip(starts, [*starts[1:], hi + 1]))
        from tuitrack.store.core import BLOCK_BITS  # (core.py imports this module)

        if (points or 0) > _BLOCKS_ABOVE:  # by block number (step >> BLOCK_BITS): a primary-key range
            bounds = [(a, a >> BLOCK_BITS, b >> BLOCK_BITS) for a, b in spans]
            value = (
                "SELECT avg((lo + hi) / 2) FROM metric_blocks WHERE rid = x.rid AND kid = ?"
                " AND block >= b.value ->> 1 AND block < b.value ->> 2"
            )
        else:
            bounds = [(a, a, b) for a, b in spans]
            value = (
                "SELECT avg(value) FROM metrics WHERE rid = x.rid AND kid = ?"
                " AND step >= b.value ->> 1 AND step < b.value ->> 2"
            )
        ranges = json.dumps(bounds)
        out: dict[str, list[tuple[int, float]]] = {}
        for run_id, start, mean in self._all(
            f"SELECT x.run_id, b.value ->> 0, ({value}) FROM ({runs}) x, json_each(?) b ORDER BY x.rid, b.key",
            (kid, ids, ranges),
        ):
            if mean is not None and math.isfinite(mean):
                out.setdefault(run_id, []).append((int(start), float(mean)))
        return out

    # -- artifacts, inputs, environment -----------------------------------------------
    def list_artifacts(self, ref: str) -> list[Artifact]:
        rid, _ = self.resolve_run(ref)
        return [
            Artifact(path=p, size=s, created_at=c)
            for p, s, c in self._all("SELECT path, size, created_at FROM artifacts WHERE rid = ? ORDER BY path", (rid,))
        ]

    def artifact_file(self, ref: str, path: str) -> Path:
        """The on-disk file of a run's artifact; refuses paths that leave the run's folder."""
        _, run_id = self.resolve_run(ref)
        rel = validation.artifact_path(path)
        root = self.run_artifact_dir(run_id)
        target = (root / rel).resolve()
        if root != target and root not in target.parents:
            raise validation.ValidationError(f"artifact path {path!r} escapes the run's artifact folder")
        if not target.exists():
            raise FileNotFoundError(f"run {run_id[:8]} has no artifact {rel!r} (looked in {target})")
        return target

    def read_artifact_text(self, ref: str, path: str, limit: int = 200_000) -> str:
        with open(self.artifact_file(ref, path), "rb") as fh:
            raw = fh.read(limit)
        return raw.decode("utf-8", errors="replace")

    @cached_property
    def _has_mlflow_fields(self) -> bool:
        """Schema 4's dataset fields and experiment tags; a read-only reader of an older store has neither."""
        return bool(self._all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'experiment_tags'"))

    def list_inputs(self, ref: str) -> list[DatasetInput]:
        rid, _ = self.resolve_run(ref)
        if not self._has_mlflow_fields:
            return [
                DatasetInput(*row)
                for row in self._all(
                    "SELECT name, source, digest, rows, context, created_at FROM inputs WHERE rid = ? ORDER BY name",
                    (rid,),
                )
            ]
        return [
            DatasetInput(
                name, source, digest, rows, context, created, stype, _json_or_none(schema), _json_or_none(profile)
            )
            for name, source, digest, rows, context, created, stype, schema, profile in self._all(
                "SELECT name, source, digest, rows, context, created_at, source_type, schema,"
                " profile FROM inputs WHERE rid = ? ORDER BY name",
                (rid,),
            )
        ]

    def experiment_tags(self, experiment_id: int | None = None) -> dict[int, dict[str, str]]:
        """Every experiment's tags (or one experiment's), by experiment id."""
        if not self._has_mlflow_fields:
            return {}
        out: dict[int, dict[str, str]] = {}
        where, args = ("WHERE experiment_id = ?", (experiment_id,)) if experiment_id is not None else ("", ())
        for exp_id, key, value in self._all(
            f"SELECT experiment_id, key, value FROM experiment_tags {where} ORDER BY experiment_id, key", args
        ):
            out.setdefault(int(exp_id), {})[key] = value
        return out

    def get_packages(self, ref: str) -> dict[str, str]:
        rid, _ = self.resolve_run(ref)
        row = self._all("SELECT packages FROM run_env WHERE rid = ?", (rid,))
        return json.loads(row[0][0]) if row else {}


def _json_or_none(text: str | None) -> Any:
    """JSON text stored by tuitrack or MLflow; text that is not JSON comes back as it is."""
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
