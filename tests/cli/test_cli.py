"""The ``tuitrack`` command line against a seeded demo store: every command and every error path."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import click
import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.analysis.export import metric_direction
from tuitrack.cli.main import main
from tuitrack.demo import build_demo_store

NOW = 1_750_000_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_store(tmp_path_factory.mktemp("cli") / "store", now_ms=NOW)


@pytest.fixture()
def run(demo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TUITRACK_STORE", raising=False)

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture()
def store(demo: Path):
    s = tuitrack.open_store(demo)
    yield s
    s.close()


def D(demo: Path) -> list[str]:
    return ["--store", str(demo)]


# -- ls ---------------------------------------------------------------------------------------
def test_ls_table_fits_80_columns(run, demo: Path) -> None:
    res = run("ls", *D(demo), env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "name", "start", "duration"]
    assert len(lines) == 22
    assert all(len(line) <= 80 for line in lines)
    assert any("baseline_rf" in line and line.startswith("✔") for line in lines)
    assert any(line.startswith("☠") and "xgboost_overnig" in line for line in lines)
    assert any(line.startswith("✘") and "xgboost_big_bat" in line for line in lines)


def test_ls_json_is_only_data(run, demo: Path, store) -> None:
    res = run("ls", *D(demo), "--json")
    rows = json.loads(res.stdout)
    assert len(rows) == 21 and res.stderr == ""
    tuned = next(r for r in rows if r["name"] == "xgboost_tuned")
    ref = store.get_run("xgboost_tuned")
    assert tuned["run_id"] == ref.id and tuned["params"] == ref.data.params
    assert tuned["metrics"]["auc"] == ref.data.metrics["auc"]
    assert {r["status"] for r in rows} == {"FINISHED", "FAILED", "CRASHED"}


def test_ls_csv_columns_filter_sort_limit(run, demo: Path) -> None:
    res = run(
        "ls",
        *D(demo),
        "--csv",
        "-c",
        "name,params.max_depth",
        "-c",
        "auc",
        "-f",
        "params.max_depth >= 20",
        "-s",
        "metrics.auc DESC",
    )
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == ["name", "params.max_depth", "metrics.auc"]
    assert sorted(r[0] for r in rows[1:]) == ["deeper_trees", "grid_n100_d20", "grid_n200_d20"]
    aucs = [float(r[2]) for r in rows[1:]]
    assert aucs == sorted(aucs, reverse=True)
    res = run("ls", *D(demo), "--json", "-e", "churn-prediction-v1", "-n", "2", "-s", "metrics.auc DESC")
    data = json.loads(res.stdout)
    assert len(data) == 2 and {r["experiment"] for r in data} == {"churn-prediction-v1"}


def test_ls_limit_note_goes_to_stderr(run, demo: Path) -> None:
    res = run("ls", *D(demo), "-n", "3")
    assert len(res.stdout.splitlines()) == 4
    assert "showing 3 of 21 runs" in res.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["-f", "metrics.auc >"], "filter error"),
        (["-e", "no-such-exp"], "no experiment named 'no-such-exp'"),
        (["-s", "metrics.auc SIDEWAYS"], "ASC, DESC"),
        (["--csv", "-c", "params.nope,unknowncol"], "unknown column 'unknowncol'"),
    ],
)
def test_ls_errors_exit_1(run, demo: Path, args: list[str], message: str) -> None:
    res = run("ls", *D(demo), *args)
    assert res.exit_code == 1
    assert message in res.stderr and "Traceback" not in res.stderr and res.stdout == ""


def test_usage_errors_exit_2(run, demo: Path) -> None:
    assert run("ls", *D(demo), "--limit", "-1").exit_code == 2
    assert run("compare", *D(demo), "baseline_rf").exit_code == 2
    assert run("export", *D(demo)).exit_code == 2  # --format is required
    assert run("nonsense").exit_code == 2


# -- show / compare / best ------------------------------------------------------------------------
def test_show_by_name_prefix_and_json(run, demo: Path, store) -> None:
    ref = store.get_run("xgboost_big_batch")
    for key in ("xgboost_big_batch", ref.id[:6], ref.id):
        res = run("show", key, *D(demo))
        assert res.exit_code == 0
        assert res.stdout.startswith(f"Run {ref.id}  xgboost_big_batch")
        assert "FAILED" in res.stdout and "CUDA out of memory" in res.stdout
    data = json.loads(run("show", "xgboost_tuned", "--json", *D(demo)).stdout)
    assert {a["path"] for a in data["artifacts"]} >= {"config.json", "model/model.pkl"}
    assert data["metric_summaries"]["loss"]["count"] == 120
    parent = json.loads(run("show", "xgb_lr_sweep", "--json", *D(demo)).stdout)
    assert len(parent["children"]) == 9


def test_unknown_and_ambiguous_runs(run, demo: Path, store) -> None:
    res = run("show", "nope-run", *D(demo))
    assert res.exit_code == 1 and "no run with id, id prefix or name 'nope-run'" in res.stderr
    ids = [r.id for r in store.search_runs()]
    prefix = next(i[0] for i in ids if sum(j.startswith(i[0]) for j in ids) > 1)
    res = run("show", prefix, *D(demo))
    assert res.exit_code == 1 and "matches several runs" in res.stderr
    assert run("history", prefix, "loss", *D(demo)).exit_code == 1
    assert run("compare", prefix, "baseline_rf", *D(demo)).exit_code == 1


def test_compare_text_md_json_and_diff_only(run, demo: Path, store) -> None:
    a, b = store.get_run("grid_n100_d10"), store.get_run("grid_n200_d20")
    res = run("compare", "grid_n100_d10", "grid_n200_d20", *D(demo))
    assert res.exit_code == 0
    auc_line = next(line for line in res.stdout.splitlines() if line.startswith("metrics.auc"))
    best_auc = "grid_n200_d20" if b.data.metrics["auc"] > a.data.metrics["auc"] else "grid_n100_d10"
    assert auc_line.rstrip().endswith("*") == (best_auc == "grid_n200_d20")
    full = json.loads(run("compare", "grid_n100_d10", "grid_n200_d20", "--json", *D(demo)).stdout)
    diff = json.loads(run("compare", "grid_n100_d10", "grid_n200_d20", "--json", "--diff-only", *D(demo)).stdout)
    keys = {(r["kind"], r["key"]) for r in diff["rows"]}
    assert ("params", "data_path") not in keys and ("params", "max_depth") in keys
    assert ("params", "data_path") in {(r["kind"], r["key"]) for r in full["rows"]}
    loss = next(r for r in full["rows"] if r["key"] == "loss" and r["kind"] == "metrics")
    assert loss["best"] == [0 if a.data.metrics["loss"] < b.data.metrics["loss"] else 1]
    assert loss["values"] == [a.data.metrics["loss"], b.data.metrics["loss"]] and loss["differs"]
    start = next(r for r in full["rows"] if r["key"] == "start_time")
    assert start["values"] == [a.info.start_time, b.info.start_time]
    md = run("compare", "grid_n100_d10", "grid_n200_d20", "--md", "--diff-only", *D(demo)).stdout
    assert md.splitlines()[1] == "|---|---|---|" and "**" in md
    res = run("compare", "baseline_rf", "baseline_rf", *D(demo))
    assert res.exit_code == 1 and "more than once" in res.stderr


def test_best_defaults_direction_and_overrides(run, demo: Path, store) -> None:
    runs = store.search_runs()
    top_recall = max((r for r in runs if "recall" in r.data.metrics), key=lambda r: r.data.metrics["recall"])
    res = run("best", "recall", *D(demo))
    assert res.exit_code == 0 and f"Run {top_recall.id}" in res.stdout and "higher is better" in res.stdout
    low_loss = min((r for r in runs if "val_loss" in r.data.metrics), key=lambda r: r.data.metrics["val_loss"])
    data = json.loads(run("best", "val_loss", "--json", *D(demo)).stdout)
    assert data["direction"] == "min" and data["run"]["run_id"] == low_loss.id
    v1 = [r for r in runs if r.info.experiment == "churn-prediction-v1"]
    worst = max(v1, key=lambda r: r.data.metrics["val_loss"])
    data = json.loads(run("best", "val_loss", "--max", "-e", "churn-prediction-v1", "--json", *D(demo)).stdout)
    assert data["run"]["name"] == worst.info.run_name and data["runs_considered"] == 7
    data = json.loads(run("best", "auc", "-f", "params.max_depth <= 10", "--json", *D(demo)).stdout)
    assert int(data["run"]["params"]["max_depth"]) <= 10
    res = run("best", "no_such_metric", *D(demo))
    assert res.exit_code == 1 and "has a value for metric 'no_such_metric'" in res.stderr
    assert run("best", "auc", "-f", "params.x ==", *D(demo)).exit_code == 1


# -- history / artifacts / cat ------------------------------------------------------------------
def test_history_csv_json_text(run, demo: Path, store) -> None:
    ref = store.get_run("baseline_rf")
    expected = store.get_metric_history(ref.id, "loss")
    rows = list(csv.reader(io.StringIO(run("history", "baseline_rf", "loss", "--csv", *D(demo)).stdout)))
    assert rows[0] == ["step", "value", "timestamp"]
    assert [(int(s), float(v), int(t)) for s, v, t in rows[1:]] == [(p.step, p.value, p.timestamp) for p in expected]
    data = json.loads(run("history", "baseline_rf", "loss", "--json", *D(demo)).stdout)
    assert len(data) == 120 and data[0]["step"] == 0
    assert len(run("history", "baseline_rf", "loss", *D(demo)).stdout.splitlines()) == 121
    res = run("history", "baseline_rf", "nope", *D(demo))
    assert res.exit_code == 1 and "has no metric 'nope'" in res.stderr and "accuracy" in res.stderr


def test_artifacts_and_cat(run, demo: Path, store) -> None:
    ref = store.get_run("xgboost_tuned")
    res = run("artifacts", "xgboost_tuned", *D(demo))
    assert [line.split()[-1] for line in res.stdout.splitlines()] == [
        "config.json",
        "confusion_matrix.txt",
        "model/MLmodel",
        "model/conda.yaml",
        "model/model.pkl",
        "model/python_env.yaml",
        "model/requirements.txt",
        "requirements.txt",
    ]
    data = json.loads(run("artifacts", "xgboost_tuned", "--json", *D(demo)).stdout)
    assert {d["path"]: d["size"] for d in data}["model/model.pkl"] == (
        demo / "artifacts" / ref.id / "model" / "model.pkl"
    ).stat().st_size
    res = run("cat", "xgboost_tuned", "model/model.pkl", *D(demo))
    assert res.stdout_bytes == (demo / "artifacts" / ref.id / "model" / "model.pkl").read_bytes()
    assert json.loads(run("cat", "xgboost_tuned", "config.json", *D(demo)).stdout)["run_name"] == "xgboost_tuned"
    res = run("cat", "xgboost_tuned", "missing.txt", *D(demo))
    assert res.exit_code == 1 and "has no artifact 'missing.txt'" in res.stderr
    res = run("cat", "xgboost_tuned", "../../tuitrack.db", *D(demo))
    assert res.exit_code == 1 and "escape" in res.stderr
    assert run("artifacts", "lr0.1_seed0", *D(demo)).stderr.startswith("run ")


# -- export -------------------------------------------------------------------------------------------
def test_export_formats_and_output_file(run, demo: Path, tmp_path: Path, store) -> None:
    data = json.loads(run("export", "--format", "json", *D(demo)).stdout)
    assert len(data) == 21 and all("tags" not in r for r in data)
    rows = list(
        csv.DictReader(io.StringIO(run("export", "--format", "csv", "-f", "params.model = 'xgboost'", *D(demo)).stdout))
    )
    assert {r["params.model"] for r in rows} == {"xgboost"} and len(rows) == 12
    crashed = json.loads(
        run("export", "--format", "json", "-f", "attributes.name = 'xgboost_overnight'", *D(demo)).stdout
    )
    assert crashed[0]["status"] == "CRASHED" and crashed[0]["end_time"] is None
    # Its duration stops at its last heartbeat (40 logged minutes), as in the app's runs table.
    dead = store.get_run("xgboost_overnight").info
    assert crashed[0]["duration"] == dead.heartbeat - dead.start_time < 3_600_000
    md = run("export", "--format", "md", "-e", "churn-prediction-v1", "--tags", *D(demo)).stdout
    assert len(md.splitlines()) == 2 + 7 and "tags.author" in md.splitlines()[0]
    out = tmp_path / "runs.csv"
    res = run("export", "--format", "csv", "-o", str(out), *D(demo))
    assert res.stdout == "" and "wrote 21 runs" in res.stderr
    assert len(list(csv.DictReader(out.open()))) == 21


# -- gc -------------------------------------------------------------------------------------------------
def _small_store(path: Path) -> dict[str, str]:
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False)
    ids = {}
    try:
        for name in ("keep", "old", "recent"):
            with tuitrack.start_run(experiment="e", name=name) as r:
                r.log_metric("loss", 1.0)
                r.log_param("p", name)
                r.set_tag("t", name)
                r.log_text("hi", "a/b.txt")
                ids[name] = r.id
        tuitrack.flush()
    finally:
        tuitrack.set_store(None)
        tuitrack.configure(capture_env=True)
    s = tuitrack.open_store(path)
    day = 86_400_000
    for name, age in (("old", 10), ("recent", 1)):
        s.update_run_fields(s.rid(ids[name]), deleted_at=tuitrack.store.core.now_ms() - age * day)
    s.close()
    return ids


def _count(path: Path, sql: str, *args) -> int:
    conn = sqlite3.connect(path / "tuitrack.db")
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def test_gc_confirm_older_than_and_purge(run, tmp_path: Path) -> None:
    s = tmp_path / "s"
    ids = _small_store(s)
    res = run("gc", "--store", str(s), input="n\n")
    assert res.exit_code == 1 and "nothing purged" in res.stderr
    assert _count(s, "SELECT count(*) FROM runs") == 3
    res = run("gc", "--store", str(s), "--dry-run")
    assert res.exit_code == 0 and "would purge 2 deleted runs" in res.stderr
    res = run("gc", "--store", str(s), "--older-than", "5", "--yes")
    assert res.exit_code == 0 and "purged 1 deleted runs" in res.stderr
    assert not (s / "artifacts" / ids["old"]).exists() and (s / "artifacts" / ids["recent"]).exists()
    for table in ("params", "tags", "metrics", "latest_metrics", "artifacts"):
        assert _count(s, f"SELECT count(*) FROM {table}") == 2
    res = run("gc", "--store", str(s), input="y\n")
    assert res.exit_code == 0 and "purged 1 deleted runs" in res.stderr
    assert _count(s, "SELECT count(*) FROM runs") == 1 and _count(s, "SELECT count(*) FROM metrics") == 1
    assert (s / "artifacts" / ids["keep"] / "a" / "b.txt").read_text() == "hi"
    res = run("gc", "--store", str(s), "--yes")
    assert res.exit_code == 0 and "nothing to purge" in res.stderr
    assert run("gc", "--store", str(s), "--older-than", "-1").exit_code == 2


# -- stores: missing, foreign, precedence ---------------------------------------------------------------
def test_missing_and_foreign_stores(run, tmp_path: Path) -> None:
    res = run("ls", "--store", str(tmp_path / "nowhere"))
    assert res.exit_code == 1 and "no tuitrack store" in res.stderr and "tuitrack demo" in res.stderr
    assert not (tmp_path / "nowhere").exists()
    res = run("ls", "--store", str(tmp_path))
    assert res.exit_code == 1 and "is not a tuitrack store" in res.stderr
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    conn = sqlite3.connect(foreign / "tuitrack.db")
    conn.execute("CREATE TABLE invoices(id INTEGER)")
    conn.commit()
    conn.close()
    res = run("show", "abc", "--store", str(foreign))
    assert res.exit_code == 1 and "another application" in res.stderr
    (tmp_path / "file.txt").write_text("x")
    assert run("ls", "--store", str(tmp_path / "file.txt")).exit_code == 1


def test_store_precedence(run, demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    _small_store(other)
    env = {"TUITRACK_STORE": str(demo)}
    assert len(json.loads(run("ls", "--json", env=env).stdout)) == 21
    assert len(json.loads(run("--store", str(other), "ls", "--json", env=env).stdout)) == 1
    assert len(json.loads(run("--store", str(demo), "ls", "--json", "--store", str(other)).stdout)) == 1
    assert len(json.loads(run("ls", "--store", str(other), "--json", env=env).stdout)) == 1
    res = run("ls", env={"TUITRACK_STORE": str(tmp_path / "none")})
    assert res.exit_code == 1 and str(tmp_path / "none") in res.stderr


# -- the app and the demo command ---------------------------------------------------------------------
@pytest.fixture()
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list:
    opened: list = []

    class _App:
        def __init__(self, store):
            self.store = store

        def run(self) -> None:
            opened.append(self.store)

    module = types.ModuleType("tuitrack.tui.app")
    module.create_app = lambda store, **kw: _App(store)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tuitrack.tui.app", module)
    return opened


def test_root_command_opens_app(run, demo: Path, fake_app: list, tmp_path: Path) -> None:
    assert run("--store", str(demo)).exit_code == 0
    assert fake_app[0].path == demo and fake_app[0].read_only is False
    assert run(env={"TUITRACK_STORE": str(demo)}).exit_code == 0 and fake_app[1].path == demo
    res = run("--store", str(tmp_path / "missing"))
    assert res.exit_code == 1 and "tuitrack demo" in res.stderr and len(fake_app) == 2
    assert not (tmp_path / "missing").exists()


def test_demo_command(run, tmp_path: Path, fake_app: list) -> None:
    target = tmp_path / "d"
    res = run("demo", "--store", str(target), "--no-ui")
    assert res.exit_code == 0 and str(target) in res.stderr and fake_app == []
    assert [e.name for e in tuitrack.open_store(target).list_experiments()] == [
        "churn-prediction-v1",
        "churn-prediction-v2",
    ]
    res = run("demo", "--store", str(target), "--no-ui")
    assert res.exit_code == 1 and "not an empty folder" in res.stderr
    res = run("demo", "--store", str(tmp_path / "e"))
    assert res.exit_code == 0 and fake_app[0].path == tmp_path / "e"


def test_ls_does_not_import_textual(demo: Path) -> None:
    code = (
        "import sys; from click.testing import CliRunner; from tuitrack.cli.main import main; "
        f"r = CliRunner().invoke(main, ['ls', '--store', {str(demo)!r}]); "
        "assert r.exit_code == 0, r.output; print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "key, direction",
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("train/rmse", "min"),
        ("error_rate", "min"),
        ("mae", "min"),
        ("test_mse", "min"),
        ("perplexity", "min"),
        ("err", "min"),
        ("logloss", "min"),
        ("accuracy", "max"),
        ("auc", "max"),
        ("f1", "max"),
        ("recall", "max"),
        ("berry_count", "max"),
    ],
)
def test_metric_direction(key: str, direction: str) -> None:
    assert metric_direction(key) == direction


def test_nan_and_inf_in_json_and_csv(run, tmp_path: Path) -> None:
    s = tmp_path / "odd"
    tuitrack.set_store(s)
    tuitrack.configure(capture_env=False)
    try:
        with tuitrack.start_run(experiment="e", name="odd") as r:
            r.log_metric("a", math.nan)
            r.log_metric("b", math.inf)
            r.log_metric("c", 0.5)
        tuitrack.flush()
    finally:
        tuitrack.set_store(None)
        tuitrack.configure(capture_env=True)
    data = json.loads(run("ls", "--json", "--store", str(s)).stdout)
    assert data[0]["metrics"] == {"a": "nan", "b": "inf", "c": 0.5}
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", "--store", str(s)).stdout)))
    assert (rows[0]["metrics.a"], rows[0]["metrics.b"], rows[0]["metrics.c"]) == ("nan", "inf", "0.5")
    assert json.loads(run("best", "c", "--json", "--store", str(s)).stdout)["value"] == 0.5
    assert run("best", "a", "--store", str(s)).exit_code == 1  # NaN is no value to rank


def test_gc_purges_every_per_run_table_so_a_reused_rid_starts_clean(run, tmp_path: Path) -> None:
    """metric_blocks (chart summaries) was left behind; SQLite reuses the freed rid for the next run."""
    s = tmp_path / "s"
    ids = _small_store(s)
    assert run("gc", "--store", str(s), "--yes").exit_code == 0
    conn = sqlite3.connect(s / "tuitrack.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        live = {r[0] for r in conn.execute("SELECT rid FROM runs")}
        for table in tables:
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if "rid" in cols:
                orphans = {r[0] for r in conn.execute(f"SELECT rid FROM {table}")} - live
                assert not orphans, f"{table} keeps rows of purged runs {orphans}"
    finally:
        conn.close()
    assert set(ids) - {"keep"}


def test_gc_leaves_a_run_restored_after_the_listing(tmp_path: Path) -> None:
    """The user may sit at the confirmation prompt while someone restores a run in the app."""
    from tuitrack.curation import core as curation
    from tuitrack.store.gc import find_purgeable, purge

    s = tmp_path / "s"
    ids = _small_store(s)
    store = tuitrack.store.core.Store(s)
    try:
        victims = find_purgeable(store, now_ms=tuitrack.store.core.now_ms())
        assert {v.run_id for v in victims} == {ids["old"], ids["recent"]}
        curation.restore_runs(store, [ids["recent"]])
        done = purge(store, victims)
        assert [v.run_id for v in done] == [ids["old"]]
        recent = store.get_run(ids["recent"])
        assert recent.data.params == {"p": "recent"} and recent.data.metrics == {"loss": 1.0}
        assert recent.data.tags["t"] == "recent"
        assert (s / "artifacts" / ids["recent"] / "a" / "b.txt").read_text() == "hi"
        assert not (s / "artifacts" / ids["old"]).exists()
    finally:
        store.close()


def test_hostile_names_print_literally_everywhere(run, tmp_path: Path) -> None:
    """Escape codes, bidi overrides and line breaks in user strings never act on the terminal or break a table."""
    s = tmp_path / "hostile"
    tuitrack.set_store(s)
    tuitrack.configure(capture_env=False)
    names = ["red\x1b[31mrun", "evil\u202etxt.exe", "two\nlines|pipe"]
    try:
        for name in names:
            with tuitrack.start_run(experiment="e", name=name, tags={"t": name}, params={"p": name}) as r:
                r.log_metric("auc", 0.5)
        tuitrack.flush()
    finally:
        tuitrack.set_store(None)
        tuitrack.configure(capture_env=True)
    raw = ("\x1b", "\u202e", "\u2028")
    outputs = [run("ls", "--store", str(s), "-c", "name,params.p,tags.t").stdout]
    ids = [r["run_id"] for r in json.loads(run("ls", "--json", "--store", str(s)).stdout)]
    outputs += [run("show", i, "--store", str(s)).stdout for i in ids]
    md = run("compare", *ids, "--md", "--store", str(s)).stdout
    export_md = run("export", "--format", "md", "--tags", "--store", str(s)).stdout
    outputs += [md, export_md, run("compare", *ids, "--store", str(s)).stdout]
    for out in outputs:
        assert not any(ch in out for ch in raw), out
    assert "red\\x1b[31mrun" in outputs[0] and "evil\\u202etxt.exe" in outputs[0]
    # One markdown row per run (export) / per field (compare): a newline in a value does not split a row.
    assert len(export_md.splitlines()) == 2 + 3
    assert all(line.startswith("| ") and line.endswith(" |") for line in md.splitlines()[2:])
    assert "two lines\\|pipe" in export_md


# -- the examples in --help run as written ----------------------------------------------------------------
def _examples(command: list[str]) -> list[str]:
    text = CliRunner().invoke(main, [*command, "--help"]).stdout
    assert "Examples:" in text, f"{' '.join(command)} --help has no examples"
    block = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


_SETUP = {"restore": [["rm", "grid_n100_d10"], ["rm", "--filter", "attributes.status = 'FAILED'"]]}
_COMMANDS = [
    "ls",
    "show",
    "compare",
    "best",
    "history",
    "artifacts",
    "cat",
    "export",
    "gc",
    "tag",
    "rename",
    "note",
    "rm",
    "restore",
    "import mlflow",
]


@pytest.mark.parametrize("command", _COMMANDS)
def test_help_examples_run_as_written(
    command: str, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example (run names are the demo store's) exits 0 on a copy of the demo store."""
    import shlex
    import shutil

    store = tmp_path / "store"
    shutil.copytree(demo, store)
    shutil.copytree(Path(__file__).parents[1] / "data" / "mlflow" / "mlruns", tmp_path / "mlruns")
    shutil.copy(Path(__file__).parents[1] / "data" / "mlflow" / "sqlite" / "mlflow.db", tmp_path / "mlflow.db")
    (tmp_path / "notes.md").write_text("from a file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUITRACK_STORE", str(store))
    for args in _SETUP.get(command, []):
        assert CliRunner().invoke(main, args).exit_code == 0
    examples = _examples(command.split())
    assert examples
    for line in examples:
        words = shlex.split(line)
        assert words[0] == "tuitrack" and words[1 : 1 + len(command.split())] == command.split(), line
        stdin = stdout = None
        if "<" in words:
            stdin = Path(words[words.index("<") + 1]).read_text()
            words = words[: words.index("<")]
        if ">" in words:
            stdout = Path(words[words.index(">") + 1])
            words = words[: words.index(">")]
        res = CliRunner().invoke(main, words[1:], input=stdin)
        assert res.exit_code == 0, f"{line}\n{res.output}"
        if stdout is not None:
            stdout.write_bytes(res.stdout_bytes)
            assert stdout.stat().st_size > 0, line


