"""Snapshot tests of the workspace views (issue 17 items 7 and 8): the chart panel, the Logs and System tabs.

The app is the screenshot script's (``tui_helpers.demo_copy_app`` on tests/tui/conftest.py's ``demo_path``,
images in half cells) and so are the steps: the README pictures and these snapshots show the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import demo_copy_app

from tuitrack.tui import screenshots as shots
from tuitrack.tui.app import TuitrackApp


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    with demo_copy_app(demo_path, tmp_path, monkeypatch, halfcell_images=True) as app:
        yield app


# The System tab at 80x24 is left to the screenshots: its first chart's top y label differed between runs
# on a loaded machine (the charts are five rows high there), which a snapshot cannot tell from a regression.
@pytest.mark.parametrize(
    ("size", "step"),
    [
        ((120, 36), "_chart_panel"),
        ((80, 24), "_chart_panel"),
        ((120, 36), "_logs"),
        ((80, 24), "_logs"),
        ((120, 36), "_system"),
    ],
    ids=["_chart_panel-size0", "_chart_panel-size1", "_logs-size0", "_logs-size1", "_system-size0"],
)
def test_workspace_views(snap_compare, app, size, step):
    async def run_before(pilot) -> None:
        await getattr(shots, step)(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
