"""Issue 17 item 4 and item 7's clean lines in the charts view: a metric as the x axis (``X``), one clean
line per run in overlays with the min/max envelope on request (``e``), and compare at a step (``a``)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import reset_tuitrack
from textual.widgets import DataTable, Input

import tuitrack
from tuitrack.store.core import Store
from tuitrack.tui.app import create_app
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.dialogs.step_prompt import StepPrompt
from tuitrack.tui.screens.charts import ChartsScreen
from tuitrack.tui.screens.compare import CompareScreen

NOW = 1_750_000_000_000
SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    reset_tuitrack()
    yield
    reset_tuitrack()
    monkeypatch.undo()
    time.tzset()


def _store(path: Path, runs: dict[str, dict[str, list[tuple[int, float]]]]) -> dict[str, str]:
    """Runs named as the keys, each logging its series ``{key: [(step, value), ...]}``; returns name -> id."""
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, identity={"user": "u", "host": "h", "source": "s"})
    ids = {}
    for name, series in runs.items():
        with tuitrack.start_run(experiment="e", name=name) as run:
            for key, points in series.items():
                for step, value in points:
                    run.log_metric(key, value, step=step)
        ids[name] = run.id
    tuitrack.flush()
    tuitrack.set_store(None)
    return ids


async def settle(pilot) -> None:
    for _ in range(5):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_charts(pilot, marks: int) -> ChartsScreen:
    await settle(pilot)
    for _ in range(marks):
        await pilot.press("space")
    await pilot.press("v")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChartsScreen)
    return screen


async def pick(pilot, screen: ChartsScreen, metrics: list[str]) -> None:
    picker = screen.query_one("#metric-picker")
    picker.deselect_all()
    for key in metrics:
        picker.select(key)
    await settle(pilot)
    assert screen.selected == metrics


async def choose_x(pilot, choice: str) -> None:
    await pilot.press("X")
    await settle(pilot)
    chooser = pilot.app.screen
    assert isinstance(chooser, KeyPicker)
    chooser.query_one("OptionList").highlighted = chooser.listed.index(choice)
    await pilot.press("enter")
    await settle(pilot)


# -- a metric as the x axis -------------------------------------------------------------------------
async def test_metric_as_x_axis_paired_by_step(tmp_path: Path) -> None:
    # accuracy logged every 10 steps, epoch every 100 steps (from step 100), tokens_seen every step
    ids = _store(
        tmp_path / "s",
        {
            "run": {
                "accuracy": [(s, s / 1000) for s in range(0, 1000, 10)],
                "epoch": [(s, s // 100) for s in range(100, 1000, 100)],
                "tokens_seen": [(s, 512.0 * s) for s in range(1000)],
            }
        },
    )
    app = create_app(Store(tmp_path / "s"), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, 0)
        await pick(pilot, screen, ["accuracy"])
        assert screen.x_metric is None and screen.x_label() == "step"
        await choose_x(pilot, "epoch")
        assert screen.x_metric == "epoch"
        x_points = screen.x_histories[(ids["run"], "accuracy", "epoch")]
        assert {p.step for p in x_points} <= set(range(100, 1000, 100))  # only epoch's own points, beside y's
        spec = screen.build_specs()[0]
        assert spec.title.startswith("accuracy vs epoch") and spec.xlabel == "epoch (by step)"
        (line,) = spec.series
        # steps before epoch's first point (100) and after its last (900) are dropped; between, interpolated
        assert min(line.xs) == 1.0 and max(line.xs) == 9.0
        pairs = dict(zip(line.ys, line.xs))
        assert pairs[0.15] == pytest.approx(1.5) and pairs[0.5] == 5.0
        assert "x: epoch (by step)" in str(screen.query_one("#charts-status").render())
        await choose_x(pilot, "tokens_seen")
        (line,) = screen.build_specs()[0].series
        assert list(zip(line.xs, line.ys))[:3] == [(0.0, 0.0), (5120.0, 0.01), (10240.0, 0.02)]
        await pilot.press("x")  # back to step
        assert screen.x_metric is None and screen.x_mode == "step"
        await choose_x(pilot, "(wall time)")
        assert screen.x_mode == "wall time" and screen.x_metric is None


async def test_metric_x_on_a_long_history_reads_only_beside_the_drawn_steps(tmp_path: Path) -> None:
    n = 200_000
    path = tmp_path / "s"
    store = Store(path, create=True)
    rid = store.create_run(run_id="a" * 32, experiment_id=store.experiment_id("e"), name="long", start_time=0)
    for key, fn in (("loss", lambda s: 1 / (1 + s)), ("tokens_seen", lambda s: 1024.0 * s)):
        kid = store.metric_kid(key)
        for lo in range(0, n, 50_000):
            store.write_batches([(rid, key, [(rid, kid, s, 1_000 + s, fn(s)) for s in range(lo, lo + 50_000)])])
    store.end_run(rid, "FINISHED")
    store.close()
    app = create_app(Store(path), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, 0)
        await pick(pilot, screen, ["loss"])
        await choose_x(pilot, "tokens_seen")
        y_points = screen.histories[("a" * 32, "loss")]
        x_points = screen.x_histories[("a" * 32, "loss", "tokens_seen")]
        assert len(y_points) <= 2 * SIZE[0] and len(x_points) <= 2 * len(y_points)
        (line,) = screen.build_specs()[0].series
        assert all(x == 1024.0 * round(x / 1024.0) for x in line.xs)  # tokens at y's own steps
        assert line.xs == sorted(line.xs) and max(line.xs) == 1024.0 * (n - 1)


# -- clean overlay lines -----------------------------------------------------------------------------
def _noisy(seed: int, n: int = 4000, level: float = 0.0) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    return [(s, level + math.exp(-s / 1000) + rng.choice((-0.5, 0.5))) for s in range(n)]


async def test_overlay_draws_one_clean_line_per_run_and_the_envelope_on_request(tmp_path: Path) -> None:
    ids = _store(tmp_path / "s", {"a": {"loss": _noisy(1)}, "b": {"loss": _noisy(2, level=2.0)}})
    app = create_app(Store(tmp_path / "s"), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, 2)
        await pick(pilot, screen, ["loss"])
        width = screen._chart_width()
        lines = screen.build_specs()[0].series
        assert [s.label for s in lines] == ["b", "a"] or [s.label for s in lines] == ["a", "b"]
        for line in lines:
            # the min/max read zigzags by a whole unit from point to point; the line's steps are small
            assert len(line.xs) <= width
            assert max(abs(b - a) for a, b in zip(line.ys, line.ys[1:])) < 0.5
            assert line.xs == sorted(line.xs)
        envelope = {rid: screen.histories[(rid, "loss")] for rid in ids.values()}
        assert all(len(pts) > width for pts in envelope.values())  # what a single run would draw
        await pilot.press("e")
        assert screen.envelope
        series = screen.build_specs()[0].series
        assert len(series) == 4 and [s.label for s in series[:2]] == ["", ""]  # envelopes first, unlabelled
        assert {tuple(s.ys) for s in series[:2]} == {tuple(p.value for p in pts) for pts in envelope.values()}
        assert "envelope" in str(screen.query_one("#charts-status").render())
        await pilot.press("e")
        await pilot.press("plus")  # smoothing smooths the clean line; the raw one stays faint under it
        series = screen.build_specs()[0].series
        assert len(series) == 4 and all(len(s.xs) <= width for s in series)


async def test_a_single_run_keeps_its_envelope(tmp_path: Path) -> None:
    ids = _store(tmp_path / "s", {"a": {"loss": _noisy(1)}})
    app = create_app(Store(tmp_path / "s"), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_charts(pilot, 0)
        await pick(pilot, screen, ["loss"])
        (line,) = screen.build_specs()[0].series
        assert list(line.ys) == [p.value for p in screen.histories[(ids["a"], "loss")]]
        assert max(line.ys) == max(v for _, v in _noisy(1))  # the spike-keeping read, drawn as is


# -- compare at a step ------------------------------------------------------------------------------
async def test_compare_at_step(tmp_path: Path) -> None:
    ids = _store(
        tmp_path / "s",
        {
            "long": {
                "loss": [(s, 1.0 / (1 + s)) for s in range(100)],
                "val": [(s, 2 - s / 100) for s in range(0, 100, 10)],
            },
            "short": {"loss": [(s, 0.5 / (1 + s)) for s in range(40)]},
            "late": {"loss": [(s, 0.9) for s in range(60, 100)]},
        },
    )
    app = create_app(Store(tmp_path / "s"), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A", "c")  # every run marked, compared
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and len(screen.runs) == 3
        assert screen.comparison.step is None
        await pilot.press("a")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, StepPrompt)
        await pilot.press(*"abc", "enter")
        assert app.screen is prompt and "not a step" in str(prompt.query_one("#step-error").render())
        prompt.query_one(Input).value = ""
        await pilot.press(*"35", "enter")
        await settle(pilot)
        assert app.screen is screen and screen.at_step == 35 and screen.comparison.step == 35
        loss = screen.comparison.row("metric", "loss")
        col = {rid: i for i, rid in enumerate(screen.comparison.run_ids)}
        assert loss.numbers[col[ids["long"]]] == 1.0 / 36 and loss.numbers[col[ids["late"]]] is None
        assert loss.best == {col[ids["short"]]}
        table = screen.query_one(DataTable)
        assert table.get_cell("metric\x00loss", ids["late"]).plain == "— starts at step 60"
        assert table.get_cell("metric\x00val", ids["long"]).plain.endswith(" @30")
        assert "metrics at step 35" in str(screen.query_one("#compare-title").render())
        table.move_cursor(row=[r.key for r in table.ordered_rows].index("metric\x00val"), column=col[ids["long"]] + 1)
        await settle(pilot)
        assert "logged at step 30; at step 35" in str(screen.query_one("#compare-value").render())
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")  # empty: the latest values again
        await settle(pilot)
        assert screen.at_step is None and screen.comparison.step is None
        assert screen.comparison.row("metric", "loss").numbers[col[ids["late"]]] == 0.9


async def test_no_color_lines_and_envelopes_told_apart_by_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(
        tmp_path / "s",
        {
            "a": {"loss": _noisy(1, n=500), "tokens": [(s, 10.0 * s) for s in range(500)]},
            "b": {"loss": _noisy(2, n=500), "tokens": [(s, 20.0 * s) for s in range(500)]},
        },
    )
    monkeypatch.setenv("NO_COLOR", "1")
    app = create_app(Store(tmp_path / "s"), clock=lambda: NOW, state_dir=tmp_path / "st", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        screen = await open_charts(pilot, 2)
        await pick(pilot, screen, ["loss"])
        await choose_x(pilot, "tokens")
        await pilot.press("e")
        series = screen.build_specs()[0].series
        assert len(series) == 4
        envelopes, lines = series[:2], series[2:]
        assert len({s.marker for s in lines}) == 2 and "braille" not in {s.marker for s in lines}
        assert [s.marker for s in envelopes] == [s.marker for s in lines]  # each run's envelope wears its glyph