def test_main_help_examples_name_real_commands() -> None:
    for line in _examples([]):
        assert line.split()[0] == "tuitrack"
        words = [w for w in line.split()[1:] if not w.startswith("-")]
        assert words[0] in main.list_commands(click.Context(main)) or words[0].startswith("~"), line


def test_best_counts_runs_that_have_the_metric_and_ties(run, tmp_path: Path) -> None:
    s = tmp_path / "b"
    tuitrack.set_store(s)
    tuitrack.configure(capture_env=False)
    try:
        for name, acc in (("a", 0.9), ("b", 0.9), ("c", 0.5), ("d", None), ("e", None)):
            with tuitrack.start_run(experiment="e", name=name) as r:
                r.log_metric("other", 1.0)
                if acc is not None:
                    r.log_metric("acc", acc)
        tuitrack.flush()
    finally:
        tuitrack.set_store(None)
        tuitrack.configure(capture_env=True)
    data = json.loads(run("best", "acc", "--json", "--store", str(s)).stdout)
    assert data["runs_considered"] == 3 and data["ties"] == 1 and data["run"]["name"] == "b"
    text = run("best", "acc", "--store", str(s), "-f", "attributes.run_name != 'a'").stdout
    assert "2 runs have it)" in text.splitlines()[0]
    assert "3 runs have it; 1 other run ties (newest shown)" in run("best", "acc", "--store", str(s)).stdout


