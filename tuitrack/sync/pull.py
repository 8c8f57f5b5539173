"""``tuitrack pull``: bring a tracking server's runs into the local store, idempotently and incrementally.

A run new to the store keeps its server id as its local id (as ``tuitrack import mlflow`` does) and is
tagged ``tuitrack.pulled_from`` with the server's URI; its host column is the host it was logged on
(the ``tuitrack.host`` tag a tuitrack push sets; unknown for runs MLflow logged).  A run this store
pushed is recognised by its ``tuitrack.run_id`` tag and never duplicated.  A run already pulled is
only read again where the server's latest point of a key moved, and only the points the store lacks
are written.  Everything from the server is checked before it is stored: ids must be plain ids,
artifact paths must stay inside the run's folder, keys and values pass the store's own validation.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tuitrack import validation
from tuitrack.errors import ValidationError
from tuitrack.store import sync as state
from tuitrack.store.core import Store, now_ms
from tuitrack.sync import mapping as mp
from tuitrack.sync.common import Job, Progress, Report, opened, raise_first
from tuitrack.sync.http import Client, SyncError, TransientError, one_line
from tuitrack.sync.remote import Remote

_STATUS = {"FINISHED": "FINISHED", "FAILED": "FAILED", "KILLED": "KILLED", "RUNNING": "RUNNING", "SCHEDULED": "RUNNING"}


@dataclass
class PullReport(Report):
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    recognised: int = 0


@dataclass
class _Remote:
    """A server run, checked and converted to local terms."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    deleted: bool
    user: str | None
    tags: dict[str, str]  # the server view (all its tags)
    params: dict[str, str]
    latest: dict[str, tuple[int, int]]  # key -> (step, ts) of the server's latest point
    artifact_root: str | None


def pull(
    store: Store,
    uri: str | None,
    *,
    experiments: Sequence[str] = (),
    filter_string: str | None = None,
    artifacts: bool = False,
    progress: Progress | None = None,
    workers: int = 4,
    client: Client | None = None,
) -> PullReport:
    with opened(store, uri, client) as remote:
        return _Puller(store, remote, artifacts, progress, workers).run(experiments, filter_string)


