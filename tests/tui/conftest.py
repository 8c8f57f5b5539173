"""Fixtures shared by the TUI test modules (pytest finds them here: a test module never imports another's fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import seed_many as seed


@pytest.fixture
def big(store_path: Path) -> Path:
    """A store of ``N_RUNS`` runs, more than the first window holds (see ``tui_helpers.seed_many``)."""
    seed(store_path)
    return store_path
