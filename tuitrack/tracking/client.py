"""``MlflowClient``: MLflow's lower-level client, over a tuitrack store.

Every method names its run by id (or a unique id prefix), so scripts that manage
runs explicitly (``create_run`` ... ``log_batch`` ... ``set_terminated``) run unchanged.
Experiment ids are strings as in MLflow.  Writes go to the store at once; a run that
is active in this process gets them through its handle, so its buffered points and
step counters stay in order.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.entities import FINISHED, RUNNING, STATUSES, Experiment, Metric, MetricPoint, Param, Run, RunTag, ViewType
from tuitrack.errors import ValidationError
from tuitrack.store.core import Store, now_ms
from tuitrack.tracking import fluent, session

__all__ = ["FileInfo", "MlflowClient"]


@dataclass(frozen=True)
class FileInfo:
    """One entry of ``list_artifacts``: a file (with its size) or a folder."""

    path: str
    is_dir: bool
    file_size: int | None


class PagedList(list):
    """A list with MLflow's ``token`` attribute (tuitrack returns every match in one page)."""

    token: str | None = None


def _store_path_of(uri: str | os.PathLike[str] | None) -> Path | None:
    if uri is None:
        return None
    text = os.fspath(uri)
    if text.startswith("file://"):
        text = text[len("file://") :]
    elif text.startswith("file:"):
        text = text[len("file:") :]
    elif "://" in text or text.startswith(("sqlite:", "databricks")):
        raise ValidationError(
            f"tracking URI {text!r} is not a tuitrack store: tuitrack stores are folders (a path or file: URI); "
            "to bring runs over from MLflow, use `tuitrack import mlflow PATH`"
        )
    return Path(text).expanduser()


