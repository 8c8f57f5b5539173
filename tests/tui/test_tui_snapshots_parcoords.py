"""Snapshot of the parallel-coordinates view (issue 17 item 3) at 120x36 and 80x24, on the seeded demo store.

The steps are the screenshot script's (``screenshots/parcoords*.svg``): the demo's runs, ``learning_rate``
brushed from the top, the best kept run focused.  Same setup as the other snapshot modules (fixed clock,
UTC, a writable copy of the demo store, relative store path).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fresh_demo_store, utc_timezone

from tuitrack.store.core import Store
from tuitrack.tui import screenshots as shots
from tuitrack.tui.app import TuitrackApp, create_app

NOW = 1_717_000_000_000


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with utc_timezone():
        yield fresh_demo_store(tmp_path_factory.mktemp("snap-parcoords") / "demo", NOW)


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    shutil.copytree(demo_path, tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    store = Store(Path("demo"))
    yield create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    store.close()


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_parcoords(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._parcoords(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
