"""Snapshot of the parallel-coordinates view (issue 17 item 3) at 120x36 and 80x24, on the seeded demo store.

The steps are the screenshot script's (``screenshots/parcoords*.svg``): the demo's runs, ``learning_rate``
brushed from the top, the best kept run focused.  Fixtures (fixed clock, UTC, writable store copy) are
the other issue 17 snapshots'.
"""

from __future__ import annotations

import pytest
from test_tui_snapshots_17 import app, demo_path  # noqa: F401  (fixtures)

from tuitrack.tui import screenshots as shots


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_parcoords(snap_compare, app, size):  # noqa: F811
    async def run_before(pilot) -> None:
        await shots._parcoords(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
