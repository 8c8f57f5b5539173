"""Nothing outside the store can be read, written or deleted through a run id (issue #15, item 1).

Ids from outside (MLflow file and SQLite stores, ``start_run(run_id=...)``, id factories,
CLI arguments) are checked against the run-id format, and every path the store builds
from an id is resolved and checked to lie inside the store's artifacts folder, so a row
that slipped past validation (written by an older tuitrack, edited by hand) is refused too.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main
from tuitrack.errors import StoreError, ValidationError
from tuitrack.importers import import_mlflow
from tuitrack.importers.mlflow_files import ImportFormatError
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking

DATA = Path(__file__).resolve().parents[1] / "data" / "mlflow"
BAD_IDS = ["../../precious", "../precious", "/PRECIOUS", ".", "..", "a/b", "a\\b", "a b", "x\n", "-x", "é"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def precious(tmp_path: Path) -> Path:
    """A folder beside the store (and an absolute one) that must never be touched."""
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "keep.txt").write_text("do not delete")
    return folder


def _mlflow_file_store(root: Path, run_id: str) -> Path:
    exp = root / "mlruns" / "1"
    run_dir = exp / "abc123"
    (run_dir / "artifacts").mkdir(parents=True)
    (run_dir / "params").mkdir()
    (exp / "meta.yaml").write_text("name: exp\nexperiment_id: '1'\nlifecycle_stage: active\n")
    (run_dir / "artifacts" / "keep.txt").write_text("overwritten!")
    quoted = "'" + run_id.replace("'", "''") + "'"
    (run_dir / "meta.yaml").write_text(
        f"run_id: {quoted}\nrun_name: evil\nstatus: 3\nstart_time: 1\nend_time: 2\nlifecycle_stage: active\n"
    )
    return root / "mlruns"


@pytest.mark.parametrize("bad", BAD_IDS)
def test_file_store_import_refuses_a_run_id_that_is_not_an_id(tmp_path: Path, precious: Path, bad: str) -> None:
    source = _mlflow_file_store(tmp_path / "src", bad.replace("/PRECIOUS", str(precious)))
    before = _tree(precious)
    res = CliRunner().invoke(main, ["import", "mlflow", str(source), "--store", str(tmp_path / "store")])
    assert res.exit_code == 1, res.output
    assert res.output.count("Error:") == 1 and "is not a valid run id" in res.output
    assert _tree(precious) == before
    with Store(tmp_path / "store") as st:
        assert st.search_runs(include_deleted=True) == []
    assert not list((tmp_path / "store" / "artifacts").glob("*"))


@pytest.mark.parametrize("bad", ["../../precious", "", ".."])
def test_sqlite_import_refuses_a_run_id_that_is_not_an_id(tmp_path: Path, precious: Path, bad: str) -> None:
    db = tmp_path / "mlflow.db"
    shutil.copyfile(DATA / "sqlite" / "mlflow.db", db)
    conn = sqlite3.connect(db)
    victim = conn.execute("SELECT run_uuid FROM runs ORDER BY start_time LIMIT 1").fetchone()[0]
    for table in ("runs", "params", "tags", "metrics", "latest_metrics"):
        conn.execute(f"UPDATE {table} SET run_uuid = ? WHERE run_uuid = ?", (bad, victim))
    conn.commit()
    conn.close()
    before = _tree(precious)
    with Store(tmp_path / "store", create=True) as st:
        with pytest.raises(ImportFormatError, match="MLflow run id"):
            import_mlflow(st, db)
        assert st.search_runs(include_deleted=True) == []  # refused before anything was written
    assert _tree(precious) == before


def test_start_run_refuses_bad_run_ids_before_creating_anything(store_path: Path) -> None:
    for bad in [*BAD_IDS, ""]:
        with pytest.raises(ValidationError, match="run id"):
            tuitrack.start_run(run_id=bad)
        with pytest.raises(ValidationError, match="parent_run_id"):
            tuitrack.start_run(parent_run_id=bad)
    assert not store_path.exists()


def test_an_id_factory_cannot_plant_a_bad_id(store_path: Path, precious: Path) -> None:
    tracking.set_id_factory(lambda: "../../precious")
    with pytest.raises(ValidationError, match="not a valid run id"):
        tuitrack.start_run()
    tracking.set_id_factory(None)
    with Store(store_path) as st:
        assert st.search_runs(include_deleted=True) == []


def _plant_row(store: Path, run_id: str) -> None:
    """What an older tuitrack's import left behind: a run row whose id is a path."""
    with Store(store, create=True) as st:
        exp = st.experiment_id("e")
        with st.transaction() as conn:
            conn.execute(
                "INSERT INTO runs(run_id, experiment_id, name, status, start_time, updated_at)"
                " VALUES (?, ?, 'evil', 'FINISHED', 1, 1)",
                (run_id, exp),
            )


