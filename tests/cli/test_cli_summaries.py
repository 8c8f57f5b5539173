"""Summary fields on the command line: ``ls -c``/``-s``/``-f`` and ``best``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clisum")
    tuitrack.set_store(path)
    tuitrack.configure(capture_packages=False, capture_env=False)
    try:
        for name, losses in [
            ("early", [0.9, 0.1, 0.8, 0.85]),
            ("steady", [0.5, 0.4, 0.3, 0.25]),
            ("late", [0.6, 0.5, 0.4, 0.15]),
        ]:
            with tuitrack.start_run(name=name) as run:
                for step, v in enumerate(losses):
                    run.log_metric("val.loss", v, step=step)
                run.log_metric("score.max", 1.0 if name == "late" else 0.0)  # a key that looks like a field
    finally:
        tuitrack.configure(capture_packages=True, capture_env=True)
        tuitrack.set_store(None)
    return path


def cli(store: Path, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), *args], catch_exceptions=False)


def test_ls_columns_sort_and_filter_by_summary_fields(store: Path) -> None:
    r = cli(
        store,
        "ls",
        "-c",
        "name,metrics.val.loss.min,val.loss.best_step,metrics.`val.loss`.mean_last_10",
        "-s",
        "metrics.val.loss.min",
        "-f",
        "metrics.val.loss.max < 0.9",
    )
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["name", "val.loss.min", "val.loss.best_step", "val.loss.mean_last_10"]
    assert [line.split()[0] for line in lines[1:]] == ["late", "steady"]
    assert lines[1].split()[1:] == ["0.15", "3", "0.4125"]


def test_ls_json_and_csv_carry_summary_values(store: Path) -> None:
    r = cli(store, "ls", "--json", "-c", "name,metrics.val.loss.min,metrics.val.loss.best_step", "-s", "name")
    rows = json.loads(r.output)
    assert rows[0]["name"] == "early"
    assert rows[0]["metric_summaries"] == {"val.loss": {"min": 0.1, "best_step": 1}}
    r = cli(store, "ls", "--csv", "-c", "name,metrics.val.loss.max", "-s", "name")
    assert r.output.splitlines()[:2] == ["name,metrics.val.loss.max", "early,0.9"]


def test_an_existing_key_that_looks_like_a_field_stays_a_key(store: Path) -> None:
    r = cli(store, "ls", "-c", "name,metrics.score.max", "-f", "metrics.score.max = 1")
    assert r.output.split() == ["name", "score.max", "late", "1"]


def test_ls_refuses_an_unstored_mean(store: Path) -> None:
    r = cli(store, "ls", "-c", "name,metrics.val.loss.mean_last_5")
    assert r.exit_code != 0 and "only mean_last_10 is kept" in r.output


def test_best_by_summary_fields(store: Path) -> None:
    r = cli(store, "best", "val.loss.min")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("Best val.loss.min = 0.1 at step 1 (lower is better; 3 runs have it")
    assert "early" in r.output.splitlines()[1]
    r = cli(store, "best", "val.loss", "--json")
    assert json.loads(r.output)["run"]["name"] == "late"  # the last value: 0.15
    r = cli(store, "best", "val.loss.mean_last_10", "--json")
    data = json.loads(r.output)
    assert (data["field"], data["run"]["name"], data["value"]) == ("mean_last_10", "steady", pytest.approx(0.3625))
    r = cli(store, "best", "val.loss.best", "--max", "--json")  # --max flips which way best points
    data = json.loads(r.output)
    assert (data["value"], data["step"], data["run"]["name"]) == (0.9, 0, "early")
    r = cli(store, "best", "val.loss.best_step")
    assert r.exit_code != 0 and "is a step or a count" in r.output
