"""How fast does a 1,000,000-point metric chart? SQL-downsampled history vs reading every row.

Writes one run with N points of one metric (through the store's batch writer, one transaction per
100k points), then times:
  * ``store.get_metric_history(run, key, max_points=200)`` (bucketed min/max in SQL),
  * the full chart replot of those points (plotext build at 120x30, what the TUI draws),
  * raw ``sqlite3`` reading all N rows (what a chart without downsampling would have to do).
Usage: python bench/bench_chart.py [--points 1000000] [--repeat 3]   (keep it short on shared machines)
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from textual_plotext.plot import Plot

from tuitrack.store import Store


def _time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-points", type=int, default=200)
    args = ap.parse_args()
    if args.points < 1 or args.repeat < 1:
        ap.error("--points and --repeat must be positive")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench", create=True, read_only=False)
        exp = store.experiment_id("bench")
        run_id = "b" * 32
        rid = store.create_run(run_id=run_id, experiment_id=exp, name="long", start_time=0)
        t0 = time.perf_counter()
        batch = 100_000
        for start in range(0, args.points, batch):
            store.write_metrics([(rid, "loss", 1.0 / (1 + s) + (s % 1000) * 1e-6, s, s * 10)
                                 for s in range(start, min(args.points, start + batch))])
        write_s = time.perf_counter() - t0

        hist_s, pts = _time(lambda: store.get_metric_history(run_id, "loss", max_points=args.max_points),
                            args.repeat)

        def replot() -> str:
            points = store.get_metric_history(run_id, "loss", max_points=args.max_points)
            plt = Plot()
            plt.plotsize(120, 30)
            plt.plot([p.step for p in points], [p.value for p in points], marker="braille")
            plt.title("loss")
            return plt.build()

        chart_s, _ = _time(replot, args.repeat)

        def raw() -> int:
            conn = sqlite3.connect(store.db_path)
            try:
                rows = conn.execute("SELECT m.step, m.ts, m.value FROM metrics m JOIN metric_keys k ON k.kid = m.kid"
                                    " JOIN runs r ON r.rid = m.rid WHERE r.run_id = ? AND k.key = ?"
                                    " ORDER BY m.step", (run_id, "loss")).fetchall()
            finally:
                conn.close()
            return len(rows)

        raw_s, n_raw = _time(raw, args.repeat)
        store.close()
    print(f"{args.points:,} points of one metric (written in {write_s:.1f} s); median of {args.repeat} runs")
    print(f"{'operation':<52} {'seconds':>9} {'points':>10}")
    print(f"{'get_metric_history(max_points=%d)' % args.max_points:<52} {hist_s:>9.4f} {len(pts):>10,}")
    print(f"{'history + plotext replot (120x30, braille)':<52} {chart_s:>9.4f} {len(pts):>10,}")
    print(f"{'raw sqlite3: read every row':<52} {raw_s:>9.4f} {n_raw:>10,}")
    print(f"speed-up of the downsampled read over reading every row: {raw_s / hist_s:.0f}x")


if __name__ == "__main__":
    main()
