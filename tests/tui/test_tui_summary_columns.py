"""The runs table's summary columns (metrics.KEY.min, .best, .best_step ...): chooser, s sort, / filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import browse, move_to_column, names, row_text

import tuitrack
from tuitrack.query import summaries
from tuitrack.store import core as store_mod
from tuitrack.tui.browser.columns import ColumnsScreen
from tuitrack.tui.browser.run_columns import cell, first_sort_descending, make_column, order_expr, summary_of
from tuitrack.tui.waits import settle_browser as settle

T0 = 1_717_000_000_000
LOSSES = {"early": [0.9, 0.1, 0.8, 0.85], "steady": [0.5, 0.4, 0.3, 0.25], "late": [0.6, 0.5, 0.4, 0.15]}
MIN_KEY = summaries.field_key("val.loss", "min")
STEP_KEY = summaries.field_key("val.loss", "best_step")


def seed(path: Path) -> None:
    ticks = iter(range(10_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    tuitrack.configure(capture_env=False, capture_packages=False)
    for name, losses in LOSSES.items():
        with tuitrack.start_run(name=name) as run:
            for step, v in enumerate(losses):
                run.log_metric("val.loss", v, step=step)
            run.log_metric("acc", 0.5)
    tuitrack.flush()
    store_mod.set_clock(lambda: T0 + 3_600_000)


@pytest.fixture
def seeded(store_path: Path) -> Path:
    seed(store_path)
    return store_path


def test_summary_column_keys_are_unambiguous() -> None:
    assert summary_of(MIN_KEY) == ("val.loss", "min")
    assert summary_of("metrics.val.loss") is None and summary_of("metrics.`a.min`") is None
    assert order_expr(MIN_KEY, False) == "metrics.`val.loss`.min ASC"
    assert first_sort_descending(MIN_KEY) is False  # lowest loss first
    assert first_sort_descending(summaries.field_key("acc", "best")) is True
    assert first_sort_descending(STEP_KEY) is True
    assert make_column(MIN_KEY).label == "val.loss.min"
    assert make_column(summaries.field_key("[b]x[/b]", "max")).label == "[b]x[/b].max"


async def test_choose_sort_and_filter_by_summary_columns(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        table = app.browser.table
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ColumnsScreen)
        options = [screen.selection.get_option_at_index(i).value for i in range(screen.selection.option_count)]
        at = options.index("metrics.val.loss")
        assert options[at + 1 : at + 6] == [summaries.field_key("val.loss", f) for f in summaries.CHOOSER_FIELDS]
        screen.selection.select(MIN_KEY)
        screen.selection.select(STEP_KEY)
        await pilot.press("enter")
        await settle(pilot, app)
        keys = [c.key for c in table.columns]
        assert MIN_KEY in keys and STEP_KEY in keys
        await move_to_column(pilot, table, MIN_KEY)
        await pilot.press("s")
        await settle(pilot, app, lambda: app.browser.view.sort_key == MIN_KEY)
        assert names(app) == ["early", "late", "steady"]  # 0.1, 0.15, 0.25: lowest first on the first press
        header = "".join(seg.text for seg in table.render_line(0))
        assert "val.loss.min" in header
        first = row_text(table, 0)
        assert "early" in first and "0.1" in first
        min_col, step_col = make_column(MIN_KEY), make_column(STEP_KEY)
        run = table.loaded_run(table.rids[0])
        assert cell(run, min_col, 0, False)[0] == "0.1" and cell(run, step_col, 0, False)[0] == "1"
        await pilot.press("s")
        await settle(pilot, app, lambda: app.browser.view.sort_desc)
        assert names(app) == ["steady", "late", "early"]
        app.browser.apply_filter("metrics.val.loss.best_step = 3")
        await settle(pilot, app, lambda: len(table.rids) == 2)
        assert sorted(names(app)) == ["late", "steady"]
    async with browse(seeded, tmp_path) as (app2, _pilot2):  # remembered per store
        assert MIN_KEY in [c.key for c in app2.browser.table.columns]
        assert app2.browser.view.sort_key == MIN_KEY
