"""Shared fixtures: a fresh store per test and a full reset of tuitrack's process-wide state.

tuitrack keeps module-level state (active-run stack, cached stores and writer
threads, clock, id factory, settings) just like MLflow's fluent API.  Tests that
leave any of it behind make later tests depend on execution order, so
``reset_tuitrack`` puts every piece back and closes what was opened.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import tuitrack
from tuitrack.store import core as _store_mod
from tuitrack.tracking import session as _tracking
from tuitrack.tracking.writer import DEFAULT_INTERVAL_S


def reset_tuitrack() -> None:
    """End leftover runs, stop writer threads, close stores and restore every global default."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for run in reversed(list(_tracking._stack)):
            try:
                run.end("KILLED")
            except Exception:
                pass
        _tracking._stack.clear()
        for writer in list(_tracking._writers.values()):
            try:
                writer.flush()
            except Exception:
                for q in list(getattr(writer, "buffers", {}).values()):
                    q.clear()
            writer.stop()
        _tracking._writers.clear()
        for st in list(_tracking._stores.values()):
            try:
                st.close()
            except Exception:
                pass
        _tracking._stores.clear()
    _tracking.set_store(None)
    _store_mod.set_clock(None)
    _tracking.set_id_factory(None)
    _tracking._experiment = None
    tuitrack.configure(strict=False, flush_interval=DEFAULT_INTERVAL_S, capture_packages=True, capture_env=True,
                       identity={})


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    """A not-yet-created store folder made current with ``set_store``; environment capture off (fast)."""
    path = tmp_path / "store"
    reset_tuitrack()
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False)
    yield path
    reset_tuitrack()


def db_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of a store (read through a separate read-only connection), for "unchanged" checks."""
    db = Path(path) / "tuitrack.db"
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {}
        for t in tables:
            rows = conn.execute(f'SELECT * FROM "{t}"').fetchall()  # table names come from sqlite_master
            # updated_at/heartbeat move on every write; they are compared too (a refused call must not write).
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


@pytest.fixture
def rows_of():
    """The ``db_rows`` helper as a fixture (tests compare it before/after a refused call)."""
    return db_rows
