"""MLflow-style scripts (tests/mlflow_scripts/) run with only the import changed, checked through the API.

Each script is written the way MLflow's quickstarts, examples and docs write it, with
``import tuitrack as mlflow`` (or ``from tuitrack import MlflowClient``) in place of
MLflow's import.  It runs in a fresh interpreter on a fresh store; then what it logged is
read back here through tuitrack's API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import tuitrack

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

SCRIPTS = Path(__file__).parent


def runs(**kw) -> list:
    return tuitrack.search_runs(output_format="list", search_all_experiments=True, **kw)


def one(name: str | None = None):
    found = [r for r in runs() if name is None or r.info.run_name == name]
    assert len(found) == 1, [r.info.run_name for r in found]
    return tuitrack.get_run(found[0].info.run_id)


def model_files(run_id: str, name: str) -> set[str]:
    return {a.path[len(name) + 1 :] for a in tuitrack.list_artifacts(run_id) if a.path.startswith(name + "/")}


def mlmodel(run_id: str, name: str) -> dict:
    from tuitrack import yaml_text

    return yaml_text.load(tuitrack.read_artifact(run_id, f"{name}/MLmodel").decode())


def check_01(tmp: Path) -> None:
    run = one()
    assert set(run.data.params) == {"config_value"} and run.info.status == "FINISHED"
    assert len(tuitrack.get_metric_history(run.id, "foo")) == 3
    assert tuitrack.read_artifact(run.id, "test.txt") == b"hello world!"


def check_02(tmp: Path) -> None:
    run = one()
    assert run.data.params == {"n_estimators": "100", "max_depth": "10"}
    assert 0.5 < run.data.metrics["accuracy"] <= 1.0
    assert {"MLmodel", "model.pkl", "requirements.txt", "python_env.yaml", "conda.yaml"} <= model_files(run.id, "model")
    flavors = mlmodel(run.id, "model")["flavors"]
    assert flavors["sklearn"]["serialization_format"] == "pickle"
    assert flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    reqs = tuitrack.read_artifact(run.id, "model/requirements.txt").decode().split()
    assert any(r.startswith("scikit-learn==") for r in reqs) and any(r.startswith("numpy==") for r in reqs)


def check_03(tmp: Path) -> None:
    run = one("baseline_rf")
    assert run.info.experiment == "churn-prediction-v1"
    assert {k: run.data.tags[k] for k in ("model_type", "author", "purpose")} == {
        "model_type": "random_forest",
        "author": "alice",
        "purpose": "baseline",
    }


def check_04(tmp: Path) -> None:
    run = one()
    assert run.data.metrics == {"accuracy": 0.82, "auc": 0.87}


def check_05(tmp: Path) -> None:
    run = one()
    assert run.info.experiment == "MLflow Quickstart"
    meta = mlmodel(run.id, "iris_model")
    assert json.loads(meta["signature"]["inputs"])[0]["type"] == "tensor"
    assert meta["saved_input_example_info"]["type"] == "ndarray"
    assert run.data.tags["Training Info"] == "Basic LR model for iris data"


def check_06(tmp: Path) -> None:
    run = one("ridge")
    meta = mlmodel(run.id, "ridge_model")
    assert meta["model_id"].startswith("m-") and meta["run_id"] == run.id
    assert meta["saved_input_example_info"]["type"] == "dataframe"
    assert {"input_example.json", "serving_input_example.json"} <= model_files(run.id, "ridge_model")


def check_07(tmp: Path) -> None:
    run = one("autolog-rf")
    assert run.data.params["n_estimators"] == "20" and run.data.params["max_depth"] == "6"
    assert {
        "training_score",
        "training_r2_score",
        "training_mean_squared_error",
        "training_root_mean_squared_error",
        "training_mean_absolute_error",
    } <= set(run.data.metrics)
    assert run.data.tags["estimator_name"] == "RandomForestRegressor"
    assert run.data.tags["estimator_class"] == "sklearn.ensemble._forest.RandomForestRegressor"
    assert "model/MLmodel" in {a.path for a in tuitrack.list_artifacts(run.id)}
    assert [i.context for i in tuitrack.open_store().list_inputs(run.id)] == ["train"]


def check_08(tmp: Path) -> None:
    parent = one("grid")
    assert {"best_C", "best_kernel"} <= set(parent.data.params)
    assert "best_cv_score" in parent.data.metrics and "training_accuracy_score" in parent.data.metrics
    kids = [r for r in runs() if r.info.parent_id == parent.id]
    assert len(kids) == 3  # max_tuning_runs=3 of 6 candidates
    ranks = sorted(k.data.metrics["rank_test_score"] for k in kids)
    assert ranks[0] == 1 and {"C", "kernel"} <= set(kids[0].data.params)
    paths = {a.path for a in tuitrack.list_artifacts(parent.id)}
    assert {"model/MLmodel", "best_estimator/MLmodel", "cv_results.csv"} <= paths


def check_09(tmp: Path) -> None:
    no_model, disabled = one("no-model"), one("disabled")
    assert "training_accuracy_score" in no_model.data.metrics and no_model.data.params["max_iter"] == "300"
    assert not [a for a in tuitrack.list_artifacts(no_model.id) if a.path.startswith("model/")]
    assert disabled.data.params == {} and disabled.data.metrics == {}


def check_10(tmp: Path) -> None:
    run = one()
    assert run.info.experiment == "knn" and run.info.status == "FINISHED"
    for key in (
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_log_loss",
        "training_roc_auc",
        "training_score",
    ):
        assert 0 <= run.data.metrics[key] <= 1 or key == "training_log_loss", key
    assert run.data.params["n_neighbors"] == "3"


def check_11(tmp: Path) -> None:
    assert len(runs()) == 3


def check_12(tmp: Path) -> None:
    assert len(runs()) == 6


def check_13(tmp: Path) -> None:
    assert len(runs()) == 1 and len(runs(include_deleted=True)) == 2


def check_14(tmp: Path) -> None:
    assert len(runs()) == 2


def check_15(tmp: Path) -> None:
    run = one("client-run")
    assert run.info.experiment == "client-exp" and run.info.status == "FINISHED"
    assert run.data.params == {"p": "p-value", "alpha": "0.5"}
    assert run.data.tags["t"] == "t-value" and run.data.tags["release"] == "candidate"
    assert [(p.step, p.value) for p in tuitrack.get_metric_history(run.id, "m")] == [(i, i / 10) for i in range(5)]
    assert run.data.metrics["final"] == 0.93
    assert tuitrack.get_experiment_by_name("client-exp").tags == {"team": "ml"}


def check_16(tmp: Path) -> None:
    assert len(tuitrack.get_metric_history(one().id, "loss")) == 10


def check_17(tmp: Path) -> None:
    assert {a.path for a in tuitrack.list_artifacts(one().id)} == {"reports/importances.txt", "config.json"}


def check_18(tmp: Path) -> None:
    run = one()
    assert run.info.status == "KILLED" and run.info.deleted_at is None


def check_19(tmp: Path) -> None:
    assert one("tracked").data.metrics == {"score": 3.5}


def check_20(tmp: Path) -> None:
    run = one()
    [inp] = tuitrack.open_store().list_inputs(run.id)
    assert (inp.name, inp.context, inp.rows, inp.source) == ("wine quality - red", "training", 3, "winequality-red.csv")
    assert inp.profile == {"num_rows": 3, "num_elements": 9}
    assert [c["name"] for c in inp.schema["mlflow_colspec"]] == ["fixed acidity", "alcohol", "quality"]
    assert len(inp.digest) == 64


def check_21(tmp: Path) -> None:
    [inp] = tuitrack.open_store().list_inputs(one().id)
    assert (inp.name, inp.context, inp.rows, inp.source_type) == ("uniform", "eval", 20, "local")
    assert inp.profile["features_shape"] == [20, 4]


def check_22(tmp: Path) -> None:
    parent = one("sweep")
    kids = [r for r in runs() if r.info.parent_id == parent.id]
    assert sorted(k.data.params["lr"] for k in kids) == ["0.001", "0.01", "0.1"]


def check_23(tmp: Path) -> None:
    run = one("manual")
    assert run.info.status == "FINISHED" and run.data.metrics == {"m": 2.0}


def check_24(tmp: Path) -> None:
    from tuitrack import yaml_text

    run = one()
    config = {"model": {"type": "xgboost", "depth": 6}, "features": ["age", "income"], "lr": 0.1, "use_gpu": False}
    assert yaml_text.load(tuitrack.read_artifact(run.id, "config.yaml").decode()) == config
    assert json.loads(tuitrack.read_artifact(run.id, "config.json")) == config
    text = tuitrack.read_artifact(run.id, "config.yaml").decode()
    assert text.startswith("model:\n  type: xgboost\n"), text


def check_25(tmp: Path) -> None:
    assert one().info.experiment == "ids-as-strings"


def check_26(tmp: Path) -> None:
    run = one()
    assert run.data.metrics["test_accuracy"] == 0.91
    assert len(tuitrack.get_metric_history(run.id, "train_loss")) == 5


def check_27(tmp: Path) -> None:
    assert tuitrack.get_experiment_by_name("tagged").tags == {"project": "churn", "owner": "alice"}


def check_28(tmp: Path) -> None:
    run = one()
    meta = mlmodel(run.id, "svc_model")
    assert [c["name"] for c in json.loads(meta["signature"]["inputs"])][:2] == ["sepal length (cm)", "sepal width (cm)"]


def check_29(tmp: Path) -> None:
    run = one()
    assert tuitrack.read_artifact(run.id, "nb/requirements.txt").decode().split() == ["scikit-learn", "numpy"]
    assert "no model registry" in (tmp / "stdout").read_text()


def check_30(tmp: Path) -> None:
    assert "ERROR" in (tmp / "stdout").read_text()


def check_31(tmp: Path) -> None:
    assert len(runs()) == 3


def check_32(tmp: Path) -> None:
    assert "clf/model.pkl" in {a.path for a in tuitrack.list_artifacts(one().id)}


CHECKS: dict[str, Callable[[Path], None]] = {}
for _name, _fn in list(globals().items()):
    if _name.startswith("check_"):
        CHECKS[_name[len("check_") :]] = _fn

SCRIPT_FILES = sorted(SCRIPTS.glob("[0-9][0-9]_*.py"))


def test_corpus_is_complete() -> None:
    assert len(SCRIPT_FILES) >= 30
    assert {p.name[:2] for p in SCRIPT_FILES} == set(CHECKS)
    for path in SCRIPT_FILES:  # only the import differs from MLflow's spelling
        code = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("#")]
        assert not [ln for ln in code if "import mlflow" in ln or "from mlflow" in ln], path.name


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPT_FILES, ids=[p.stem for p in SCRIPT_FILES])
def test_script_runs_unchanged(script: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {**os.environ, "TUITRACK_STORE": str(store), "PYTHONWARNINGS": "ignore"}
    env.pop("TUITRACK_EXPERIMENT", None)
    repo = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(repo), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    (tmp_path / "stdout").write_text(proc.stdout + proc.stderr)
    tuitrack.set_store(store)
    try:
        CHECKS[script.name[:2]](tmp_path)
    finally:
        tuitrack.reset()
