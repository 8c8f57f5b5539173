"""Snapshot tests of the workspace views (issue 17 items 7 and 8): the chart panel, the Logs and System tabs.

Same setup as test_tui_snapshots.py (fixed clock, UTC, relative store path); the steps are the
screenshot script's, so the README pictures and these snapshots show the same thing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import reset_tuitrack

from tuitrack.demo import build_demo_store
from tuitrack.store.core import Store
from tuitrack.tui import screenshots as shots
from tuitrack.tui.app import TuitrackApp, create_app

NOW = 1_717_000_000_000


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    reset_tuitrack()
    path = build_demo_store(tmp_path_factory.mktemp("snapws") / "demo", now_ms=NOW)
    reset_tuitrack()
    yield path
    if old_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    import shutil

    shutil.copytree(demo_path, tmp_path / "demo")  # writable, as the screenshot script's copy (steps may write)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUITRACK_IMAGES", "halfcell")  # as the screenshot script: the same in every terminal
    store = Store(Path("demo"))
    yield create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    store.close()


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
