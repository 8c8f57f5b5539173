"""Snapshot of the parallel-coordinates view (issue 17 item 3) at 120x36 and 80x24, on the seeded demo store.

The steps are the screenshot script's (``screenshots/parcoords*.svg``): the demo's runs, ``learning_rate``
brushed from the top, the best kept run focused.  Same setup as the other snapshot modules (fixed clock,
UTC, a writable copy of the demo store, relative store path: ``demo_path`` and ``demo_copy_app``).
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
    with demo_copy_app(demo_path, tmp_path, monkeypatch) as app:
        yield app


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_parcoords(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._parcoords(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
