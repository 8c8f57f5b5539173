"""Module-level functions acting on the active run, plus reading and MLflow look-alikes.

Each ``log_*`` call forwards to the active :class:`~tuitrack.tracking.session.ActiveRun`
(starting one if none is active, as MLflow does).  The extra keyword arguments
MLflow scripts pass (``synchronous=``, ``run_id=``) are accepted so switching
means changing the import; the MLflow-only helpers (``set_tracking_uri``,
``get_experiment_by_name`` ...) map onto tuitrack's store.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.entities import FINISHED, Experiment, MetricPoint, Run, RunInputs, ViewType
from tuitrack.errors import MissingPackageError, NoActiveRunError, ValidationError
from tuitrack.store.core import DEFAULT_EXPERIMENT, Store, now_ms
from tuitrack.tracking import session as tracking
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


def log_metric(
    key: str,
    value: Any,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
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


def log_metrics(
    metrics: Mapping[str, Any],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    run = _target(run_id)
    if run is None:
        _closed_run_metrics(run_id, metrics, step, timestamp)
        return
    run.log_metrics(metrics, step, timestamp)
    if synchronous:
        run.flush()


def _closed_run_metrics(
    run_id: str | None, metrics: Mapping[str, Any], step: int | None, timestamp: int | None
) -> None:
    """``run_id=`` naming a run that is not active here: validate, then write at once."""
    if not isinstance(metrics, Mapping):
        raise ValidationError(f"log_metrics takes a dict of key -> number, got {type(metrics).__name__}")
    store = tracking._writable_store()
    rid, full_id = store.resolve_run(str(run_id))
    write_points(store, rid, full_id, [(k, v, step, timestamp) for k, v in metrics.items()])


def write_points(
    store: Store, rid: int, run_id: str, points: Sequence[tuple[str, Any, int | None, int | None]]
) -> None:
    """(key, value, step, timestamp) points for a run that is not active here, validated first, written at
    once; a point without a step takes the key's next step, as in an active run."""
    summaries = store.get_run(run_id).data.summaries
    next_step = {k: s.step + 1 for k, s in summaries.items()}
    now = now_ms()
    rows = []
    for key, value, step, timestamp in points:
        validation.validate_key(key, "metric key")
        val = validation.metric_value(key, value)
        ts = now if timestamp is None else validation.metric_timestamp(key, timestamp)
        st = validation.metric_step(key, step) if step is not None else next_step.get(key, 0)
        next_step[key] = max(next_step.get(key, 0), st + 1)
        rows.append((rid, key, val, st, ts))
    store.write_metrics(rows)


def _closed_run_params(run_id: str | None, params: Mapping[str, Any]) -> None:
    store = tracking._writable_store()
    rid, _ = store.resolve_run(str(run_id))
    store.log_params(
        rid, {validation.validate_key(k, "param key"): validation.param_value(k, v) for k, v in params.items()}
    )


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


def log_image(
    image: Any,
    key: str | None = None,
    step: int | None = None,
    artifact_file: str | None = None,
    timestamp: int | None = None,
) -> str | None:
    return _active().log_image(image, key=key, step=step, artifact_file=artifact_file, timestamp=timestamp)


def log_model(model: Any, name: str | None = None, **kwargs: Any) -> Any:
    """Log a model folder in MLflow's format; returns a model info whose ``.model_uri`` loads it back.

    Takes MLflow's keywords (``artifact_path=``, ``signature=``, ``input_example=``, ``pip_requirements=``,
    ``registered_model_name=`` (warns: no registry) ...); scikit-learn models get the sklearn flavor.
    """
    return _active().log_model(model, name, **kwargs)


def _active_for_model(run_id: str | None) -> ActiveRun:
    """The run a flavor's ``log_model`` writes to: ``run_id``'s handle when that run is active here, else
    the active run (one is started, as MLflow does)."""
    if run_id is None:
        return _active()
    run = _target(run_id)
    if run is None:
        raise ValidationError(f"log_model(run_id={run_id!r}): that run is not active in this process")
    return run


def get_parent_run(run_id: str) -> Run | None:
    """The parent of a nested run (None for a top-level run), as MLflow's ``get_parent_run``."""
    flush()
    store = open_store()
    run = store.get_run(run_id)
    if not run.info.parent_id:
        return None
    return public_run(store.get_run(run.info.parent_id), store=store)


