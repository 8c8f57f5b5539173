"""The run detail's System tab (issue 17 item 8): ``system_metrics=True`` samples as charts.

The samples are logged as the sampler logs them (``log_metrics`` of ``system/*`` keys, see
tuitrack/tracking/capture.py), with a fixed clock, so the charts and their times are stable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.browser import system_charts as system
from tuitrack.tui.browser.run_detail import TABS, RunDetail
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.chart_grid import ChartGrid

T0 = 1_700_000_000_000
SYSTEM_KEYS = ["system/cpu_percent", "system/memory_percent", "system/process_rss_mb"]


class Host(App[None]):
    """What RunDetail needs from the real app: ``.store`` and ``.clock``."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.clock = lambda: T0 + 3_600_000

    def compose(self) -> ComposeResult:
        yield RunDetail(id="detail")


@pytest.fixture
def seeded(store_path: Path) -> Iterator[tuple[Store, dict[str, str]]]:
    ticks = iter(range(100_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 10_000)  # a sample every 10 s, as the sampler takes them
    counter = iter(range(1, 100))
    tracking.set_id_factory(lambda: f"{next(counter):04x}" + "ef" * 14)
    ids = {}
    with tuitrack.start_run(experiment="sys", name="sampled") as run:
        ids["sampled"] = run.id
        for i in range(30):
            run.log_metrics(
                {
                    "system/cpu_percent": 40 + i,
                    "system/memory_percent": 20 + i / 2,
                    "system/process_rss_mb": 500 + 10 * i,
                }
            )
            run.log_metric("loss", 1 / (i + 1), step=i)
    with tuitrack.start_run(experiment="sys", name="plain") as run:
        ids["plain"] = run.id
        run.log_metric("loss", 0.5)
    tuitrack.flush()
    store_mod.set_clock(None)
    tracking.set_id_factory(None)
    store = Store(store_path)
    yield store, ids
    store.close()


async def shown(app: Host, pilot, run_id: str) -> RunDetail:
    detail = app.query_one(RunDetail)
    detail.show_run(run_id)
    await wait_until(pilot, lambda: detail.run_id == run_id and detail.filled)
    return detail


def text_of(app: Host, selector: str) -> str:
    return str(app.query_one(selector).content)


async def test_system_tab_charts_each_sampled_metric(seeded) -> None:
    store, ids = seeded
    app = Host(store)
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await shown(app, pilot, ids["sampled"])
        assert "system" in [t[0] for t in TABS]
        detail.select_tab("system")
        await wait_until(pilot, lambda: detail.system is not None and len(detail.query_one(ChartGrid).charts) == 3)
        charts = detail.query_one(ChartGrid).charts
        titles = [c.spec.title for c in charts]
        assert titles[0] == "CPU %: 69 (max 69)" and titles[1].startswith("memory %: ")
        assert titles[2] == "process RSS MB: 790 (max 790)"
        xs = charts[0].spec.series[0].xs
        assert xs[0] >= 0 and xs == sorted(xs) and xs[-1] > xs[0]  # seconds since the run started
        assert "3 system metrics · 30 samples" in text_of(app, "#system-status")
        assert detail.query_one(ChartGrid).styles.grid_size_columns == 3  # side by side in a wide pane
        await wait_until(pilot, lambda: detail.query_one(ChartGrid).drawn)  # drawn by the grid's worker thread
        assert all(c.drawn and c.spec.title.split(":")[0] in c.plain for c in detail.query_one(ChartGrid).charts)


async def test_a_run_without_system_metrics_says_how_to_turn_them_on(seeded) -> None:
    store, ids = seeded
    app = Host(store)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await shown(app, pilot, ids["plain"])
        detail.select_tab("system")
        await wait_until(pilot, lambda: detail.system is not None)
        message = text_of(app, "#system-status")
        assert "No system metrics for this run" in message and "system_metrics=True" in message
        assert "pip install 'tuitrack[system]'" in message
        assert detail.query_one(ChartGrid).charts == []
        # the cursor moves to a sampled run while the tab is open: its charts come
        detail.show_run(ids["sampled"])
        await wait_until(pilot, lambda: len(detail.query_one(ChartGrid).charts) == 3)
        assert detail.system is not None and detail.system.run_id == ids["sampled"]


async def test_system_metrics_are_read_only_while_the_tab_is_shown(seeded) -> None:
    store, ids = seeded
    app = Host(store)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await shown(app, pilot, ids["sampled"])
        await pilot.pause(0.3)
        assert detail.system is None  # Overview shown: nothing read for the System tab
        detail.select_tab("system")
        await wait_until(pilot, lambda: detail.system is not None)
        detail.select_tab("overview")
        await shown(app, pilot, ids["plain"])
        await pilot.pause(0.3)
        assert detail.system is None  # another run while the tab is hidden: not read


def test_long_system_histories_are_downsampled(store_path: Path) -> None:
    with tuitrack.start_run(experiment="sys", name="long") as run:
        run_id = run.id
    store = Store(store_path)
    rid = store.rid(run_id)
    store.write_metrics([(rid, "system/cpu_percent", float(s % 100), s, T0 + s * 10_000) for s in range(50_000)])
    data = system.read_system(store, run_id, 120)
    assert [s.key for s in data.summaries] == ["system/cpu_percent"]
    assert 0 < len(data.histories["system/cpu_percent"]) <= 120
    store.close()


def test_labels() -> None:
    assert system.label("system/cpu_percent") == "CPU %"
    assert system.label("system/gpu_1_utilization_percent") == "GPU 1 utilisation %"
    assert system.label("system/gpu_0_memory_used_mb") == "GPU 0 memory (MB)"
    assert system.label("system/disk_io") == "disk_io"
    assert system.grid_columns(92, 3) == 3 and system.grid_columns(60, 3) == 2 and system.grid_columns(20, 3) == 1
    assert system.grid_height(10, 6, 3) == 16  # two rows of charts: the tab scrolls
