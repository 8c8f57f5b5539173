"""A metric backlog bigger than the free disk keeps what fits (issue #15, item 10).

The writer used to retry the whole backlog as one transaction, forever, so none of it was stored
even after part of the space returned.  It now writes bounded chunks, oldest first (an equal
share of every series per chunk), shrinking them on a full disk: what fits is committed and
each series keeps a gap-free prefix; the rest stays in memory until space returns.

Needs a small filesystem: a tmpfs mounted for the test (root), else skipped with the reason.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import small_tmpfs

import tuitrack
from tuitrack.errors import StorageFullError

KEYS = ("loss", "acc", "lr")
PER_KEY = 60_000  # 180k points: several MB, far more than the space left


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "small", "8m") as mnt:
        yield mnt


def _committed(db: Path) -> dict[str, list[int]]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        out: dict[str, list[int]] = {k: [] for k in KEYS}
        for key, step in conn.execute(
            "SELECT k.key, m.step FROM metrics m JOIN metric_keys k USING (kid) ORDER BY k.key, m.step"
        ):
            if key in out:
                out[key].append(step)
        return out
    finally:
        conn.close()


def test_backlog_larger_than_free_space_keeps_the_oldest_that_fit(small_fs: Path) -> None:
    store = small_fs / "store"
    tuitrack.set_store(store)
    tuitrack.configure(capture_env=False, capture_packages=False, flush_interval=3600)  # one explicit flush
    run = tuitrack.start_run(name="backlog")
    for key in KEYS:
        run.log_metric(key, 0.0)
    run.flush()  # keys interned, store set up
    for step in range(1, PER_KEY):
        for i, key in enumerate(KEYS):
            run.log_metric(key, step * 0.5 + i, step=step)
    st = os.statvfs(small_fs)
    filler = small_fs / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 1_500_000))  # ~1.5 MB left for the backlog

    with pytest.raises(StorageFullError):
        run.flush()
    got = _committed(store / "tuitrack.db")
    stored = sum(len(v) for v in got.values())
    assert stored > 3 * 5_000, got and {k: len(v) for k, v in got.items()}  # what fit was kept ...
    assert stored < 3 * PER_KEY
    for key, steps in got.items():
        assert steps == list(range(len(steps))), f"{key}: not a gap-free prefix"  # ... oldest first
    lens = [len(v) for v in got.values()]
    print(f"kept {stored:,} of {3 * PER_KEY:,} points with ~1.5 MB free: per series {lens}")
    assert max(lens) - min(lens) <= 10_000, lens  # every series advanced, none starved

    # Space returns: the rest, kept in memory, is written; nothing twice, nothing lost.
    filler.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.end()
    got = _committed(store / "tuitrack.db")
    assert {k: v for k, v in got.items()} == {k: list(range(PER_KEY)) for k in KEYS}