def autolog(*args: Any, **kwargs: Any) -> None:
    """MLflow's ``autolog()``: turns on autologging for the libraries tuitrack has it for (scikit-learn)
    when they are installed; without them it does nothing, as MLflow's does.  The arguments are
    ``tuitrack.sklearn.autolog``'s (``log_models=``, ``disable=``, ``silent=`` ...), passed on as given."""
    import importlib.util

    if "sklearn" not in sys.modules and importlib.util.find_spec("sklearn") is None:
        return
    from tuitrack import sklearn as _sklearn

    _sklearn.autolog(*args, **kwargs)


def log_input(
    data: Any,
    name: str | None = None,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    model: Any = None,
) -> None:
    """Record a dataset (a path, DataFrame, array, list, or a ``tuitrack.data`` dataset); without ``name``,
    its ``.name``, file name or "dataset" is used.  MLflow's ``tags=``/``model=`` are accepted and not stored."""
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
    """A run with its info, data and inputs (datasets); experiment ids come back as strings, as in MLflow."""
    flush()
    store = open_store()
    return public_run(store.get_run(run_id), store=store)


def public_run(run: Run, *, store: Store | None = None, with_inputs: bool = True) -> Run:
    """A run as the MLflow-shaped API hands it out: the experiment id as a string, inputs filled in."""
    inputs = RunInputs(store.list_inputs(run.id)) if with_inputs and store is not None else run.inputs
    return replace(run, info=replace(run.info, experiment_id=str(run.info.experiment_id)), inputs=inputs)


def public_experiment(
    exp: Experiment, tags: dict[int, dict[str, str]] | None = None, store: Store | None = None
) -> Experiment:
    if tags is None:
        tags = store.experiment_tags(int(exp.experiment_id)) if store is not None else {}
    return replace(exp, experiment_id=str(exp.experiment_id), tags=dict(tags.get(int(exp.experiment_id), {})))


def _current_experiment_ids(store: Store) -> list[int]:
    """The experiment MLflow's search_runs searches when given none: the one set, else the default one."""
    name = tracking._experiment or os.environ.get("TUITRACK_EXPERIMENT") or DEFAULT_EXPERIMENT
    try:
        return store.experiment_ids([name])
    except LookupError:
        return []


def search_runs(
    experiment_ids: Sequence[int | str] | int | str | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    order_by: list[str] | str | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
    include_deleted: bool = False,
    *,
    _store: Store | None = None,
) -> Any:
    """Runs matching a filter: a pandas DataFrame as MLflow's ``search_runs`` returns
    (``output_format="list"``: a list of ``Run``, which needs no pandas).

    With no ``experiment_ids``/``experiment_names``, the current experiment is searched (the one
    ``set_experiment`` chose, else the default one), as in MLflow; ``search_all_experiments=True``
    searches every experiment.  tuitrack's own spelling, a filter string first
    (``search_runs("metrics.auc > 0.8", order_by=[...])``), works too.
    """
    if isinstance(experiment_ids, str) and not experiment_ids.strip().isdigit():
        # tuitrack's form: the filter first (then the second positional, if any, is order_by)
        if isinstance(filter_string, (list, tuple)) and order_by is None:
            order_by, filter_string = list(filter_string), ""
        filter_string = filter_string or experiment_ids
        experiment_ids = None
    if isinstance(experiment_ids, (int, str)):
        experiment_ids = [experiment_ids]
    if include_deleted:
        run_view_type = ViewType.ALL
    if run_view_type not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL):
        raise ValidationError(f"run_view_type must be ViewType.ACTIVE_ONLY, DELETED_ONLY or ALL, got {run_view_type!r}")
    if output_format not in ("pandas", "list"):
        raise ValidationError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    if output_format == "pandas":
        _pandas()  # say what to install before searching
    flush()
    store = _store if _store is not None else open_store()
    ids: list[int] | None = None
    if experiment_names:
        ids = store.experiment_ids(experiment_names)
    if experiment_ids is not None:
        ids = (ids or []) + [tracking._experiment_id_value(i) for i in experiment_ids]
    if ids is None and not search_all_experiments:
        ids = _current_experiment_ids(store)
    deleted_only = run_view_type == ViewType.DELETED_ONLY
    runs = store.search_runs(
        filter_string or None,
        order_by,
        experiment_ids=ids,
        max_results=None if deleted_only else max_results,
        include_deleted=run_view_type != ViewType.ACTIVE_ONLY,
    )
    if deleted_only:
        runs = [r for r in runs if r.info.deleted_at is not None]
        if max_results is not None:
            runs = runs[:max_results]
    runs = [public_run(r, with_inputs=False) for r in runs]
    if output_format == "list":
        return runs
    return _to_frame(runs, store)


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise MissingPackageError(
            "search_runs returns a pandas DataFrame, as MLflow's does: pip install pandas, "
            "or pass output_format='list' for a list of Run"
        ) from None
    return pd


