"""Module-level functions acting on the active run, plus reading and MLflow look-alikes.

Each ``log_*`` call forwards to the active :class:`~tuitrack.tracking.session.ActiveRun`
(starting one if none is active, as MLflow does).  The extra keyword arguments
MLflow scripts pass (``synchronous=``, ``run_id=``) are accepted so switching
means changing the import; the MLflow-only helpers (``set_tracking_uri``,
``get_experiment_by_name`` ...) map onto tuitrack's store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tuitrack.tracking import session as tracking
from tuitrack import validation
from tuitrack.errors import NoActiveRunError, ValidationError
from tuitrack.entities import FINISHED, Experiment, MetricPoint, Run
from tuitrack.store.core import Store, now_ms
from tuitrack.tracking.session import ActiveRun, active_run, open_store


def _active() -> ActiveRun:
    """The active run; like MLflow, logging with none active starts one."""
    run = active_run()
    return run if run is not None else tracking.start_run()


def _target(run_id: str | None) -> ActiveRun | None:
    """The active run, or the active run with that id; None means "a run that is not active here"."""
    if run_id is None:
        return _active()
    for run in [*reversed(tracking._tls.stack), *reversed(tracking._stack)]:  # this thread's first
        if run.id == run_id or run.id.startswith(run_id):
            return run
    return None


def end_run(status: str = FINISHED) -> None:
    run = active_run()
    if run is not None:
        run.end(status)


def last_active_run() -> Run | None:
    """The active run, else the most recently started run of this store (MLflow's ``last_active_run``)."""
    run = active_run()
    if run is not None:
        return get_run(run.id)
    store = open_store()
    rids = store.search_rids(None, "attributes.start_time DESC", max_results=1)
    return store.runs_by_rids(rids)[0] if rids else None


# -- params, metrics, tags ------------------------------------------------------------
def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    return _active().log_param(key, value)


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    run = _target(run_id)
    if run is None:
        _closed_run_params(run_id, params)
        return
    run.log_params(params)


def log_metric(key: str, value: Any, step: int | None = None, timestamp: int | None = None,
               synchronous: bool | None = None, run_id: str | None = None) -> None:
    """Log one point.  ``synchronous=True`` writes it before returning (default: buffered)."""
    stack = tracking._tls.stack
    if run_id is None and synchronous is None and stack:
        stack[-1].log_metric(key, value, step, timestamp)  # the hot path
        return
    run = _target(run_id)
    if run is None:
        _closed_run_metrics(run_id, {key: value}, step, timestamp)
        return
    run.log_metric(key, value, step, timestamp)
    if synchronous:
        run.flush()


def log_metrics(metrics: Mapping[str, Any], step: int | None = None, timestamp: int | None = None,
                synchronous: bool | None = None, run_id: str | None = None) -> None:
    run = _target(run_id)
    if run is None:
        _closed_run_metrics(run_id, metrics, step, timestamp)
        return
    run.log_metrics(metrics, step, timestamp)
    if synchronous:
        run.flush()


def _closed_run_metrics(run_id: str | None, metrics: Mapping[str, Any], step: int | None,
                        timestamp: int | None) -> None:
    """``run_id=`` naming a run that is not active here: validate, then write at once."""
    if not isinstance(metrics, Mapping):
        raise ValidationError(f"log_metrics takes a dict of key -> number, got {type(metrics).__name__}")
    store = tracking._writable_store()
    rid, full_id = store.resolve_run(str(run_id))
    ts = now_ms() if timestamp is None else validation.metric_timestamp("run_id", timestamp)
    summaries = store.get_run(full_id).data.summaries
    points = []
    for key, value in metrics.items():
        validation.validate_key(key, "metric key")
        val = validation.metric_value(key, value)
        s = validation.metric_step(key, step) if step is not None else (
            summaries[key].step + 1 if key in summaries else 0)
        points.append((rid, key, val, s, ts))
    store.write_metrics(points)


def _closed_run_params(run_id: str | None, params: Mapping[str, Any]) -> None:
    store = tracking._writable_store()
    rid, _ = store.resolve_run(str(run_id))
    store.log_params(rid, {validation.validate_key(k, "param key"): validation.param_value(k, v)
                           for k, v in params.items()})


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _active().set_tag(key, value)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    _active().set_tags(tags)


def delete_tag(key: str) -> None:
    run = active_run()
    if run is None:
        raise NoActiveRunError("delete_tag needs an active run")
    run.delete_tag(key)


# -- artifacts ------------------------------------------------------------------------
def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str | None:
    return _active().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
    return _active().log_artifacts(local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> str | None:
    return _active().log_text(text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> str | None:
    return _active().log_dict(dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> str | None:
    return _active().log_figure(figure, artifact_file)


def log_model(model: Any, name: str) -> str:
    return _active().log_model(model, name)


def log_input(data: Any, name: str | None = None, context: str | None = None) -> None:
    """Record a dataset; without ``name``, its ``.name``, file name or "dataset" is used."""
    if name is None:
        name = getattr(data, "name", None) if isinstance(getattr(data, "name", None), str) else None
        if name is None and isinstance(data, (str, os.PathLike)):
            name = Path(data).name or "dataset"
        name = name or "dataset"
    _active().log_input(data, name, context)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """``file://`` URI of the active run's artifact folder (or a path inside it)."""
    run = active_run()
    if run is None:
        raise NoActiveRunError("get_artifact_uri needs an active run")
    root = run.store.run_artifact_dir(run.id).resolve()
    rel = validation.artifact_path(artifact_path)
    return (root / rel if rel else root).as_uri()


def flush() -> int:
    """Write every buffered metric point now; returns how many were written."""
    return tracking.flush_all()


# -- reading ----------------------------------------------------------------------------
def get_run(run_id: str) -> Run:
    flush()
    return open_store().get_run(run_id)


def search_runs(filter_string: str | Sequence[Any] = "", order_by: list[str] | str | None = None,
                experiment_names: list[str] | None = None, max_results: int | None = None,
                include_deleted: bool = False, *, experiment_ids: Sequence[int | str] | None = None,
                output_format: str = "list") -> Any:
    """Runs matching a filter, as a list of ``Run`` (``output_format="pandas"``: a DataFrame).

    MLflow's first positional argument is ``experiment_ids``; a list passed there is
    taken as such.
    """
    if isinstance(filter_string, (list, tuple)):
        experiment_ids, filter_string = list(filter_string), ""
    flush()
    store = open_store()
    ids: list[int] | None = None
    if experiment_names:
        ids = store.experiment_ids(experiment_names)
    if experiment_ids is not None:
        ids = (ids or []) + [tracking._experiment_id_value(i) for i in experiment_ids]
    runs = store.search_runs(filter_string or None, order_by, experiment_ids=ids, max_results=max_results,
                             include_deleted=include_deleted)
    if output_format == "list":
        return runs
    if output_format == "pandas":
        return _to_frame(runs)
    raise ValidationError(f"output_format must be 'list' or 'pandas', got {output_format!r}")


def _to_frame(runs: list[Run]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ValidationError("output_format='pandas' needs pandas: pip install pandas") from None
    rows = []
    for run in runs:
        row: dict[str, Any] = {"run_id": run.id, "run_name": run.info.run_name, "experiment": run.info.experiment,
                               "status": run.info.status, "start_time": run.info.start_time,
                               "end_time": run.info.end_time}
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def get_metric_history(run_id: str, key: str, max_points: int | None = None) -> list[MetricPoint]:
    flush()
    return open_store().get_metric_history(run_id, key, max_points)


def list_experiments() -> list[Experiment]:
    return open_store().list_experiments()


def search_experiments() -> list[Experiment]:
    """MLflow's name for ``list_experiments``."""
    return list_experiments()


def get_experiment_by_name(name: str) -> Experiment | None:
    return open_store().get_experiment(name=name)


def get_experiment(experiment_id: int | str) -> Experiment:
    exp = open_store().get_experiment(tracking._experiment_id_value(experiment_id))
    if exp is None:
        raise ValidationError(f"no experiment with id {experiment_id!r}")
    return exp


def create_experiment(name: str) -> int:
    """Create an experiment (it must not exist yet, as in MLflow); returns its id."""
    validation.experiment_name(name)
    store = tracking._writable_store()
    if store.get_experiment(name=name) is not None:
        raise ValidationError(f"experiment {name!r} already exists")
    return store.experiment_id(name)


def list_artifacts(run_id: str) -> list:
    return open_store().list_artifacts(run_id)


def artifact_path(run_id: str, path: str) -> Path:
    """The local file of a run's artifact (for reading it with your own tools)."""
    return open_store().artifact_file(run_id, path)


def read_artifact(run_id: str, path: str) -> bytes:
    return artifact_path(run_id, path).read_bytes()


def load_model(model_uri: str) -> Any:
    """Load a model saved with ``log_model`` from ``runs:/<run_id>/<name>``."""
    from tuitrack.tracking.artifacts import load_model as _load

    return _load(open_store(), model_uri)


def delete_run(run_id: str) -> None:
    """Soft-delete a run (hidden from listings; ``tuitrack restore`` brings it back)."""
    store: Store = tracking._writable_store()
    rid, full_id = store.resolve_run(run_id)
    if any(r.id == full_id for r in tracking._stack):
        raise ValidationError(f"run {full_id[:8]} is active; end it before deleting it")
    store.update_run_fields(rid, deleted_at=now_ms())


# -- tracking URI (MLflow's way of choosing a store) -------------------------------------
def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Use the store folder named by a path or ``file:`` URI (MLflow's server/sqlite URIs are refused)."""
    text = os.fspath(uri)
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif text.startswith("file:"):
        text = text[len("file:"):]
    elif "://" in text or text.startswith("sqlite:"):
        raise ValidationError(
            f"tracking URI {text!r} is not a tuitrack store: tuitrack stores are folders (a path or file: URI); "
            "to bring runs over from MLflow, use `tuitrack import mlflow PATH`")
    tracking.set_store(text)


def get_tracking_uri() -> str:
    return tracking.get_store_path().resolve().as_uri()
