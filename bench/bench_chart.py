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
import tempfile
from pathlib import Path

from common import Figure, table, timed, write_history
from textual_plotext.plot import Plot

from tuitrack.store.core import Store


def run(points: int = 1_000_000, repeat: int = 3, max_points: int = 200) -> list[Figure]:
    """Downsampled history and a full chart replot of a ``points``-point metric, against reading every row."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench", create=True, read_only=False)
        exp = store.experiment_id("bench")
        run_id = "b" * 32
        rid = store.create_run(run_id=run_id, experiment_id=exp, name="long", start_time=0)
        write_history(store, rid, points, {"loss": lambda s: 1.0 / (1 + s) + (s % 1000) * 1e-6}, at=lambda s: s * 10)

        hist_s, pts = timed(lambda: store.get_metric_history(run_id, "loss", max_points=max_points), repeat)

        def replot() -> str:
            points_ = store.get_metric_history(run_id, "loss", max_points=max_points)
            plt = Plot()
            plt.plotsize(120, 30)
            plt.plot([p.step for p in points_], [p.value for p in points_], marker="braille")
            plt.title("loss")
            return plt.build()

        chart_s, _ = timed(replot, repeat)

        def raw() -> int:
            conn = sqlite3.connect(store.db_path)
            try:
                rows = conn.execute(
                    "SELECT m.step, m.ts, m.value FROM metrics m JOIN metric_keys k ON k.kid = m.kid"
                    " JOIN runs r ON r.rid = m.rid WHERE r.run_id = ? AND k.key = ?"
                    " ORDER BY m.step",
                    (run_id, "loss"),
                ).fetchall()
            finally:
                conn.close()
            return len(rows)

        raw_s, _ = timed(raw, repeat)
        store.close()
    n = len(pts)  # type: ignore[arg-type]
    return [
        Figure(
            f"chart: history {points:,} pts -> {n} + plotext replot 120x30",
            chart_s * 1000,
            "ms",
            "raw read of every row",
            raw_s * 1000,
        ),
        Figure(
            f"chart: history alone, {points:,} pts -> {n}",
            hist_s * 1000,
            "ms",
            "raw read of every row",
            raw_s * 1000,
            target="<= 100 ms",
            met=hist_s <= 0.100,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-points", type=int, default=200)
    args = ap.parse_args()
    if args.points < 1 or args.repeat < 1 or args.max_points < 1:
        ap.error("--points, --repeat and --max-points must be positive")
    print(table(run(args.points, args.repeat, args.max_points)))


if __name__ == "__main__":
    main()
