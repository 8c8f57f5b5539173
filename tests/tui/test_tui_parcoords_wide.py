"""Parallel coordinates on wide runs (20,000 tags and 2,000 metric keys each): the view reads the axes' keys,
never the runs' tags, and shows the right values for the axes it opens on, for an axis added later, and for a
key the picker finds past the keys it lists."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import browse, open_pc
from tui_helpers import widget_text as plain

from tuitrack.analysis import parcoords as pc
from tuitrack.store.core import Store
from tuitrack.tui.dialogs.axis_picker import AxisPicker
from tuitrack.tui.screens import parcoords as parcoords_screen
from tuitrack.tui.screens.parcoords import MARKED
from tuitrack.tui.waits import wait_until as wait_for

T0 = 1_717_000_000_000
RUNS, TAGS, METRICS = 5, 20_000, 2_000
LRS = [0.1, 0.03, 0.01, 0.003, 0.001]


def value_of(rid: int, i: int) -> float:
    return float(rid * 10_000 + i)


@pytest.fixture
def wide(store_path: Path) -> Path:
    """Built with the store's batch writes (one call per run for the tags, one for the metrics)."""
    store = Store(store_path, create=True)
    exp = store.experiment_id("Default")
    for n in range(RUNS):
        rid = store.create_run(
            run_id=uuid.UUID(int=n + 1).hex,
            experiment_id=exp,
            name=f"wide{n}",
            start_time=T0 + n,
            params={"lr": str(LRS[n]), "opt": "adam"},
        )
        store.set_tags(rid, {f"tag{i:05d}": "x" * 20 for i in range(TAGS)})
        points = [(rid, f"m{i:04d}", value_of(n, i), 0, T0) for i in range(METRICS)]
        points += [(rid, "val_loss", 1.0 - n / 10 + s / 10, s, T0 + s) for s in range(3)]
        store.write_metrics(points)
    store.close()
    return store_path


async def test_wide_runs_show_the_chosen_axes_without_reading_tags(wide, tmp_path):
    async with browse(wide, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        lr, loss = pc.Field("params", "lr"), pc.Field("metrics", "val_loss")
        # Opened on the varying param and the loss (found past the first keys) as the colour.
        assert lr in screen.fields and screen.fields[-1] == loss and screen.color == loss
        names = [r.info.run_name for r in screen.runs]
        assert sorted(names) == [f"wide{n}" for n in range(RUNS)]
        by_name = {r.info.run_name: r for r in screen.runs}
        axis = screen.axes[screen.fields.index(lr)]
        assert [v for v in axis.values] == [LRS[int(n[4:])] for n in names]
        assert axis.log and (axis.lo, axis.hi) == (0.001, 0.1)
        assert screen.axes[-1].values == pytest.approx([1.2 - int(n[4:]) / 10 for n in names])
        # What was read: no tag, and a bounded number of keys per run (not 2,000 metrics).
        assert all(not r.data.tags for r in screen.runs)
        assert all(len(r.data.metrics) <= 45 for r in screen.runs)
        assert "5 of 5 runs" in plain(screen.query_one("#pc-status"))
        # The picker lists all 2,001 metric keys; adding one past the first ones reads it for every run.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AxisPicker))
        picker = app.screen
        late = pc.Field("metrics", "m1999")
        assert late in picker.choices and pc.Field("metrics", "m1999", "min") in picker.choices
        assert late not in by_name["wide0"].data.metrics
        picker.dismiss([*screen.fields, late])
        await wait_for(pilot, lambda: app.screen is screen and late in screen.fields and screen.loaded)
        await wait_for(pilot, lambda: len(screen.axes) == len(screen.fields))
        got = screen.axes[screen.fields.index(late)]
        assert got.values == [value_of(int(n[4:]), 1999) for n in names]
        assert all(not r.data.tags for r in screen.runs)
        await wait_for(pilot, lambda: screen.drawn == screen.generation)
        assert "m1999" in plain(screen.query_one("#pc-names"))


async def test_an_axis_added_on_one_source_is_read_for_the_other(wide, tmp_path):
    """Marked runs read first, then the filter's; an axis added there is read for the marked runs on `m`."""
    async with browse(wide, tmp_path) as (app, pilot):
        await pilot.press("space", "j", "space")
        await wait_for(pilot, lambda: len(app.browser.table.marks) == 2)
        screen = await open_pc(app, pilot)
        assert screen.source == MARKED and len(screen.runs) == 2
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.loaded and len(screen.runs) == RUNS)
        late = pc.Field("metrics", "m1500")
        screen._axes_chosen([*screen.fields, late])
        await wait_for(pilot, lambda: late in screen.fields and len(screen.axes) == len(screen.fields))
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.loaded and screen.source == MARKED and len(screen.runs) == 2)
        await wait_for(pilot, lambda: late in screen.fields and len(screen.axes) == len(screen.fields))
        await wait_for(pilot, lambda: screen.axes[screen.fields.index(late)].missing == 0)
        names = [r.info.run_name for r in screen.runs]
        assert screen.axes[screen.fields.index(late)].values == [value_of(int(n[4:]), 1500) for n in names]


async def test_the_picker_searches_keys_past_the_listed_ones(wide, tmp_path, monkeypatch):
    """With only the first 100 keys listed, typing finds m1999 among all 2,000 and picking it reads it."""
    monkeypatch.setattr(parcoords_screen, "KEY_CAP", 100)
    async with browse(wide, tmp_path) as (app, pilot):
        screen = await open_pc(app, pilot)
        late = pc.Field("metrics", "m1999")
        assert screen.keys_cut and late not in screen.choices
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AxisPicker))
        picker = app.screen
        assert late not in picker.choices
        picker.query_one("#axis-filter", Input).value = "m1999"
        await wait_for(pilot, lambda: late in picker.listed)
        assert [f.key for f in picker.listed if f not in screen.fields] == ["m1999"] * 6
        picker.selection.select(late)
        picker.selection.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and late in screen.fields)
        await wait_for(pilot, lambda: len(screen.axes) == len(screen.fields))
        names = [r.info.run_name for r in screen.runs]
        assert screen.axes[screen.fields.index(late)].values == [value_of(int(n[4:]), 1999) for n in names]
