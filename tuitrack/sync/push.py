"""``tuitrack push``: send local runs to an MLflow tracking server, idempotently and incrementally.

The server picks run ids, so each pushed run carries the tag ``tuitrack.run_id`` and is looked up by
it before one is created.  Per (run, metric key) the store keeps how many points the server
confirmed and where the last one was; only points after it are sent, and the watermark moves only
after the server answered the batch.  A run whose ``updated_at`` has not moved since its last
complete push is skipped without a request, so a no-op push of thousands of runs is one query.

A push that broke off leaves its run marked in flight: the next push reads the server's history of
each unfinished key and sends only what is missing.  A failed log-batch is not blindly re-sent
either: the server's history is compared first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tuitrack.store import sync as state
from tuitrack.store.core import Store, now_ms
from tuitrack.sync import mapping as mp
from tuitrack.sync.common import Job, Progress, Report, opened, raise_first
from tuitrack.sync.http import Client, ServerError, SyncError, TransientError, one_line
from tuitrack.sync.remote import Remote


@dataclass
class PushReport(Report):
    selected: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    params: int = 0
    tags: int = 0
    dry_run: bool = False
    plan: list[str] = field(default_factory=list)


class _Batch:
    """A log-batch body kept under the server's counts and byte limit."""

    def __init__(self) -> None:
        self.metrics: list[dict[str, Any]] = []
        self.params: list[dict[str, str]] = []
        self.tags: list[dict[str, str]] = []
        self.size = 64
        self.owners: list[tuple[str, int, int, int]] = []  # per metric: (key, step, ts, seq)

    def room(self, kind: str, nbytes: int) -> bool:
        if self.size + nbytes > mp.BATCH_BYTES_BUDGET:
            return False
        if kind == "metric":
            return len(self.metrics) < mp.MAX_METRICS_PER_BATCH
        return len(self.params) + len(self.tags) < mp.MAX_PARAMS_TAGS_PER_BATCH

    def empty(self) -> bool:
        return not (self.metrics or self.params or self.tags)


def _json_size(text: str) -> int:
    """Bytes ``text`` takes in a request body: JSON escapes quotes, control characters and every non-ASCII
    character (``\\uXXXX``, 6 bytes), so a count of characters undercounts it up to six times."""
    return len(json.dumps(text))


def _pack(items: list[tuple[str, str, str]]) -> list[_Batch]:
    """(kind, key, value) params and tags as log-batch bodies, each under the server's counts and 1 MB."""
    bodies: list[_Batch] = []
    batch = _Batch()
    for kind, k, v in items:
        n = _json_size(k) + _json_size(v) + 24
        if not batch.room(kind, n):
            bodies.append(batch)
            batch = _Batch()
        (batch.params if kind == "param" else batch.tags).append({"key": k, "value": v})
        batch.size += n
    if not batch.empty():
        bodies.append(batch)
    return bodies


