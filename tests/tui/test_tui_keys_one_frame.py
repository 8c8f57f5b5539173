"""Keys that change the layout do it once, with their data: asserted on state, never on timing.

enter (open detail) and a filter's enter used to change the layout first and again when the
data came in (two full-screen frames, the first showing stale content); the footer re-mounted
a widget per key on every focus change; the app's objects were walked by every full garbage
collection.  These tests pin the behaviour that replaced that.
"""

from __future__ import annotations

import gc
import sys
import threading

import pytest
from textual.color import Color
from tui_helpers import browse_quick as browse

from tuitrack.tui.app import GC_FULL_EVERY, GIL_SWITCH_S
from tuitrack.tui.browser import detail_pane, loader
from tuitrack.tui.browser import run_detail as run_detail_mod
from tuitrack.tui.browser import screen as main_mod
from tuitrack.tui.browser.filter_bar import FilterBar
from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.key_footer import KeyFooter


def _gated(monkeypatch: pytest.MonkeyPatch, module: object, name: str, real) -> threading.Event:
    """``module.name`` waits for the returned event before doing what ``real`` does (set it to let calls through)."""
    event = threading.Event()

    def slow(*args, **kwargs):
        assert event.wait(10), "test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)
    return event


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Detail loads wait for this event (set it to let them through)."""
    return _gated(monkeypatch, run_detail_mod, "load_detail", run_detail_mod.load_detail)


@pytest.fixture
def gate_search(monkeypatch: pytest.MonkeyPatch):
    """Call it once the app is up: from then on the browser's first read phase waits for the returned event."""
    return lambda: _gated(monkeypatch, main_mod, "read_window", loader.read_window)


def _labels(footer: KeyFooter) -> list[str]:
    return [" ".join(shown for _, shown in item.keys) + " " + item.description for item in footer.items]


async def test_footer_is_one_widget_and_follows_focus(big, tmp_path):
    async with browse(big, tmp_path) as (app, pilot):
        footer = app.browser.query_one(KeyFooter)
        assert not footer.children  # one line of text, nothing to re-mount
        labels = _labels(footer)
        assert labels[:4] == ["⏎ Detail", "space Mark", "s Sort", "/ Filter"] and labels[-2:] == ["? Help", "q Quit"]
        text = footer.render_line(0).text
        assert "⏎ Detail" in text and text.rstrip().endswith("^p palette")
        await pilot.press("enter")
        await settle(pilot, app, lambda: app.browser.has_class("-detail-max"))
        await pilot.pause(0.05)
        assert "[ ] Tabs" in _labels(footer) and "esc Back" in _labels(footer)
        assert not footer.children


async def test_clicking_a_footer_key_presses_it(big, tmp_path):
    async with browse(big, tmp_path) as (app, pilot):
        footer = app.browser.query_one(KeyFooter)
        footer.render_line(0)
        start = next(s for s, _, key, _ in footer._hits if key == "slash")
        await pilot.click(KeyFooter, offset=(start, 0))
        bar = app.browser.query_one("#filter-bar", FilterBar)
        await wait_until(pilot, lambda: bar.has_class("-open") and bar.input.has_focus, "the clicked / to open the bar")


async def test_enter_maximizes_only_once_the_runs_detail_is_in(big, tmp_path, gate):
    async with browse(big, tmp_path) as (app, pilot):
        browser, detail = app.browser, app.browser.query_one("#detail")
        await pilot.press("down", "down")
        run_id = browser.table.cursor_run.info.run_id
        await pilot.press("enter")
        await pilot.pause(0.03)
        assert not browser.has_class("-detail-max") and browser._pending_open is not None
        gate.set()
        await settle(pilot, app, lambda: browser.has_class("-detail-max"))
        assert detail.run_id == run_id and detail.has_focus_within and browser._pending_open is None


async def test_escape_or_a_cursor_move_cancels_a_pending_open(big, tmp_path, gate):
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        await pilot.press("down", "enter")
        await pilot.pause(0.03)
        await pilot.press("escape")
        assert browser._pending_open is None
        await pilot.press("enter", "down")
        assert browser._pending_open is None
        gate.set()
        await pilot.pause(detail_pane.OPEN_WAIT_S + 0.2)
        await app.workers.wait_for_complete()
        assert not browser.has_class("-detail-max") and browser.table.has_focus