@pytest.mark.parametrize("bad_kind", ["relative", "absolute"])
def test_a_planted_row_cannot_read_or_delete_outside(tmp_path: Path, precious: Path, bad_kind: str) -> None:
    store = tmp_path / "store"
    (store / "artifacts").mkdir(parents=True)
    bad = "../../precious" if bad_kind == "relative" else str(precious)
    _plant_row(store, bad)
    before = _tree(precious)
    with Store(store) as st:
        with pytest.raises(ValidationError, match="not a valid run id"):
            st.artifact_file("evil", "keep.txt")
        with pytest.raises(ValidationError):
            st.run_artifact_dir(bad)
    cli = CliRunner()
    res = cli.invoke(main, ["cat", "evil", "keep.txt", "--store", str(store)])
    assert res.exit_code == 1 and "do not delete" not in res.output and "Error:" in res.output
    assert cli.invoke(main, ["rm", "evil", "--store", str(store)]).exit_code == 0
    res = cli.invoke(main, ["gc", "--yes", "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "no file was deleted" in res.output
    assert _tree(precious) == before
    with Store(store) as st:
        assert st.search_runs(include_deleted=True) == []  # the rows themselves are purged


def test_a_symlinked_run_folder_is_not_followed(store_path: Path, precious: Path) -> None:
    """artifacts/<id> pointing elsewhere (outside, or at another run's folder) is refused, not followed."""
    store = store_path
    with tuitrack.start_run(name="other") as other:
        tuitrack.log_text("mine", "o.txt")
    with tuitrack.start_run(name="linked") as run:
        pass
    tuitrack.flush()
    (store / "artifacts" / run.id).mkdir(exist_ok=True)
    shutil.rmtree(store / "artifacts" / run.id)
    (store / "artifacts" / run.id).symlink_to(precious)
    before = _tree(precious)
    st = tuitrack.open_store(store)
    with pytest.raises(StoreError, match=r"outside the store's artifacts folder|refusing"):
        st.artifact_file(run.id, "keep.txt")
    (store / "artifacts" / run.id).unlink()
    (store / "artifacts" / run.id).symlink_to(store / "artifacts" / other.id)
    with pytest.raises(StoreError, match="refusing"):
        st.artifact_file(run.id, "o.txt")
    cli = CliRunner()
    assert cli.invoke(main, ["rm", run.id, "--store", str(store)]).exit_code == 0
    res = cli.invoke(main, ["gc", "--yes", "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert _tree(precious) == before
    assert (store / "artifacts" / other.id / "o.txt").read_text() == "mine"


@pytest.mark.parametrize("ref", ["../../precious", "/etc", ".", ""])
def test_cli_run_arguments_that_are_paths_are_plain_unknown_runs(store_path: Path, precious: Path, ref: str) -> None:
    store = store_path
    with tuitrack.start_run(name="r"):
        tuitrack.log_text("t", "a.txt")
    tuitrack.flush()
    res = CliRunner().invoke(main, ["cat", ref, "keep.txt", "--store", str(store)])
    assert res.exit_code == 1 and res.output.startswith("Error:") and "do not delete" not in res.output