def push(
    store: Store,
    uri: str | None,
    *,
    experiments: Sequence[str] = (),
    filter_string: str | None = None,
    run_ids: Sequence[str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    workers: int = 4,
    client: Client | None = None,
) -> PushReport:
    """Push the selected runs (all live and deleted runs of the store when nothing is selected)."""
    with opened(store, uri, client, write=not dry_run) as remote:
        return _Pusher(store, remote, progress, workers).run(experiments, filter_string, run_ids, dry_run)


def select_rids(
    store: Store, experiments: Sequence[str], filter_string: str | None, run_ids: Sequence[str] | None
) -> list[int]:
    if run_ids:
        return [store.resolve_run(r)[0] for r in run_ids]
    exp_ids = None
    if experiments:
        exp_ids = store.experiment_ids(experiments)
        if len(exp_ids) != len(set(experiments)):
            known = {e.name for e in store.list_experiments()}
            missing = [n for n in experiments if n not in known]
            raise LookupError(f"no experiment named {missing[0]!r} in the store at {store.path}")
    rids = store.search_rids(filter_string, experiment_ids=exp_ids, include_deleted=True)
    return list(rids)


class _Pusher(Job[PushReport]):
    def __init__(self, store: Store, remote: Remote, progress: Progress | None, workers: int):
        super().__init__(store, remote, progress, workers, PushReport())
        self.stop = threading.Event()

    # -- selection and plan ----------------------------------------------------------------------
    def run(
        self, experiments: Sequence[str], filter_string: str | None, run_ids: Sequence[str] | None, dry_run: bool
    ) -> PushReport:
        rids = select_rids(self.store, experiments, filter_string, run_ids)
        self.report.selected = len(rids)
        todo = state.runs_needing_push(self.store, self.remote.id, rids)
        self.report.unchanged = len(rids) - len(todo)
        runs = state.load_local_runs(self.store, todo)
        runs = _parents_first(runs)
        rows = state.sync_rows(self.store, self.remote.id, [r.rid for r in runs])
        pending: dict[int, int] = {}
        for run in runs:
            have = state.marks(self.store, run.rid, self.remote.id) if run.rid in rows else {}
            pending[run.rid] = sum(max(0, c - (have[k].n if k in have else 0)) for k, c in run.counts.items())
        self.points_total = sum(pending.values())
        self.total = len(runs)
        if dry_run:
            self.report.dry_run = True
            for run in runs:
                what = "update" if run.rid in rows else "create"
                self.report.plan.append(
                    f"{what} {run.run_id[:12]} {run.experiment}/{run.name}: {pending[run.rid]} new points"
                )
            return self.report
        self._tick(0)
        # Parents go first so children can name them; runs of one family stay in order on one worker.
        families: dict[int, list[state.LocalRun]] = {}
        by_id = {r.run_id: r for r in runs}
        for run in runs:
            root = run
            seen = set()
            while root.parent_id in by_id and root.run_id not in seen:
                seen.add(root.run_id)
                root = by_id[root.parent_id]
            families.setdefault(root.rid, []).append(run)
        errors: list[BaseException] = []

        def work(family: list[state.LocalRun]) -> None:
            for run in family:
                if self.stop.is_set():
                    return
                try:
                    self._push_run(run, rows.get(run.rid))
                except (TransientError, ServerError) as exc:
                    if isinstance(exc, ServerError) and exc.status in (400, 404) and exc.status != 401:
                        with self.lock:
                            self.report.problems.append(f"run {run.run_id[:12]} ({run.name}): {exc}")
                        continue
                    self.stop.set()
                    errors.append(exc)
                    return
                except BaseException as exc:
                    self.stop.set()
                    errors.append(exc)
                    return
                finally:
                    self._finished_one()

        if self.workers == 1 or len(families) == 1:
            for fam in families.values():
                work(fam)
        else:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                try:
                    list(pool.map(work, families.values()))
                except BaseException:  # Ctrl-C: the workers stop after their current batch
                    self.stop.set()
                    raise
        if errors:
            done = self.report.created + self.report.updated
            kept = f"{done} runs and {self.report.points} points were sent and recorded"
            raise_first(errors, "push", kept if done or self.report.points else "")
        return self.report

    def _problem(self, run: state.LocalRun, text: str) -> None:
        with self.lock:
            self.report.problems.append(f"run {run.run_id[:12]} ({run.name}): {text}")

    # -- one run --------------------------------------------------------------------------------
    def _push_run(self, run: state.LocalRun, row: state.SyncRow | None) -> None:
        store, rid_remote = self.store, self.remote.id
        created = False
        if row is None:
            remote_run_id = self.remote.find_by_local_id(run.run_id, run.experiment)
            if remote_run_id is None:
                exp_id = self.remote.experiment_id(run.experiment, create=True)
                doc = self.client.call(
                    "POST",
                    "/runs/create",
                    {
                        "experiment_id": exp_id,
                        "start_time": run.start_time,
                        "run_name": run.name,
                        "user_id": run.user or "",
                        "tags": [{"key": mp.RUN_ID_TAG, "value": run.run_id}],
                    },
                )
                remote_run_id = mp.valid_run_id(((doc.get("run") or {}).get("info") or {}).get("run_id"))
                created = True
                base: dict[str, Any] = {
                    "tags": {mp.RUN_ID_TAG: run.run_id, mp.NAME_TAG: run.name},
                    "params": [],
                    "artifacts": {},
                    "status": "RUNNING",
                    "end_time": None,
                    "deleted": False,
                    "known": True,
                    "artifact_root": ((doc.get("run") or {}).get("info") or {}).get("artifact_uri"),
                }
                state.map_run(store, run.rid, rid_remote, remote_run_id, "push", base=base)
                state.set_inflight(store, run.rid, rid_remote, True)
                row = state.SyncRow(run.rid, remote_run_id, "push", None, True, base)
            else:  # pushed before and the mapping was lost (or a push died right after creating it)
                state.map_run(store, run.rid, rid_remote, remote_run_id, "push", base={})
                state.set_inflight(store, run.rid, rid_remote, True)
                row = state.SyncRow(run.rid, remote_run_id, "push", None, True, {})
        rrid = row.remote_run_id
        base = dict(row.base)
        base.setdefault("tags", {})
        base.setdefault("params", [])
        base.setdefault("artifacts", {})
        uncertain = not created and (row.inflight or not base.get("known"))
        server = None
        if uncertain and not created:
            server = self.remote.get_run(rrid)
            if server is None:  # deleted for good on the server: make a new one next time
                self._problem(run, f"its run {rrid} is gone from the server; it will be pushed anew next time")
                state.forget_mapping(store, run.rid, rid_remote)
                return
            base = _base_from_server(server, base)
        parent_remote = self.remote.remote_id_of_local(run.parent_id) if run.parent_id else None
        view = mp.server_view(run, parent_remote, with_identity=row.origin == "push")
        # params: the server keeps them forever; one already there with the same value is fine
        params = {k: v for k, v in run.params.items() if k not in set(base["params"])}
        sent_params: list[str] = []
        good_params = {}
        for k, v in params.items():
            if len(k) > mp.MAX_KEY:
                self._problem(run, f"param key {k[:40]!r}... is {len(k)} chars, over the server's {mp.MAX_KEY}")
            elif len(v) > mp.MAX_PARAM_VALUE:
                self._problem(
                    run, f"param {k!r} value is {len(v)} chars, over the server's {mp.MAX_PARAM_VALUE}: not sent"
                )
            else:
                good_params[k] = v
        # tags: three-way with the last agreed state
        tag_sets, tag_dels, conflicts = self._merge_tags(run, rrid, view, base, server)
        good_tags = {}
        for k, v in tag_sets.items():
            if len(k) > mp.MAX_KEY:
                self._problem(run, f"tag key {k[:40]!r}... is {len(k)} chars, over the server's {mp.MAX_KEY}")
            elif len(v) > mp.MAX_TAG_VALUE:
                what = "note" if k == mp.NOTE_TAG else f"tag {k!r}"
                self._problem(run, f"{what} is {len(v)} chars, over the server's {mp.MAX_TAG_VALUE}: not sent")
            else:
                good_tags[k] = v
        if good_tags and any(k not in mp.NOT_CURATED for k in good_tags) and not created:
            good_tags[mp.EDITED_TAG] = str(run.updated_at)
        # send params and tags first (small), then metrics; names go through runs/update (which sets the tag)
        items = [("param", k, v) for k, v in good_params.items()]
        items += [("tag", k, v) for k, v in good_tags.items() if k != mp.NAME_TAG]
        bodies = _pack(items)
        for body in bodies:
            self._log_batch(rrid, body, retry=True)
        sent_params = list(good_params)
        for k in tag_dels:
            try:
                self.client.call("POST", "/runs/delete-tag", {"run_id": rrid, "key": k})
            except ServerError as exc:
                if exc.status != 404:
                    raise
        with self.lock:
            self.report.params += len(sent_params)
            self.report.tags += len(good_tags) + len(tag_dels)
            self.report.conflicts += conflicts
        agreed_tags = {k: v for k, v in base["tags"].items() if k not in tag_dels}
        agreed_tags.update(good_tags)
        if server is not None:
            for k, v in _server_tags(server).items():
                agreed_tags.setdefault(k, v)
        base["tags"] = agreed_tags
        base["params"] = sorted(set(base["params"]) | set(sent_params) | (set(params) - set(good_params)))
        # metrics
        sent_points = self._push_metrics(run, rrid, uncertain, server)
        # name, status, end time (the origin side owns status)
        update: dict[str, Any] = {}
        if mp.NAME_TAG in good_tags:
            update["run_name"] = good_tags[mp.NAME_TAG]
        if row.origin == "push":
            status = "RUNNING" if run.status not in mp.STATUSES else run.status
            if status != base.get("status") or run.end_time != base.get("end_time"):
                update["status"] = status
                if run.end_time is not None:
                    update["end_time"] = run.end_time
        if update:
            update["run_id"] = rrid
            if "status" not in update:
                update["status"] = ((server or {}).get("info") or {}).get("status") or base.get("status") or "RUNNING"
            self.client.call("POST", "/runs/update", update)
            if row.origin == "push":
                base["status"], base["end_time"] = run.status, run.end_time
        # artifacts through the server's proxy
        sent_files = 0
        for path, size in sorted(run.artifacts.items()):
            if base["artifacts"].get(path) == size:
                continue
            try:
                data = store.artifact_file(run.run_id, path).read_bytes()
            except (OSError, LookupError, ValueError) as exc:
                self._problem(run, f"artifact {path!r} could not be read: {exc}")
                continue
            where = self.remote.artifact_path(rrid, path, base)
            if where is None:
                self._problem(
                    run,
                    f"the server does not proxy artifacts (run artifact root "
                    f"{one_line(str(base.get('artifact_root')))!r}); start it with "
                    "--serve-artifacts/--artifacts-destination: artifacts not sent",
                )
                break
            self.client.put_artifact(where, data)
            base["artifacts"][path] = size
            sent_files += 1
            with self.lock:
                self.report.artifacts += 1
        # deletion both ways is curation: later write wins (deleting is rare; local state is sent)
        deleted = run.deleted_at is not None
        lifecycle = deleted != bool(base.get("deleted"))
        if lifecycle:
            self.client.call("POST", "/runs/delete" if deleted else "/runs/restore", {"run_id": rrid})
            base["deleted"] = deleted
        base["known"] = True
        state.finish_sync(store, run.rid, rid_remote, base, covered_updated_at=run.updated_at, pushed=True)
        anything = created or bodies or tag_dels or sent_points or update or sent_files or lifecycle
        with self.lock:
            if created:
                self.report.created += 1
            elif anything:
                self.report.updated += 1
            else:  # looked at (it changed here) but the server already had everything
                self.report.unchanged += 1

    def _merge_tags(
        self, run: state.LocalRun, rrid: str, view: dict[str, str], base: dict[str, Any], server: dict[str, Any] | None
    ) -> tuple[dict[str, str], list[str], int]:
        """Tags to set and delete on the server; a tag both sides changed goes to the later write."""
        agreed: dict[str, str] = base["tags"]
        keys = (set(view) | set(agreed)) - {mp.EDITED_TAG}
        local_changed = {k for k in keys if view.get(k) != agreed.get(k)}
        if not local_changed:
            return {}, [], 0
        server_tags = None
        if any(k not in mp.NOT_CURATED for k in local_changed):
            if server is None:
                server = self.remote.get_run(rrid)
            server_tags = _server_tags(server) if server is not None else None
        sets: dict[str, str] = {}
        dels: list[str] = []
        conflicts = 0
        for k in sorted(local_changed):
            if (
                server_tags is not None
                and k not in mp.NOT_CURATED
                and server_tags.get(k) != agreed.get(k)
                and server_tags.get(k) != view.get(k)
            ):
                # both changed: the server's side was written by tuitrack at EDITED_TAG, or elsewhere at an
                # unknown moment after the last sync, taken as the moment it was first seen (now)
                stamp = server_tags.get(mp.EDITED_TAG)
                server_time = (
                    int(stamp) if stamp and stamp.isdigit() and stamp != agreed.get(mp.EDITED_TAG) else now_ms()
                )
                if server_time >= run.updated_at:
                    conflicts += 1
                    state.note_conflict(
                        self.store, run.rid, mp.conflict_text(k, "server", server_tags.get(k), view.get(k))
                    )
                    continue
                conflicts += 1
                state.note_conflict(self.store, run.rid, mp.conflict_text(k, "local", view.get(k), server_tags.get(k)))
            if k in view:
                sets[k] = view[k]
            else:
                dels.append(k)
        return sets, dels, conflicts

    # -- metrics ---------------------------------------------------------------------------------------
    def _push_metrics(self, run: state.LocalRun, rrid: str, uncertain: bool, server: dict[str, Any] | None) -> int:
        """Send the points the server lacks; returns how many were sent."""
        store, rid_remote = self.store, self.remote.id
        have = state.marks(store, run.rid, rid_remote)
        sends: list[tuple[str, list[state.StoredPoint]]] = []
        for key, count in sorted(run.counts.items()):
            mark = have.get(key)
            n = mark.n if mark else 0
            if count == n and not uncertain:
                continue
            if len(key) > mp.MAX_KEY:
                self._problem(run, f"metric key {key[:40]!r}... is {len(key)} chars, over the server's {mp.MAX_KEY}")
                continue
            fresh = state.points(store, run.rid, key, after=mark)
            if uncertain or len(fresh) != count - n:
                # out-of-order points, or a push that broke off: send what the server lacks
                fresh, already = self._missing(rrid, run, key)
                if not fresh:
                    last = state.last_point(store, run.rid, key)
                    if last is not None:
                        state.set_marks(
                            store, run.rid, rid_remote, {key: state.Mark(already, last[0], last[1], last[2])}
                        )
                    continue
                n = already
                have[key] = (
                    state.Mark(n, -1 << 62, 0, 0) if mark is None else state.Mark(n, mark.step, mark.ts, mark.seq)
                )
            if fresh:
                sends.append((key, fresh))
        if not sends:
            return 0
        state.set_inflight(store, run.rid, rid_remote, True)
        batch = _Batch()
        counts = {k: (have[k].n if k in have else 0) for k, _ in sends}
        for key, pts in sends:
            size = _json_size(key)
            for step, ts, seq, value in pts:
                if not batch.room("metric", 96 + size):
                    self._send_points(run, rrid, batch, counts)
                    batch = _Batch()
                batch.metrics.append({"key": key, "value": mp.encode_value(value), "timestamp": ts, "step": step})
                batch.owners.append((key, step, ts, seq))
                batch.size += 60 + size
        if not batch.empty():
            self._send_points(run, rrid, batch, counts)
        return sum(len(p) for _, p in sends)

    def _send_points(self, run: state.LocalRun, rrid: str, batch: _Batch, counts: dict[str, int]) -> None:
        if self.stop.is_set():  # another worker failed, or the user interrupted: stop between batches
            raise SyncError("push stopped")
        self._log_batch(rrid, batch, retry=False)
        last: dict[str, tuple[int, int, int]] = {}
        added: dict[str, int] = {}
        for key, step, ts, seq in batch.owners:
            last[key] = (step, ts, seq)
            added[key] = added.get(key, 0) + 1
        ups = {}
        for key, (step, ts, seq) in last.items():
            counts[key] += added[key]
            ups[key] = state.Mark(counts[key], step, ts, seq)
        state.set_marks(self.store, run.rid, self.remote.id, ups)
        self._tick(len(batch.owners))

    def _log_batch(self, rrid: str, batch: _Batch, *, retry: bool) -> None:
        """One log-batch.  Points are never re-sent blindly: after a failure the server's history decides."""
        body = {"run_id": rrid, "metrics": batch.metrics, "params": batch.params, "tags": batch.tags}
        if retry or not batch.metrics:
            self.client.call("POST", "/runs/log-batch", body)
            return
        delay = self.client.backoff
        for attempt in range(self.client.retries + 1):
            try:
                self.client.call("POST", "/runs/log-batch", body, retry=False)
                return
            except TransientError:
                if attempt == self.client.retries:
                    raise
                self.client.sleep(delay)
                delay = min(delay * 2, self.client.max_backoff)
                try:
                    body["metrics"] = self._not_on_server(rrid, batch)
                except TransientError:
                    continue
                if not body["metrics"] and not batch.params and not batch.tags:
                    return

    def _not_on_server(self, rrid: str, batch: _Batch) -> list[dict[str, Any]]:
        """The batch's points the server does not have (a failed call may still have been applied)."""
        keys = {k for k, _, _, _ in batch.owners}
        on_server = {k: self.remote.history_keys(rrid, k) for k in keys}
        metrics = []
        for m, owner in zip(batch.metrics, batch.owners):
            pk = mp.point_key(m["step"], m["timestamp"], mp.decode_value(m["value"]))
            if on_server[owner[0]].get(pk, 0) > 0:
                on_server[owner[0]][pk] -= 1
                continue
            metrics.append(m)
        return metrics

    def _missing(self, rrid: str, run: state.LocalRun, key: str) -> tuple[list[state.StoredPoint], int]:
        """Local points of ``key`` the server lacks, and how many it already has."""
        on_server = self.remote.history_keys(rrid, key)
        out = []
        for p in state.points(self.store, run.rid, key):
            pk = mp.point_key(p[0], p[1], p[3])
            if on_server.get(pk, 0) > 0:
                on_server[pk] -= 1
            else:
                out.append(p)
        return out, run.counts.get(key, 0) - len(out)


def _server_tags(server: dict[str, Any]) -> dict[str, str]:
    return mp.kv_list((server.get("data") or {}).get("tags"))


def _base_from_server(server: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """When the last sync is unknown (a mapping rebuilt after a crash), the server's state is the base."""
    info = server.get("info") or {}
    if base.get("known"):
        base.setdefault("artifact_root", info.get("artifact_uri"))
        return base
    data = server.get("data") or {}
    return {
        "tags": _server_tags(server),
        "params": sorted(mp.kv_list(data.get("params"))),
        "artifacts": dict(base.get("artifacts") or {}),
        "status": info.get("status"),
        "end_time": mp.int_field(info, "end_time"),
        "deleted": info.get("lifecycle_stage") == "deleted",
        "artifact_root": info.get("artifact_uri"),
        "known": True,
    }


def _parents_first(runs: list[state.LocalRun]) -> list[state.LocalRun]:
    by_id = {r.run_id: r for r in runs}
    out: list[state.LocalRun] = []
    seen: set[str] = set()

    def visit(r: state.LocalRun, depth: int = 0) -> None:
        if r.run_id in seen:
            return
        seen.add(r.run_id)
        if r.parent_id in by_id and depth < 100:
            visit(by_id[r.parent_id], depth + 1)
        out.append(r)

    for r in runs:
        visit(r)
    return out
