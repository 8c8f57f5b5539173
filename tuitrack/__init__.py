"""tuitrack: experiment tracking that lives in the terminal.

``import tuitrack`` gives the MLflow-shaped logging API.  It never imports
textual or rich, so logging from a training script stays light; the TUI lives
in ``tuitrack.tui`` and is started by the ``tuitrack`` command.
"""

from __future__ import annotations

from tuitrack.entities import Artifact, DatasetInput, Experiment, MetricPoint, MetricSummary, Run, RunData, RunInfo
from tuitrack.errors import (
    ActiveRunError,
    AmbiguousRunError,
    NoActiveRunError,
    NotATuitrackStoreError,
    ParamConflictError,
    ReadOnlyStoreError,
    RunNotFoundError,
    StorageFullError,
    StoreError,
    StoreNotFoundError,
    StoreVersionError,
    TuitrackError,
    ValidationError,
)
from tuitrack.query.filter import FilterError
from tuitrack.tracking.client import MlflowClient
from tuitrack.tracking.fluent import (
    artifact_path,
    autolog,
    create_experiment,
    delete_run,
    delete_tag,
    end_run,
    flush,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_parent_run,
    get_run,
    get_tracking_uri,
    last_active_run,
    list_artifacts,
    list_experiments,
    load_model,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    log_text,
    read_artifact,
    search_experiments,
    search_runs,
    set_experiment_tag,
    set_experiment_tags,
    set_tag,
    set_tags,
    set_tracking_uri,
)
from tuitrack.tracking.session import (
    ActiveRun,
    active_run,
    close_store,
    configure,
    get_store_path,
    open_store,
    reset,
    set_experiment,
    set_store,
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "ActiveRunError",
    "AmbiguousRunError",
    "Artifact",
    "DatasetInput",
    "Experiment",
    "FilterError",
    "MetricPoint",
    "MetricSummary",
    "MlflowClient",
    "NoActiveRunError",
    "NotATuitrackStoreError",
    "ParamConflictError",
    "ReadOnlyStoreError",
    "Run",
    "RunData",
    "RunInfo",
    "RunNotFoundError",
    "StorageFullError",
    "StoreError",
    "StoreNotFoundError",
    "StoreVersionError",
    "TuitrackError",
    "ValidationError",
    "active_run",
    "artifact_path",
    "autolog",
    "close_store",
    "configure",
    "create_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_parent_run",
    "get_run",
    "get_store_path",
    "get_tracking_uri",
    "last_active_run",
    "list_artifacts",
    "list_experiments",
    "load_model",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "open_store",
    "read_artifact",
    "reset",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_store",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

# MLflow's submodules (mlflow.sklearn, mlflow.pyfunc, mlflow.data, mlflow.models) as attributes, imported on first
# use so that `import tuitrack` stays standard-library only and quick.
_LAZY_SUBMODULES = ("sklearn", "pyfunc", "data", "models", "entities", "tracking", "yaml_text")


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"tuitrack.{name}")
    raise AttributeError(f"module 'tuitrack' has no attribute {name!r}")
