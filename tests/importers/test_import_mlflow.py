"""``tuitrack import mlflow`` on stores written by the real MLflow library (tests/data/mlflow, see make_fixtures.py)."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
import yaml
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main
from tuitrack.importers import import_mlflow
from tuitrack.store.core import Store

DATA = Path(__file__).parents[1] / "data" / "mlflow"
T0 = 1_700_000_000_000
LAYOUTS = {"files": DATA / "mlruns", "sqlite": DATA / "sqlite" / "mlflow.db"}


def _source_runs(layout: str) -> dict[str, dict]:
    """name -> {run_id, start_time, end_time} read straight from the MLflow files, independent of the importer."""
    out = {}
    if layout == "files":
        for meta in (DATA / "mlruns").glob("*/*/meta.yaml"):
            m = yaml.safe_load(meta.read_text())
            out[m["run_name"]] = {"run_id": m["run_id"], "start_time": m["start_time"], "end_time": m["end_time"]}
    else:
        conn = sqlite3.connect(f"{LAYOUTS['sqlite'].resolve().as_uri()}?mode=ro", uri=True)
        for rid, name, start, end in conn.execute("SELECT run_uuid, name, start_time, end_time FROM runs"):
            out[name] = {"run_id": rid, "start_time": start, "end_time": end}
        conn.close()
    return out


@pytest.fixture(params=sorted(LAYOUTS))
def imported(request: pytest.FixtureRequest, tmp_path: Path):
    store = Store(tmp_path / "store", create=True)
    stats = import_mlflow(store, LAYOUTS[request.param])
    yield request.param, store, stats
    store.close()


def _run(store: Store, name: str):
    return store.runs_by_rids(store.search_rids(f"attributes.name = '{name}'", include_deleted=True))[0]


def test_experiments_runs_and_ids(imported) -> None:
    layout, store, stats = imported
    assert (stats.runs, stats.skipped, stats.experiments, stats.artifacts) == (8, 0, 3, 4)
    assert {e.name: e.run_count for e in store.list_experiments()} == {"Default": 1, "empty-exp": 0, "fixture-exp": 6}
    source = _source_runs(layout)
    for name, src in source.items():
        run = _run(store, name)
        assert run.id == src["run_id"] and len(run.id) == 32
        assert run.info.start_time == src["start_time"]
        assert run.info.end_time == src["end_time"]


def test_status_parents_notes_and_deletion(imported) -> None:
    _, store, _ = imported
    parent = _run(store, "parent")
    assert parent.info.status == "FINISHED" and parent.info.note == "Parent of a small sweep ✓"
    children = store.search_runs(f"attributes.parent_id = '{parent.id}'")
    assert sorted(c.info.run_name for c in children) == ["child-0", "child-1"]
    assert _run(store, "failed-run").info.status == "FAILED"
    running = _run(store, "still-running")
    assert running.info.status == "RUNNING" and running.info.end_time is None
    assert running.info.display_status(tuitrack.store.core.now_ms()) == "CRASHED"
    deleted = _run(store, "deleted-run")
    assert deleted.info.status == "KILLED" and deleted.info.deleted_at is not None
    assert "deleted-run" not in {r.info.run_name for r in store.search_runs()}
    assert _run(store, "default-exp-run").info.experiment == "Default"


def test_params_tags_unicode(imported) -> None:
    _, store, _ = imported
    parent = _run(store, "parent")
    assert parent.data.params == {"sweep": "lr", "optimizér": "adam"}
    assert parent.data.tags["purpose"] == "sweep" and parent.data.tags["mlflow.runName"] == "parent"
    odd = _run(store, "odd-values")
    assert odd.data.params == {"long_param": "x" * 300, "température": "0.7"}
    assert odd.data.tags["data.version"] == "v2"
    child = _run(store, "child-1")
    assert child.data.params == {"lr": "0.01", "seed": "1"}
    assert child.data.tags["mlflow.parentRunId"] == parent.id
    assert [r.info.run_name for r in store.search_runs("params.lr < 0.05")] == ["child-1"]


def _hist(store: Store, run, key: str) -> list[tuple[int, int, float]]:
    return [(p.step, p.timestamp, p.value) for p in store.get_metric_history(run.id, key)]


def test_metric_histories_exact(imported) -> None:
    _, store, _ = imported
    for i in (0, 1):
        child = _run(store, f"child-{i}")
        assert _hist(store, child, "loss") == [(s, T0 + 1000 * s, 1.0 / (s + 1) + i) for s in range(5)]
        assert _hist(store, child, "acc") == [(0, T0, 0.5 + 0.1 * i)]
        assert child.data.summaries["loss"].min == 0.2 + i and child.data.summaries["loss"].max == 1.0 + i
    odd = _run(store, "odd-values")
    nan = _hist(store, odd, "nan_metric")
    assert [(s, t) for s, t, _ in nan] == [(0, T0), (1, T0 + 1), (2, T0 + 2)]
    assert math.isnan(nan[0][2]) and nan[1][2] == 1.5 and math.isnan(nan[2][2])
    s = odd.data.summaries["nan_metric"]
    assert math.isnan(s.value) and (s.min, s.max, s.count, s.step) == (1.5, 1.5, 3, 2)
    assert _hist(store, odd, "pos_inf") == [(0, T0, math.inf)]
    assert _hist(store, odd, "neg_inf") == [(0, T0, -math.inf)]
    assert _hist(store, odd, "step0") == [(0, T0, 3.0), (0, T0 + 10, 2.0), (0, T0 + 20, 1.0)]
    assert odd.data.metrics["step0"] == 1.0
    assert _hist(store, odd, "précision") == [(0, T0, 0.75)]
    assert _hist(store, odd, "损失") == [(0, T0, 0.25)]
    assert _hist(store, odd, "val/acc") == [(7, T0, 0.8)]
    assert _hist(store, _run(store, "default-exp-run"), "m") == [(3, T0, 42.0)]
    assert [r.info.run_name for r in store.search_runs("metrics.pos_inf > 1e308")] == ["odd-values"]


def test_artifacts_copied(imported) -> None:
    _, store, _ = imported
    parent = _run(store, "parent")
    assert {a.path for a in store.list_artifacts(parent.id)} == {"config.json", "notes/readme.txt", "日本語.txt"}
    assert store.read_artifact_text(parent.id, "notes/readme.txt") == "sweep over learning rates\n"
    assert store.read_artifact_text(parent.id, "日本語.txt") == "ünïcode ✓ text\n"
    odd = _run(store, "odd-values")
    assert store.artifact_file(odd.id, "data/blob.bin").read_bytes() == bytes(range(256))
    assert [(a.path, a.size) for a in store.list_artifacts(odd.id)] == [("data/blob.bin", 256)]


def test_reimport_imports_nothing_twice(imported) -> None:
    layout, store, _ = imported
    counts = [
        store.conn_fetchone(f"SELECT count(*) FROM {t}")[0]
        for t in ("runs", "params", "tags", "metrics", "latest_metrics", "artifacts", "experiments")
    ]
    again = import_mlflow(store, LAYOUTS[layout])
    assert (again.runs, again.skipped, again.points, again.experiments) == (0, 8, 0, 0)
    assert counts == [
        store.conn_fetchone(f"SELECT count(*) FROM {t}")[0]
        for t in ("runs", "params", "tags", "metrics", "latest_metrics", "artifacts", "experiments")
    ]


def test_cli_import_both_layouts_and_folder_forms(tmp_path: Path) -> None:
    runner = CliRunner()
    target = str(tmp_path / "s")
    res = runner.invoke(main, ["import", "mlflow", str(DATA / "sqlite"), "--store", target])
    assert res.exit_code == 0, res.output
    assert "imported 8 runs" in res.stderr and res.stdout == ""
    res = runner.invoke(main, ["import", "mlflow", f"sqlite:///{LAYOUTS['sqlite']}", "--store", target])
    assert res.exit_code == 0 and "imported 0 runs" in res.stderr and "skipped 8" in res.stderr
    res = runner.invoke(main, ["import", "mlflow", str(DATA), "--store", target])  # folder holding mlruns/
    assert res.exit_code == 0 and "imported 8 runs" in res.stderr
    res = runner.invoke(main, ["ls", "--json", "--store", target])
    assert len(res.stdout) and res.exit_code == 0
    import json

    assert len(json.loads(res.stdout)) == 14  # 2 x 7 non-deleted runs (the fixtures have distinct ids)


def test_cli_import_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    target = ["--store", str(tmp_path / "s")]
    res = runner.invoke(main, ["import", "mlflow", str(tmp_path / "nope"), *target])
    assert res.exit_code == 1 and "no MLflow store at" in res.stderr
    (tmp_path / "notes.txt").write_text("hello")
    res = runner.invoke(main, ["import", "mlflow", str(tmp_path / "notes.txt"), *target])
    assert res.exit_code == 1 and "not a SQLite database" in res.stderr
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices(id INTEGER)")
    conn.commit()
    conn.close()
    res = runner.invoke(main, ["import", "mlflow", str(other), *target])
    assert res.exit_code == 1 and "not an MLflow tracking database" in res.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(main, ["import", "mlflow", str(empty), *target])
    assert res.exit_code == 1 and "holds no MLflow experiments" in res.stderr
    assert runner.invoke(main, ["import", "mlflow"]).exit_code == 2


def test_progress_bar_on_long_imports(tmp_path: Path) -> None:
    """Ten or more runs show click's progress bar on stderr (never stdout)."""
    import shutil

    src = tmp_path / "mlruns"
    shutil.copytree(DATA / "mlruns", src)
    exp = next(p for p in src.iterdir() if (p / "meta.yaml").is_file() and any(p.glob("*/meta.yaml")) and p.name != "0")
    template = next(exp.glob("*/meta.yaml")).parent
    for n in range(5):
        new_id = f"{n:032x}"
        copy = exp / new_id
        shutil.copytree(template, copy)
        meta = (copy / "meta.yaml").read_text().replace(template.name, new_id)
        (copy / "meta.yaml").write_text(meta)
    res = CliRunner().invoke(main, ["import", "mlflow", str(src), "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "importing runs" in res.stderr and "imported 13 runs" in res.stderr and res.stdout == ""


def test_sqlite_tag_with_null_value_imports(tmp_path: Path) -> None:
    """MLflow's SQL schema allows NULL tag values (tags.value is nullable); a NULL must not abort the import."""
    import shutil

    db = tmp_path / "mlflow.db"
    shutil.copy(LAYOUTS["sqlite"], db)
    conn = sqlite3.connect(db)
    run_uuid, _name = conn.execute("SELECT run_uuid, name FROM runs ORDER BY start_time LIMIT 1").fetchone()
    conn.execute("INSERT OR REPLACE INTO tags(key, value, run_uuid) VALUES ('empty', NULL, ?)", (run_uuid,))
    conn.commit()
    conn.close()
    store = Store(tmp_path / "store", create=True)
    try:
        stats = import_mlflow(store, db)
        assert stats.runs == 8
        assert store.get_run(run_uuid).data.tags["empty"] == ""
    finally:
        store.close()


def test_run_imported_meanwhile_is_skipped_not_an_error(tmp_path: Path) -> None:
    """Two imports of one source at once: the run ids list is read first, so the other may write a run first."""
    from tuitrack.importers import mlflow as imp

    store = Store(tmp_path / "store", create=True)
    try:
        with imp.open_source(LAYOUTS["files"]) as reader:
            (_, load), *_ = reader.runs()
            run = load()
        assert imp.write_run(store, run) is not None
        assert imp.write_run(store, run) is None
        stats = import_mlflow(store, LAYOUTS["files"])
        assert (stats.runs, stats.skipped) == (7, 1)
        assert store.count_runs(include_deleted=True) == 8
    finally:
        store.close()


def test_refused_source_creates_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUITRACK_STORE", raising=False)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.txt").write_text("x")
    (tmp_path / "notes.db").write_text("not sqlite")
    for source in ("photos", "notes.db", "missing"):
        target = tmp_path / f"store-{source}"
        res = CliRunner().invoke(main, ["import", "mlflow", str(tmp_path / source), "--store", str(target)])
        assert res.exit_code == 1 and res.stderr.startswith("Error: "), res.output
        assert not target.exists(), source