def mlflow_tags(run: Run) -> dict[str, str]:
    """The run's tags plus the ``mlflow.*`` tags MLflow would show for what tuitrack keeps as attributes."""
    info = run.info
    tags = {"mlflow.runName": info.run_name}
    if info.user:
        tags["mlflow.user"] = info.user
    if info.source:
        tags["mlflow.source.name"] = info.source
    if info.parent_id:
        tags["mlflow.parentRunId"] = info.parent_id
    if info.note:
        tags["mlflow.note.content"] = info.note
    tags.update(run.data.tags)
    return tags


def _to_frame(runs: list[Run], store: Store) -> Any:
    """MLflow's DataFrame: run_id, experiment_id, status, artifact_uri, start/end time (UTC), metrics.*,
    params.*, tags.* (columns of keys some run lacks hold NaN/None)."""
    pd = _pandas()
    base = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    rows = []
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    tag_keys: dict[str, None] = {}
    for run in runs:
        tags = mlflow_tags(run)
        metric_keys.update(dict.fromkeys(run.data.metrics))
        param_keys.update(dict.fromkeys(run.data.params))
        tag_keys.update(dict.fromkeys(tags))
        rows.append((run, tags))
    columns = (
        base
        + [f"metrics.{k}" for k in metric_keys]
        + [f"params.{k}" for k in param_keys]
        + [f"tags.{k}" for k in tag_keys]
    )
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for run, tags in rows:
        info = run.info
        data["run_id"].append(info.run_id)
        data["experiment_id"].append(str(info.experiment_id))
        data["status"].append(info.status)
        data["artifact_uri"].append(info.artifact_uri)
        data["start_time"].append(info.start_time)
        data["end_time"].append(info.end_time)
        for k in metric_keys:
            data[f"metrics.{k}"].append(run.data.metrics.get(k, math.nan))
        for k in param_keys:
            data[f"params.{k}"].append(run.data.params.get(k))
        for k in tag_keys:
            data[f"tags.{k}"].append(tags.get(k))
    frame = pd.DataFrame(data, columns=columns)
    for col in ("start_time", "end_time"):
        frame[col] = pd.to_datetime(frame[col], unit="ms", utc=True)
    for k in metric_keys:
        frame[f"metrics.{k}"] = frame[f"metrics.{k}"].astype("float64")
    return frame


def get_metric_history(run_id: str, key: str, max_points: int | None = None) -> list[MetricPoint]:
    flush()
    return open_store().get_metric_history(run_id, key, max_points)


def list_experiments() -> list[Experiment]:
    store = open_store()
    tags = store.experiment_tags()
    return [public_experiment(e, tags) for e in store.list_experiments()]


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    *,
    _store: Store | None = None,
) -> list[Experiment]:
    """MLflow's ``search_experiments``: every experiment (``view_type`` picks active/deleted/all); the
    filter supports ``name = / != / LIKE / ILIKE '...'`` and ``tags.KEY = '...'`` joined by AND."""
    store = _store if _store is not None else open_store()
    tags = store.experiment_tags()
    out = [public_experiment(e, tags) for e in store.list_experiments()]
    if view_type == ViewType.ACTIVE_ONLY:
        out = [e for e in out if e.deleted_at is None]
    elif view_type == ViewType.DELETED_ONLY:
        out = [e for e in out if e.deleted_at is not None]
    if filter_string:
        out = [e for e in out if _experiment_matches(e, filter_string)]
    if order_by:
        for term in reversed([order_by] if isinstance(order_by, str) else list(order_by)):
            key, _, direction = term.strip().partition(" ")
            key = key.split(".", 1)[-1] if key.startswith("attribute") else key
            attr = {"name": "name", "experiment_id": "experiment_id", "creation_time": "created_at"}.get(key)
            if attr is None:
                raise ValidationError(
                    f"search_experiments: cannot order by {term!r} (name, experiment_id, creation_time)"
                )
            rev = direction.strip().upper() == "DESC"
            out.sort(key=partial(_experiment_sort_key, attr), reverse=rev)
    return out[:max_results] if max_results is not None else out