async def test_a_slow_detail_still_opens_after_the_wait(big, tmp_path, gate):
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        await pilot.press("down", "enter")
        await pilot.pause(detail_pane.OPEN_WAIT_S + 0.15)
        assert browser.has_class("-detail-max")  # the key never looks ignored
        gate.set()


async def test_detail_border_marks_focus_inline(big, tmp_path):
    async with browse(big, tmp_path) as (app, pilot):
        browser, detail = app.browser, app.browser.query_one("#detail")
        accent = Color.parse(app.theme_variables["accent"])
        assert detail.styles.border_top[1] != accent
        await pilot.press("tab")  # table -> detail
        await pilot.pause(0.05)
        if not detail.has_focus_within:
            await pilot.press("tab")
            await pilot.pause(0.05)
        assert detail.has_focus_within and detail.styles.border_top == ("hkey", accent)
        await pilot.press("escape")
        await pilot.pause(0.05)
        assert browser.table.has_focus and detail.styles.border_top[1] != accent
        await pilot.press("enter")
        await settle(pilot, app, lambda: browser.has_class("-detail-max"))
        assert detail.styles.border_top[0] in ("", "none")


async def test_a_focus_move_repaints_the_widgets_not_the_whole_screen(big, tmp_path, monkeypatch):
    """Textual's Screen repaints itself whole on every focus change; the browser's focus moves don't."""
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        screen_refreshes: list[dict[str, object]] = []
        widget_refreshes: list[str] = []
        real_screen_refresh = type(browser).refresh

        def screen_refresh(self, *regions, **kwargs):
            screen_refreshes.append(kwargs)
            return real_screen_refresh(self, *regions, **kwargs)

        monkeypatch.setattr(type(browser), "refresh", screen_refresh)
        tree, table_ = browser.experiment_tree, browser.table
        for widget in (tree, table_):
            real = widget.refresh
            monkeypatch.setattr(
                widget,
                "refresh",
                lambda *a, _real=real, _id=widget.id, **k: (widget_refreshes.append(_id), _real(*a, **k))[1],
            )
        tree.focus()
        await pilot.pause(0.05)
        assert tree.has_focus
        assert not [k for k in screen_refreshes if k.get("repaint", True)], screen_refreshes
        assert {"tree", "runs"} <= set(widget_refreshes)  # both show their focus change themselves


async def test_filter_bar_closes_with_the_first_rows(big, tmp_path, gate_search):
    async with browse(big, tmp_path) as (app, pilot):
        gate = gate_search()
        browser = app.browser
        bar = browser.query_one("#filter-bar", FilterBar)
        await pilot.press("slash")
        bar.input.value = "metrics.auc > 0.5"
        await pilot.press("enter")
        await pilot.pause(0.03)
        assert bar.has_class("-open") and not browser.table.has_focus  # both change with the rows, in one frame
        gate.set()
        await settle(pilot, app, lambda: browser.view.filter == "metrics.auc > 0.5" and not bar.has_class("-open"))
        assert browser.table.has_focus
        assert all(browser.table.loaded_run(r).data.metrics["auc"] > 0.5 for r in browser.table.rids[:10])


async def test_sort_arrow_and_status_change_with_the_first_rows(big, tmp_path, gate_search, monkeypatch):
    monkeypatch.setattr(main_mod, "OPEN_WAIT_S", 5.0)  # a slow test machine must not reach the fallback
    async with browse(big, tmp_path) as (app, pilot):
        browser, table_ = app.browser, app.browser.table
        table_.move_cursor(col=next(i for i, c in enumerate(table_.columns) if c.key == "metrics.auc"))
        status_before, header_before = str(browser.status.render_info(browser.status.info)), table_.sort_key
        gate = gate_search()
        await pilot.press("s")
        await pilot.pause(0.03)
        assert browser.view.sort_key == "metrics.auc"  # the key is taken at once ...
        assert table_.sort_key == header_before and not browser.status.info.loading  # ... and shown with its rows
        assert str(browser.status.render_info(browser.status.info)) == status_before
        gate.set()
        await settle(pilot, app, lambda: table_.sort_key == "metrics.auc")
        assert table_.sort_desc == browser.view.sort_desc
        aucs = [table_.loaded_run(r).data.metrics["auc"] for r in table_.rids[:5]]
        assert aucs == sorted(aucs, reverse=table_.sort_desc)


