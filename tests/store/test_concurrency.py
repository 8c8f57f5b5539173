"""Several processes logging into one fresh store at once: all succeed, no point lost, no error output.

The processes wait on a shared start time so they race to create the store and
run the first migration, which is the hardest moment for SQLite locking.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tuitrack.store import schema

N_PROC = 4
N_POINTS = 50_000

WORKER = r"""
import sys, time
import tuitrack
store, start_at, idx, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tuitrack.set_store(store)
tuitrack.configure(capture_env=False, capture_packages=False)
while time.time() < start_at:
    time.sleep(0.001)
with tuitrack.start_run(experiment="sweep", name=f"worker-{idx}", params={"idx": idx}) as run:
    for i in range(n):
        tuitrack.log_metric("loss", 1.0 / (i + 1))
        if i % 10 == 0:
            tuitrack.log_metric("acc", i / n, step=i)
    tuitrack.set_tag("done", "yes")
print(run.id)
"""


@pytest.mark.slow
def test_concurrent_processes_race_to_create_and_log(tmp_path: Path) -> None:
    store = tmp_path / "fresh" / "store"  # does not exist: every worker tries to create it
    start_at = time.time() + 1.5  # after every interpreter has imported tuitrack
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store), str(start_at), str(i), str(N_POINTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(N_PROC)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert err == "", f"error output from a worker: {err}"
        assert len(out.strip()) == 32
    run_ids = {out.strip() for out, _ in results}
    assert len(run_ids) == N_PROC

    conn = sqlite3.connect(store / "tuitrack.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM experiments").fetchone()[0] == 1
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(
            schema.SCHEMA_VERSION
        )
        assert conn.execute("SELECT count(*) FROM runs WHERE status='FINISHED'").fetchone()[0] == N_PROC
        per_run = conn.execute(
            "SELECT r.run_id, k.key, count(*), min(m.step), max(m.step) FROM metrics m JOIN runs r USING (rid)"
            " JOIN metric_keys k USING (kid) GROUP BY r.run_id, k.key"
        ).fetchall()
        total = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
        summaries = conn.execute("SELECT key, count, step FROM latest_metrics").fetchall()
        tags = conn.execute("SELECT count(*) FROM tags WHERE key='done' AND value='yes'").fetchone()[0]
    finally:
        conn.close()
    n_acc = len(range(0, N_POINTS, 10))
    assert total == N_PROC * (N_POINTS + n_acc)
    assert sorted((k, c, lo, hi) for _, k, c, lo, hi in per_run) == sorted(
        [("loss", N_POINTS, 0, N_POINTS - 1)] * N_PROC + [("acc", n_acc, 0, N_POINTS - 10)] * N_PROC
    )
    assert {r for r, *_ in per_run} == run_ids
    assert sorted(summaries) == sorted(
        [("loss", N_POINTS, N_POINTS - 1)] * N_PROC + [("acc", n_acc, N_POINTS - 10)] * N_PROC
    )
    assert tags == N_PROC


def test_opening_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    """Deterministic form of the creation race: a writer holds RESERVED for 300 ms on a fresh rollback-mode db."""
    import threading

    from tuitrack.store.core import Store

    folder = tmp_path / "s"
    folder.mkdir()
    other = sqlite3.connect(folder / "tuitrack.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        st = Store(folder, create=True)  # must wait for the lock (busy timeout), not fail
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        st.close()
    finally:
        release.join()
        other.close()
