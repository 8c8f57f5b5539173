"""The browser's chart panel (issue 17 item 7): charts of the cursor run and the marked runs beside the table.

Pilot tests on app state: the panel follows the cursor and the marks, ``f`` narrows the grid, ``l``
toggles one chart's log y, ``w`` and ``<``/``>`` are remembered per store, and the reads stay bounded
by the screen (a page of charts out of thousands of keys; histories downsampled to the chart width).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual_plotext.plot import Plot

import tuitrack
from tuitrack.analysis import series as ser
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser import chart_panel as cp
from tuitrack.tui.browser.chart_panel import ChartPanel, PanelRun, read_panel
from tuitrack.tui.browser.runs_table import RunsTable
from tuitrack.tui.browser.state import load_state
from tuitrack.tui.colors import hex_color, run_colors, run_markers
from tuitrack.tui.waits import drain, wait_until
from tuitrack.tui.widgets import chart_grid
from tuitrack.tui.widgets.chart_grid import ChartGrid, canvas_of
from tuitrack.tui.widgets.metric_chart import ChartSpec, MetricChart, Series, chart_strips

T0 = 1_717_000_000_000
NOW = T0 + 3_600_000


def seed(path: Path, wide_keys: int = 0) -> dict[str, str]:
    """Four runs with loss/val_loss/accuracy curves and a one-point auc; with ``wide_keys``, a fifth run
    (the newest, under the cursor at start) logging that many two-point metrics."""
    ticks = iter(range(100_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    counter = iter(range(1, 10_000))
    tracking.set_id_factory(lambda: f"{next(counter):04x}" + "cd" * 14)
    ids = {}
    for i, name in enumerate(["alpha", "beta", "gamma", "delta"]):
        with tuitrack.start_run(experiment="exp", name=name) as run:
            for step in range(30):
                run.log_metrics(
                    {"loss": 1.0 / (step + 1 + i), "val_loss": 1.2 / (step + 1 + i), "accuracy": 0.5 + step / 100},
                    step=step,
                )
            run.log_metric("auc", 0.8 + i / 100)
            ids[name] = run.id
    tuitrack.flush()
    if wide_keys:
        with tuitrack.start_run(experiment="exp", name="wide") as run:
            ids["wide"] = run.id
        store = Store(path)
        rid = store.rid(ids["wide"])
        store.write_metrics([(rid, f"m{k:05d}", float(k + s), s, T0) for k in range(wide_keys) for s in range(2)])
        store.close()
    store_mod.set_clock(lambda: NOW)
    return ids


@asynccontextmanager
async def browse(
    path: Path, state: Path, size: tuple[int, int] = (120, 36), no_color: bool = False
) -> AsyncIterator[tuple[TuitrackApp, object]]:
    store = Store(path)
    app = create_app(store, clock=lambda: NOW, state_dir=state, live_interval=0)
    if no_color:
        app.no_color = True
    try:
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.browser.table.cursor_run is not None)
            yield app, pilot
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
    finally:
        store.close()


def panel_of(app: TuitrackApp) -> ChartPanel:
    return app.browser.query_one("#chart-panel", ChartPanel)


async def loaded(pilot, app: TuitrackApp, cond: Callable[[ChartPanel], bool] = lambda p: True) -> ChartPanel:
    panel = panel_of(app)
    await wait_until(pilot, lambda: panel.loaded and cond(panel))
    return panel


def drawn_runs(panel: ChartPanel) -> list[str]:
    assert panel.data is not None
    return [name for _, name in panel.data.runs]


def chart_titles(panel: ChartPanel) -> list[str]:
    return [chart.spec.title for chart in panel.query_one(ChartGrid).charts]


@pytest.fixture
def seeded(store_path: Path) -> tuple[Path, dict[str, str]]:
    return store_path, seed(store_path)


async def test_panel_follows_the_cursor_and_the_marks(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path / "state") as (app, pilot):
        panel = panel_of(app)
        assert not panel.display  # hidden until w
        await pilot.press("w")
        panel = await loaded(pilot, app)
        assert drawn_runs(panel) == ["delta"]  # newest first: the cursor run
        # curves only (auc has one point): one chart each, every run's line in it
        assert panel.data.keys == ["accuracy", "loss", "val_loss"]
        assert [len(c.spec.series) for c in panel.query_one(ChartGrid).charts] == [1, 1, 1]
        await pilot.press("j")
        await loaded(pilot, app, lambda p: drawn_runs(p) == ["gamma"])
        await pilot.press("space")  # marks gamma, the cursor moves on to beta
        panel = await loaded(pilot, app, lambda p: drawn_runs(p) == ["gamma", "beta"])
        await pilot.press("space")  # beta marked too, cursor on alpha
        panel = await loaded(pilot, app, lambda p: drawn_runs(p) == ["gamma", "beta", "alpha"])
        loss = next(c for c in panel.query_one(ChartGrid).charts if c.spec.title.startswith("loss"))
        colors = run_colors([ids["gamma"], ids["beta"], ids["alpha"]])
        assert [s.color for s in loss.spec.series] == [colors[ids["gamma"]], colors[ids["beta"]], colors[ids["alpha"]]]
        assert [s.label for s in loss.spec.series] == ["gamma", "beta", "alpha"]
        # the cursor on a marked run: the marks alone
        await pilot.press("k")
        await loaded(pilot, app, lambda p: drawn_runs(p) == ["gamma", "beta"])
        await pilot.press("U")
        await loaded(pilot, app, lambda p: drawn_runs(p) == ["beta"])


async def test_held_keys_read_only_where_the_cursor_stops(seeded, tmp_path):
    path, _ = seeded
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        before = panel.reads
        table = app.browser.table
        for move in ("down", "down", "down", "up", "up"):  # a held key: faster than FOLLOW_DELAY_S apart
            getattr(table, f"action_cursor_{move}")()
            await pilot.pause(0.01)
        await loaded(pilot, app, lambda p: drawn_runs(p) == ["gamma"])
        assert panel.reads - before <= 2


async def test_filter_narrows_the_grid_and_is_remembered(seeded, tmp_path):
    path, _ = seeded
    state = tmp_path / "state"
    async with browse(path, state) as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        panel.focus()
        await pilot.press("f", *"LOSS", "enter")  # any case, a substring
        panel = await loaded(pilot, app, lambda p: p.data.keys == ["loss", "val_loss"])
        assert len(panel.query_one(ChartGrid).charts) == 2
        assert panel.has_focus  # enter goes back to the charts
        await pilot.press("f", "ctrl+a", "ctrl+k", *"nothing", "enter")
        panel = await loaded(pilot, app, lambda p: p.data.keys == [])
        assert "no metric matches" in str(panel.query_one("#panel-head").content)
        await pilot.press("f", "ctrl+a", "ctrl+k", *"val", "enter")
        await loaded(pilot, app, lambda p: p.data.keys == ["val_loss"])
        await pilot.pause(0.5)
    assert load_state(path, state).extra["chart_panel"]["filter"] == "val"
    async with browse(path, state) as (app, pilot):
        panel = await loaded(pilot, app)
        assert panel.display and panel.needle == "val" and panel.data.keys == ["val_loss"]


async def test_log_y_toggles_the_picked_chart_only(seeded, tmp_path):
    path, _ = seeded
    state = tmp_path / "state"
    async with browse(path, state) as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        panel.focus()
        await pilot.press("right")  # accuracy -> loss
        assert panel.picked_key == "loss"
        await pilot.press("l")
        charts = panel.query_one(ChartGrid).charts
        assert [c.spec.log_y for c in charts] == [False, True, False]
        assert panel.log_keys == {"loss"}
        assert "▸ loss ↓  log y" in chart_titles(panel)
        await pilot.press("right", "l", "left", "l")  # val_loss on, loss off again
        charts = panel.query_one(ChartGrid).charts
        assert [c.spec.log_y for c in charts] == [False, False, True]
        await pilot.pause(0.5)
    assert load_state(path, state).extra["chart_panel"]["log_y"] == ["val_loss"]


async def test_toggle_and_resize_are_remembered_per_store(seeded, tmp_path):
    path, _ = seeded
    state = tmp_path / "state"
    async with browse(path, state) as (app, pilot):
        await pilot.press("w")
        await loaded(pilot, app)
        panel = panel_of(app)
        base = panel.size.width
        await pilot.press("greater_than_sign", "greater_than_sign")
        await wait_until(pilot, lambda: panel.size.width > base)
        assert panel.styles.width.value == 60
        await pilot.press("less_than_sign", "less_than_sign", "less_than_sign", "less_than_sign", "less_than_sign")
        assert panel.styles.width.value == cp.WIDTHS[0]  # stops at the narrowest
        await pilot.press("greater_than_sign")
        await pilot.pause(0.5)
    saved = load_state(path, state).extra["chart_panel"]
    assert saved["shown"] is True and saved["width"] == 40
    async with browse(path, state) as (app, pilot):
        panel = await loaded(pilot, app)
        assert panel.display and panel.styles.width.value == 40
        assert drawn_runs(panel) == ["delta"]
        await pilot.press("w")
        assert not panel.display
        await pilot.pause(0.5)
    assert load_state(path, state).extra["chart_panel"]["shown"] is False
    async with browse(path, state) as (app, pilot):
        assert not panel_of(app).display
        assert panel_of(app).reads == 0  # hidden: nothing read


async def test_a_run_with_thousands_of_keys_shows_a_page_of_charts(store_path, tmp_path):
    ids = seed(store_path, wide_keys=3000)
    async with browse(store_path, tmp_path / "state") as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        data = panel.data
        assert drawn_runs(panel) == ["wide"]
        assert len(data.keys) == cp.KEY_SCAN and data.clipped  # a bounded read of the key list
        per_page = data.per_page
        assert 1 <= per_page <= 12
        assert len(panel.query_one(ChartGrid).charts) == per_page
        assert len(data.fresh) == per_page  # histories read for the page only
        assert "first 1,000 keys per run" in str(panel.query_one("#panel-head").content)
        panel.focus()
        await pilot.press("pagedown")
        panel = await loaded(pilot, app, lambda p: p.data.page == 1)
        assert panel.data.page_keys[0] == f"m{per_page:05d}"
        await pilot.press("f", *"m02999", "enter")  # past the first 1,000: the filter finds it
        await loaded(pilot, app, lambda p: p.data.keys == ["m02999"])
    assert ids["wide"]


def test_histories_are_downsampled_to_the_chart_width_and_cached(store_path):
    with tuitrack.start_run(experiment="exp", name="long") as run:
        run_id = run.id
    store = Store(store_path)
    rid = store.rid(run_id)
    store.write_metrics([(rid, "loss", 1.0 / (s + 1), s, T0 + s) for s in range(200_000)])
    runs = [PanelRun(run_id, rid, marked=False)]
    data = read_panel(store, runs, "", 0, 4, 120)
    assert data is not None and data.page_keys == ["loss"]
    assert 0 < len(data.histories[(run_id, "loss")]) <= 120
    again = read_panel(store, runs, "", 0, 4, 120, cache=dict(data.fresh))
    assert again is not None and again.fresh == {}  # unchanged key: no history read
    assert again.histories == data.histories
    store.write_metrics([(rid, "loss", 0.0, 200_000, T0)])
    moved = read_panel(store, runs, "", 0, 4, 120, cache=dict(data.fresh))
    assert moved is not None and list(moved.fresh) == [(run_id, "loss", 120)]  # a new point: read again
    store.close()


async def test_marked_rows_get_bullets_in_their_line_colour(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("space", "space")  # delta, gamma
        table = app.browser.query_one(RunsTable)
        colors = run_colors([ids["delta"], ids["gamma"]])
        for index, name in enumerate(["delta", "gamma"]):
            bullet = table.render_line(index + 1 - int(table.scroll_y))._segments[0]
            assert bullet.text == "●"
            assert bullet.style.color.name == hex_color(colors[ids[name]])
        unmarked = table.render_line(3)._segments[0]
        assert unmarked.text.startswith(" ")


async def test_marked_rows_differ_by_glyph_without_colour(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path / "state", no_color=True) as (app, pilot):
        await pilot.press("space", "space")
        table = app.browser.query_one(RunsTable)
        markers = run_markers([ids["delta"], ids["gamma"]])
        glyphs = [table.render_line(i + 1)._segments[0].text for i in range(2)]
        assert glyphs == [markers[ids["delta"]], markers[ids["gamma"]]] and glyphs[0] != glyphs[1]
        await pilot.press("w")
        panel = await loaded(pilot, app, lambda p: len(p.data.runs) == 3)
        loss = next(c for c in panel.query_one(ChartGrid).charts if c.spec.title.split()[0] == "loss")
        assert [s.marker for s in loss.spec.series][:2] == glyphs  # the same glyph in the chart


async def test_panel_charts_draw_what_a_metric_chart_draws(seeded, tmp_path):
    """The grid's charts show a MetricChart's drawing (same spec, same size), built off the loop."""
    path, _ = seeded
    async with browse(path, tmp_path / "state", size=(80, 24)) as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        assert panel.data.per_page >= 1
        for chart in panel.query_one(ChartGrid).charts:
            assert chart.drawn and len(chart.strips) == chart.size.height
            assert chart.spec.title.split()[0] in chart.plain  # the title, drawn by plotext
            assert any("⠀" < ch <= "⣿" for ch in chart.plain)  # and braille lines


class ChartHost(App[None]):
    """A MetricChart (drawn on the loop, as the charts screen draws) of a fixed size."""

    CSS = "MetricChart { width: 52; height: 15; }"

    def __init__(self, spec: ChartSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        yield MetricChart(self.spec)


def _specs() -> list[ChartSpec]:
    xs = [float(i) for i in range(60)]
    return [
        ChartSpec(
            title="loss ↓",
            series=[
                Series("a", xs, [1 / (x + 1) for x in xs], (230, 80, 60)),
                Series("b", xs, [1.2 / (x + 2) for x in xs], (60, 140, 230), marker="x"),
            ],
            legend=False,
        ),
        ChartSpec(title="log", series=[Series("a", xs, [10 ** (x / 20) for x in xs], (90, 200, 90))], log_y=True),
        ChartSpec(title="nothing", series=[Series("a", [], [], (90, 200, 90))], empty_message="no points"),
        ChartSpec(
            title="scatter",
            series=[Series("s", xs, [x % 7 for x in xs], (200, 200, 60), kind="scatter")],
            xticks=([0.0, 30.0], ["start", "mid"]),
        ),
    ]


@pytest.mark.parametrize("index", range(4))
async def test_chart_strips_are_the_lines_a_metric_chart_renders(index):
    spec = _specs()[index]
    app = ChartHost(spec)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        chart = app.query_one(MetricChart)
        chart.replot()  # ticks for its laid-out size (the grid's charts replotted on resize)
        await pilot.pause()
        expected = [list(chart.render_line(y)) for y in range(chart.size.height)]
        canvas = canvas_of(chart)
        strips = await asyncio.to_thread(chart_strips, spec, canvas)  # in a thread, as the grid's worker
        assert [list(strip) for strip in strips] == expected


async def test_a_cursor_move_builds_its_charts_off_the_event_loop(seeded, tmp_path, monkeypatch):
    """Plotting, bucketing the overlaid series and the plotext build run in the panel's worker thread."""
    threads: list[tuple[str, threading.Thread]] = []

    def recorded(name, fn):
        def call(*args, **kwargs):
            threads.append((name, threading.current_thread()))
            return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(cp, "build_specs", recorded("build_specs", cp.build_specs))
    monkeypatch.setattr(ser, "bucket_midrange", recorded("bucket_midrange", ser.bucket_midrange))
    monkeypatch.setattr(Plot, "build", recorded("plotext build", Plot.build))
    loop_thread = threading.current_thread()
    path, _ = seeded
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("space")  # delta marked: every chart overlays two runs (series bucketed)
        await pilot.press("w")
        panel = await loaded(pilot, app, lambda p: drawn_runs(p) == ["delta", "gamma"])
        threads.clear()
        for expected in (["delta", "beta"], ["delta", "alpha"], ["delta", "beta"]):
            await pilot.press("j" if expected != ["delta", "beta"] or not threads else "k")
            panel = await loaded(pilot, app, lambda p, expected=expected: drawn_runs(p) == expected)
        names = {name for name, _ in threads}
        assert {"build_specs", "bucket_midrange", "plotext build"} <= names
        on_loop = [name for name, thread in threads if thread is loop_thread]
        assert on_loop == []  # the event loop only swapped in finished lines
        assert all(chart.drawn for chart in panel.query_one(ChartGrid).charts)