class _Puller(Job[PullReport]):
    def __init__(self, store: Store, remote: Remote, artifacts: bool, progress: Progress | None, workers: int):
        super().__init__(store, remote, progress, workers, PullReport())
        self.artifacts = artifacts

    def run(self, experiments: Sequence[str], filter_string: str | None) -> PullReport:
        if experiments:
            exps = []
            for name in experiments:
                exp_id = self.remote.experiment_id(name, create=False)
                if exp_id is None:
                    raise LookupError(f"no experiment named {name!r} on {self.remote.uri}")
                exps.append((exp_id, name))
        else:
            exps = self.remote.experiments()
        names = dict(exps)
        runs: list[_Remote] = []
        for doc in self.remote.search_runs([e for e, _ in exps], filter_string):
            try:
                runs.append(self._convert(doc, names))
            except (SyncError, ValidationError) as exc:
                self.report.problems.append(f"a server run was skipped: {exc}")
        self.report.seen = len(runs)
        self.total = len(runs)
        mapped = state.remote_run_ids(self.store, self.remote.id)
        local_ids = state.existing_run_ids(
            self.store, [r.run_id for r in runs] + [r.tags[mp.RUN_ID_TAG] for r in runs if mp.RUN_ID_TAG in r.tags]
        )
        new: list[_Remote] = []
        known: list[tuple[_Remote, int]] = []
        for r in runs:
            rid = mapped.get(r.run_id)
            if rid is None:
                mine = r.tags.get(mp.RUN_ID_TAG)
                if mine and mine in local_ids:  # pushed from this store (or a store merged into it)
                    rid = state.run_exists(self.store, mine)
                    state.map_run(self.store, rid, self.remote.id, r.run_id, "push", base={})  # type: ignore[arg-type]
                    self.report.recognised += 1
                elif r.run_id in local_ids:  # imported earlier under the same id
                    rid = state.run_exists(self.store, r.run_id)
                    state.map_run(self.store, rid, self.remote.id, r.run_id, "pull", base={})  # type: ignore[arg-type]
                    self.report.recognised += 1
            if rid is None:
                new.append(r)
            else:
                known.append((r, rid))
        self._tick(0)
        # parents first, so a child's parent id can be resolved to a local run
        new.sort(key=lambda r: 0 if mp.PARENT_TAG not in r.tags else 1)
        errors: list[BaseException] = []

        def guarded(fn: Callable[[], None], what: str) -> None:
            if errors:
                return
            try:
                fn()
            except TransientError as exc:
                errors.append(exc)
            except (SyncError, ValidationError) as exc:
                with self.lock:
                    self.report.problems.append(f"{what}: {exc}")
            except BaseException as exc:
                errors.append(exc)
            finally:
                self._finished_one()

        jobs: list[tuple[Callable[[], None], str]] = [
            (functools.partial(self._new_run, r), f"run {r.run_id} ({r.name})") for r in new
        ]
        jobs += [(functools.partial(self._known_run, r, rid), f"run {r.run_id} ({r.name})") for r, rid in known]
        if self.workers == 1:
            for fn, what in jobs:
                guarded(fn, what)
        else:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                list(pool.map(lambda job: guarded(*job), jobs))
        if errors:
            kept = f"{self.report.new} new runs and {self.report.points} points were stored"
            raise_first(errors, "pull", kept if self.report.new or self.report.points else "")
        return self.report

    # -- conversion and checks -------------------------------------------------------------------
    def _convert(self, doc: dict[str, Any], names: dict[str, str]) -> _Remote:
        info = doc.get("info") or {}
        data = doc.get("data") or {}
        run_id = mp.valid_run_id(info.get("run_id") or info.get("run_uuid"))
        exp = names.get(str(info.get("experiment_id")))
        if exp is None:
            raise SyncError(f"run {run_id} names an experiment that was not listed")
        tags: dict[str, str] = {}
        params: dict[str, str] = {}
        for kind, got, kept in (("tag", data.get("tags"), tags), ("param", data.get("params"), params)):
            for k, v in mp.kv_list(got).items():
                try:
                    kept[validation.validate_key(k, f"{kind} key")] = v
                except ValidationError:
                    self.report.problems.append(
                        f"run {run_id}: {kind} key {one_line(k)!r} cannot be stored here; left out"
                    )
        latest: dict[str, tuple[int, int]] = {}
        for m in data.get("metrics") or []:
            if isinstance(m, dict) and isinstance(m.get("key"), str):
                try:
                    validation.validate_key(m["key"], "metric key")
                except ValidationError:
                    self.report.problems.append(
                        f"run {run_id}: metric key {one_line(m['key'])!r} cannot be stored here; left out"
                    )
                    continue
                latest[m["key"]] = (mp.int_field(m, "step", 0) or 0, mp.int_field(m, "timestamp", 0) or 0)
        name = info.get("run_name") or tags.get(mp.NAME_TAG) or ""
        start = mp.int_field(info, "start_time", 0) or 0
        return _Remote(
            run_id=run_id,
            experiment=mp.experiment_name(exp),
            name=validation.run_name(str(name)),
            status=_STATUS.get(str(info.get("status")), "FINISHED"),
            start_time=start,
            end_time=mp.int_field(info, "end_time"),
            deleted=info.get("lifecycle_stage") == "deleted",
            user=str(info.get("user_id")) if info.get("user_id") else None,
            tags=tags,
            params=params,
            latest=latest,
            artifact_root=info.get("artifact_uri") if isinstance(info.get("artifact_uri"), str) else None,
        )

    def _local_parent(self, r: _Remote) -> str | None:
        parent = r.tags.get(mp.PARENT_TAG)
        if not parent:
            return None
        rid = state.rid_of_remote_run(self.store, self.remote.id, parent)
        if rid is not None:
            return self.store.runs_by_rids([rid], with_data=False)[0].info.run_id
        try:
            return mp.valid_run_id(parent)
        except SyncError:
            return None

    def _columns(self, r: _Remote) -> dict[str, Any]:
        note = r.tags.get(mp.NOTE_TAG)
        return {
            "name": r.name,
            "note": validation.note_text(note) if note else None,
            "parent_id": self._local_parent(r),
            "user": r.tags.get(mp.USER_TAG) or r.user,
            "host": r.tags.get(mp.HOST_TAG),
            "source": r.tags.get(mp.SOURCE_TAG),
            "error": r.tags.get(mp.ERROR_TAG),
        }

    def _local_tags(self, r: _Remote) -> dict[str, str]:
        tags = {k: v for k, v in r.tags.items() if k not in mp.COLUMN_TAGS and k not in mp.LOCAL_ONLY_TAGS}
        tags[mp.PULLED_FROM_TAG] = self.remote.uri
        return tags

    # -- a run new to the store ---------------------------------------------------------------------
    def _new_run(self, r: _Remote) -> None:
        series = {k: self.remote.history(r.run_id, k) for k in sorted(r.latest)}
        cols = self._columns(r)
        status = r.status
        base = _base(r)
        files = self._artifacts(r, base, r.run_id, {})
        t = now_ms()
        rid = state.insert_run(
            self.store,
            run_id=r.run_id,
            experiment=r.experiment,
            name=cols["name"],
            status=status,
            start_time=r.start_time,
            end_time=r.end_time if status != "RUNNING" else None,
            parent_id=cols["parent_id"],
            user=cols["user"],
            host=cols["host"],
            source=cols["source"],
            note=cols["note"],
            error=cols["error"],
            deleted_at=(r.end_time or r.start_time or t) if r.deleted else None,
            params=r.params,
            tags=self._local_tags(r),
            series=series,
            artifacts=files,
            heartbeat=max([r.start_time] + [p[1] for pts in series.values() for p in pts[-1:]]),
        )
        if rid is None:  # another pull got there first
            return
        state.map_run(self.store, rid, self.remote.id, r.run_id, "pull", base=base)
        self._set_marks(rid, series.keys())
        state.mark_pulled_current(self.store, rid, self.remote.id)
        with self.lock:
            self.report.new += 1
            self.report.artifacts += len(files)
        self._tick(sum(len(p) for p in series.values()))

    def _set_marks(self, rid: int, keys: Sequence[str] | Any) -> None:
        ups = {}
        for k in keys:
            last = state.last_point(self.store, rid, k)
            if last is not None:
                ups[k] = state.Mark(state.count_points(self.store, rid, k), last[0], last[1], last[2])
        state.set_marks(self.store, rid, self.remote.id, ups)

    def _artifacts(
        self, r: _Remote, base: dict[str, Any], local_run_id: str, local: dict[str, int]
    ) -> list[tuple[str, int]]:
        """List the run's files on the server into ``base`` (what the app's Artifacts tab offers and
        ``tuitrack fetch-artifacts`` downloads later); with ``--artifacts``, download those the store lacks."""
        try:
            listed = self.remote.artifact_files(r.run_id, base)
        except TransientError:
            raise
        except SyncError as exc:  # an unsafe path: nothing of the listing is kept, the run still is
            with self.lock:
                self.report.problems.append(f"run {r.run_id} ({r.name}): its artifacts were not listed: {exc}")
            return []
        base["artifacts"], base["listed"] = dict(listed), True
        if not self.artifacts:
            return []
        todo = [(p, size) for p, size in listed if local.get(p) != size]
        got: list[tuple[str, int]] = []
        download_files(self.store, self.remote, local_run_id, r.run_id, todo, base, got)
        return got

    # -- a run the store has -------------------------------------------------------------------------
    def _known_run(self, r: _Remote, rid: int) -> None:
        row = state.sync_rows(self.store, self.remote.id, [rid])[rid]
        local = state.load_local_runs(self.store, [rid])[0]
        local_dirty = row.pushed_upto is None or local.updated_at > row.pushed_upto
        base = dict(row.base)
        if not base.get("known"):  # mapping just made: what both sides share is the base
            base = _base(r)
        changed = False
        # tags, note, name, parent...: three-way
        parent_remote = self.remote.remote_id_of_local(local.parent_id) if local.parent_id else None
        view = mp.server_view(local, parent_remote, with_identity=row.origin == "push")
        agreed: dict[str, str] = base.get("tags") or {}
        server_changed = {
            k for k in set(r.tags) | set(agreed) if r.tags.get(k) != agreed.get(k) and k not in mp.NOT_CURATED
        }
        apply: dict[str, str | None] = {}
        for k in sorted(server_changed):
            if view.get(k) == r.tags.get(k):
                pass  # both sides already agree: only the agreed state moves
            elif view.get(k) != agreed.get(k) and local_dirty:
                # both sides changed: the later write wins
                stamp = r.tags.get(mp.EDITED_TAG)
                server_time = (
                    int(stamp) if stamp and stamp.isdigit() and stamp != agreed.get(mp.EDITED_TAG) else now_ms()
                )
                with self.lock:
                    self.report.conflicts += 1
                if server_time < local.updated_at:
                    state.note_conflict(self.store, rid, mp.conflict_text(k, "local", view.get(k), r.tags.get(k)))
                    continue
                state.note_conflict(self.store, rid, mp.conflict_text(k, "server", r.tags.get(k), view.get(k)))
                apply[k] = r.tags.get(k)
            else:
                apply[k] = r.tags.get(k)
            if k in r.tags:
                agreed[k] = r.tags[k]
            else:
                agreed.pop(k, None)
        for k in (mp.EDITED_TAG, mp.RUN_ID_TAG):
            if k in r.tags:
                agreed[k] = r.tags[k]
        fields: dict[str, Any] = {}
        set_tags: dict[str, str] = {}
        del_tags: list[str] = []
        column_of = {
            mp.NAME_TAG: "name",
            mp.NOTE_TAG: "note",
            mp.USER_TAG: "user",
            mp.SOURCE_TAG: "source",
            mp.HOST_TAG: "host",
            mp.ERROR_TAG: "error",
        }
        for k, v in apply.items():
            if k in column_of:
                col = column_of[k]
                fields[col] = (v or "") if col == "name" else v
            elif k == mp.PARENT_TAG:
                fields["parent_id"] = self._local_parent(r)
            elif v is None:
                del_tags.append(k)
            else:
                set_tags[k] = v
        # lifecycle and status
        if r.deleted != bool(base.get("deleted")):
            if (local.deleted_at is not None) == bool(base.get("deleted")):  # local did not change it
                fields["deleted_at"] = now_ms() if r.deleted else None
            base["deleted"] = r.deleted
        if row.origin == "pull" and (r.status != base.get("status") or r.end_time != base.get("end_time")):
            fields["status"] = r.status
            fields["end_time"] = r.end_time if r.status != "RUNNING" else None
            base["status"], base["end_time"] = r.status, r.end_time
        new_params = {k: v for k, v in r.params.items() if k not in local.params}
        if fields or set_tags or del_tags or new_params:
            state.update_pulled_run(
                self.store, rid, fields=fields, set_tags=set_tags, delete_tags=del_tags, params=new_params
            )
            changed = True
        base["params"] = sorted(set(base.get("params") or []) | set(r.params))
        base["tags"] = agreed
        # points
        have = state.marks(self.store, rid, self.remote.id)
        added = 0
        for k, (step, ts) in sorted(r.latest.items()):
            mark = have.get(k)
            if mark is not None and (mark.step, mark.ts) == (step, ts) and mark.n == local.counts.get(k, 0):
                continue
            server_pts = self.remote.history(r.run_id, k)
            mine = Counter(mp.point_key(p[0], p[1], p[3]) for p in state.points(self.store, rid, k))
            fresh = []
            for point in server_pts:
                pk = mp.point_key(*point)
                if mine.get(pk, 0) > 0:
                    mine[pk] -= 1
                else:
                    fresh.append(point)
            if fresh:
                state.append_points(self.store, rid, {k: fresh})
                added += len(fresh)
            if not mine or not any(mine.values()):  # the server has every local point: the mark is exact
                self._set_marks(rid, [k])
        if added:
            changed = True
        # the listing is read again only when the run moved on the server (a finished run's files stay)
        relist = self.artifacts or changed or r.status == "RUNNING" or not base.get("listed")
        files = self._artifacts(r, base, local.run_id, local.artifacts) if relist else []
        if files:
            state.record_artifacts(self.store, rid, files)
            changed = True
        state.finish_sync(self.store, rid, self.remote.id, base, covered_updated_at=None, pushed=False)
        if not local_dirty:
            state.mark_pulled_current(self.store, rid, self.remote.id)
        with self.lock:
            if changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
            self.report.artifacts += len(files)
        self._tick(added)