class MlflowClient:
    """MLflow's client API on the current store (or the store folder given as ``tracking_uri``)."""

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None, registry_uri: str | None = None):
        self._path = _store_path_of(tracking_uri)

    @property
    def tracking_uri(self) -> str:
        return self._where().resolve().as_uri()

    # -- plumbing ------------------------------------------------------------------------
    def _where(self) -> Path:
        return self._path if self._path is not None else session.get_store_path()

    def _here(self) -> bool:
        """True when this client's store is the one the fluent API logs to."""
        return self._path is None or self._path == session.get_store_path()

    def _read(self) -> Store:
        session.flush_all()
        return session.open_store(self._where())

    def _write(self) -> Store:
        if self._here():
            return session._writable_store()
        return session.writable_store(self._where())

    def _active(self, run_id: str) -> Any:
        """The live handle of ``run_id`` when that run is active in this process on this store."""
        if not self._here():
            return None
        return fluent._target(str(run_id))

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        return fluent._create_experiment(name, tags, self._write)

    def get_experiment(self, experiment_id: int | str) -> Experiment:
        store = self._read()
        exp = store.get_experiment(session._experiment_id_value(experiment_id))
        if exp is None:
            raise ValidationError(f"no experiment with id {experiment_id!r}")
        return fluent.public_experiment(exp, store=store)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        store = self._read()
        exp = store.get_experiment(name=name)
        return fluent.public_experiment(exp, store=store) if exp is not None else None

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[Experiment]:
        return PagedList(
            fluent.search_experiments(
                view_type=view_type,
                max_results=max_results,
                filter_string=filter_string,
                order_by=order_by,
                _store=self._read(),
            )
        )

    def set_experiment_tag(self, experiment_id: int | str, key: str, value: Any) -> None:
        store = self._write()
        store.set_experiment_tags(
            session._experiment_id_value(experiment_id),
            {validation.validate_key(key, "tag key"): validation.tag_value(key, value)},
        )

    # -- runs ----------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: int | str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """A new RUNNING run (not made active: log to it by id, end it with ``set_terminated``)."""
        store = self._write()
        tags = dict(tags or {})
        name = run_name if run_name is not None else tags.pop("mlflow.runName", None)
        tags.pop("mlflow.runName", None)
        parent = tags.pop("mlflow.parentRunId", None)
        note = tags.pop("mlflow.note.content", None)
        exp_name = session._experiment_name_for_id(store, experiment_id)
        run_id = session.create_detached_run(
            store, exp_name, name=name, tags=tags, parent_id=parent, note=note, start_time=start_time
        )
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> Run:
        return fluent.public_run(self._read().get_run(str(run_id)), with_inputs=True, store=self._read())

    def get_parent_run(self, run_id: str) -> Run | None:
        run = self._read().get_run(str(run_id))
        return self.get_run(run.info.parent_id) if run.info.parent_id else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        store = self._write()
        rid, _ = store.resolve_run(str(run_id))
        if name is not None:
            store.update_run_fields(rid, name=validation.run_name(name) or name)
        if status is not None and status != RUNNING:
            self.set_terminated(run_id, status)

    def set_terminated(self, run_id: str, status: str = FINISHED, end_time: int | None = None) -> None:
        if status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        handle = self._active(run_id)
        if handle is not None:
            handle.end(status)
            return
        store = self._write()
        rid, _ = store.resolve_run(str(run_id))
        store.end_run(rid, status, end_time=end_time if end_time is not None else now_ms())

    def delete_run(self, run_id: str) -> None:
        store = self._write()
        rid, _ = store.resolve_run(str(run_id))
        store.update_run_fields(rid, deleted_at=now_ms())

    def restore_run(self, run_id: str) -> None:
        store = self._write()
        rid, _ = store.resolve_run(str(run_id))
        store.update_run_fields(rid, deleted_at=None)

    def search_runs(
        self,
        experiment_ids: Sequence[int | str] | int | str | None = None,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[Run]:
        """Runs as a list of ``Run`` (MLflow's client returns a list too; the module-level one a DataFrame)."""
        if isinstance(experiment_ids, (int, str)):
            experiment_ids = [experiment_ids]
        runs = fluent.search_runs(
            experiment_ids=experiment_ids,
            filter_string=filter_string,
            run_view_type=run_view_type,
            max_results=max_results,
            order_by=order_by,
            output_format="list",
            _store=self._read(),
        )
        return PagedList(runs)

    # -- logging -------------------------------------------------------------------------
    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self.log_batch(run_id, params=[Param(key, value)])
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: Any,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.log_batch(run_id, metrics=[Metric(key, value, timestamp, step)])

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self.log_batch(run_id, tags=[RunTag(key, value)])

    def delete_tag(self, run_id: str, key: str) -> None:
        store = self._write()
        rid, full = store.resolve_run(str(run_id))
        validation.validate_key(key, "tag key")
        if not store.delete_tags(rid, [key]):
            raise ValidationError(f"run {full[:8]} has no tag {key!r}")

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Params, tags and metric points for one run; everything is validated before anything is written."""
        metrics, params, tags = list(metrics), list(params), list(tags)
        clean_params = {
            validation.validate_key(p.key, "param key"): validation.param_value(p.key, p.value) for p in params
        }
        clean_tags: dict[str, str] = {}
        fields: dict[str, Any] = {}
        for t in tags:
            key = validation.validate_key(t.key, "tag key")
            value = validation.tag_value(key, t.value)
            if key == "mlflow.runName":
                fields["name"] = validation.run_name(value) or value
            elif key == "mlflow.note.content":
                fields["note"] = validation.note_text(value)
            else:
                clean_tags[key] = value
        handle = self._active(run_id)
        store = self._write()
        rid, full = store.resolve_run(str(run_id))
        if clean_params:
            store.log_params(rid, clean_params)
        if clean_tags:
            store.set_tags(rid, clean_tags)
        if fields:
            store.update_run_fields(rid, **fields)
        if metrics:
            if handle is not None:
                for m in metrics:
                    handle.log_metric(m.key, m.value, m.step, m.timestamp)
                handle.flush()
            else:
                fluent.write_points(store, rid, full, [(m.key, m.value, m.step, m.timestamp) for m in metrics])

    # -- reading -------------------------------------------------------------------------
    def get_metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        return self._read().get_metric_history(str(run_id), key)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly under ``path`` (the run's artifact root by default)."""
        prefix = validation.artifact_path(path) if path else ""
        out: dict[str, FileInfo] = {}
        for art in self._read().list_artifacts(str(run_id)):
            if prefix and not art.path.startswith(prefix + "/"):
                continue
            rest = art.path[len(prefix) + 1 :] if prefix else art.path
            head, sep, _ = rest.partition("/")
            full = f"{prefix}/{head}" if prefix else head
            out[full] = FileInfo(full, True, None) if sep else FileInfo(full, False, art.size)
        return [out[k] for k in sorted(out)]

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy an artifact (file or folder) to ``dst_path`` (default: a new temporary folder); returns the copy."""
        store = self._read()
        src = store.artifact_file(str(run_id), path) if path else store.artifact_file(str(run_id), ".")
        dest_root = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="tuitrack-artifacts-"))
        dest_root.mkdir(parents=True, exist_ok=True)
        dest = dest_root / src.name
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".tmp-*"))
        else:
            shutil.copyfile(src, dest)
        return str(dest)

    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        self._artifacts(run_id).log_artifact(local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        self._artifacts(run_id).log_artifacts(local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self._artifacts(run_id).log_text(text, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        self._artifacts(run_id).log_dict(dictionary, artifact_file)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str, **kwargs: Any) -> None:
        self._artifacts(run_id).log_figure(figure, artifact_file)

    def log_inputs(self, run_id: str, datasets: Sequence[Any] | None = None, **kwargs: Any) -> None:
        target = self._artifacts(run_id)
        for item in datasets or []:
            dataset = getattr(item, "dataset", item)
            context = None
            for tag in getattr(item, "tags", None) or []:
                if getattr(tag, "key", None) == "mlflow.data.context":
                    context = tag.value
            target.log_input(dataset, getattr(dataset, "name", None) or "dataset", context)

    def _artifacts(self, run_id: str) -> Any:
        handle = self._active(run_id)
        if handle is not None:
            return handle
        from tuitrack.tracking.artifacts import DetachedRun

        store = self._write()
        rid, full = store.resolve_run(str(run_id))
        return DetachedRun(store, rid, full)
