"""What a script written for MLflow does when only the import changes."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

import tuitrack
import tuitrack as mlflow
from tuitrack import ValidationError

# search_runs returns a pandas DataFrame, as MLflow's does: these tests index it, so they need pandas (absent in
# the install check's venv that holds only the standard library and pytest)
needs_pandas = pytest.mark.skipif(
    importlib.util.find_spec("pandas") is None,
    reason="search_runs' DataFrame needs pandas, which is not installed here",
)


def test_experiment_helpers_and_start_run_by_experiment_id(store_path: Path) -> None:
    exp_id = mlflow.create_experiment("churn")
    with pytest.raises(ValidationError, match="already exists"):
        mlflow.create_experiment("churn")
    assert mlflow.get_experiment_by_name("churn").experiment_id == exp_id
    assert mlflow.get_experiment_by_name("nope") is None
    assert mlflow.get_experiment(str(exp_id)).name == "churn"
    exp = mlflow.set_experiment(experiment_name="churn")
    assert exp.experiment_id == exp_id
    with mlflow.start_run(experiment_id=exp_id, run_name="r1", log_system_metrics=False) as run:
        mlflow.log_metric("loss", 0.5, step=0, synchronous=True)
    assert mlflow.get_run(run.info.run_id).info.experiment == "churn"
    assert [e.name for e in mlflow.search_experiments()] == ["churn"]
    with pytest.raises(ValidationError, match="experiment_id must be an integer"):
        mlflow.start_run(experiment_id="abc")


@needs_pandas
def test_start_run_with_positional_run_id_resumes(store_path: Path) -> None:
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_metric("x", 1.0)
    with mlflow.start_run(run.info.run_id):  # MLflow's first positional parameter is run_id
        mlflow.log_metric("x", 2.0)
    assert [p.value for p in mlflow.get_metric_history(run.info.run_id, "x")] == [1.0, 2.0]
    assert len(mlflow.search_runs()) == 1


@needs_pandas
def test_search_runs_by_experiment_ids_positional_and_keyword(store_path: Path) -> None:
    a = mlflow.set_experiment("a").experiment_id
    with mlflow.start_run(run_name="in-a"):
        mlflow.log_metric("auc", 0.9)
    mlflow.set_experiment("b")
    with mlflow.start_run(run_name="in-b"):
        mlflow.log_metric("auc", 0.8)
    assert list(mlflow.search_runs([a])["tags.mlflow.runName"]) == ["in-a"]  # a DataFrame, as MLflow's
    # MLflow's positional experiment ids with the filter as keyword (raised "multiple values" before) or positional
    assert list(mlflow.search_runs([a], filter_string="metrics.auc > 0.5")["metrics.auc"]) == [0.9]
    assert list(mlflow.search_runs([a], "metrics.auc > 0.95")["run_id"]) == []
    assert [
        r.info.run_name
        for r in mlflow.search_runs(experiment_ids=[str(a)], filter_string="metrics.auc > 0.5", output_format="list")
    ] == ["in-a"]
    with pytest.raises(ValidationError, match="output_format"):
        mlflow.search_runs(output_format="arrow")


def test_log_to_a_run_that_is_not_active_by_run_id(store_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    mlflow.log_metric("m", 2.0, run_id=run.info.run_id)
    mlflow.log_metrics({"m": 3.0, "n": math.inf}, run_id=run.info.run_id[:8])
    mlflow.log_params({"late": 1}, run_id=run.info.run_id)
    got = mlflow.get_run(run.info.run_id)
    assert [p.step for p in mlflow.get_metric_history(run.info.run_id, "m")] == [0, 1, 2]
    assert got.data.metrics == {"m": 3.0, "n": math.inf} and got.data.params == {"late": "1"}
    with pytest.raises(ValidationError):
        mlflow.log_metric("bad key!", 1.0, run_id=run.info.run_id)


@needs_pandas
def test_tracking_uri_log_input_without_name_last_active_run_and_delete(store_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-store"
    mlflow.set_tracking_uri(other.as_uri())
    assert mlflow.get_tracking_uri() == other.resolve().as_uri()
    with pytest.raises(ValidationError, match="tuitrack import mlflow"):
        mlflow.set_tracking_uri("sqlite:///mlflow.db")
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    with mlflow.start_run(run_name="uses-data") as run:
        mlflow.log_input(str(data), context="training")
        assert mlflow.get_artifact_uri("model").endswith(f"{run.info.run_id}/model")
    [inp] = mlflow.open_store().list_inputs(run.info.run_id)
    assert (inp.name, inp.rows, inp.context) == ("train.csv", 1, "training")
    assert mlflow.last_active_run().info.run_id == run.info.run_id
    mlflow.delete_run(run.info.run_id)
    assert mlflow.search_runs().empty and len(mlflow.search_runs(include_deleted=True)) == 1
    tuitrack.set_store(store_path)


def test_run_info_mlflow_spellings(store_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("hi", "notes.txt")
    info = mlflow.get_run(run.info.run_id).info
    assert info.run_uuid == info.run_id and info.user_id == info.user
    assert Path(info.artifact_uri.removeprefix("file://"), "notes.txt").read_text() == "hi"


@pytest.mark.parametrize("kwargs", [{"max_results": -1}, {"max_results": 2.5}, {"max_results": True}])
def test_search_runs_refuses_bad_max_results(store_path: Path, kwargs: dict) -> None:
    with mlflow.start_run():
        pass
    with pytest.raises(ValidationError, match="max_results must be a whole number"):
        mlflow.search_runs(output_format="list", **kwargs)