def _base(r: _Remote) -> dict[str, Any]:
    """The state both sides agree on when a server run first meets the store."""
    return {
        "tags": dict(r.tags),
        "params": sorted(r.params),
        "artifacts": {},
        "status": r.status,
        "end_time": r.end_time,
        "deleted": r.deleted,
        "known": True,
        "artifact_root": r.artifact_root,
    }


def download_files(
    store: Store,
    remote: Remote,
    local_run_id: str,
    remote_run_id: str,
    items: Sequence[tuple[str, int]],
    base: dict[str, Any],
    got: list[tuple[str, int]],
    progress: Progress | None = None,
) -> None:
    """Download ``items`` (path, size) of a server run into the local run's artifact folder, appending
    each stored file to ``got`` as it lands (so a failure keeps what came before it).

    Paths come from the server and are hostile until checked: the store's rules decide
    (:func:`tuitrack.store.sync.save_artifact`), and nothing is written outside the run's folder.
    """
    total = sum(size for _, size in items)
    done = 0
    for rel, _size in items:
        where = remote.artifact_path(remote_run_id, rel, base)
        if where is None:
            raise SyncError(
                f"the server does not serve run {remote_run_id}'s artifacts through its proxy "
                f"(artifact root {one_line(str(base.get('artifact_root')))!r})"
            )
        data = remote.client.get_artifact(where)
        try:
            done += state.save_artifact(store, local_run_id, rel, data)
        except ValidationError as exc:
            raise SyncError(f"the server listed an unsafe artifact path {one_line(rel)!r}: {exc}") from None
        got.append((rel, len(data)))
        if progress is not None:
            progress(len(got), len(items), done, total)


