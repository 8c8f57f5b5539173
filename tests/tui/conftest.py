"""Fixtures shared by the TUI test modules (pytest finds them here: a test module never imports another's fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fresh_demo_store, utc_timezone
from tui_helpers import DEMO_NOW
from tui_helpers import seed_many as seed


@pytest.fixture
def big(store_path: Path) -> Path:
    """A store of ``N_RUNS`` runs, more than the first window holds (see ``tui_helpers.seed_many``)."""
    seed(store_path)
    return store_path


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The deterministic demo store (clock at ``DEMO_NOW``), built once a module, with TZ=UTC while the module's
    tests run: times in snapshots read the same on every machine (the snapshot modules' store)."""
    with utc_timezone():
        yield fresh_demo_store(tmp_path_factory.mktemp("snap") / "demo", DEMO_NOW)
