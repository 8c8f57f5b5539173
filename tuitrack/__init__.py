"""tuitrack: experiment tracking that lives in the terminal.

``import tuitrack`` gives the MLflow-shaped logging API.  It never imports
textual or rich, so logging from a training script stays light; the TUI lives
in ``tuitrack.tui`` and is started by the ``tuitrack`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # the same names, for type checkers and editors
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

#: The logging API, imported on first use (``tuitrack.start_run``, ``from tuitrack import log_metric``): importing
#: ``tuitrack`` (which every ``tuitrack.*`` module does first) then loads only what its caller needs; the
#: ``tuitrack`` command opens the browser without loading the logging side (issue #16 item 15).
_LAZY_NAMES = {
    "MlflowClient": "tuitrack.tracking.client",
    "artifact_path": "tuitrack.tracking.fluent",
    "autolog": "tuitrack.tracking.fluent",
    "create_experiment": "tuitrack.tracking.fluent",
    "delete_run": "tuitrack.tracking.fluent",
    "delete_tag": "tuitrack.tracking.fluent",
    "end_run": "tuitrack.tracking.fluent",
    "flush": "tuitrack.tracking.fluent",
    "get_artifact_uri": "tuitrack.tracking.fluent",
    "get_experiment": "tuitrack.tracking.fluent",
    "get_experiment_by_name": "tuitrack.tracking.fluent",
    "get_metric_history": "tuitrack.tracking.fluent",
    "get_parent_run": "tuitrack.tracking.fluent",
    "get_run": "tuitrack.tracking.fluent",
    "get_tracking_uri": "tuitrack.tracking.fluent",
    "last_active_run": "tuitrack.tracking.fluent",
    "list_artifacts": "tuitrack.tracking.fluent",
    "list_experiments": "tuitrack.tracking.fluent",
    "load_model": "tuitrack.tracking.fluent",
    "log_artifact": "tuitrack.tracking.fluent",
    "log_artifacts": "tuitrack.tracking.fluent",
    "log_dict": "tuitrack.tracking.fluent",
    "log_figure": "tuitrack.tracking.fluent",
    "log_image": "tuitrack.tracking.fluent",
    "log_input": "tuitrack.tracking.fluent",
    "log_metric": "tuitrack.tracking.fluent",
    "log_metrics": "tuitrack.tracking.fluent",
    "log_model": "tuitrack.tracking.fluent",
    "log_param": "tuitrack.tracking.fluent",
    "log_params": "tuitrack.tracking.fluent",
    "log_text": "tuitrack.tracking.fluent",
    "read_artifact": "tuitrack.tracking.fluent",
    "search_experiments": "tuitrack.tracking.fluent",
    "search_runs": "tuitrack.tracking.fluent",
    "set_experiment_tag": "tuitrack.tracking.fluent",
    "set_experiment_tags": "tuitrack.tracking.fluent",
    "set_tag": "tuitrack.tracking.fluent",
    "set_tags": "tuitrack.tracking.fluent",
    "set_tracking_uri": "tuitrack.tracking.fluent",
    "ActiveRun": "tuitrack.tracking.session",
    "active_run": "tuitrack.tracking.session",
    "close_store": "tuitrack.tracking.session",
    "configure": "tuitrack.tracking.session",
    "get_store_path": "tuitrack.tracking.session",
    "open_store": "tuitrack.tracking.session",
    "reset": "tuitrack.tracking.session",
    "set_experiment": "tuitrack.tracking.session",
    "set_store": "tuitrack.tracking.session",
    "start_run": "tuitrack.tracking.session",
}

# MLflow's submodules (mlflow.sklearn, mlflow.pyfunc, mlflow.data, mlflow.models) as attributes, imported on first
# use so that `import tuitrack` stays standard-library only and quick.
_LAZY_SUBMODULES = ("sklearn", "pyfunc", "data", "models", "entities", "tracking", "yaml_text")


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        if getattr(value, "__module__", None) == _LAZY_NAMES[name]:
            # Later lookups are plain attribute reads; a stand-in (a test's mock of the function) is not kept.
            globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"tuitrack.{name}")
    raise AttributeError(f"module 'tuitrack' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_LAZY_SUBMODULES))
