"""``tuitrack sql`` and the store's views: read-only queries, every output format, user text shown literally."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from click_compat import CliRunner
from helpers import db_rows

import tuitrack
from tuitrack.cli.main import main


@pytest.fixture
def store(store_path: Path) -> Path:
    with tuitrack.start_run(name="alpha\x1b[31m", params={"lr": 0.1, "depth": 4}, tags={"team": "a"}) as r:
        r.log_metric("auc", 0.8, step=0)
        r.log_metric("auc", 0.9, step=1)
        r.log_metric("loss", math.nan)
        r.log_metric("gain", math.inf)
    with tuitrack.start_run(name="beta", params={"lr": 0.2}):
        tuitrack.log_metric("auc", 0.7)
    tuitrack.flush()
    return store_path


def sql(store: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sql", *args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def test_run_summary_holds_params_tags_and_latest_metrics(store: Path) -> None:
    code, out, _ = sql(
        store, "SELECT run_name, params, tags, metrics FROM run_summary ORDER BY start_time", "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["run_name"] for r in rows] == ["alpha\x1b[31m", "beta"]
    assert json.loads(rows[0]["params"]) == {"depth": "4", "lr": "0.1"}
    assert json.loads(rows[0]["tags"])["team"] == "a"
    metrics = json.loads(rows[0]["metrics"])
    assert metrics["auc"] == 0.9 and metrics["loss"] is None and metrics["gain"] == "inf"  # NaN is stored NULL


def test_views_for_params_metrics_and_history(store: Path) -> None:
    code, out, _ = sql(
        store,
        "SELECT r.run_name, p.key, p.value, p.number FROM run_params p "
        "JOIN run_summary r USING (run_id) WHERE p.key = :k ORDER BY p.value",
        "-p",
        "k",
        "lr",
        "--format",
        "csv",
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["run_name", "key", "value", "number"]
    assert [r[1:] for r in rows[1:]] == [["lr", "0.1", "0.1"], ["lr", "0.2", "0.2"]] and rows[2][0] == "beta"
    code, out, _ = sql(
        store, "SELECT key, value, step, count FROM run_metrics WHERE key = 'auc' ORDER BY value", "--format", "nl"
    )
    assert [json.loads(line) for line in out.splitlines()] == [
        {"key": "auc", "value": 0.7, "step": 0, "count": 1},
        {"key": "auc", "value": 0.9, "step": 1, "count": 2},
    ]
    code, out, _ = sql(
        store,
        "SELECT step, value FROM metric_history WHERE key = 'auc' AND value > 0.75 ORDER BY step",
        "--format",
        "tsv",
    )
    assert out.splitlines() == ["step\tvalue", "0\t0.8", "1\t0.9"]


def test_table_shows_user_text_literally_and_counts_rows(store: Path) -> None:
    code, out, err = sql(store, "SELECT run_name, status FROM run_summary ORDER BY start_time")
    assert code == 0
    assert "\x1b" not in out and "alpha\\x1b[31m" in out  # an escape sequence in a name is shown, not obeyed
    assert out.splitlines()[0].split() == ["run_name", "status"]
    assert "2 rows" in err


def test_json_spells_infinity_as_a_string(store: Path) -> None:
    code, out, _ = sql(
        store, "SELECT value FROM run_metrics WHERE key IN ('gain', 'loss') ORDER BY key", "--format", "json"
    )
    assert code == 0 and json.loads(out) == [{"value": "inf"}, {"value": None}]


def test_writes_are_refused_and_change_nothing(store: Path) -> None:
    before = db_rows(store)
    for statement in (
        "DELETE FROM runs",
        "UPDATE runs SET name = 'x'",
        "DROP VIEW run_summary",
        "CREATE TABLE t (x)",
        "PRAGMA journal_mode = DELETE",
    ):
        code, _, err = sql(store, statement)
        assert code == 1, statement
        assert err.startswith("Error: SQL error: ")
    assert db_rows(store) == before


def test_bad_sql_and_missing_store_are_one_line_errors(store: Path, tmp_path: Path) -> None:
    code, out, err = sql(store, "SELEC 1")
    assert (code, out) == (1, "") and err.startswith('Error: SQL error: near "SELEC"')
    code, out, err = sql(tmp_path / "nowhere", "SELECT 1")
    assert (code, out) == (1, "") and "no tuitrack store at" in err