async def test_a_slow_read_shows_the_sort_arrow_and_loading_after_the_wait(big, tmp_path, gate_search):
    async with browse(big, tmp_path) as (app, pilot):
        browser, table_ = app.browser, app.browser.table
        table_.move_cursor(col=next(i for i, c in enumerate(table_.columns) if c.key == "metrics.auc"))
        gate = gate_search()
        await pilot.press("s")
        await pilot.pause(detail_pane.OPEN_WAIT_S + 0.15)
        assert table_.sort_key == "metrics.auc" and browser.status.info.loading  # the key never looks ignored
        gate.set()
        await settle(pilot, app, lambda: not browser.status.info.loading)


async def test_filter_text_shows_in_the_status_line_with_the_rows(big, tmp_path, gate_search, monkeypatch):
    monkeypatch.setattr(main_mod, "OPEN_WAIT_S", 5.0)
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        bar = browser.query_one("#filter-bar", FilterBar)
        verdict = bar.query_one("#filter-error")
        await pilot.press("slash")
        bar.input.value = "metrics.auc > 0.5"
        await pilot.pause(0.05)
        updates: list[object] = []
        real = verdict.update
        verdict.update = lambda *a, **k: (updates.append(a), real(*a, **k))[1]  # type: ignore[method-assign]
        gate = gate_search()
        await pilot.press("enter")
        await pilot.pause(0.03)
        assert updates == []  # enter re-checked the text typing had checked: nothing to repaint
        assert browser.view.filter == "metrics.auc > 0.5" and browser.status.info.filter == ""
        browser.table.scroll_to(y=3, animate=False)  # the mouse wheel meanwhile: the status line follows ...
        await pilot.pause(0.05)
        assert browser.status.info.first == 3 and browser.status.info.filter == ""  # ... with the rows' filter
        gate.set()
        await settle(pilot, app, lambda: browser.status.info.filter == "metrics.auc > 0.5")
        assert not bar.has_class("-open")


async def test_a_read_that_sends_the_view_to_the_top_loads_no_rows_of_the_old_list(big, tmp_path, monkeypatch):
    """The cursor's run is not among a filter's first rows: the view goes to the top with the new list.
    Moving it there before the list was in had the table load rows of the old list at the top."""
    from tuitrack.tui.browser.runs_table import RunsTable

    async with browse(big, tmp_path) as (app, pilot):
        browser, table_ = app.browser, app.browser.table
        table_.move_cursor(row=100)
        await settle(pilot, app, lambda: all(table_.loaded_run(r) for r in table_.rids[slice(*table_.visible_range())]))
        assert table_.cursor_run.info.run_name == "run049"
        asked: list[int] = []
        real = RunsTable._load_rows
        monkeypatch.setattr(
            RunsTable,
            "_load_rows",
            lambda self, rids, *args, **kwargs: (asked.extend(rids), real(self, rids, *args, **kwargs))[1],
        )
        browser.apply_filter("metrics.auc > 0.5")
        await settle(pilot, app, lambda: browser.view.filter == "metrics.auc > 0.5" and not browser.partial)
        assert set(asked) <= set(table_.rids), "rows of the old list were loaded"
        assert all(table_.loaded_run(r) for r in table_.rids[slice(*table_.visible_range())])


async def test_rows_off_screen_load_after_the_paint_rows_on_screen_at_once(big, tmp_path, monkeypatch):
    from tuitrack.tui.browser import runs_table as rt

    async with browse(big, tmp_path) as (app, pilot):
        table_ = app.browser.table
        waits: list[str] = []
        monkeypatch.setattr(rt, "wait_for_paint", lambda widget, *a, **k: waits.append(type(widget).__name__))
        top, bottom = table_.visible_range()
        margin_rid = table_.rids[bottom + 2]
        await settle(pilot, app, lambda: table_.loaded_run(margin_rid) is not None)
        table_.forget([margin_rid])
        table_._request_window()  # only a row below the screen is missing: a prefetch
        await settle(pilot, app, lambda: table_.loaded_run(margin_rid) is not None)
        assert waits == ["RunsTable"]
        shown_rid = table_.rids[top + 1]
        table_.forget([shown_rid])
        table_._request_window()  # a row on screen is missing: read at once
        await settle(pilot, app, lambda: table_.loaded_run(shown_rid) is not None)
        assert waits == ["RunsTable"]