async def test_a_stale_read_is_never_painted_over_the_cursor_run(seeded, tmp_path, monkeypatch):
    """A read for a run the cursor left (held up past the next read) is dropped when it finishes."""
    path, ids = seeded
    entered, release = threading.Event(), threading.Event()
    real = cp.read_panel

    def slow_for_gamma(store, runs, *args, **kwargs):
        if runs and runs[-1].run_id == ids["gamma"]:
            entered.set()
            release.wait(10)
        return real(store, runs, *args, **kwargs)

    monkeypatch.setattr(cp, "read_panel", slow_for_gamma)
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        await pilot.press("j")  # gamma: its read blocks
        await wait_until(pilot, entered.is_set)
        await pilot.press("j")  # beta: read and shown while gamma's read still hangs
        await loaded(pilot, app, lambda p: drawn_runs(p) == ["beta"])
        release.set()
        await drain(pilot)
        assert drawn_runs(panel) == ["beta"]
        charts = panel.query_one(ChartGrid).charts
        assert all([s.label for s in c.spec.series] == ["beta"] for c in charts)
        assert all(chart.drawn for chart in charts)
        assert "beta" in str(panel.query_one("#panel-legend").content)


async def test_a_stale_drawing_is_dropped_by_its_chart(seeded, tmp_path, monkeypatch):
    """The grid's worker drew a chart's old spec while the chart got a new one: the old lines never show."""
    path, _ = seeded
    entered, release = threading.Event(), threading.Event()
    real = chart_grid.draw_chart

    def slow_for_log(spec, canvas):
        if spec.log_y:
            entered.set()
            release.wait(10)
        return real(spec, canvas)

    monkeypatch.setattr(chart_grid, "draw_chart", slow_for_log)
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        panel.focus()
        await pilot.press("l")  # accuracy on log y: drawn by the grid's worker, which blocks
        await wait_until(pilot, entered.is_set)
        await pilot.press("l")  # and off again before that drawing arrives
        first = panel.query_one(ChartGrid).charts[0]
        assert not first.spec.log_y
        release.set()
        await drain(pilot)
        await loaded(pilot, app)
        assert first.drawn and not first.spec.log_y and "log y" not in first.plain


