"""Logging benchmarks: caller cost of log_metric, committed throughput, parallel writers, size on disk.

Every figure comes with a baseline measured in the same run (raw sqlite3
executemany of the same rows into the same table layout), because absolute
times drift on shared machines.  Run: ``python bench/bench_logging.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import Figure, table

import tuitrack
from tuitrack.store.core import Store

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


def many_keys(store: Path, keys: int, steps: int) -> float:
    """Seconds to log ``keys`` metrics once per step for ``steps`` steps, committing every step.

    The worst case for the per-key summary row (latest_metrics and its indexes): each commit updates
    ``keys`` summary rows for one point each, where the throughput figure updates 10 rows per thousands
    of points.
    """
    tuitrack.set_store(store)
    tuitrack.configure(capture_packages=False)
    names = [f"layer_{i}/grad_norm" for i in range(keys)]
    with tuitrack.start_run(name="many-keys") as run:
        t0 = time.perf_counter()
        for step in range(steps):
            for i, key in enumerate(names):
                run.log_metric(key, ((step * 7 + i) % 101) * 0.01, step)
            run.flush()
        return time.perf_counter() - t0


def raw_executemany(db: Path, rows: list[tuple[int, int, int, int, float]]) -> float:
    """The same rows into the same WITHOUT ROWID layout with plain sqlite3, one transaction, WAL."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE metrics (rid INTEGER NOT NULL, kid INTEGER NOT NULL, step INTEGER NOT NULL,"
        " ts INTEGER NOT NULL, value REAL, PRIMARY KEY (rid, kid, step, ts)) WITHOUT ROWID"
    )
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    dt = time.perf_counter() - t
    conn.close()
    return dt


def append_baseline(steps: int) -> list[float]:
    """Per-call ns of the cheapest possible "log": appending the same tuple to a list, timed the same way."""
    buf: list[tuple[str, float, int]] = []
    add = buf.append
    samples: list[float] = []
    for step in range(0, steps):
        a = time.perf_counter_ns()
        for key in KEYS:
            add((key, step * 0.001, step))
        b = time.perf_counter_ns()
        if step % 100 == 0:
            samples.append((b - a) / len(KEYS))
        if len(buf) > 100_000:
            buf.clear()
    return samples


def _file_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(str(db) + "-wal")) if p.exists())


def run(steps: int = 100_000, procs: int = 4, proc_points: int = 200_000) -> list[Figure]:
    """All logging figures (issue 7 rows 1-3 and the store size), each with its same-run baseline."""
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-"))
    try:
        return _run(tmp, steps, procs, proc_points)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(tmp: Path, steps: int, procs: int, proc_points: int) -> list[Figure]:
    n = steps * len(KEYS)
    _in_calls, committed, samples = log_points(tmp / "single", steps, "single")
    median_ns = statistics.median(samples)
    base_ns = statistics.median(append_baseline(steps))
    db = tmp / "single" / "tuitrack.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    metrics_bytes = (
        conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'metrics'").fetchone()[0]
        if _has_dbstat(conn)
        else None
    )
    conn.close()
    size = _file_bytes(db)
    rows = [(1, k, s, 1_790_000_000_000 + s, s * 0.001) for s in range(steps) for k in range(len(KEYS))]
    raw = raw_executemany(tmp / "raw.db", rows)
    raw_size = _file_bytes(tmp / "raw.db")

    # Parallel: N processes x P points each, all into one store, against one process's rate.
    par_store = tmp / "parallel"
    Store(par_store, create=True).close()
    steps_each = max(1, proc_points // len(KEYS))
    points_each = steps_each * len(KEYS)
    q: mp.Queue = mp.Queue()
    one = mp.Process(target=log_points, args=(tmp / "one", steps_each, "one", q))
    t = time.perf_counter()
    one.start()
    one.join()
    one_rate = points_each / (time.perf_counter() - t)
    if one.exitcode == 0:
        q.get()
    workers = [mp.Process(target=log_points, args=(par_store, steps_each, f"p{i}", q)) for i in range(procs)]
    t = time.perf_counter()
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    par_elapsed = time.perf_counter() - t
    errors = sum(p.exitcode != 0 for p in workers)
    stored = sqlite3.connect(par_store / "tuitrack.db").execute("SELECT count(*) FROM metrics").fetchone()[0]
    par_rate = procs * points_each / par_elapsed
    lost = procs * points_each - stored

    wide_keys, wide_steps = 200, max(10, min(300, steps // 300))
    wide = many_keys(tmp / "wide", wide_keys, wide_steps)

    rate = n / committed
    return [
        Figure(
            f"log_metric caller cost, median ({n:,} calls)",
            median_ns / 1000,
            "us",
            "list.append of the same tuple",
            base_ns / 1000,
            target="<= 2 us",
            met=median_ns <= 2000,
        ),
        Figure(
            f"committed throughput, 1 run x 10 metrics x {steps:,} steps",
            rate,
            "pts/s",
            "raw sqlite3 executemany",
            n / raw,
            ratio=committed / raw,
            ratio_label="x raw's time",
            target=">= 300k pts/s, <= 2x raw",
            met=rate >= 300_000 and committed / raw <= 2.0,
        ),
        Figure(
            f"parallel logging, {procs} procs x {points_each:,} pts",
            par_rate,
            "pts/s",
            "one process alone",
            one_rate,
            ratio=par_rate / one_rate,
            ratio_label="x of one",
            target=">= 0.6x of one, 0 errors",
            met=par_rate >= 0.6 * one_rate and errors == 0 and lost == 0,
            note=f"{errors} errors, {stored:,}/{procs * points_each:,} stored",
        ),
        Figure(
            f"many keys: {wide_keys} metrics x {wide_steps} steps, a commit per step",
            wide_keys * wide_steps / wide,
            "pts/s",
            note="each commit updates 200 summary rows (latest_metrics and its indexes)",
        ),
        Figure(
            f"store size, {n:,} points (whole db file)",
            size / n,
            "B/pt",
            "raw sqlite3 table",
            raw_size / n,
            target="<= 40 B/pt",
            met=size / n <= 40,
            note=f"metrics table {metrics_bytes / n:.1f} B/pt" if metrics_bytes else "",
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100_000, help="steps per metric (10 metrics)")
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--proc-points", type=int, default=200_000)
    args = ap.parse_args()
    if min(args.steps, args.procs, args.proc_points) < 1:
        ap.error("--steps, --procs and --proc-points must be positive")
    print(
        f"machine: {os.uname().sysname} {os.uname().machine}, {os.cpu_count()} cpus, python {sys.version.split()[0]},"
        f" sqlite {sqlite3.sqlite_version}"
    )
    print(table(run(args.steps, args.procs, args.proc_points)))


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except sqlite3.Error:
        return False


if __name__ == "__main__":
    main()
