"""``import tuitrack`` must stay light: a training script loads none of the app's packages.

Every package in ``HEAVY`` is checked, after the import and after a whole logged run.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "rich", "textual_plotext", "plotext", "sqlite_utils", "click")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return {m.split(".")[0] for m in out.stdout.split()}


def test_import_tuitrack_loads_none_of_the_app_packages() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import tuitrack, sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_logging_a_run_stays_light(tmp_path) -> None:
    """Not just the import: a whole logged run (metrics, params, artifacts, a model) loads none of them."""
    code = (
        "import tuitrack\n"
        f"tuitrack.set_store({str(tmp_path / 's')!r}); tuitrack.configure(capture_env=False)\n"
        "with tuitrack.start_run(params={'a': 1}) as r:\n"
        "    tuitrack.log_metric('m', 1.0); tuitrack.log_text('x', 'x.txt'); tuitrack.log_model([1], 'model')\n"
        "tuitrack.search_runs('metrics.m > 0', output_format='list')\n"
        "tuitrack.get_metric_history(r.id, 'm', max_points=10)\n"
    )
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_mlflow_drop_in_imports_its_integrations_only_when_used(tmp_path) -> None:
    """`import tuitrack as mlflow` and a logged run load neither scikit-learn nor MLflow; the flavor modules
    (mlflow.sklearn, .pyfunc, .data, .models) load on first use and import their framework only when a
    function needs it; writing YAML never needs PyYAML (reading uses it when installed)."""
    code = (
        "import tuitrack as mlflow\n"
        f"mlflow.set_store({str(tmp_path / 's')!r}); mlflow.configure(capture_env=False)\n"
        "with mlflow.start_run() as r:\n"
        "    mlflow.log_dict({'a': [1]}, 'c.yaml'); mlflow.log_model({'w': 1}, 'model')\n"
        "mlflow.load_model(f'runs:/{r.info.run_id}/model'); mlflow.search_runs(output_format='list')\n"
        "mlflow.sklearn, mlflow.pyfunc, mlflow.models, mlflow.MlflowClient().get_run(r.info.run_id)\n"
    )
    loaded = _modules_after(code)
    assert not loaded & {"sklearn", "mlflow", "skops"}, loaded
    assert "yaml" not in _modules_after("import tuitrack")
    if "sqlite_utils" not in loaded:  # sqlite_utils itself imports pandas (and pyarrow, cloudpickle) when installed
        assert not loaded & {"pandas", "numpy", "cloudpickle"}, loaded