def _experiment_sort_key(attr: str, exp: Experiment) -> Any:
    return int(exp.experiment_id) if attr == "experiment_id" else getattr(exp, attr)


def _experiment_matches(exp: Experiment, filter_string: str) -> bool:
    import re

    for clause in re.split(r"\s+AND\s+", filter_string.strip(), flags=re.IGNORECASE):
        m = re.fullmatch(
            r"""\s*(?:attributes?\.)?(name|tags?\.[`"]?([^`"\s=!<>]+)[`"]?)\s*(=|!=|LIKE|ILIKE)\s*(['"])(.*)\4\s*""",
            clause,
            flags=re.IGNORECASE,
        )
        if m is None:
            raise ValidationError(
                f"search_experiments: cannot read the filter clause {clause!r} "
                "(name = 'x', name LIKE 'x%', tags.KEY = 'x')"
            )
        value = exp.name if m.group(1).lower() == "name" else exp.tags.get(m.group(2) or "")
        op, wanted = m.group(3).upper(), m.group(5)
        if value is None:
            return False
        if (op == "=" and value != wanted) or (op == "!=" and value == wanted):
            return False
        if op in ("LIKE", "ILIKE"):
            pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in wanted)
            if not re.fullmatch(pattern, value, flags=re.IGNORECASE if op == "ILIKE" else 0 | re.DOTALL):
                return False
    return True


def get_experiment_by_name(name: str) -> Experiment | None:
    store = open_store()
    exp = store.get_experiment(name=name)
    return public_experiment(exp, store=store) if exp is not None else None


def get_experiment(experiment_id: int | str) -> Experiment:
    store = open_store()
    exp = store.get_experiment(tracking._experiment_id_value(experiment_id))
    if exp is None:
        raise ValidationError(f"no experiment with id {experiment_id!r}")
    return public_experiment(exp, store=store)


def create_experiment(name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None) -> str:
    """Create an experiment (it must not exist yet, as in MLflow); returns its id (a string, as MLflow's)."""
    return _create_experiment(name, tags, tracking._writable_store)


def _create_experiment(name: str, tags: Mapping[str, Any] | None, writable_store: Callable[[], Store]) -> str:
    """``create_experiment`` of the fluent API and of ``MlflowClient`` (each with its own store): the name and
    tags are checked before the store is opened."""
    validation.experiment_name(name)
    clean = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in (tags or {}).items()}
    store = writable_store()
    if store.get_experiment(name=name) is not None:
        raise ValidationError(f"experiment {name!r} already exists")
    exp_id = store.experiment_id(name)
    if clean:
        store.set_experiment_tags(exp_id, clean)
    return str(exp_id)


def set_experiment_tag(key: str, value: Any) -> None:
    """Tag the current experiment (the one ``set_experiment`` chose, else the default one)."""
    set_experiment_tags({key: value})


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    clean = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in tags.items()}
    store = tracking._writable_store()
    name = tracking._experiment or os.environ.get("TUITRACK_EXPERIMENT") or DEFAULT_EXPERIMENT
    store.set_experiment_tags(store.experiment_id(name), clean)


def list_artifacts(run_id: str) -> list:
    return open_store().list_artifacts(run_id)


def artifact_path(run_id: str, path: str) -> Path:
    """The local file of a run's artifact (for reading it with your own tools)."""
    return open_store().artifact_file(run_id, path)


def read_artifact(run_id: str, path: str) -> bytes:
    return artifact_path(run_id, path).read_bytes()


def load_model(model_uri: str) -> Any:
    """Load a model saved with ``log_model`` from ``runs:/<run_id>/<name>`` (or a model folder)."""
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
        text = text[len("file://") :]
    elif text.startswith("file:"):
        text = text[len("file:") :]
    elif "://" in text or text.startswith("sqlite:"):
        raise ValidationError(
            f"tracking URI {text!r} is not a tuitrack store: tuitrack stores are folders (a path or file: URI); "
            "to bring runs over from MLflow, use `tuitrack import mlflow PATH`"
        )
    tracking.set_store(text)


def get_tracking_uri() -> str:
    return tracking.get_store_path().resolve().as_uri()
