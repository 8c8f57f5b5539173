"""Snapshot tests of the browser's main views at 80x24 and 120x36.

The store is the deterministic demo store (fixed clock, seeded ids, fixed
identity: tests/tui/conftest.py's ``demo_path``), the app gets a fixed clock and
times are shown in UTC, so the SVGs are byte-stable.  Update with ``pytest
tests/tui/test_tui_snapshots.py --snapshot-update`` only after looking at the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import DEMO_NOW

from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.filter_bar import FilterBar
from tuitrack.tui.dialogs.help import HelpScreen
from tuitrack.tui.screenshots import settle
from tuitrack.tui.waits import wait_until


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    monkeypatch.chdir(demo_path.parent)  # a relative store path keeps the status line the same on every run
    store = Store(Path(demo_path.name), read_only=True)
    yield create_app(store, clock=lambda: DEMO_NOW, state_dir=tmp_path / "state", live_interval=0)
    store.close()


settled = settle  # the screenshot script's wait: the tests and the README pictures agree on "complete"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_main_view(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_marked_and_sorted_by_metric(snap_compare, app):
    async def run_before(pilot) -> None:
        await settled(pilot, app)
        table = app.browser.table
        await pilot.press("space", "j", "space")
        table.move_cursor(col=[c.key for c in table.columns].index("metrics.auc"))
        await pilot.press("s")
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_filter_error_inline(snap_compare, app):
    async def run_before(pilot) -> None:
        await settled(pilot, app)
        await pilot.press("slash")
        bar = app.browser.query_one(FilterBar)
        bar.input.cursor_blink = False
        await pilot.press(*"metrics.auc >> 0.8")
        await wait_until(
            pilot, lambda: bar.input.value == "metrics.auc >> 0.8" and bar.error is not None, "the inline filter error"
        )

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_detail_maximized(snap_compare, app):
    async def run_before(pilot) -> None:
        await settled(pilot, app)
        await pilot.press("j", "j", "j", "enter")
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_help_screen(snap_compare, app):
    async def run_before(pilot) -> None:
        await settled(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
