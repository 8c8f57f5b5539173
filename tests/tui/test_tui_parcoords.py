"""Parallel coordinates in the app (``b``): brushing narrows live, ``f`` makes the brushes the browser's filter,
categorical axes, NaN and missing values, marked vs filtered runs, the axis and colour pickers, NO_COLOR."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tui_helpers import browse, names, open_pc
from tui_helpers import widget_text as plain

import tuitrack
from tuitrack.analysis import parcoords as pc
from tuitrack.store import core as store_mod
from tuitrack.tui.app import ActionsProvider
from tuitrack.tui.dialogs.axis_picker import AxisPicker
from tuitrack.tui.dialogs.help import HelpScreen
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.screens.parcoords import BIN_GREYS, MARKED, ParCoordsScreen
from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until as wait_for
from tuitrack.tui.widgets.key_footer import KeyFooter

T0 = 1_717_000_000_000
MARKUP = "[bold red]x[/]"
OPTS = ["adam", "sgd", MARKUP]
RUNS = 50


def seed(path: Path) -> None:
    """50 runs: lr on a log scale, opt categorical (one value is Rich markup), depth missing in some runs,
    acc NaN in some and missing in others, val_loss with a history (its .min is a summary field)."""
    ticks = iter(range(100_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    for i in range(RUNS):
        params = {"lr": str([0.1, 0.01, 0.001, 0.0001][i % 4]), "opt": OPTS[i % 3]}
        if i % 5:
            params["depth"] = str(4 + i % 7)
        with tuitrack.start_run(name=f"run{i:02d}", params=params) as run:
            if i % 10 == 3:
                run.log_metric("acc", float("nan"))
            elif i % 10 != 7:
                run.log_metric("acc", 0.5 + i / 200)
            for step in range(3):
                run.log_metric("val_loss", 1.0 - i / 100 + step * 0.1, step=step)
    tuitrack.flush()
    store_mod.set_clock(lambda: T0 + 3_600_000)


@pytest.fixture
def seeded(store_path: Path) -> Path:
    seed(store_path)
    return store_path


async def drawn(pilot, screen: ParCoordsScreen) -> None:
    await wait_for(pilot, lambda: screen.drawn == screen.generation)


async def select_axis(pilot, screen: ParCoordsScreen, field: pc.Field) -> None:
    for _ in range(len(screen.fields)):
        if screen.fields[screen.selected] == field:
            return
        await pilot.press("right")
    raise AssertionError(f"no axis {field}")


def kept_names(screen: ParCoordsScreen) -> set[str]:
    return {r.info.run_name for r in screen.kept_runs()}


async def test_b_opens_on_the_filters_runs_and_brushing_narrows_live(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        assert screen.source != MARKED and len(screen.runs) == RUNS
        lr, acc = pc.Field("params", "lr"), pc.Field("metrics", "acc")
        assert lr in screen.fields and screen.color == pc.Field("metrics", "val_loss")
        assert screen.fields[-1] == screen.color  # the colour metric is the last axis
        status = screen.query_one("#pc-status")
        assert plain(status).startswith(f"{RUNS} of {RUNS} runs")
        await select_axis(pilot, screen, lr)
        await pilot.press("down", "down", "down", "down", "down", "down", "down")  # top edge down: drop lr=0.1
        assert screen.brushes == {lr: pc.Brush(0, 13)}
        assert screen.kept < RUNS and all(r.data.params["lr"] != "0.1" for r in screen.kept_runs())
        assert plain(status).startswith(f"{screen.kept} of {RUNS} runs")
        assert "lr ≤ " in plain(status)
        await select_axis(pilot, screen, acc)
        before = screen.kept
        await pilot.press("shift+up", "K", "K")  # bottom edge up: drop low acc (and NaN / missing acc)
        assert screen.kept < before
        assert all(
            isinstance(r.data.metrics.get("acc"), float) and r.data.metrics["acc"] == r.data.metrics["acc"]
            for r in screen.kept_runs()
        )
        await drawn(pilot, screen)
        plot = plain(screen.query_one("#pc-plot"))
        assert "┃" in plot and "│" in plot and re.search("[\u2801-\u28ff]", plot)
        await pilot.press("X")
        assert screen.kept == RUNS and not screen.brushes
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browser)


async def test_f_turns_the_brushes_into_the_browsers_filter(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        app.browser.apply_filter("params.depth IS NOT NULL")
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 40)
        screen = await open_pc(app, pilot)
        assert len(screen.runs) == 40
        await select_axis(pilot, screen, pc.Field("params", "lr"))
        await pilot.press(*["j"] * 7)
        await select_axis(pilot, screen, pc.Field("metrics", "val_loss"))
        await pilot.press("J", "J", "pagedown")  # the whole brush slides down one step
        kept = kept_names(screen)
        assert 0 < len(kept) < 40
        clauses = pc.brush_filter(screen.axes, screen._index_brushes())
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen is app.browser)
        assert app.browser.view.filter == f"params.depth IS NOT NULL and {clauses}"
        await settle(pilot, app, lambda: len(app.browser.table.rids) == len(kept))
        assert set(names(app)) == kept


async def test_f_without_a_brush_says_how_to_brush(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        await pilot.press("f")
        await pilot.pause(0.1)
        assert app.screen is screen and app.browser.view.filter == ""
        assert any("no brush yet" in str(n.message) for n in app._notifications)


async def test_categorical_axis_brushes_categories_and_shows_values_literally(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        opt = pc.Field("params", "opt")
        axis = screen.axes[screen.fields.index(opt)]
        assert not axis.numeric and axis.categories == sorted(OPTS, key=pc._natural)
        await select_axis(pilot, screen, opt)
        await pilot.press("down")  # the top category leaves
        top = axis.categories[-1]
        assert {r.data.params["opt"] for r in screen.kept_runs()} == set(axis.categories[:-1])
        assert top not in {r.data.params["opt"] for r in screen.kept_runs()}
        await drawn(pilot, screen)
        assert "[bold red]x" in plain(screen.query_one("#pc-plot"))  # the label as typed: never read as markup
        assert MARKUP in plain(screen.query_one("#pc-status"))  # "opt: [bold red]x[/], adam"
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen is app.browser)
        assert app.browser.view.filter.startswith("params.opt IN (")
        await settle(pilot, app, lambda: len(app.browser.table.rids) == screen.kept)


async def test_nan_and_missing_values_are_counted_and_never_kept_by_a_brush(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        acc = pc.Field("metrics", "acc")
        if acc not in screen.fields:
            screen._axes_chosen([*screen.fields, acc])
        axis = screen.axes[screen.fields.index(acc)]
        assert (axis.nan, axis.missing) == (5, 5)
        await drawn(pilot, screen)
        assert "∅10" in plain(screen.query_one("#pc-bottom"))
        depth = pc.Field("params", "depth")
        if depth not in screen.fields:
            screen._axes_chosen([*screen.fields, depth])
        assert screen.axes[screen.fields.index(depth)].missing == 10
        await select_axis(pilot, screen, acc)
        await pilot.press("down")  # the top 5% goes; NaN and missing acc go with any brush
        assert screen.kept == RUNS - 10 - sum(
            r.data.metrics.get("acc", 0) > pc.bounds(axis, pc.Brush(0, 19))[1]
            for r in screen.runs
            if r.data.metrics.get("acc") == r.data.metrics.get("acc")
        )


async def test_marked_runs_first_and_m_switches_to_the_filters_runs(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        await pilot.press("space", "j", "space", "j", "space")
        await wait_for(pilot, lambda: len(app.browser.table.marks) == 3)
        marked = set(app.marked_run_ids())
        screen = await open_pc(app, pilot)
        assert screen.source == MARKED and {r.info.run_id for r in screen.runs} == marked
        assert "marked runs" in plain(screen.query_one("#pc-status"))
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.loaded and len(screen.runs) == RUNS)
        assert "the filter's runs" in plain(screen.query_one("#pc-status"))
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.loaded and len(screen.runs) == 3)


async def test_axis_picker_colour_picker_and_axis_moves(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        vmin = pc.Field("metrics", "val_loss", "min")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AxisPicker))
        picker = app.screen
        options = [picker.selection.get_option_at_index(i).value for i in range(picker.selection.option_count)]
        at = options.index(pc.Field("metrics", "val_loss"))
        assert options[at + 1] == vmin
        picker.selection.deselect_all()
        picker.selection.select(pc.Field("params", "opt"))
        picker.selection.select(vmin)
        picker.selection.select(pc.Field("params", "lr"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.fields == [pc.Field("params", "lr"), pc.Field("params", "opt"), vmin]
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyPicker))
        kp = app.screen
        kp.dismiss(pc.Field("metrics", "acc").name)
        await wait_for(pilot, lambda: app.screen is screen and screen.color == pc.Field("metrics", "acc"))
        assert "acc" in plain(screen.query_one("#pc-legend")) and "best ↑" in plain(screen.query_one("#pc-legend"))
        screen.selected = 0
        await pilot.press("greater_than_sign")
        assert screen.fields[1] == pc.Field("params", "lr") and screen.selected == 1
        await pilot.press("d")
        assert pc.Field("params", "lr") not in screen.fields
        await pilot.press("n")
        await drawn(pilot, screen)
        best = max(
            (
                r
                for r in screen.runs
                if r.data.metrics.get("acc") == r.data.metrics.get("acc") and "acc" in r.data.metrics
            ),
            key=lambda r: r.data.metrics["acc"],
        )
        assert screen.runs[screen.focus_index] is best  # n starts at the best kept run
        assert best.info.run_name in plain(screen.query_one("#pc-focus"))


async def test_no_color_keeps_the_scale_in_greys_and_says_which_way_is_better(seeded, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with browse(seeded, tmp_path) as (app, pilot):
        assert app.no_color
        screen = await open_pc(app, pilot)
        legend = screen.query_one("#pc-legend").content
        assert "brighter is better" in legend.plain
        assert {str(span.style) for span in legend.spans} >= set(BIN_GREYS)


async def test_80x24_shows_axes_and_the_footer_keys(seeded, tmp_path):
    async with browse(seeded, tmp_path, size=(80, 24)) as (app, pilot):
        screen = await open_pc(app, pilot)
        assert screen.query_one("#pc-plot").content_region.height >= 14
        footer = "".join(seg.text for seg in app.screen.query_one(KeyFooter).render_line(0))
        for key in ("Axis", "Brush", "Filter", "Axes", "Colour"):
            assert key in footer
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is app.browser)


async def test_b_with_no_runs_says_so(store_path, tmp_path):
    with tuitrack.start_run(name="only"):
        pass
    tuitrack.flush()
    async with browse(store_path, tmp_path) as (app, pilot):
        app.browser.apply_filter("run_name = 'nothing'")
        await settle(pilot, app, lambda: not app.browser.table.rids)
        await pilot.press("b")
        await pilot.pause(0.1)
        assert app.screen is app.browser
        assert any("no runs to draw" in str(n.message) for n in app._notifications)


def test_readme_key_table_lists_every_key_of_the_screen():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Parallel coordinates (`b`):**", 1)[1].split("\n\n", 2)[:2]
    table = "\n".join(section)
    for binding in ParCoordsScreen.BINDINGS:
        key = binding.key_display or binding.key
        assert f"`{key}`" in table, f"README's parallel coordinates table lacks {key!r}"


async def test_palette_and_help_offer_the_view_and_its_keys(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        assert "Parallel coordinates" in [t for t, _, _ in ActionsProvider(app.screen)._commands()]
        screen = await open_pc(app, pilot)
        titles = [t for t, _, _ in ActionsProvider(screen)._commands()]
        for title in ("Filter", "Axes", "Colour", "Brush bottom edge up", "Marked runs / the filter's runs"):
            assert title in titles
        assert "Parallel coordinates" not in titles  # views open from the browser only
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {(keys, text) for _, keys, text in app.screen.rows}
        assert ("↑ / k", "Brush top edge up") in rows
