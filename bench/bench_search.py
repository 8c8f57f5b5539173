"""Search and history benchmarks on large stores, each with a same-run baseline.

- search: 100k runs x 20 params x 10 metrics; a 2-clause filter + order_by, limit 100,
  through ``Store.search_runs`` (rids + the 100 runs' params/metrics/tags) against the
  plain SQL a naive tracker would run (the same WHERE with a full ORDER BY sort).
- history: one run with 1,000,000 points of one metric, ``get_metric_history`` downsampled
  to 200 points against raw sqlite3 reading every row.
Run: ``python bench/bench_search.py [--runs 100000] [--points 1000000]``.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from make_store import build

from tuitrack.store import Store


def best_of(fn, n: int = 7) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--store", type=Path, default=None, help="reuse a store built by make_store.py")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-"))
    path = args.store or build(tmp / "runs", args.runs)
    store = Store(path)
    flt = "metrics.auc > 0.8 AND params.param_0 >= 50"
    order = ["metrics.auc DESC"]
    ours = best_of(lambda: store.search_runs(flt, order, max_results=100))
    sql, sargs = store._search_sql("r.rid", flt, order, None, False, None)
    raw = sqlite3.connect(path / "tuitrack.db")
    naive = best_of(lambda: raw.execute(sql + " LIMIT 100", sargs).fetchall())
    unfiltered = best_of(lambda: store.search_runs("", None, max_results=100))
    count = best_of(lambda: store.count_runs(flt))

    # history: 1M points written through the store's batch path
    hist = Store(tmp / "history", create=True)
    exp = hist.experiment_id("h")
    rid = hist.create_run(run_id="f" * 32, experiment_id=exp, name="long", start_time=0)
    kid = hist.metric_kid("loss")
    rows = [(rid, kid, s, 1_790_000_000_000 + s, math.sin(s / 5000) + (5.0 if s == 777_777 else 0.0))
            for s in range(args.points)]
    t = time.perf_counter()
    for i in range(0, len(rows), 100_000):
        hist.write_batches([(rid, "loss", rows[i:i + 100_000])])
    write_s = time.perf_counter() - t
    down = best_of(lambda: hist.get_metric_history("f" * 32, "loss", max_points=200), 5)
    pts = hist.get_metric_history("f" * 32, "loss", max_points=200)
    spike = any(p.value > 4 for p in pts)
    raw_h = sqlite3.connect(tmp / "history" / "tuitrack.db")
    full = best_of(lambda: raw_h.execute("SELECT step, ts, value FROM metrics WHERE rid=? AND kid=? ORDER BY step",
                                         (rid, kid)).fetchall(), 3)
    size = (tmp / "history" / "tuitrack.db").stat().st_size
    print(f"| what | tuitrack | baseline (same run) | ratio |")
    print(f"|---|---|---|---|")
    print(f"| search {args.runs:,} runs, 2 clauses + order_by, limit 100 | {ours * 1000:.1f} ms"
          f" | plain SQL full sort {naive * 1000:.1f} ms | {naive / ours:.1f}x faster |")
    print(f"| first page, no filter | {unfiltered * 1000:.1f} ms | - | - |")
    print(f"| count matching runs | {count * 1000:.1f} ms | - | - |")
    print(f"| history {args.points:,} points -> {len(pts)} (spike kept: {spike}) | {down * 1000:.1f} ms"
          f" | raw read of all rows {full * 1000:.1f} ms | {full / down:.1f}x faster |")
    print(f"| write {args.points:,} points via write_batches | {args.points / write_s:,.0f} pts/s | - | - |")
    print(f"| store file for {args.points:,} points | {size / args.points:.1f} bytes/point | - | target <= 40 |")


if __name__ == "__main__":
    main()