def test_ls_names_an_empty_requested_column(run, demo: Path) -> None:
    """`-c params.lr` (the demo's param is learning_rate) would silently print an empty column."""
    res = run("ls", *D(demo), "-c", "name,params.lr,metrics.auc", "--csv")
    assert res.exit_code == 0
    assert "no listed run has params.lr" in res.stderr and "learning_rate" in res.stderr
    assert "metrics.auc" not in res.stderr
    assert res.stdout.splitlines()[0] == "name,params.lr,metrics.auc"


def test_every_command_is_listed_and_loads_under_its_name() -> None:
    """``tuitrack``'s commands load on first use (tuitrack.cli.main.COMMANDS): each listed name resolves to a
    command of that name, ``--help`` lists them all, and none is listed twice or missing."""
    from tuitrack.cli.main import COMMANDS

    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert names == sorted(COMMANDS)
    for name in names:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        assert command.name == name, name
    text = CliRunner().invoke(main, ["--help"]).stdout
    listed = text.split("Commands:", 1)[1].split()
    assert all(name in listed for name in names), text
    assert main.get_command(ctx, "no-such-command") is None
    assert "tuitrack" in main.get_command(ctx, "import").list_commands(ctx)  # type: ignore[union-attr]


def test_the_command_line_imports_only_the_command_it_runs() -> None:
    """Opening the browser (``tuitrack`` alone) imports no command's module; ``tuitrack ls`` imports its own."""
    code = (
        "import sys, tuitrack.cli.main as m\n"
        "before = sorted(n for n in sys.modules if n.startswith(('tuitrack.cli.', 'tuitrack.analysis')))\n"
        "import click; m.main.get_command(click.Context(m.main), 'ls')\n"
        "after = sorted(n for n in sys.modules if n.startswith('tuitrack.cli.'))\n"
        "print(' '.join(before)); print(' '.join(after))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].split() == ["tuitrack.cli.common", "tuitrack.cli.launch", "tuitrack.cli.main"]
    assert "tuitrack.cli.store_commands" in out[1].split() and "tuitrack.cli.runs" not in out[1].split()
