"""The demo store: exact contents, determinism, and that it leaves global state as it found it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import tuitrack
from tuitrack.demo import EPOCHS, DemoChurnModel, build_demo_store
from tuitrack.entities import HEARTBEAT_TIMEOUT_MS
from tuitrack.store import core as store_mod
from tuitrack.tracking import session as tracking

NOW = 1_750_000_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_store(tmp_path_factory.mktemp("demo") / "store", now_ms=NOW)


@pytest.fixture()
def store(demo: Path):
    s = tuitrack.open_store(demo)
    yield s
    s.close()


def _names(store, experiment: str) -> set[str]:
    ids = store.experiment_ids([experiment])
    return {r.info.run_name for r in store.search_runs(experiment_ids=ids)}


def test_experiments_and_run_names(store) -> None:
    assert [(e.name, e.run_count) for e in store.list_experiments()] == [
        ("churn-prediction-v1", 7),
        ("churn-prediction-v2", 14),
    ]
    assert _names(store, "churn-prediction-v1") == {
        "baseline_rf",
        "deeper_trees",
        "more_features",
        "grid_n100_d10",
        "grid_n100_d20",
        "grid_n200_d10",
        "grid_n200_d20",
    }
    sweep = {f"lr{lr}_seed{s}" for lr in (0.03, 0.1, 0.3) for s in (0, 1, 2)}
    assert _names(store, "churn-prediction-v2") == {
        "xgboost_baseline",
        "xgboost_tuned",
        "xgb_lr_sweep",
        "xgboost_big_batch",
        "xgboost_overnight",
        *sweep,
    }


def test_grid_params_and_final_metrics(store) -> None:
    grid = store.search_runs("tags.purpose = 'grid-search'")
    combos = {(r.data.params["n_estimators"], r.data.params["max_depth"]) for r in grid}
    assert combos == {("100", "10"), ("100", "20"), ("200", "10"), ("200", "20")}
    for r in store.search_runs("attributes.experiment = 'churn-prediction-v1'"):
        assert {"accuracy", "auc", "precision", "recall", "f1", "loss", "val_loss"} <= set(r.data.metrics)
        assert {"data_path", "data_version", "n_rows"} <= set(r.data.params)
        assert {"model_type", "author", "purpose"} <= set(r.data.tags)
        assert r.data.params["n_rows"] == "5000"


def test_sweep_children_nest_under_parent_over_three_seeds(store) -> None:
    parent = store.get_run("xgb_lr_sweep")
    children = store.search_runs(f"attributes.parent_id = '{parent.id}'")
    assert len(children) == 9
    groups: dict[str, set[str]] = {}
    for c in children:
        groups.setdefault(c.data.params["learning_rate"], set()).add(c.data.params["seed"])
    assert groups == {"0.03": {"0", "1", "2"}, "0.1": {"0", "1", "2"}, "0.3": {"0", "1", "2"}}
    assert parent.data.metrics["best_auc"] == max(c.data.metrics["auc"] for c in children)


def test_histories_are_long_noisy_and_decreasing(store) -> None:
    run = store.get_run("baseline_rf")
    loss = store.get_metric_history(run.id, "loss")
    assert [p.step for p in loss] == list(range(EPOCHS)) and EPOCHS >= 100
    assert loss[-1].value < loss[0].value
    assert any(b.value > a.value for a, b in zip(loss, loss[1:]))  # noisy, not a clean curve
    ts = [p.timestamp for p in loss]
    assert ts == sorted(ts) and ts[0] > run.info.start_time and ts[-1] <= run.info.end_time
    assert len(store.get_metric_history(run.id, "val_loss")) == EPOCHS
    assert len(store.get_metric_history(run.id, "accuracy")) == EPOCHS


def test_failed_run_has_traceback(store) -> None:
    run = store.get_run("xgboost_big_batch")
    assert run.info.status == "FAILED"
    assert run.info.error.startswith("Traceback (most recent call last):")
    assert "CUDA out of memory" in run.info.error
    assert "/work/" not in run.info.error  # the checkout folder is not baked into snapshots


def test_dead_process_run_shows_crashed(store) -> None:
    run = store.get_run("xgboost_overnight")
    assert run.info.status == "RUNNING" and run.info.end_time is None
    assert NOW - run.info.heartbeat > HEARTBEAT_TIMEOUT_MS
    assert run.info.display_status(NOW) == "CRASHED"
    assert run.data.summaries["loss"].count == 40
    assert [r.info.run_name for r in store.search_runs("attributes.status = 'CRASHED'", now_ms=NOW)] == [
        "xgboost_overnight"
    ]
    assert all(r.info.start_time < NOW for r in store.search_runs())


def test_artifacts_and_model_round_trip(store, demo: Path) -> None:
    run = store.get_run("xgboost_tuned")
    paths = {a.path for a in store.list_artifacts(run.id)}
    assert paths == {
        "config.json",
        "confusion_matrix.txt",
        "requirements.txt",
        "model/model.pkl",
        "model/MLmodel",
        "model/requirements.txt",
        "model/python_env.yaml",
        "model/conda.yaml",
    }
    assert "scikit-learn" in store.read_artifact_text(run.id, "requirements.txt")
    assert "actual churn" in store.read_artifact_text(run.id, "confusion_matrix.txt")
    tuitrack.set_store(demo)
    try:
        model = tuitrack.load_model(f"runs:/{run.id}/model")
    finally:
        tuitrack.set_store(None)
    assert isinstance(model, DemoChurnModel)
    assert model.predict([[1.0, 118.0], [70.0, 20.0]]) == [1, 0]
    assert [i.name for i in store.list_inputs(run.id)] == ["churn-train"]
    assert store.list_inputs(run.id)[0].rows == 5000


def test_identity_is_fixed(store) -> None:
    for r in store.search_runs():
        assert (r.info.user, r.info.host) == ("alice", "gpu-box-01")
        assert not any(k.startswith("tuitrack.") for k in r.data.tags)  # capture_env=False


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path / "tuitrack.db")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_deterministic_with_now(tmp_path: Path, demo: Path) -> None:
    again = build_demo_store(tmp_path / "again", now_ms=NOW)
    assert _dump(again) == _dump(demo)
    files = sorted(p.relative_to(demo).as_posix() for p in (demo / "artifacts").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again).as_posix() for p in (again / "artifacts").rglob("*") if p.is_file())
    for f in files:
        assert (demo / f).read_bytes() == (again / f).read_bytes()


def test_global_state_is_restored(tmp_path: Path) -> None:
    tuitrack.set_store(tmp_path / "mine")
    before = (tuitrack.get_store_path(), store_mod._clock, tracking._new_run_id, dict(tracking._settings))
    try:
        build_demo_store(tmp_path / "d", now_ms=NOW)
        assert (tuitrack.get_store_path(), store_mod._clock, tracking._new_run_id, dict(tracking._settings)) == before
        assert tracking.active_run() is None
        assert not (tmp_path / "mine").exists()
    finally:
        tuitrack.set_store(None)


def test_refuses_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("precious")
    with pytest.raises(tuitrack.TuitrackError, match="not an empty folder"):
        build_demo_store(tmp_path, now_ms=NOW)
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]
