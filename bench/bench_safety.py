"""Promises at their edges (issue #15): creating many experiments, and the kill -9 loss window.

- ``set_experiment`` creating N experiments, against raw sqlite3 inserting the same names one
  transaction each (the same work without tuitrack's checks), and one call on an existing name.
- The kill -9 loss window: a training process logging as fast as it can (default settings)
  is SIGKILLed at random moments; the window is kill time minus the newest committed point's
  timestamp.  The promise is <= 1 s (flush every 0.5 s + one bounded chunk).

Run: ``python bench/bench_safety.py [--experiments N] [--kills K]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Figure, table

import tuitrack


def bench_experiments(n: int) -> list[Figure]:
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-exp-"))
    try:
        tuitrack.reset()
        tuitrack.set_store(tmp / "store")
        t0 = time.perf_counter()
        for i in range(n):
            tuitrack.set_experiment(f"experiment-{i:05d}")
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        calls = 200
        for i in range(calls):
            tuitrack.set_experiment(f"experiment-{(i * 37) % n:05d}")
        existing_ms = (time.perf_counter() - t0) / calls * 1000
        tuitrack.reset()

        conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(
            "CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
            " created_at INTEGER NOT NULL, deleted_at INTEGER)"
        )
        t0 = time.perf_counter()
        for i in range(n):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO experiments(name, created_at) VALUES (?, 0)", (f"experiment-{i:05d}",))
            conn.execute("COMMIT")
        raw = time.perf_counter() - t0
        conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        Figure(
            f"set_experiment: create {n:,} experiments",
            made,
            "s",
            "raw sqlite3, one INSERT transaction each",
            raw,
            target="seconds (issue #15: <= 10 s)",
            met=made <= 10,
        ),
        Figure(f"set_experiment on an existing name, {n:,} experiments", existing_ms, "ms", target="", met=None),
    ]


WORKER = r"""
import sys, time
import tuitrack
tuitrack.set_store(sys.argv[1])
tuitrack.configure(capture_env=False, capture_packages=False)
run = tuitrack.start_run(name=sys.argv[2])
print(run.id, flush=True)
i = 0
while True:
    tuitrack.log_metric("a", float(i))
    tuitrack.log_metric("b", float(-i))
    i += 1
    if i % 20 == 0:
        time.sleep(0.002)
"""


def loss_windows(kills: int, seed: int = 1) -> list[int]:
    """Kill ``kills`` logging processes at random moments; the lost window of each in ms."""
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-kill-"))
    windows = []
    try:
        store = tmp / "store"
        for k in range(kills):
            p = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(store), f"k{k}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            run_id = p.stdout.readline().strip()
            time.sleep(rng.uniform(0.6, 2.5))
            os.kill(p.pid, signal.SIGKILL)
            kill_ms = time.time_ns() // 1_000_000
            p.wait(10)
            p.stdout.close()
            p.stderr.close()
            conn = sqlite3.connect(store / "tuitrack.db")
            last = conn.execute(
                "SELECT max(m.ts) FROM metrics m JOIN runs r USING (rid) WHERE r.run_id = ?", (run_id,)
            ).fetchone()[0]
            conn.close()
            if last is not None:
                windows.append(kill_ms - last)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return windows


def bench_loss_window(kills: int) -> list[Figure]:
    w = sorted(loss_windows(kills))
    if not w:
        return []
    p50 = w[len(w) // 2]
    return [
        Figure(
            f"kill -9 loss window, max of {len(w)} kills at random moments (p50 {p50} ms)",
            w[-1],
            "ms",
            target="<= 1000 ms",
            met=w[-1] <= 1000,
        )
    ]


def run(experiments: int, kills: int) -> list[Figure]:
    figures = bench_experiments(experiments)
    if kills:
        figures += bench_loss_window(kills)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", type=int, default=10_000)
    ap.add_argument("--kills", type=int, default=20)
    args = ap.parse_args()
    print(table(run(args.experiments, args.kills)))


if __name__ == "__main__":
    main()