async def test_fast_moves_end_on_the_cursor_runs_charts(seeded, tmp_path):
    """Keys faster and slower than the follow delay, reads and drawings overlapping: the last run wins."""
    path, _ = seeded
    async with browse(path, tmp_path / "state") as (app, pilot):
        await pilot.press("w")
        panel = await loaded(pilot, app)
        table = app.browser.table
        for key, pause in zip("jjkjjkjkjj", (0.01, 0.15, 0.02, 0.2, 0.13, 0.01, 0.3, 0.05, 0.14, 0.0)):
            await pilot.press(key)
            await pilot.pause(pause)
        cursor = table.cursor_run.info.run_name
        panel = await loaded(pilot, app, lambda p: drawn_runs(p) == [cursor])
        await drain(pilot)
        assert drawn_runs(panel) == [cursor] and panel.loaded
        for chart in panel.query_one(ChartGrid).charts:
            assert [s.label for s in chart.spec.series] == [cursor] and chart.drawn


def test_overlaid_runs_get_one_clean_line_each_and_a_single_run_its_envelope():
    from tuitrack.entities import MetricPoint
    from tuitrack.tui.browser.chart_panel import PanelData, build_specs

    def minmax(offset: float) -> list[MetricPoint]:  # what the SQL downsampling gives: a min and a max per bucket
        return [MetricPoint("loss", offset + (0.0 if i % 2 else 1.0), i, T0) for i in range(200)]

    one = PanelData(runs=[("a", "a")], keys=["loss"], page=0, per_page=4, clipped=False, max_points=200)
    one.histories = {("a", "loss"): minmax(0)}
    (spec,) = build_specs(one, log_keys=set(), selected=0, focused=False, no_color=False)
    assert len(spec.series[0].ys) == 200  # a single run: every min and max (its spikes show)
    two = PanelData(runs=[("a", "a"), ("b", "b")], keys=["loss"], page=0, per_page=4, clipped=False, max_points=200)
    two.histories = {("a", "loss"): minmax(0), ("b", "loss"): minmax(5)}
    (spec,) = build_specs(two, log_keys=set(), selected=0, focused=False, no_color=False)
    for line, offset in zip(spec.series, (0, 5)):
        assert len(line.ys) <= 100 and all(abs(y - offset - 0.5) < 0.01 for y in line.ys)  # the band's middle
