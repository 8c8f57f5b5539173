"""``kill -9`` mid-logging: the store stays intact, each series keeps a gap-free prefix, the run reads as
crashed, and resuming it continues the step numbering.  (What a kill may lose, the points not yet flushed,
is test_loss_window.py's subject; how many milliseconds that is, bench_safety.py's: no timings here.)

Processes are killed in pairs writing the same store, so a kill also lands while
another process is in the middle of a transaction.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tuitrack
from tuitrack.entities import CRASHED, FINISHED, HEARTBEAT_TIMEOUT_MS

ROUNDS = 10
PER_ROUND = 2  # 20 kills in all

WORKER = r"""
import sys, time
import tuitrack
tuitrack.set_store(sys.argv[1])
tuitrack.configure(capture_env=False, capture_packages=False)
run = tuitrack.start_run(name=sys.argv[2], params={"seed": 1})
tuitrack.set_tag("phase", "training")
print(run.id, flush=True)
i = 0
while True:
    tuitrack.log_metric("a", float(i))
    tuitrack.log_metric("b", float(-i))
    i += 1
    if i % 20 == 0:  # ~10k steps/s: a fast training loop, not a benchmark
        time.sleep(0.002)
"""


def _committed(db: Path, run_id: str) -> dict[str, list[tuple[int, int]]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT k.key, m.step, m.ts FROM metrics m JOIN runs r USING (rid) JOIN metric_keys k USING (kid)"
            " WHERE r.run_id = ? ORDER BY k.key, m.step",
            (run_id,),
        ).fetchall()
    finally:
        conn.close()
    out: dict[str, list[tuple[int, int]]] = {"a": [], "b": []}
    for key, step, ts in rows:
        out[key].append((step, ts))
    return out


@pytest.mark.slow
def test_sigkill_at_random_moments(store_path: Path) -> None:
    seed = int(os.environ.get("TUITRACK_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    db = store_path / "tuitrack.db"
    killed: list[str] = []  # run ids
    for rnd in range(ROUNDS):
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(store_path), f"r{rnd}-{j}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for j in range(PER_ROUND)
        ]
        ids = [p.stdout.readline().strip() for p in procs]
        for p, run_id in zip(procs, ids):
            assert len(run_id) == 32, f"seed={seed}: worker failed: {p.stderr.read() if p.poll() is not None else ''}"
        delays = sorted(rng.uniform(0.2, 1.5) for _ in procs)
        start = time.monotonic()
        for p, run_id, delay in sorted(zip(procs, ids, delays), key=lambda x: x[2]):
            time.sleep(max(0.0, start + delay - time.monotonic()))
            os.kill(p.pid, signal.SIGKILL)
            killed.append(run_id)
        for p in procs:
            p.wait(10)
            assert p.returncode == -signal.SIGKILL
            p.stdout.close()
            p.stderr.close()

        for run_id in killed[-PER_ROUND:]:
            got = _committed(db, run_id)
            for key, points in got.items():
                steps = [s for s, _ in points]
                assert steps == list(range(len(steps))), f"seed={seed}: {key} of {run_id[:8]} has holes"
    assert len(killed) >= 20

    # Every killed run: RUNNING on disk, shown CRASHED once its heartbeat is stale, params and tags intact.
    far_future = time.time_ns() // 1_000_000 + HEARTBEAT_TIMEOUT_MS + 60_000
    for run_id in killed:
        run = tuitrack.get_run(run_id)
        assert run.info.status == "RUNNING"
        assert run.info.display_status(far_future) == CRASHED
        assert run.data.params == {"seed": "1"} and run.data.tags == {"phase": "training"}
        counts = {k: s.count for k, s in run.data.summaries.items()}
        got = _committed(db, run_id)
        assert counts == {k: len(v) for k, v in got.items() if v}, "summaries disagree with history"

    # Resuming continues from the next step, per key.
    for run_id in killed[:4]:
        before = _committed(db, run_id)
        with tuitrack.start_run(run_id=run_id):
            tuitrack.log_metric("a", 1e9)
            tuitrack.log_metric("b", -1e9)
        after = _committed(db, run_id)
        for key in ("a", "b"):
            assert [s for s, _ in after[key]] == list(range(len(before[key]) + 1))
        assert tuitrack.get_run(run_id).info.status == FINISHED
        assert tuitrack.get_run(run_id).data.metrics == {"a": 1e9, "b": -1e9}
