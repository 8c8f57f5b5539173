"""Store-level guarantees: SQLite settings, summaries kept on write, storage faults (disk full) and recovery.

The disk-full tests mount a 16 MB tmpfs (needs root; skipped cleanly otherwise),
fill it, and run a "training script" against it.
"""

from __future__ import annotations

import errno
import math
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import small_tmpfs

import tuitrack
from tuitrack.errors import StorageFullError
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store


def test_sqlite_settings_and_layout(store_path: Path) -> None:
    with tuitrack.start_run():
        tuitrack.log_metric("m", 1.0)
    st = tuitrack.open_store()
    assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert st.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert st.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert (store_path / "tuitrack.db").is_file()
    assert (store_path / "artifacts").exists() or not list(store_path.glob("artifacts/*"))
    meta = dict(st.conn.execute("SELECT key, value FROM meta"))
    assert meta["app"] == "tuitrack" and meta["schema_version"] == str(tuitrack.store.schema.SCHEMA_VERSION)


def test_reopening_a_current_store_does_not_migrate_again(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_param("p", 1)
    with Store(store_path, create=True) as st:
        assert st.get_run(run.id).data.params == {"p": "1"}
    with Store(store_path) as st:
        assert st.get_run(run.id).data.params == {"p": "1"}


def test_filter_queries_use_indexes(store_path: Path) -> None:
    """Listing never scans metric history: the plans touch latest_metrics/params/tags, not metrics."""
    with tuitrack.start_run(params={"depth": 3}):
        tuitrack.log_metric("auc", 0.5)
    st = tuitrack.open_store()
    sql, args, _ = st._search_plan(
        "r.rid", "metrics.auc > 0.3 AND params.depth >= 2", ["metrics.auc DESC"], None, False, None
    )
    plan = " ".join(str(r[-1]) for r in st.conn.execute("EXPLAIN QUERY PLAN " + sql, args))
    assert "metrics " not in plan.replace("latest_metrics", "") and "USING" in plan


def test_child_lookups_use_the_parent_index_even_after_analyze(store_path: Path) -> None:
    """ANALYZE counts every top-level run's NULL parent as one value group; lookups must not scan."""
    with tuitrack.start_run(name="parent") as parent:
        for i in range(3):
            with tuitrack.start_run(name=f"child{i}", nested=True):
                pass
    for _ in range(40):
        with tuitrack.start_run():
            pass
    st = tuitrack.open_store()
    from tuitrack.curation.core import delete_runs

    delete_runs(st, [st.resolve_run("child1")[1]])
    st.conn.execute("ANALYZE")
    # What ANALYZE writes for a 100k-run store where nearly every run is top-level (edited in, as the
    # SQLite docs allow, so the test needs no 100k runs); "ANALYZE sqlite_schema" reloads the stats.
    st.conn.execute("UPDATE sqlite_stat1 SET stat = '100000 100000' WHERE idx = 'runs_parent'")
    st.conn.execute("ANALYZE sqlite_schema")
    seen: list[str] = []
    st.conn.set_trace_callback(seen.append)
    assert st.count_children(parent.info.run_id) == 2
    assert st.count_children(parent.info.run_id, include_deleted=True) == 3
    assert [n for _, n in st.child_runs(parent.info.run_id, include_deleted=True)] == ["child0", "child1", "child2"]
    assert st.count_children("no-such-run") == 0
    st.conn.set_trace_callback(None)
    lookups = [q for q in seen if "parent_id =" in q]
    assert len(lookups) == 4
    for sql in lookups:
        plan = " ".join(str(r[-1]) for r in st.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "runs_parent" in plan and "SCAN runs" not in plan, (sql, plan)


def test_summaries_match_history_after_many_batches(store_path: Path) -> None:
    values = [math.sin(i) * (10 if i % 97 == 0 else 1) for i in range(5_000)]
    with tuitrack.start_run() as run:
        for i, v in enumerate(values):
            tuitrack.log_metric("s", v)
            if i % 777 == 0:
                tuitrack.flush()
    s = tuitrack.get_run(run.id).data.summaries["s"]
    assert (s.count, s.step, s.value, s.min, s.max) == (5_000, 4_999, values[-1], min(values), max(values))


def test_same_step_same_millisecond_values_are_all_kept(store_path: Path) -> None:
    store_mod.set_clock(lambda: 1_700_000_000_000)
    with tuitrack.start_run() as run:
        for batch_loss in (0.9, 0.8, 0.7):
            tuitrack.log_metric("loss", batch_loss, step=0)  # a per-batch loss logged with step=epoch
    hist = tuitrack.get_metric_history(run.id, "loss")
    assert sorted(p.value for p in hist) == [0.7, 0.8, 0.9]
    assert tuitrack.get_run(run.id).data.summaries["loss"].count == len(hist)


def test_relogging_identical_point_is_idempotent_in_history(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("x", 1.0, step=3, timestamp=10)
        tuitrack.flush()
        tuitrack.log_metric("x", 1.0, step=3, timestamp=10)
    assert [(p.step, p.value) for p in tuitrack.get_metric_history(run.id, "x")] == [(3, 1.0)]


# -- disk full ---------------------------------------------------------------------------
@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "tiny", "16m") as mnt:
        yield mnt


def _fill(mnt: Path, leave: int = 48 * 1024) -> Path:
    """Fill the filesystem except ``leave`` bytes; returns the filler (delete it to free space).

    The store's background writer may take blocks between ``statvfs`` and the write, so the filler is
    written unbuffered in chunks and stops at ENOSPC: the disk is then at least as full as asked (with
    ``leave=0`` a single buffered write of the measured free space failed on close whenever the writer
    committed in between).
    """
    st = os.statvfs(mnt)
    todo = max(0, st.f_bavail * st.f_frsize - leave)
    filler = mnt / "filler"
    chunk = b"\0" * (256 * 1024)
    with open(filler, "wb", buffering=0) as fh:
        while todo > 0:
            try:
                todo -= fh.write(chunk[:todo])
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
    return filler


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _epochs(n_epochs: int = 6, points_per_epoch: int = 20_000) -> None:
    """What a training loop does each epoch: many metric points and a checkpoint artifact."""
    for epoch in range(n_epochs):
        for i in range(points_per_epoch):
            tuitrack.log_metric("loss", 1.0 / (1 + epoch * points_per_epoch + i))
        tuitrack.log_text("x" * 200_000, f"ckpt/epoch{epoch}.txt")
        time.sleep(0.15)  # > flush interval: the background writer runs and hits the full disk


def _setup_full(tiny_fs: Path, strict: bool = False) -> tuple[Path, Path]:
    store = tiny_fs / "store"
    tuitrack.set_store(store)
    tuitrack.configure(capture_env=False, capture_packages=False, flush_interval=0.1, strict=strict)
    with tuitrack.start_run(name="warmup"):
        tuitrack.log_metric("w", 1.0)
    return store, _fill(tiny_fs)


def test_disk_full_default_warns_keeps_training_and_loses_nothing(tiny_fs: Path) -> None:
    store, filler = _setup_full(tiny_fs)
    run = tuitrack.start_run(name="on-a-full-disk", params={"lr": 0.1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _epochs()  # must not raise
    messages = [str(w.message) for w in caught]
    assert any("disk is full" in m for m in messages), messages  # the artifact fault
    assert any("out of space" in m for m in messages), messages  # the background metric flush
    # Python 3.13 adds ResourceWarnings for sqlite3 connections that earlier tests left to the garbage
    # collector, whenever it runs: not warnings of this run's.
    others = [
        (w.category.__name__, str(w.message))
        for w in caught
        if not issubclass(w.category, (RuntimeWarning, ResourceWarning))
    ]
    assert not others, others
    assert _integrity(store / "tuitrack.db") == "ok"
    # Space comes back: the buffered points were kept in memory and are written now.
    filler.unlink()
    run.end()
    hist = tuitrack.get_metric_history(run.id, "loss")
    assert [p.step for p in hist] == list(range(6 * 20_000))
    assert tuitrack.get_run(run.id).info.status == "FINISHED"
    assert _integrity(store / "tuitrack.db") == "ok"


def test_disk_full_default_run_can_end_while_full(tiny_fs: Path) -> None:
    store, filler = _setup_full(tiny_fs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tuitrack.start_run(name="ends-on-a-full-disk") as run:
            _epochs(n_epochs=2)
    assert tuitrack.active_run() is None
    filler.unlink()
    tuitrack.flush()
    assert len(tuitrack.get_metric_history(run.id, "loss")) == 2 * 20_000
    assert _integrity(store / "tuitrack.db") == "ok"


def test_disk_full_strict_raises_storage_full(tiny_fs: Path) -> None:
    store, filler = _setup_full(tiny_fs, strict=True)
    run = tuitrack.start_run(name="strict")
    with pytest.raises(StorageFullError, match="full"):
        tuitrack.log_text("x" * 200_000, "big.txt")
    with pytest.raises(StorageFullError, match="full"):
        for i in range(400_000):
            tuitrack.log_metric("loss", float(i))
            if i % 20_000 == 0:
                tuitrack.flush()
    assert _integrity(store / "tuitrack.db") == "ok"
    filler.unlink()
    tuitrack.flush()
    run.end()
    assert tuitrack.get_run(run.id).info.status == "FINISHED"
    assert _integrity(store / "tuitrack.db") == "ok"


def test_failed_commit_does_not_poison_metric_key_cache(tiny_fs: Path) -> None:
    st = Store(tiny_fs / "store", create=True)
    exp = st.experiment_id("e")
    rid = st.create_run(run_id="a" * 32, experiment_id=exp, name="r", start_time=1)
    st.metric_kid("early")
    filler = _fill(tiny_fs, leave=0)
    with pytest.raises(StorageFullError):
        st.metric_kid("brandnew")
    filler.unlink()
    st.write_metrics([(rid, "brandnew", 7.0, 0, 1)])
    other = Store(tiny_fs / "store")  # another process
    rid_other = other.create_run(run_id="b" * 32, experiment_id=exp, name="o", start_time=1)
    other.write_metrics([(rid_other, "unrelated", 1.0, 0, 1)])
    assert [p.value for p in other.get_metric_history("a" * 32, "brandnew")] == [7.0]
    assert [p.value for p in other.get_metric_history("b" * 32, "unrelated")] == [1.0]
    assert other.get_metric_history("a" * 32, "unrelated") == []
    st.close()
    other.close()


def test_disk_full_new_metric_key_warns_in_default_mode(tiny_fs: Path) -> None:
    _store, filler = _setup_full(tiny_fs)
    filler.unlink()  # start the run with space available, then fill the disk again
    run = tuitrack.start_run(name="new-key")
    filler = _fill(tiny_fs, leave=0)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        tuitrack.log_metric("never_seen_before", 1.0)  # must not raise in the default mode
    filler.unlink()
    run.end()
    assert tuitrack.get_run(run.id).data.metrics == {"never_seen_before": 1.0}
