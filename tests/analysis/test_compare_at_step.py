"""Compare at a step: each metric's last point at or before the step, or an empty cell that says why."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click_compat import CliRunner

from tuitrack.analysis import compare as cmp
from tuitrack.cli.main import main
from tuitrack.store.core import Store


def test_step_value_rules() -> None:
    assert cmp.step_value(50, 50, 0.3, 0, 99) == cmp.StepValue(0.3, 50, "")
    assert cmp.step_value(55, 50, 0.3, 0, 99) == cmp.StepValue(0.3, 50, "logged at step 50")  # last point <= 55
    assert cmp.step_value(5, None, None, 10, 99) == cmp.StepValue(None, None, "starts at step 10")
    assert cmp.step_value(120, 99, 0.3, 0, 99) == cmp.StepValue(None, None, "ends at step 99")  # never reached
    nan = cmp.step_value(3, 3, None, 0, 9)  # a NaN point is a value (NaN), not a missing one
    assert nan.value is not None and math.isnan(nan.value) and nan.step == 3


def _store(path: Path) -> tuple[Store, dict[str, str]]:
    store = Store(path, create=True)
    exp = store.experiment_id("e")
    series = {
        "long": {
            "loss": [(s, 1.0 / (1 + s)) for s in range(100)],
            "val": [(s, 2.0 - s / 100) for s in range(0, 100, 10)],
        },
        "short": {"loss": [(s, 0.5 / (1 + s)) for s in range(40)]},
        "late": {"loss": [(s, 0.9) for s in range(60, 100)], "val": [(99, 0.1)]},
    }
    ids = {}
    for i, (name, metrics) in enumerate(series.items()):
        run_id = f"{i + 1:032x}"
        rid = store.create_run(run_id=run_id, experiment_id=exp, name=name, start_time=i)
        for key, points in metrics.items():
            kid = store.metric_kid(key)
            store.write_batches([(rid, key, [(rid, kid, s, 1_000 + s, v) for s, v in points])])
        store.end_run(rid, "FINISHED")
        ids[name] = run_id
    return store, ids


def test_comparison_at_step(tmp_path: Path) -> None:
    store, ids = _store(tmp_path / "s")
    runs = [store.get_run(ids[n]) for n in ("long", "short", "late")]
    values = cmp.values_at_step(store, runs, 35)
    comp = cmp.build_comparison(runs, now_ms=0, at_step=(35, values), with_minmax=True)
    assert comp.step == 35
    loss = comp.row(cmp.METRIC, "loss")
    assert loss.numbers[:2] == [1.0 / 36, 0.5 / 36] and loss.numbers[2] is None
    assert loss.notes == ["", "", "starts at step 60"]
    assert loss.best == {1}  # lower is better, among the values at step 35 only
    val = comp.row(cmp.METRIC, "val")
    assert val.numbers == [pytest.approx(1.7), None, None]
    assert val.notes == ["logged at step 30", "", "starts at step 99"]  # "short" has no val at all: plain empty
    assert comp.row(cmp.METRIC_MIN, "loss").numbers[1] == 0.5 / 40  # min/max rows stay the whole run's
    later = cmp.build_comparison(runs, now_ms=0, at_step=(70, cmp.values_at_step(store, runs, 70)))
    assert later.row(cmp.METRIC, "loss").notes == ["", "ends at step 39", ""]
    assert later.row(cmp.METRIC, "loss").best == {0}
    latest = cmp.build_comparison(runs, now_ms=0)
    assert latest.step is None and latest.row(cmp.METRIC, "loss").notes == []
    assert cmp.to_markdown(comp).startswith("| field (metrics at step 35) |")


def test_cli_compare_at_step(tmp_path: Path) -> None:
    store, _ = _store(tmp_path / "s")
    store.close()

    def run(*args: str):
        return CliRunner().invoke(main, ["--store", str(tmp_path / "s"), *args], catch_exceptions=False)

    out = run("compare", "long", "short", "late", "--step", "35")
    assert out.exit_code == 0, out.output
    lines = {line.split()[0]: line for line in out.output.splitlines() if line.strip()}
    assert "metrics at step 35" in out.output.splitlines()[0]
    assert "(starts at step 60)" in lines["metrics.loss"] and "0.0139 *" in lines["metrics.loss"]
    assert "1.7 @30" in lines["metrics.val"]
    data = json.loads(run("compare", "long", "short", "late", "--step", "35", "--json").output)
    assert data["step"] == 35
    row = next(r for r in data["rows"] if r["key"] == "val")
    assert row["values"][0] == pytest.approx(1.7) and row["values"][1:] == [None, None]
    assert row["notes"] == ["logged at step 30", "", "starts at step 99"]
    bad = run("compare", "long", "short", "--step", "x")
    assert bad.exit_code == 2