@dataclass
class FetchReport(Report):
    run_id: str = ""
    #: files asked for that the store already had
    already: int = 0
    #: bytes written
    size: int = 0


def fetch_artifacts(
    store: Store,
    run: str,
    paths: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    client: Client | None = None,
) -> FetchReport:
    """Download a pulled run's artifacts (``paths``, or all of them) from the server it came from.

    For runs pulled without ``--artifacts``: the pull listed their files; this fetches them on demand
    (the app's Artifacts tab, ``tuitrack fetch-artifacts``).  Files the store already has are skipped.
    """
    rid, run_id = store.resolve_run(run)
    where = state.run_remote(store, rid)
    if where is None:
        raise SyncError(f"run {run_id[:12]} did not come from a tracking server: its artifacts are all in the store")
    wanted = [validation.artifact_path(p) for p in paths]
    with opened(store, where.uri, client, write=False) as remote:
        report = FetchReport(uri=remote.uri, run_id=run_id)
        base = where.base
        listing: dict[str, int] = base.get("artifacts") or {}
        if not base.get("listed") or any(p not in listing for p in wanted):
            listing = dict(remote.artifact_files(where.remote_run_id, base))
            base["artifacts"], base["listed"] = listing, True
        local = {a.path: a.size for a in store.list_artifacts(run_id)}
        todo = []
        for p in wanted or sorted(listing):
            if p not in listing:
                report.problems.append(
                    f"{one_line(p)!r} is not among run {where.remote_run_id}'s artifacts on {remote.uri}"
                )
            elif local.get(p) == listing[p]:
                report.already += 1
            else:
                todo.append((p, listing[p]))
        clean = not state.runs_needing_push(store, where.remote, [rid])
        got: list[tuple[str, int]] = []
        try:
            download_files(store, remote, run_id, where.remote_run_id, todo, base, got, progress)
        finally:
            if got:
                state.record_artifacts(store, rid, got)
            state.finish_sync(store, rid, where.remote, base, covered_updated_at=None, pushed=False)
            if clean:  # what came from the server is no local change to push back
                state.mark_pulled_current(store, rid, where.remote)
        report.artifacts = len(got)
        report.size = sum(n for _, n in got)
        return report
