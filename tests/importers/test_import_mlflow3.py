"""``tuitrack import mlflow`` on what MLflow 3 adds (tests/data/mlflow/mlflow3, written by the real MLflow 3.17.2):
experiment tags, dataset inputs, logged models kept outside the run's artifacts, metric lines with more fields;
and a failed import leaves the store as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tuitrack
from tuitrack.importers import import_mlflow
from tuitrack.importers.mlflow_files import ImportFormatError
from tuitrack.store.core import Store

DATA = Path(__file__).parents[1] / "data" / "mlflow"
T0 = 1_700_000_000_000
LAYOUTS = {"files": DATA / "mlflow3" / "mlruns", "sqlite": DATA / "mlflow3" / "sqlite" / "mlflow.db"}


@pytest.fixture(params=sorted(LAYOUTS))
def imported(request: pytest.FixtureRequest, tmp_path: Path):
    store = Store(tmp_path / "store", create=True)
    stats = import_mlflow(store, LAYOUTS[request.param])
    yield store, stats
    store.close()


def _run(store: Store, name: str):
    return store.runs_by_rids(store.search_rids(f"attributes.name = '{name}'", include_deleted=True))[0]


def test_experiment_tags_come_over(imported) -> None:
    store, stats = imported
    assert stats.runs == 1
    ids = {e.name: e.experiment_id for e in store.list_experiments()}
    assert store.experiment_tags()[ids["mlflow3-exp"]] == {"team": "churn", "stage": "dev", "owner": "alice"}


def test_dataset_inputs_come_over(imported) -> None:
    store, _ = imported
    run = _run(store, "with-model")
    train, evald = sorted(store.list_inputs(run.id), key=lambda i: i.context != "training")
    assert (train.name, train.context, train.source, train.source_type, train.rows) == (
        "train",
        "training",
        "data/train.csv",
        "local",
        6,
    )
    assert [c["name"] for c in train.schema["mlflow_colspec"]] == ["x1", "x2", "label"]
    assert train.profile == {"num_rows": 6, "num_elements": 18} and len(train.digest) == 8
    assert (evald.name, evald.context, evald.source, evald.rows) == ("eval", "eval", "data/eval.npy", 6)
    assert evald.profile["features_shape"] == [6, 2]
    # and the filter language finds runs by them, as MLflow's does
    assert store.search_rids("datasets.context = 'eval' AND datasets.name = 'train'")
    assert not store.search_rids("datasets.digest = 'nope'")


def test_logged_model_becomes_the_runs_model_folder(imported, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    store, _ = imported
    run = _run(store, "with-model")
    paths = {a.path for a in store.list_artifacts(run.id)}
    assert {
        "notes.txt",
        "model/MLmodel",
        "model/model.pkl",
        "model/requirements.txt",
        "model/conda.yaml",
        "model/input_example.json",
    } <= paths
    tuitrack.set_store(store.path)
    try:
        model = tuitrack.sklearn.load_model(f"runs:/{run.id}/model")
        assert list(model.predict([[0.0, 1.0], [5.0, 0.0]])) == [0, 1]
        assert tuitrack.pyfunc.load_model(f"runs:/{run.id}/model").metadata.model_id.startswith("m-")
    finally:
        tuitrack.reset()


def test_metric_lines_with_a_dataset_import_whole(imported) -> None:
    store, _ = imported
    run = _run(store, "with-model")
    assert [(p.step, p.value, p.timestamp) for p in store.get_metric_history(run.id, "accuracy")] == [
        (0, 1.0, T0),
        (1, 0.5, T0 + 1),
    ]
    assert run.data.metrics == {"accuracy": 0.5, "plain": 2.0}


def test_older_fixture_experiment_tags_now_import(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", create=True)
    import_mlflow(store, DATA / "mlruns")
    ids = {e.name: e.experiment_id for e in store.list_experiments()}
    assert store.experiment_tags()[ids["fixture-exp"]] == {"team": "churn"}


def _snapshot(store: Store) -> tuple:
    return (
        [(e.name, e.run_count) for e in store.list_experiments()],
        [r.id for r in store.search_runs(None, include_deleted=True)],
        sorted(store.experiment_tags().items()),
    )


def test_a_failed_import_leaves_nothing_half_made(tmp_path: Path) -> None:
    source = tmp_path / "mlruns"
    shutil.copytree(DATA / "mlflow3" / "mlruns", source)
    shutil.copytree(DATA / "mlruns", tmp_path / "classic")
    for exp in (tmp_path / "classic").iterdir():  # two stores' experiments in one source
        if exp.is_dir() and exp.name not in ("0", ".trash") and (exp / "meta.yaml").is_file():
            shutil.copytree(exp, source / exp.name)
    broken = next(source.glob("*/*/metrics/loss"))
    broken.write_text(broken.read_text() + "not-a-timestamp 1.0 0\n")
    store = Store(tmp_path / "store", create=True)
    before = _snapshot(store)
    with pytest.raises(ImportFormatError, match="expected 'timestamp value step'"):
        import_mlflow(store, source)
    assert _snapshot(store) == before
    assert not any((store.path / "artifacts").glob("*")) if (store.path / "artifacts").exists() else True
    broken.write_text(broken.read_text().replace("not-a-timestamp 1.0 0\n", ""))
    stats = import_mlflow(store, source)
    assert stats.runs == 8 and stats.skipped == 0  # 7 classic runs (all but the default experiment's) + 1
