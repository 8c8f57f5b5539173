"""Shared fixtures: a fresh store per test and a full reset of tuitrack's process-wide state.

tuitrack keeps module-level state (active-run stack, cached stores and writer
threads, clock, id factory, settings) just like MLflow's fluent API.  Tests that
leave any of it behind make later tests depend on execution order, so
``reset_tuitrack`` puts every piece back and closes what was opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import db_rows, reset_tuitrack  # tests import these from helpers, never from conftest

import tuitrack


@pytest.fixture(autouse=True)
def _isolated_xdg_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Config (quick tags), view state, data and cache come from fresh temp dirs, never the developer's home.

    A machine with its own ``~/.config/tuitrack/quick_tags.json`` would otherwise change what the help
    screen and the curation keys show.  Tests that write a config set these variables again themselves.
    """
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    """A not-yet-created store folder made current with ``set_store``; environment capture off (fast)."""
    path = tmp_path / "store"
    reset_tuitrack()
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False)
    yield path
    reset_tuitrack()


@pytest.fixture
def rows_of():
    """The ``db_rows`` helper as a fixture (tests compare it before/after a refused call)."""
    return db_rows
