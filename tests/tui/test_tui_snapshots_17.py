"""Snapshot tests of issue 17's views (summary columns ...), on the deterministic demo store.

Same setup as the other snapshot modules (tests/tui/conftest.py's ``demo_path``: fixed clock, UTC; a writable
copy opened by a relative path, ``tui_helpers.demo_copy_app``); the steps are the
screenshot script's, so the README pictures and these snapshots show the same thing.
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


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_summary_columns(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._summary_columns(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize(("size", "step"), [((120, 36), "_artifact_diff"), ((80, 24), "_artifact_diff_text")])
def test_artifact_diff(snap_compare, app, size, step):
    async def run_before(pilot) -> None:
        await getattr(shots, step)(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_reproduce_env_tab(snap_compare, app, size):
    async def run_before(pilot) -> None:
        await shots._reproduce(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
@pytest.mark.parametrize("step", ["_images", "_image_preview"])
def test_images(snap_compare, app, size, step):
    async def run_before(pilot) -> None:
        await getattr(shots, step)(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_sync_state_rows(snap_compare, app, size):
    """Issue 14: after a push, two runs edited: ↑ on their rows (the third status cell), "↑ 2 unpushed"."""

    async def run_before(pilot) -> None:
        await shots._sync_state(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
