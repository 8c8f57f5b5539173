"""Logging benchmarks: caller cost of log_metric, committed throughput, parallel writers, size on disk.

Every figure comes with a baseline measured in the same run (raw sqlite3
executemany of the same rows into the same table layout), because absolute
times drift on shared machines.  Run: ``python bench/bench_logging.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import tuitrack
from tuitrack import tracking
from tuitrack.store import Store

KEYS = [f"metric_{i}" for i in range(10)]


def log_points(store: Path, steps: int, name: str, out: mp.Queue | None = None) -> tuple[float, float, list[float]]:
    """Log len(KEYS) x steps points; returns (seconds in calls, seconds until committed, per-call ns samples)."""
    tuitrack.set_store(store)
    tuitrack.configure(capture_packages=False)
    samples: list[float] = []
    with tuitrack.start_run(name=name) as run:
        log = run.log_metric
        t0 = time.perf_counter()
        in_calls = 0.0
        batch = 1000
        for step in range(0, steps):
            a = time.perf_counter_ns()
            for key in KEYS:
                log(key, step * 0.001, step)
            b = time.perf_counter_ns()
            in_calls += (b - a) / 1e9
            if step % 100 == 0:
                samples.append((b - a) / len(KEYS))
        run.flush()
        committed = time.perf_counter() - t0
    if out is not None:
        out.put((in_calls, committed))
    return in_calls, committed, samples


def raw_executemany(db: Path, rows: list[tuple[int, int, int, int, float]]) -> float:
    """The same rows into the same WITHOUT ROWID layout with plain sqlite3, one transaction, WAL."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE metrics (rid INTEGER NOT NULL, kid INTEGER NOT NULL, step INTEGER NOT NULL,"
                 " ts INTEGER NOT NULL, value REAL, PRIMARY KEY (rid, kid, step, ts)) WITHOUT ROWID")
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    dt = time.perf_counter() - t
    conn.close()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000, help="steps per metric (10 metrics)")
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--proc-points", type=int, default=200_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-"))
    n = args.steps * len(KEYS)

    in_calls, committed, samples = log_points(tmp / "single", args.steps, "single")
    median_ns = statistics.median(samples)
    db = tmp / "single" / "tuitrack.db"
    size = db.stat().st_size + (Path(str(db) + "-wal").stat().st_size if Path(str(db) + "-wal").exists() else 0)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'metrics'").fetchone()[0] if _has_dbstat(conn) else None
    conn.close()
    rows = [(1, k, s, 1_790_000_000_000 + s, s * 0.001) for s in range(args.steps) for k in range(len(KEYS))]
    raw = raw_executemany(tmp / "raw.db", rows)

    # Parallel: N processes x P points each, all into one store, against one process's rate.
    par_store = tmp / "parallel"
    Store(par_store, create=True).close()
    steps_each = args.proc_points // len(KEYS)
    q: mp.Queue = mp.Queue()
    one = mp.Process(target=log_points, args=(tmp / "one", steps_each, "one", q))
    t = time.perf_counter(); one.start(); one.join(); one_rate = args.proc_points / (time.perf_counter() - t)
    q.get()
    procs = [mp.Process(target=log_points, args=(par_store, steps_each, f"p{i}", q)) for i in range(args.procs)]
    t = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    par_elapsed = time.perf_counter() - t
    errors = sum(p.exitcode != 0 for p in procs)
    stored = sqlite3.connect(par_store / "tuitrack.db").execute("SELECT count(*) FROM metrics").fetchone()[0]
    par_rate = args.procs * args.proc_points / par_elapsed

    print(f"machine: {os.uname().sysname} {os.uname().machine}, {os.cpu_count()} cpus, python {sys.version.split()[0]},"
          f" sqlite {sqlite3.sqlite_version}")
    print(f"| what | tuitrack | baseline | ratio |")
    print(f"|---|---|---|---|")
    print(f"| log_metric median caller cost | {median_ns / 1000:.2f} us | - | target <= 2 us |")
    print(f"| committed throughput ({n:,} points) | {n / committed:,.0f} pts/s | raw executemany {n / raw:,.0f} rows/s"
          f" | {raw / committed:.2f}x of raw |")
    print(f"| parallel {args.procs} procs x {args.proc_points:,} | {par_rate:,.0f} pts/s total, {errors} errors,"
          f" {stored:,}/{args.procs * args.proc_points:,} stored | one process {one_rate:,.0f} pts/s"
          f" | {par_rate / one_rate:.2f}x of one |")
    per_point = (pages / n) if pages else size / n
    print(f"| store size | {per_point:.1f} bytes/point (metrics table{'' if pages else ', whole file'}) | - | target <= 40 |")


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except sqlite3.Error:
        return False


if __name__ == "__main__":
    main()
