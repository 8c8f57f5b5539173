"""What the browser asks Textual to redo on common keys, asserted on state (counts), never on timing.

A full-screen relayout costs ~10-25 ms at 120x36; cursor moves must not cause any, and opening
the detail must restyle only the widgets it changes (not every node of the screen).
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static
from tui_helpers import browse_quick as browse

from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.quiet import update_static


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Full-screen layouts (not scroll-only reflows) and who asked for them."""
    seen: Counter[str] = Counter()
    original = Screen._on_layout

    async def recording(self: Screen, message) -> None:
        seen[f"{type(message.widget).__name__}#{message.widget.id}"] += 1
        await original(self, message)

    monkeypatch.setattr(Screen, "_on_layout", recording)
    return seen


async def test_cursor_moves_update_the_detail_without_relayout(big, tmp_path, layouts):
    async with browse(big, tmp_path) as (app, pilot):
        detail = app.browser.query_one("#detail")
        for _ in range(4):
            await pilot.press("down")
            run_id = app.browser.table.cursor_run.info.run_id
            await settle(pilot, app, lambda run_id=run_id: detail.run_id == run_id)
        layouts.clear()
        for _ in range(4):
            await pilot.press("down")
            run_id = app.browser.table.cursor_run.info.run_id
            await settle(pilot, app, lambda run_id=run_id: detail.run_id == run_id)
            await pilot.pause(0.15)
        assert detail.run_id == app.browser.table.cursor_run.info.run_id
        assert "run" in str(detail.query_one("#detail-header", Static).render())
        assert not layouts, layouts


async def test_open_detail_toggles_only_the_tree_table_and_detail(big, tmp_path, monkeypatch):
    restyled: list[bool] = []  # per restyle batch: did it include the screen (= every node)?
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        original = app.stylesheet.update_nodes

        def counting(nodes, animate: bool = False) -> None:
            nodes = list(nodes)
            restyled.append(browser in nodes)
            original(nodes, animate=animate)

        monkeypatch.setattr(app.stylesheet, "update_nodes", counting)
        await pilot.press("enter")
        await settle(pilot, app, lambda: browser.has_class("-detail-max"))
        assert browser.experiment_tree.display and not browser.experiment_tree.can_focus and not browser.table.display
        assert browser.query_one("#detail").styles.height.value == 1  # 1fr: the whole body
        assert restyled and not any(restyled)  # focus and the footer restyle their widgets, never the screen
        await pilot.press("escape")
        await settle(pilot, app, lambda: not browser.has_class("-detail-max"))
        assert not any(restyled)
        assert (
            browser.experiment_tree.display
            and browser.experiment_tree.can_focus
            and browser.table.display
            and browser.table.has_focus
        )
        assert browser.query_one("#detail").styles.height.unit.name != "FRACTION"  # back to the CSS 45%


async def test_update_static_lays_out_only_when_the_height_changes(big, tmp_path, layouts):
    async with browse(big, tmp_path) as (app, pilot):
        detail = app.browser.query_one("#detail")
        await settle(pilot, app, lambda: detail.run_id is not None)
        await pilot.pause(0.3)
        body = app.browser.query_one("#overview-body", Static)
        lines = body.size.height
        layouts.clear()
        update_static(body, Text("\n".join(f"line {i}" for i in range(lines))))
        await pilot.pause(0.1)
        assert not layouts
        update_static(body, Text("\n".join(f"line {i}" for i in range(lines + 3))))
        await wait_until(pilot, lambda: layouts["Static#overview-body"] >= 1, "a relayout of the grown Static")
        assert body.size.height == lines + 3


async def test_enter_lays_the_new_run_out_without_measuring_it_first(big, tmp_path, monkeypatch):
    """The pane opens (a layout) in the frame the run's content arrives: its sections skip measuring."""
    async with browse(big, tmp_path) as (app, pilot):
        browser = app.browser
        body = browser.query_one("#overview-body", Static)
        await settle(pilot, app, lambda: browser.query_one("#detail").run_id is not None)
        await pilot.pause(0.3)
        measured: list[str] = []
        real = Static.get_content_height

        def measuring(self: Static, *args, **kwargs) -> int:
            if sys._getframe(1).f_code.co_filename.endswith("quiet.py"):  # measured by update_static
                measured.append(str(self.id))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Static, "get_content_height", measuring)
        await pilot.press("down")  # a cursor move: the visible section is measured (no layout if it fits)
        run_id = browser.table.cursor_run.info.run_id
        await settle(pilot, app, lambda: browser.query_one("#detail").run_id == run_id)
        await pilot.pause(0.2)
        assert "overview-body" in measured
        await pilot.press("down")
        measured.clear()
        await pilot.press("enter")  # before the debounced load: enter loads the run and opens it
        await settle(pilot, app, lambda: browser.has_class("-detail-max"))
        run = browser.table.cursor_run
        assert browser.query_one("#detail").run_id == run.info.run_id
        assert run.info.run_name in "".join(s.text for s in body.render_lines(body.region.reset_offset))
        assert "overview-body" not in measured  # laid out with the pane, not measured before it