async def test_gc_is_frozen_while_the_app_runs_and_handed_back_after(big, tmp_path):
    before_frozen, before_thresholds = gc.get_freeze_count(), gc.get_threshold()
    async with browse(big, tmp_path) as (_app, _pilot):
        assert gc.get_freeze_count() > before_frozen
        assert gc.get_threshold()[2] == GC_FULL_EVERY
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before_thresholds


async def test_the_gil_changes_hands_every_millisecond_while_the_app_runs(big, tmp_path):
    """Workers (reads, the chart panel's drawing) hand the GIL back to the event loop within 1 ms, not 5."""
    before = sys.getswitchinterval()
    async with browse(big, tmp_path):
        assert sys.getswitchinterval() == GIL_SWITCH_S < before
    assert sys.getswitchinterval() == before


async def test_slash_after_enter_keeps_the_filter_bar(big, tmp_path, gate):
    """enter then / before the detail came in: the open is dropped, the bar keeps focus and keys."""
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        bar = browser.query_one("#filter-bar", FilterBar)
        await pilot.press("down", "enter", "slash")
        await pilot.pause(detail_pane.OPEN_WAIT_S + 0.1)
        gate.set()
        await pilot.press("x", "y")
        await pilot.pause(0.05)
        assert not browser.has_class("-detail-max") and bar.has_class("-open") and bar.input.value == "xy"


async def test_an_earlier_bar_timer_cannot_close_the_reopened_bar(big, tmp_path, monkeypatch, gate_search):
    monkeypatch.setattr(main_mod, "OPEN_WAIT_S", 0.6)  # a wide window, so the race is certain
    async with browse(big, tmp_path) as (app, pilot):
        gate = gate_search()
        browser = app.browser
        bar = browser.query_one("#filter-bar", FilterBar)
        await pilot.press("slash")
        bar.input.value = "metrics.auc > 0.5"
        await pilot.press("enter")
        await pilot.pause(0.02)
        await pilot.press("escape")  # clears before the first filter's rows came in: a second timer
        gate.set()
        await settle(pilot, app, lambda: not bar.has_class("-open"))
        await pilot.press("slash")
        await pilot.pause(0.8)  # past both timers
        assert bar.has_class("-open") and bar.input.has_focus


async def test_a_live_refresh_keeps_a_pending_open(big, tmp_path, gate, monkeypatch):
    monkeypatch.setattr(detail_pane, "OPEN_WAIT_S", 5.0)  # only the data arriving can open it here
    async with browse(big, tmp_path) as (app, pilot):
        browser, detail = app.browser, app.browser.query_one("#detail")
        await pilot.press("down", "enter")
        await pilot.pause(0.03)
        detail.refresh_run()  # what a live tick does
        gate.set()
        await settle(pilot, app, lambda: browser.has_class("-detail-max"), timeout=2.0)
        assert detail.run_id == browser.table.cursor_run.info.run_id


async def test_filtering_from_the_maximized_detail_keeps_focus_in_it(big, tmp_path):
    async with browse(big, tmp_path) as (app, pilot):
        browser, detail = app.browser, app.browser.query_one("#detail")
        bar = browser.query_one("#filter-bar", FilterBar)
        await pilot.press("enter")
        await settle(pilot, app, lambda: browser.has_class("-detail-max"))
        await pilot.press("slash")
        bar.input.value = "metrics.auc > 0.5"
        await pilot.press("enter")
        await settle(pilot, app, lambda: not bar.has_class("-open") and browser.view.filter == "metrics.auc > 0.5")
        await pilot.pause(0.05)
        assert browser.has_class("-detail-max") and detail.has_focus_within and not browser.table.has_focus


async def test_a_host_that_froze_objects_itself_is_left_alone(big, tmp_path):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        async with browse(big, tmp_path) as (_app, _pilot):  # (frozen objects that die leave the count)
            assert gc.get_freeze_count() <= frozen  # the app froze nothing of its own
        assert gc.get_freeze_count() > 0  # and its exit did not unfreeze the host's objects
    finally:
        gc.unfreeze()
