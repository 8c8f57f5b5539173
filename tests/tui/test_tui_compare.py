"""Compare, charts, scatter and grouped views on the real app (opened by the browser screen's keys).

Stores come from ``tuitrack.demo.build_demo_store`` with a fixed clock (deterministic ids and
times); each test works on its own copy.  Snapshot tests pin the terminal size and the timezone.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fresh_demo_store
from textual.widgets import DataTable, Input
from tui_helpers import isolated_workdir

import tuitrack
import tuitrack.tui.app
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.dialogs.path_prompt import PathPrompt
from tuitrack.tui.screens.charts import ChartsScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.groups import GroupsScreen
from tuitrack.tui.screens.scatter import ScatterScreen
from tuitrack.tui.waits import drain as settle
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.metric_chart import MetricChart

NOW = 1_750_000_000_000
SIZE = (120, 36)
APP_CSS = str(Path(tuitrack.tui.app.__file__).parent / "app.tcss")
GRID = "attributes.run_name LIKE 'grid_%'"
SWEEP = "attributes.run_name LIKE 'lr%'"


class _App(TuitrackApp):
    """The real app (compare keys are part of it); kept as a name the tests pass to create_app."""


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_demo_store(tmp_path_factory.mktemp("demo") / "store", NOW)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """State files in a temp dir, a fixed timezone for times in snapshots, and the working dir for exports."""
    with isolated_workdir(tmp_path, monkeypatch):
        yield


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(demo_template, target)
    return target


def make_app(path: Path) -> _App:
    return create_app(
        Store(path), clock=lambda: NOW, state_dir=path.parent / "view-state", live_interval=0, app_class=_App
    )


async def filtered(pilot, text: str) -> None:
    await settle(pilot)
    pilot.app.browser.apply_filter(text)
    await settle(pilot)
    assert pilot.app.current_run_id() is not None


async def mark_all_visible(pilot, n: int) -> list[str]:
    pilot.app.browser.table.focus()
    for _ in range(n):
        await pilot.press("space")
        await pilot.pause()
    return list(pilot.app.browser.table.marks)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


# -- compare ------------------------------------------------------------------------------------------
async def test_compare_marked_grid_runs_diff_only_best_and_back(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        marked = await mark_all_visible(pilot, 4)
        assert len(marked) == 4
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.run_ids == marked
        comp = screen.comparison
        auc = comp.row("metric", "auc")
        best_auc = max(v for v in auc.numbers if v is not None)
        assert {comp.run_ids[i] for i in auc.best} == {
            rid for rid, v in zip(comp.run_ids, auc.numbers) if v == best_auc
        }
        loss = comp.row("metric", "loss")
        assert loss.direction == "min" and [loss.numbers[i] for i in loss.best] == [min(loss.numbers)]
        table = screen.query_one(DataTable)
        full = table.row_count
        best_col = comp.run_ids[next(iter(auc.best))]
        cell = table.get_cell("metric\x00auc", best_col)
        assert cell.plain.startswith("★ ")
        assert screen.diff_only  # 3+ runs open on their differences
        labels = {r.label for r in comp.visible_rows(True) if not r.key.startswith("tuitrack.")}
        assert {"params.n_estimators", "params.max_depth", "metrics.auc"} <= labels
        assert "params.model" not in labels and "tags.purpose" not in labels
        assert table.row_count == full == len(labels)
        await pilot.press("d")
        await settle(pilot)  # the matrix is rebuilt in a worker
        assert not screen.diff_only and table.row_count > full
        await pilot.press("m")
        await settle(pilot)
        assert screen.with_minmax and any(r.section == "metric.min" for r in screen.comparison.rows)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser
        assert list(app.browser.table.marks) == marked  # marks intact


async def test_compare_without_marks_uses_filter_and_says_so(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert len(app.screen.run_ids) == 4
        assert any("no runs marked" in m for m in notes(app))
        # c/g/p/G are hidden while a view is open; pressing c again does not stack another compare
        await pilot.press("c")
        await settle(pilot)
        assert len([s for s in app.screen_stack if isinstance(s, CompareScreen)]) == 1


async def test_flip_direction_is_remembered_outside_the_store(demo: Path, tmp_path: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        keys = [r.key.value for r in table.ordered_rows]
        table.move_cursor(row=keys.index("metric\x00auc"), column=1)
        before = screen.comparison.row("metric", "auc").best
        await pilot.press("f")
        await settle(pilot)
        after = screen.comparison.row("metric", "auc")
        assert after.direction == "min" and after.best != before
        assert any("auc: lower is better" in m for m in notes(app))
        saved = json.loads((tmp_path / "xdg-state" / "tuitrack" / "metric_directions.json").read_text())
        assert list(saved.values()) == [{"auc": "min"}]
        table.move_cursor(row=keys.index("param\x00max_depth"))
        await pilot.press("f")
        assert any("f flips which way a metric is better" in m for m in notes(app))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.comparison.row("metric", "auc").direction == "min"  # remembered


async def test_export_markdown_and_csv_and_copy_id(demo: Path, tmp_path: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        await pilot.press("e")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, PathPrompt) and prompt.default.endswith(".md")
        assert Path(prompt.default).name.startswith("tuitrack-compare-20250615-")
        prompt.query_one(Input).value = "  "  # no path: the prompt says so and stays
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is prompt and "type a file path" in str(prompt.query_one("#path-error").render())
        prompt.query_one(Input).value = str(tmp_path / "cmp.md")
        await pilot.press("enter")
        await settle(pilot)
        text = (tmp_path / "cmp.md").read_text()
        assert text.startswith("| field | grid_") and "★" in text
        assert any(str(tmp_path / "cmp.md") in m for m in notes(app))
        await pilot.press("E")
        await settle(pilot)
        app.screen.query_one(Input).value = str(tmp_path / "cmp.csv")
        await pilot.press("enter")
        await settle(pilot)
        rows = list(csv.reader((tmp_path / "cmp.csv").open()))
        assert rows[0][2:] == screen.run_ids
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one(Input).value = str(tmp_path / "cmp.pdf")
        await pilot.press("enter")
        await settle(pilot)
        assert any("export failed" in m and ".md or .csv" in m for m in notes(app))
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("escape")  # cancelled: nothing written
        await settle(pilot)
        assert app.screen is screen
        table = screen.query_one(DataTable)
        table.move_cursor(row=0, column=2)
        await pilot.press("y")
        assert app.clipboard == screen.run_ids[1]
        assert any(f"copied run id {screen.run_ids[1]}" in m for m in notes(app))


# -- charts --------------------------------------------------------------------------------------------------
async def test_charts_flow(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        marked = await mark_all_visible(pilot, 2)
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartsScreen) and screen.run_ids == marked
        assert sorted(screen.selected) == ["loss", "val_loss"]  # metrics with a history, losses first (issue 16)
        picker = screen.query_one("#metric-picker")
        picker.deselect_all()
        picker.select("accuracy")
        await settle(pilot)
        assert screen.selected == ["accuracy"]
        specs = screen.build_specs()
        assert len(specs) == 1 and len(specs[0].series) == 2
        assert specs[0].series[0].color != specs[0].series[1].color
        raw = list(specs[0].series[0].ys)
        await pilot.press("plus", "plus", "plus")
        assert screen.smoothing == 0.6
        specs = screen.build_specs()
        assert len(specs[0].series) == 4  # faint raw + smoothed per run
        assert list(specs[0].series[0].ys) == raw and list(specs[0].series[1].ys) != raw
        await pilot.press("w")
        assert len(screen.build_specs()[0].series) == 2
        await pilot.press("minus")
        assert screen.smoothing == 0.5
        await pilot.press("x")
        assert screen.x_mode == "wall time" and screen.build_specs()[0].xticks is not None
        await pilot.press("x")
        assert screen.x_mode == "relative time"
        assert screen.build_specs()[0].series[1].xs[0] >= 0
        await pilot.press("l")
        assert screen.log_y and screen.build_specs()[0].log_y
        # pick a second metric: a grid of two charts
        picker = screen.query_one("#metric-picker")
        picker.focus()
        picker.select("loss")
        await settle(pilot)
        assert screen.selected == ["accuracy", "loss"]
        assert len(screen.query(MetricChart)) == 2
        assert all((rid, "loss") in screen.histories for rid in marked)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser and list(app.browser.table.marks) == marked


async def test_charts_of_current_run_and_live_update(tmp_path: Path) -> None:
    path = tmp_path / "live"
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, identity={"user": "u", "host": "h", "source": "s"})
    run = tuitrack.start_run(experiment="live", name="training")
    try:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        tuitrack.flush()
        app = create_app(Store(path), clock=None, live_interval=0.2, app_class=_App)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("v")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ChartsScreen) and screen.run_ids == [run.id]

            async def points_shown(n: int) -> bool:  # raises WaitTimeout naming what did not show
                await wait_until(
                    pilot, lambda: len(screen.histories.get((run.id, "loss"), [])) == n, f"{n} points of loss"
                )
                return True

            assert await points_shown(5)
            for step in range(5, 9):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            tuitrack.flush()
            assert await points_shown(9)
            assert "live" in str(screen.query_one("#charts-status").render())
    finally:
        run.end()
        tuitrack.flush()
        tuitrack.set_store(None)
        tracking.set_id_factory(None)


async def test_charts_downsample_long_history(tmp_path: Path) -> None:
    path = tmp_path / "long"
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, identity={"user": "u", "host": "h", "source": "s"})
    try:
        with tuitrack.start_run(experiment="e", name="long") as run:
            run.log_metrics({"x": 0.0}, step=0)
            for step in range(1, 5000):
                run.log_metric("x", float(step % 97), step=step)
        tuitrack.flush()
        app = create_app(Store(path), clock=lambda: NOW, live_interval=0, app_class=_App)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("v")
            await settle(pilot)
            pts = app.screen.histories[(run.id, "x")]
            assert len(pts) <= 2 * SIZE[0] and max(p.value for p in pts) == 96.0
    finally:
        tuitrack.set_store(None)


# -- scatter and groups ---------------------------------------------------------------------------------------
async def test_scatter_flow(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, "attributes.experiment_id > 0")
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScatterScreen)
        assert screen.x == "params.max_depth" and screen.y == "metrics.accuracy"
        spec, legend = screen.build_spec()
        assert spec.xticks is None  # numeric axis
        assert screen.plotted == sum(n for _, _, n in legend) > 0
        await pilot.press("x")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, KeyPicker)
        picker.query_one("OptionList").highlighted = picker.keys.index("params.model")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.x == "params.model"
        spec, _ = screen.build_spec()
        assert spec.xticks == ([1.0, 2.0], ["random_forest", "xgboost"])  # categorical axis
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("OptionList").highlighted = app.screen.keys.index("(none)")
        await pilot.press("enter")
        await settle(pilot)
        spec, legend = screen.build_spec()
        assert screen.color == "(none)" and len(spec.series) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser


async def test_groups_flow_across_seeds(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, SWEEP)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        assert "seed" not in screen.by and "learning_rate" in screen.by
        assert [screen.group_label(g) for g in screen.groups] == [
            "learning_rate=0.03",
            "learning_rate=0.1",
            "learning_rate=0.3",
        ]
        assert [len(g.runs) for g in screen.groups] == [3, 3, 3]
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        best_row = [table.get_cell(str(i), "m:auc").plain for i in range(3)]
        assert sum(c.startswith("★") for c in best_row) == 1
        spec = screen.build_chart_spec()
        assert len(spec.series) == 9  # mean + min + max per group
        await pilot.press("m")
        await settle(pilot)
        app.screen.query_one("OptionList").highlighted = app.screen.keys.index("loss")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.metric == "loss" and screen.build_chart_spec().title.startswith("loss")
        screen.query_one("#group-by").select("seed")
        await settle(pilot)
        assert len(screen.groups) == 9
        # the picker's filter box: / filters (the picked params stay listed), enter goes to the first match,
        # escape empties the box and goes back to the list, a second escape leaves
        picker = screen.query_one("#group-by")
        await pilot.press("slash", *"seed")
        await settle(pilot)
        listed = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert (
            "seed" in listed
            and set(listed) <= {"seed", *screen.by}
            and "Group by" in str(screen.query_one("#group-title").render())
        )
        await pilot.press("enter")
        assert picker.has_focus and picker.highlighted == 0
        picker.deselect("seed")
        await settle(pilot)
        assert "seed" not in screen.by and "learning_rate" in screen.by and len(screen.groups) == 3
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert app.screen is screen and picker.has_focus and screen.query_one("#group-filter").value == ""
        assert picker.option_count > len(listed)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser


# -- snapshots ------------------------------------------------------------------------------------------------
def _open(key: str, filter_text: str, marks: int = 0, extra: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        await filtered(pilot, filter_text)
        if marks:
            await mark_all_visible(pilot, marks)
        await pilot.press(key)
        await settle(pilot)
        for k in extra:
            await pilot.press(k)
            await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    return run_before


async def test_compare_columns_fit_their_cells_from_the_first_frame(demo: Path) -> None:
    """The table measured new rows only when idle: a frame drawn before that cached each cell cut to its
    header's width (the first open of a comparison showed cut values in ~1 of 3 runs on a loaded machine)."""
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await filtered(pilot, GRID)
        await mark_all_visible(pilot, 4)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        rows = [screen.comparison.row(*key.value.split("\x00", 1)) for key in table.rows]
        screen._show(screen._built_for, screen.comparison, rows, len(rows))  # what the build worker calls
        for column in table.ordered_columns:  # at once: no idle, no frame in between
            widest = max(table.get_cell(row, column.key).cell_len for row in table.rows)
            assert column.get_render_width(table) - 2 * table.cell_padding >= widest, column.key


def test_snapshot_compare_diff_only(demo: Path, snap_compare) -> None:
    # 3+ runs open on their differences; the first frame's columns already fit their cells
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=_open("c", GRID, 4))


def test_snapshot_charts_smoothed(demo: Path, snap_compare) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=_open("v", GRID, 4, ("plus", "plus")))


def test_snapshot_scatter(demo: Path, snap_compare) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=_open("p", "attributes.experiment_id > 0"))


def test_snapshot_groups(demo: Path, snap_compare) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=_open("a", SWEEP))
