"""The public names of ``import tuitrack`` (and ``import tuitrack as mlflow``): moving modules must not change them."""

from __future__ import annotations

import subprocess
import sys

import tuitrack

PUBLIC = [
    "ActiveRun",
    "ActiveRunError",
    "AmbiguousRunError",
    "Artifact",
    "DatasetInput",
    "Experiment",
    "FilterError",
    "MetricPoint",
    "MetricSummary",
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
    "set_store",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "MlflowClient",
    "autolog",
    "get_parent_run",
    "set_experiment_tag",
    "set_experiment_tags",
]


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(tuitrack.__all__) == sorted(PUBLIC)
    assert len(set(tuitrack.__all__)) == len(tuitrack.__all__)


def test_every_public_name_resolves_and_star_import_gives_them() -> None:
    missing = [name for name in PUBLIC if not hasattr(tuitrack, name)]
    assert missing == []
    namespace: dict[str, object] = {}
    exec("from tuitrack import *", namespace)
    assert set(PUBLIC) <= set(namespace)


def _printed(code: str) -> list[str]:
    """The words ``code`` prints, run in a fresh Python (imports and module state start clean there)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_import_as_mlflow_logs_a_run(tmp_path) -> None:
    code = (
        "import tuitrack as mlflow\n"
        f"mlflow.set_store({str(tmp_path / 's')!r}); mlflow.configure(capture_env=False, capture_packages=False)\n"
        "with mlflow.start_run(run_name='r') as run:\n"
        "    mlflow.log_param('lr', 0.1); mlflow.log_metric('loss', 0.5, step=1)\n"
        "r = mlflow.get_run(run.info.run_id)\n"
        "print(r.data.params['lr'], r.data.metrics['loss'])\n"
    )
    assert _printed(code) == ["0.1", "0.5"]


def test_importing_the_tui_has_no_side_effects() -> None:
    """No environment variable set, no Textual loaded, until an app is created."""
    code = (
        "import os, sys; before = dict(os.environ); import tuitrack.tui; "
        "print(dict(os.environ) == before, 'textual' in sys.modules)"
    )
    assert _printed(code) == ["True", "False"]


def test_the_logging_api_loads_on_first_use_of_a_name() -> None:
    """``import tuitrack`` (which every tuitrack.* module runs first) leaves the logging side unloaded; the first
    public name used loads it, in a fresh process, whichever way the name is reached."""
    code = (
        "import sys, tuitrack\n"
        "print('tuitrack.tracking.session' in sys.modules, 'tuitrack.tracking.fluent' in sys.modules)\n"
        "from tuitrack import log_metric\n"
        "print(log_metric.__module__, 'start_run' in dir(tuitrack), tuitrack.start_run.__module__)\n"
        "print(tuitrack.MlflowClient.__module__, tuitrack.start_run is tuitrack.tracking.session.start_run)\n"
        "try:\n"
        "    tuitrack.no_such_name\n"
        "except AttributeError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    assert _printed(code) == [
        "False",
        "False",
        "tuitrack.tracking.fluent",
        "True",
        "tuitrack.tracking.session",
        "tuitrack.tracking.client",
        "True",
        "AttributeError",
    ]


def test_a_name_first_read_while_patched_does_not_keep_the_patch() -> None:
    """A test that patches the logging module before anything read ``tuitrack.start_run`` must get the real one
    back when its patch ends (the first read caches the name in the package)."""
    code = (
        "from unittest import mock\n"
        "import tuitrack, tuitrack.tracking.session as s\n"
        "with mock.patch.object(s, 'start_run'):\n"
        "    print(type(tuitrack.start_run).__name__)\n"
        "print(tuitrack.start_run is s.start_run, type(tuitrack.start_run).__name__)\n"
    )
    assert _printed(code) == ["MagicMock", "True", "function"]
