"""Snapshot tests of issue 17 item 4's views (a metric as the x axis, compare at a step) and of the charts'
clean overlay lines at 80x24, on the deterministic demo store; the steps are the screenshot script's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import demo_copy_app

from tuitrack.tui import screenshots as shots
from tuitrack.tui.app import TuitrackApp


@pytest.fixture
def app(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TuitrackApp]:
    with demo_copy_app(demo_path, tmp_path, monkeypatch) as app:
        yield app


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
