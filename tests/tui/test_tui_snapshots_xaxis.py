"""Snapshot tests of issue 17 item 4's views (a metric as the x axis, compare at a step) and of the charts'
clean overlay lines at 80x24, on the deterministic demo store; the steps are the screenshot script's."""

from __future__ import annotations

import os
import shutil
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
    path = build_demo_store(tmp_path_factory.mktemp("snapx") / "demo", now_ms=NOW)
    reset_tuitrack()
    yield path
    if old_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    shutil.copytree(demo_path, tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    store = Store(Path("demo"))
    yield create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    store.close()


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_charts_metric_as_x(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._charts_x_metric(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_charts_overlay_80x24(snap_compare, app):
    async def run_before(pilot) -> None:
        await shots._charts(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_compare_at_step(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._compare_at_step(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
