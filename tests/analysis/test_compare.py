"""Pure comparison logic: matrix, diffs, best markers, directions, exports, smoothing, grouping, axes."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

import tuitrack
from tuitrack.analysis import compare as cmp
from tuitrack.analysis import series as ser
from tuitrack.demo import build_demo_store
from tuitrack.entities import MetricPoint, MetricSummary, Run, RunData, RunInfo
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking

NOW = 1_750_000_000_000


def make_run(
    run_id: str,
    name: str,
    params: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
    *,
    mins: dict[str, float] | None = None,
    maxs: dict[str, float] | None = None,
    status: str = "FINISHED",
) -> Run:
    metrics = metrics or {}
    summaries = {
        k: MetricSummary(k, v, 10, NOW, (mins or {}).get(k, v), (maxs or {}).get(k, v), 11) for k, v in metrics.items()
    }
    info = RunInfo(
        run_id=run_id,
        run_name=name,
        experiment_id=1,
        experiment="exp",
        status=status,
        start_time=NOW - 90_000,
        end_time=NOW if status != "RUNNING" else None,
        heartbeat=NOW,
    )
    return Run(info, RunData(params=params or {}, metrics=metrics, tags=tags or {}, summaries=summaries))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = build_demo_store(tmp_path_factory.mktemp("demo") / "store", now_ms=NOW)
    store = Store(path)
    yield store
    store.close()


# -- direction ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, expected",
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("test/error_rate", "min"),
        ("rmse", "min"),
        ("MAE", "min"),
        ("perplexity", "min"),
        ("train_err", "min"),
        ("auc", "max"),
        ("accuracy", "max"),
        ("f1", "max"),
    ],
)
def test_metric_direction_default_rule(key: str, expected: str) -> None:
    assert cmp.metric_direction(key) == expected


def test_metric_direction_override_wins() -> None:
    assert cmp.metric_direction("loss", {"loss": "max"}) == "max"
    assert cmp.metric_direction("auc", {"loss": "max"}) == "max"


def test_direction_prefs_persist_per_store(tmp_path) -> None:
    prefs = cmp.DirectionPrefs(tmp_path / "storeA", directory=tmp_path / "state")
    assert prefs.direction("auc") == "max"
    assert prefs.flip("auc") == "min"
    again = cmp.DirectionPrefs(tmp_path / "storeA", directory=tmp_path / "state")
    assert again.direction("auc") == "min"
    other = cmp.DirectionPrefs(tmp_path / "storeB", directory=tmp_path / "state")
    assert other.direction("auc") == "max"
    assert again.flip("auc") == "max"  # flipping back removes the override
    data = json.loads((tmp_path / "state" / "metric_directions.json").read_text())
    assert data == {}
    assert not (tmp_path / "storeA").exists()  # nothing written into the store


def test_direction_prefs_ignore_corrupt_file(tmp_path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "metric_directions.json").write_text("{not json")
    prefs = cmp.DirectionPrefs(tmp_path / "s", directory=state)
    assert prefs.direction("loss") == "min"
    prefs.flip("loss")
    assert json.loads((state / "metric_directions.json").read_text())[prefs.store_key] == {"loss": "max"}


def test_state_dir_uses_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert cmp.state_dir() == tmp_path / "tuitrack"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert cmp.state_dir().parts[-3:] == ("." + "local", "state", "tuitrack")


# -- matrix --------------------------------------------------------------------------------------------
def _runs() -> list[Run]:
    return [
        make_run(
            "a" * 32,
            "alpha",
            {"lr": "0.1", "depth": "10"},
            {"auc": 0.8, "loss": 0.30},
            {"team": "x"},
            mins={"loss": 0.25},
            maxs={"auc": 0.85},
        ),
        make_run(
            "b" * 32,
            "beta",
            {"lr": "0.1", "depth": "20"},
            {"auc": 0.9, "loss": 0.40},
            {"team": "x"},
            mins={"loss": 0.2},
            maxs={"auc": 0.9},
        ),
        make_run("c" * 32, "gamma", {"lr": "0.1"}, {"auc": math.nan, "loss": 0.30}, {"team": "x"}),
    ]


def test_matrix_rows_diff_and_best() -> None:
    comp = cmp.build_comparison(_runs(), now_ms=NOW)
    labels = [r.label for r in comp.rows]
    assert labels[:6] == ["run id", "name", "experiment", "status", "start", "duration"]
    assert labels[6:] == ["params.depth", "params.lr", "metrics.auc", "metrics.loss", "tags.team"]
    assert comp.row("param", "depth").cells == ["10", "20", None]
    assert comp.row("param", "depth").differs
    assert not comp.row("param", "lr").differs
    auc = comp.row("metric", "auc")
    assert auc.cells == ["0.8", "0.9", "nan"]
    assert auc.best == {1}  # NaN never wins
    loss = comp.row("metric", "loss")
    assert loss.direction == "min" and loss.best == {0, 2}  # ties all marked
    assert cmp.best_run_ids(comp, "loss") == ["a" * 32, "c" * 32]
    assert comp.row("run", "duration").cells == ["1m30s"] * 3


def test_diff_only_keeps_identity_rows() -> None:
    comp = cmp.build_comparison(_runs(), now_ms=NOW)
    labels = [r.label for r in comp.visible_rows(diff_only=True)]
    assert labels == ["run id", "name", "params.depth", "metrics.auc", "metrics.loss"]


def test_minmax_rows_and_direction_override() -> None:
    comp = cmp.build_comparison(_runs(), now_ms=NOW, with_minmax=True, directions={"auc": "min"})
    assert [r.label for r in comp.rows if r.key == "loss"] == ["metrics.loss", "min loss", "max loss"]
    assert comp.row("metric.min", "loss").best == {1}
    assert comp.row("metric", "auc").best == {0}  # flipped: lower auc is "better"


def test_no_best_when_all_equal_or_single() -> None:
    runs = [make_run("a" * 32, "a", metrics={"auc": 0.5}), make_run("b" * 32, "b", metrics={"auc": 0.5})]
    assert cmp.build_comparison(runs, now_ms=NOW).row("metric", "auc").best == set()
    one = cmp.build_comparison(runs[:1], now_ms=NOW)
    assert one.row("metric", "auc").best == set()


def test_running_duration_uses_now() -> None:
    run = make_run("a" * 32, "a", status="RUNNING")
    comp = cmp.build_comparison([run], now_ms=NOW)
    assert comp.row("run", "status").cells == ["RUNNING"]
    assert comp.row("run", "duration").cells == ["1m30s"]


def test_metric_rows_differ_by_value_not_by_rounded_cell() -> None:
    """Diff-only must keep a metric whose values differ past the 4 decimals a cell shows."""
    runs = [
        make_run("a" * 32, "a", metrics={"auc": 0.87341, "nan": math.nan, "same": 0.5}),
        make_run("b" * 32, "b", metrics={"auc": 0.87344, "nan": math.nan, "same": 0.5}),
    ]
    comp = cmp.build_comparison(runs, now_ms=NOW)
    auc = comp.row("metric", "auc")
    assert auc.cells[0] == auc.cells[1] and auc.differs and auc.best == {1}
    assert not comp.row("metric", "nan").differs and not comp.row("metric", "same").differs
    assert [r.key for r in comp.visible_rows(diff_only=True) if r.section == "metric"] == ["auc"]


def test_crashed_duration_stops_at_the_last_heartbeat() -> None:
    """A dead run must not keep "running" in the comparison (the runs table stops it too)."""
    run = make_run("a" * 32, "a", status="RUNNING")
    later = NOW + 3 * 3_600_000  # the heartbeat (NOW) is long stale: CRASHED
    comp = cmp.build_comparison([run], now_ms=later)
    assert comp.row("run", "status").cells == ["CRASHED"]
    assert comp.row("run", "duration").cells == ["1m30s"]


def test_demo_grid_runs(demo_store: Store) -> None:
    rids = demo_store.search_rids("attributes.run_name LIKE 'grid_%'", "attributes.run_name ASC")
    runs = demo_store.runs_by_rids(rids)
    assert [r.info.run_name for r in runs] == ["grid_n100_d10", "grid_n100_d20", "grid_n200_d10", "grid_n200_d20"]
    comp = cmp.build_comparison(runs, now_ms=NOW)
    diff = {r.label for r in comp.visible_rows(diff_only=True)}
    assert {"params.n_estimators", "params.max_depth"} <= diff
    assert "params.model" not in diff and "tags.purpose" not in diff
    for key in ("auc", "loss"):
        row = comp.row("metric", key)
        values = [v for v in row.numbers if v is not None]
        target = max(values) if key == "auc" else min(values)
        assert row.best == {i for i, v in enumerate(row.numbers) if v == target}


# -- export ---------------------------------------------------------------------------------------------
def test_markdown_export_escapes_and_marks_best() -> None:
    runs = _runs()
    runs[0] = make_run("a" * 32, "al|pha\n[b]", {"lr": "0.1", "depth": "10"}, {"auc": 0.8, "loss": 0.3})
    md = cmp.to_markdown(cmp.build_comparison(runs, now_ms=NOW))
    lines = md.splitlines()
    assert lines[0].startswith("| field | al\\|pha [b] (aaaaaaaa) | beta (bbbbbbbb)")
    assert lines[1] == "|---|---|---|---|"
    auc = next(line for line in lines if line.startswith("| metrics.auc"))
    assert auc == "| metrics.auc | 0.8 | **0.9** ★ | nan |"
    md_diff = cmp.to_markdown(cmp.build_comparison(runs, now_ms=NOW), diff_only=True)
    assert "params.lr" in md and "params.lr" not in md_diff


def test_csv_export_round_trips_full_precision() -> None:
    runs = [make_run("a" * 32, "a", {"p": "x,y"}, {"auc": 0.123456789}), make_run("b" * 32, "b", {}, {"auc": 1.0})]
    rows = list(csv.reader(io.StringIO(cmp.to_csv(cmp.build_comparison(runs, now_ms=NOW)))))
    assert rows[0] == ["section", "key", "a" * 32, "b" * 32]
    assert rows[1] == ["run", "name", "a", "b"]
    assert ["param", "p", "x,y", ""] in rows
    assert ["metric", "auc", "0.123456789", "1.0"] in rows


def test_write_export_checks_path(tmp_path) -> None:
    comp = cmp.build_comparison(_runs(), now_ms=NOW)
    out = cmp.write_export(comp, tmp_path / "c.md")
    assert out.read_text().startswith("| field |")
    assert cmp.write_export(comp, tmp_path / "c.csv").read_text().startswith("section,key")
    with pytest.raises(ValueError, match=r"use a \.md or \.csv"):
        cmp.write_export(comp, tmp_path / "c.txt")
    with pytest.raises(ValueError, match="does not exist"):
        cmp.write_export(comp, tmp_path / "missing" / "c.md")
    assert cmp.default_export_path("md", NOW).name.startswith("tuitrack-compare-2025")
    with pytest.raises(ValueError):
        cmp.default_export_path("pdf", NOW)


# -- series ------------------------------------------------------------------------------------------------
def test_ema_debiased() -> None:
    assert ser.ema([1.0, 2.0, 3.0], 0.0) == [1.0, 2.0, 3.0]
    out = ser.ema([5.0, 5.0, 5.0], 0.9)
    assert out == pytest.approx([5.0, 5.0, 5.0])  # debiasing: a constant stays constant
    smoothed = ser.ema([0.0, 10.0], 0.5)
    assert smoothed == pytest.approx([0.0, (0.5 * 0 * 0.5 + 0.5 * 10) / 0.75])
    with_nan = ser.ema([1.0, math.nan, 1.0], 0.5)
    assert with_nan[0] == 1.0 and math.isnan(with_nan[1]) and with_nan[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="smoothing weight"):
        ser.ema([1.0], 1.0)


def test_minmax_downsample_keeps_spikes() -> None:
    xs = [float(i) for i in range(1000)]
    ys = [0.0] * 1000
    ys[537] = 99.0
    ys[12] = -5.0
    dx, dy = ser.minmax_downsample(xs, ys, 20)
    assert len(dx) <= 20 and 99.0 in dy and -5.0 in dy
    assert dx == sorted(dx)
    assert ser.minmax_downsample([1.0], [2.0], 10) == ([1.0], [2.0])
    with pytest.raises(ValueError):
        ser.minmax_downsample([1.0], [2.0, 3.0], 10)


def test_x_values_and_ticks() -> None:
    pts = [MetricPoint("m", 1.0, 0, 1_000_000), MetricPoint("m", 2.0, 5, 1_090_000)]
    assert ser.x_values(pts, ser.X_STEP, 0) == [0.0, 5.0]
    assert ser.x_values(pts, ser.X_RELATIVE, 1_000_000) == [0.0, 90.0]
    assert ser.x_values(pts, ser.X_WALL, 0) == [1000.0, 1090.0]
    assert ser.next_x_mode(ser.X_RELATIVE) == ser.X_STEP
    ticks, labels = ser.time_ticks(0, 90, 3, ser.X_RELATIVE)
    assert ticks == [0, 45, 90] and labels == ["0s", "45s", "1m30s"]
    with pytest.raises(ValueError, match="unknown x axis"):
        ser.x_values(pts, "epoch", 0)


def test_grouping_across_seeds() -> None:
    runs = [
        make_run(f"{i:032x}", f"r{i}", {"lr": lr, "seed": str(s)}, {"auc": auc})
        for i, (lr, s, auc) in enumerate([("0.1", 0, 0.8), ("0.1", 1, 0.9), ("0.03", 0, 0.7), ("0.03", 1, 0.6)])
    ]
    keys = ser.default_group_keys(["lr", "seed", "Random_State"])
    assert keys == ["lr"]
    groups = ser.group_runs(runs, keys)
    assert [g.label for g in groups] == ["lr=0.03", "lr=0.1"]  # numeric order, not text order
    st = ser.group_metric_stats(groups[1], "auc")
    assert st is not None and st.n == 2 and st.mean == pytest.approx(0.85) and st.min == 0.8 and st.max == 0.9
    assert st.std == pytest.approx(math.sqrt(0.005))
    assert ser.group_metric_stats(groups[0], "missing") is None
    assert ser.group_runs(runs, [])[0].label == "all runs"


def test_aggregate_series_band() -> None:
    band = ser.aggregate_series([([0, 1, 2], [1.0, 2.0, 3.0]), ([0, 2], [3.0, 5.0]), ([0, 1], [2.0, math.nan])])
    assert band.xs == [0, 1, 2]
    assert band.mean == pytest.approx([2.0, 2.5, 4.0])  # run 2 forward-filled at x=1; run 3 ends at x=0
    assert band.lo == [1.0, 2.0, 3.0] and band.hi == [3.0, 3.0, 5.0] and band.n == [3, 2, 2]


def test_make_axis_numeric_and_categorical() -> None:
    num = ser.make_axis(["10", "2", None])
    assert num.numeric and num.positions == [10.0, 2.0, None]
    cat = ser.make_axis(["rf", "xgb", "rf", None])
    assert not cat.numeric and cat.labels == ["rf", "xgb"] and cat.positions == [1.0, 2.0, 1.0, None]
    nat = ser.make_axis(["v10", "v2"])
    assert nat.labels == ["v2", "v10"]


def test_comparison_from_logged_runs(tmp_path) -> None:
    tuitrack.set_store(tmp_path / "s")
    tuitrack.configure(capture_env=False, identity={"user": "u", "host": "h", "source": "s"})
    try:
        with tuitrack.start_run(name="one", params={"lr": 0.1}) as a:
            for step in range(5):
                a.log_metric("loss", 1.0 / (step + 1), step=step)
        with tuitrack.start_run(name="two", params={"lr": 0.2}) as b:
            for step in range(5):
                b.log_metric("loss", 2.0 / (step + 1), step=step)
        tuitrack.flush()
        store = Store(tmp_path / "s")
        runs = [store.get_run(a.id), store.get_run(b.id)]
        comp = cmp.build_comparison(runs, now_ms=NOW, with_minmax=True)
        assert comp.row("metric", "loss").best == {0}
        assert comp.row("metric.max", "loss").numbers == [1.0, 2.0]
        store.close()
    finally:
        tuitrack.set_store(None)
        tracking.set_id_factory(None)


def test_direction_prefs_save_leaves_no_temporary_files(tmp_path) -> None:
    prefs = cmp.DirectionPrefs(tmp_path / "storeA", directory=tmp_path / "state")
    prefs.flip("auc")
    prefs.flip("loss")
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["metric_directions.json"]
    assert cmp.DirectionPrefs(tmp_path / "storeA", directory=tmp_path / "state").overrides == {
        "auc": "min",
        "loss": "max",
    }
