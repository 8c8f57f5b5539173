"""One tracking server as the sync code sees it: its id in the store, its experiments, run look-ups."""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tuitrack.store import sync as state
from tuitrack.store.core import Store
from tuitrack.sync import mapping as mp
from tuitrack.sync.http import Client, ServerError, SyncError, normalize_uri, one_line


@dataclass
class Remote:
    store: Store
    uri: str
    id: int
    client: Client
    _experiments: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, store: Store, uri: str | None, *, client: Client | None = None, write: bool = True) -> Remote:
        """The server at ``uri`` (else $MLFLOW_TRACKING_URI, else the one this store last used).

        ``write=False`` (a dry run, a read-only store) records nothing: an unknown server gets id -1.
        """
        text = uri if uri else os.environ.get("MLFLOW_TRACKING_URI", "")
        if not text and client is None:
            found = state.find_remote(store)
            if found is not None:
                text = found[1]
        if client is None:
            client = Client(text)
        norm = normalize_uri(text or client.uri)
        if write:
            rid = state.remote_id(store, norm)
        else:
            found = state.find_remote(store, norm)
            rid = found[0] if found else -1
        return cls(store=store, uri=norm, id=rid, client=client)

    # -- experiments ---------------------------------------------------------------------------------
    def experiment_id(self, name: str, *, create: bool) -> str | None:
        with self._lock:
            if name in self._experiments:
                return self._experiments[name]
        try:
            doc = self.client.call("GET", "/experiments/get-by-name", {"experiment_name": name})
            exp = doc.get("experiment") or {}
            if exp.get("lifecycle_stage") == "deleted":
                raise SyncError(
                    f"the experiment {name!r} is deleted on {self.uri}: restore it there, or rename the local one"
                )
            exp_id = str(exp.get("experiment_id"))
        except ServerError as exc:
            if exc.status != 404 or not create:
                if exc.status == 404:
                    return None
                raise
            try:
                exp_id = str(self.client.call("POST", "/experiments/create", {"name": name}).get("experiment_id"))
            except ServerError as again:  # created meanwhile by another push
                if again.code != "RESOURCE_ALREADY_EXISTS":
                    raise
                exp_id = str(
                    (
                        self.client.call("GET", "/experiments/get-by-name", {"experiment_name": name}).get("experiment")
                        or {}
                    ).get("experiment_id")
                )
        with self._lock:
            self._experiments[name] = exp_id
        return exp_id

    def experiments(self) -> list[tuple[str, str]]:
        """(id, name) of every active experiment on the server."""
        out: list[tuple[str, str]] = []
        token = None
        while True:
            body: dict[str, Any] = {"max_results": 1000, "view_type": "ACTIVE_ONLY"}
            if token:
                body["page_token"] = token
            doc = self.client.call("POST", "/experiments/search", body)
            for exp in doc.get("experiments") or []:
                if isinstance(exp, dict) and exp.get("experiment_id") is not None:
                    out.append((str(exp["experiment_id"]), str(exp.get("name", ""))))
            token = doc.get("next_page_token")
            if not token:
                return out

    # -- runs -------------------------------------------------------------------------------------
    def search_runs(self, experiment_ids: list[str], filter_string: str | None = None) -> Iterator[dict[str, Any]]:
        """Every run (active and deleted) of the experiments, page by page."""
        for i in range(0, len(experiment_ids), 100):
            token = None
            while True:
                body: dict[str, Any] = {
                    "experiment_ids": experiment_ids[i : i + 100],
                    "max_results": 1000,
                    "run_view_type": "ALL",
                }
                if filter_string:
                    body["filter"] = filter_string
                if token:
                    body["page_token"] = token
                doc = self.client.call("POST", "/runs/search", body)
                for run in doc.get("runs") or []:
                    if isinstance(run, dict):
                        yield run
                token = doc.get("next_page_token")
                if not token:
                    break

    def find_by_local_id(self, local_id: str, experiment: str) -> str | None:
        """The server's run tagged ``tuitrack.run_id = local_id`` in ``experiment``, if any."""
        exp_id = self.experiment_id(experiment, create=False)
        if exp_id is None:
            return None
        safe = local_id.replace("\\", "").replace("'", "")
        doc = self.client.call(
            "POST",
            "/runs/search",
            {
                "experiment_ids": [exp_id],
                "filter": f"tags.`{mp.RUN_ID_TAG}` = '{safe}'",
                "max_results": 10,
                "run_view_type": "ALL",
            },
        )
        for run in doc.get("runs") or []:
            info = run.get("info") or {} if isinstance(run, dict) else {}
            if mp.kv_list((run.get("data") or {}).get("tags")).get(mp.RUN_ID_TAG) == local_id:
                return mp.valid_run_id(info.get("run_id"))
        return None

    def get_run(self, remote_run_id: str) -> dict[str, Any] | None:
        try:
            run = self.client.call("GET", "/runs/get", {"run_id": remote_run_id}).get("run")
        except ServerError as exc:
            if exc.status == 404 or exc.code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return run if isinstance(run, dict) else None

    def remote_id_of_local(self, local_run_id: str) -> str | None:
        """The server's id for a local run (a pulled run keeps its server id as its local id)."""
        rid = state.run_exists(self.store, local_run_id)
        if rid is None:
            return None
        rows = state.sync_rows(self.store, self.id, [rid])
        return rows[rid].remote_run_id if rid in rows else None

    def history(self, remote_run_id: str, key: str) -> list[tuple[int, int, float]]:
        """A metric's full history on the server as (step, ts, value), page by page."""
        out: list[tuple[int, int, float]] = []
        token = None
        while True:
            q: dict[str, Any] = {"run_id": remote_run_id, "metric_key": key}
            if token:
                q["page_token"] = token
                q["max_results"] = 25000
            doc = self.client.call("GET", "/metrics/get-history", q)
            for m in doc.get("metrics") or []:
                if not isinstance(m, dict):
                    continue
                out.append(
                    (
                        mp.int_field(m, "step", 0) or 0,
                        mp.int_field(m, "timestamp", 0) or 0,
                        mp.decode_value(m.get("value")),
                    )
                )
            token = doc.get("next_page_token")
            if not token:
                return out

    def history_keys(self, remote_run_id: str, key: str) -> Counter:
        return Counter(mp.point_key(s, t, v) for s, t, v in self.history(remote_run_id, key))

    # -- artifacts ---------------------------------------------------------------------------------
    def artifact_path(self, remote_run_id: str, path: str, base: dict[str, Any]) -> str | None:
        """The proxy path of a run's artifact, or None when the run's artifacts are not behind the proxy."""
        root = base.get("artifact_root")
        if not root:
            run = self.get_run(remote_run_id) or {}
            root = base["artifact_root"] = (run.get("info") or {}).get("artifact_uri")
        if not isinstance(root, str):
            return None
        parts = urllib.parse.urlsplit(root)
        if parts.scheme == "mlflow-artifacts":
            prefix = parts.path.lstrip("/")
        elif parts.scheme in ("http", "https") and "/mlflow-artifacts/artifacts/" in parts.path:
            prefix = parts.path.split("/mlflow-artifacts/artifacts/", 1)[1]
        else:
            return None
        return f"{prefix.rstrip('/')}/{mp.safe_relpath(path)}"

    def artifact_files(self, remote_run_id: str, base: dict[str, Any]) -> list[tuple[str, int]]:
        """Every file under the run's artifact root, as (relative path, size), walked through the proxy."""
        top = self.artifact_path(remote_run_id, "x", base)
        if top is None:
            return []
        root = top[:-2]
        out: list[tuple[str, int]] = []
        stack = [""]
        seen = 0
        while stack:
            rel = stack.pop()
            for f in self.client.list_artifacts(f"{root}/{rel}".rstrip("/")):
                name = f.get("path")
                if not isinstance(name, str) or not name:
                    continue
                seen += 1
                if seen > 100_000:
                    raise SyncError(f"the server listed over 100,000 artifacts for run {remote_run_id}")
                child = f"{rel}/{name}" if rel and not name.startswith(rel + "/") else name
                child = mp.safe_relpath(child)
                if f.get("is_dir"):
                    stack.append(child)
                else:
                    size = f.get("file_size")
                    out.append((child, int(size) if isinstance(size, (int, str)) and str(size).isdigit() else 0))
        return out


def describe(uri: str) -> str:
    return one_line(uri)
