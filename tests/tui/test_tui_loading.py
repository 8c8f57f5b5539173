"""Two-phase loading of the browser: the top rows paint first, the whole list follows without moving the cursor.

Asserted on state (what each apply carried, where the cursor is), never on timing.  The store
holds more runs than the first window (72 rows at 120x36), so every reload really has two phases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from textual._context import active_app
from tui_helpers import N_RUNS
from tui_helpers import browse_quick as browse

import tuitrack
from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.browser import loader
from tuitrack.tui.browser import screen as main_mod
from tuitrack.tui.browser.screen import BrowserScreen, window_rows
from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until

T0 = 1_717_000_000_000
NOW = T0 + 3_600_000
WINDOW = window_rows(36)  # the test terminal is 36 rows high


@dataclass
class Applied:
    phase: str
    final: bool
    rids: int
    cursor_rid: int | None
    cursor_line: int
    partial: bool


@pytest.fixture
def applies(monkeypatch: pytest.MonkeyPatch) -> list[Applied]:
    """Every browser apply, with the table state right after it."""
    seen: list[Applied] = []
    original = BrowserScreen._apply

    def recording(self: BrowserScreen, data: loader.ViewData) -> None:
        original(self, data)
        if data.request.token == self._token and not data.error:
            table = self.table
            seen.append(
                Applied(
                    data.phase,
                    data.final,
                    len(data.rids),
                    table.cursor_rid,
                    table.cursor_line(),
                    self.status.info.partial,
                )
            )

    monkeypatch.setattr(BrowserScreen, "_apply", recording)
    return seen


def name_at(app: TuitrackApp, index: int) -> str:
    run = app.browser.table.run_at(index)
    assert run is not None
    return run.info.run_name


async def test_first_apply_carries_only_the_window_then_the_whole_list(big, tmp_path, applies):
    async with browse(big, tmp_path) as (app, _pilot):
        table = app.browser.table
        first, full = applies[0], applies[1]
        assert (first.phase, first.final, first.rids, first.partial) == ("window", False, WINDOW, True)
        assert (full.phase, full.final, full.rids, full.partial) == ("full", True, N_RUNS, False)
        assert full.cursor_rid == first.cursor_rid and full.cursor_line == first.cursor_line == 0
        assert len(applies) == 2
        assert name_at(app, 0) == f"run{N_RUNS - 1:03d}"  # newest first
        assert app.browser.total == N_RUNS and app.browser.status.info.shown == N_RUNS
        assert app.browser.experiment_tree.root.label.plain.startswith(f"{N_RUNS} ")
        assert len(table.rids) == N_RUNS


async def test_cursor_in_the_window_stays_on_its_run_and_line_through_both_phases(big, tmp_path, applies):
    async with browse(big, tmp_path) as (app, pilot):
        table = app.browser.table
        await pilot.press(*["down"] * 5)
        rid, line = table.cursor_rid, table.cursor_line()
        applies.clear()
        app.browser.apply_filter("metrics.auc >= 0")  # every run still matches
        await settle(pilot, app, lambda: len(applies) >= 2)
        assert [a.phase for a in applies] == ["window", "full"]
        assert applies[0].rids == WINDOW
        assert all((a.cursor_rid, a.cursor_line) == (rid, line) for a in applies)
        assert len(table.rids) == N_RUNS


async def test_a_sort_ends_at_the_top_of_its_order_through_both_phases(big, tmp_path, applies):
    """A new sort shows its best runs (issue 16): both phases put the cursor on the first row."""
    async with browse(big, tmp_path) as (app, pilot):
        table = app.browser.table
        auc = next(i for i, c in enumerate(table.columns) if c.key == "metrics.auc")
        table.move_cursor(row=3, col=auc)
        applies.clear()
        await pilot.press("s")  # auc, best first
        await settle(pilot, app, lambda: app.browser.view.sort_key == "metrics.auc" and len(applies) >= 2)
        assert [(a.cursor_line, a.rids) for a in applies] == [(0, WINDOW), (0, N_RUNS)]
        assert table.cursor_row == 0
        applies.clear()
        await pilot.press("s")  # worst first
        await settle(pilot, app, lambda: not app.browser.view.sort_desc and len(applies) >= 2)
        window, full = applies
        assert window.rids == WINDOW and full.rids == N_RUNS
        assert table.cursor_row == 0 and table.cursor_rid == full.cursor_rid == window.cursor_rid


async def test_a_key_pressed_between_the_phases_wins_over_the_old_anchor(big, tmp_path, applies, monkeypatch):
    """The user moved while the whole list was read: the cursor stays where they put it."""
    gate, hold = threading.Event(), threading.Event()
    real = main_mod.read_rest

    def held(store: Store, first: loader.ViewData) -> loader.ViewData:
        if hold.is_set():
            gate.wait(10)
        return real(store, first)

    monkeypatch.setattr(main_mod, "read_rest", held)
    async with browse(big, tmp_path) as (app, pilot):
        table = app.browser.table
        auc = next(i for i, c in enumerate(table.columns) if c.key == "metrics.auc")
        table.move_cursor(row=100, col=auc)
        hold.set()
        applies.clear()
        await pilot.press("s")  # best auc first: the same order, so the run stays at row 100, past the window
        await wait_until(pilot, lambda: applies, "the first rows of the new sort", step=0.02)
        assert [a.phase for a in applies] == ["window"] and table.cursor_row == 0  # the top, for now
        await pilot.press("down", "down")
        moved_to = table.cursor_rid
        gate.set()
        await settle(pilot, app, lambda: len(applies) >= 2)
        assert applies[-1].phase == "full" and len(table.rids) == N_RUNS
        assert table.cursor_rid == moved_to


async def test_sort_and_filter_reuse_the_tree_data_until_the_data_changes(big, tmp_path, monkeypatch):
    calls: list[str] = []
    for name in ("list_experiments", "distinct_keys", "count_runs"):
        real = getattr(Store, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, counted)
    async with browse(big, tmp_path) as (app, pilot):
        assert calls.count("list_experiments") == 1
        calls.clear()
        await pilot.press("s")
        await settle(
            pilot,
            app,
            lambda: app.browser.view.sort_key != "attributes.start_time" and len(app.browser.table.rids) == N_RUNS,
        )
        app.browser.apply_filter("metrics.auc > 0.5")
        await settle(pilot, app, lambda: app.browser.view.filter == "metrics.auc > 0.5")
        assert calls == []  # nothing data-wide is read again for a sort or a filter
        await pilot.press("r")  # a refresh (also what the app's own writes trigger) re-reads everything
        await settle(pilot, app, lambda: "list_experiments" in calls)
        calls.clear()
        with tuitrack.start_run(experiment="exp0", name="late"):  # another connection commits
            pass
        tuitrack.flush()
        app.browser.apply_filter("metrics.auc > 0.4")
        await settle(
            pilot, app, lambda: app.browser.view.filter == "metrics.auc > 0.4" and app.browser.total == N_RUNS + 1
        )
        assert calls.count("list_experiments") == 1
        assert app.browser.experiment_tree.root.label.plain.startswith(f"{N_RUNS + 1} ")


async def test_a_read_delivered_while_the_app_shuts_down_is_dropped(big, tmp_path, monkeypatch):
    """The app may exit between a read's two phases; the late phase must not touch removed widgets."""
    delivered: list[loader.ViewData] = []
    original = BrowserScreen._apply

    def keep(self: BrowserScreen, data: loader.ViewData) -> None:
        delivered.append(data)
        original(self, data)

    monkeypatch.setattr(BrowserScreen, "_apply", keep)
    async with browse(big, tmp_path) as (app, _pilot):
        browser = app.browser
    late = delivered[-1]
    assert late.request.token == browser._token
    active_app.set(app)  # call_from_thread runs the callback in the app's context; the app is shut down now
    browser._apply(late)  # as if the worker's second phase landed during shutdown: no NoMatches
