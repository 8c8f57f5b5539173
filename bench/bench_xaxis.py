"""A metric as the chart's x axis (issue 17 item 4) on a 1,000,000-point history, and the overlay's clean lines.

Writes runs with N points of ``loss`` (noisy) and ``tokens_seen`` (one point per step) through the store's
batch writer, then times what the charts worker does for one chart of ``loss`` against ``tokens_seen``:

  * one run: y read downsampled to 2 points a column (its min/max envelope), x read beside those steps
    (``Store.metric_points_around``), paired by step (``series.against_metric``);
  * an overlay's run: y read at 4 points a column, paired, then the clean line (``series.bucket_midrange``);
  * the headless app: ``X`` -> tokens_seen on one run at 120x36, until the chart is drawn;

against the same-run baselines of the plain step chart's read (``get_metric_history`` at the same
``max_points``) and of pairing the two full histories in SQL (a join on step, every row).
Usage: python bench/bench_xaxis.py [--points 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from common import Figure, app_sessions, table, timed, write_history

from tuitrack.analysis import series as ser
from tuitrack.store.core import Store

WIDTH = 90  # one chart's columns at 120x36 (the charts screen's estimate)


def _write(path: Path, points: int) -> str:
    store = Store(path, create=True, read_only=False)
    exp = store.experiment_id("bench")
    run_id = "b" * 32
    rid = store.create_run(run_id=run_id, experiment_id=exp, name="long", start_time=0)
    rng = random.Random(0)
    curves = {"loss": lambda s: 1.0 / (1 + s / 1000) + rng.uniform(-0.5, 0.5), "tokens_seen": lambda s: 2048.0 * s}
    write_history(store, rid, points, curves, at=lambda s: s * 10)
    store.end_run(rid, "FINISHED")
    store.close()
    return run_id


def _pair(store: Store, run_id: str, max_points: int, clean: bool) -> int:
    y = store.get_metric_history(run_id, "loss", max_points=max_points)
    x = store.metric_points_around(run_id, "tokens_seen", [p.step for p in y])
    xs, ys = ser.against_metric(y, x)
    if clean:
        xs, ys = ser.bucket_midrange(xs, ys, WIDTH)
    return len(xs)


def _full_join(store: Store) -> int:
    conn = sqlite3.connect(store.db_path)
    try:
        rows = conn.execute(
            "SELECT x.value, y.value FROM metrics y JOIN metrics x ON x.rid = y.rid AND x.step = y.step"
            " AND x.kid = (SELECT kid FROM metric_keys WHERE key = 'tokens_seen')"
            " WHERE y.kid = (SELECT kid FROM metric_keys WHERE key = 'loss') ORDER BY y.step"
        ).fetchall()
    finally:
        conn.close()
    return len(rows)


async def _app_x(path: Path, repeat: int) -> list[float]:
    from tuitrack.tui.screens.charts import ChartsScreen

    async def x_to_chart(app, pilot) -> float:
        await pilot.press("v")
        while not (isinstance(app.screen, ChartsScreen) and app.screen.loaded and app.screen.selected):
            await pilot.pause(0.01)
        screen = app.screen
        await app.workers.wait_for_complete()
        start = time.perf_counter()
        screen.set_x("tokens_seen")
        while not screen.x_histories:
            await pilot.pause(0.002)
        await pilot.pause(0)  # the frame that draws it
        return time.perf_counter() - start

    return await app_sessions(path, repeat, x_to_chart)


def run(points: int = 1_000_000, repeat: int = 3) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench"
        run_id = _write(path, points)
        store = Store(path, read_only=True)
        single = max(200, 2 * WIDTH)
        overlay = max(200, 4 * WIDTH)
        step_s, _ = timed(lambda: store.get_metric_history(run_id, "loss", max_points=single), repeat)
        one_s, n_one = timed(lambda: _pair(store, run_id, single, False), repeat)
        step_o, _ = timed(lambda: store.get_metric_history(run_id, "loss", max_points=overlay), repeat)
        over_s, n_over = timed(lambda: _pair(store, run_id, overlay, True), repeat)
        join_s, n_join = timed(lambda: _full_join(store), 1)
        store.close()
        app = asyncio.run(_app_x(path, repeat))
    k = f"{points / 1e6:g}M" if points >= 1e6 else f"{points:,}"
    return [
        Figure(
            f"x = tokens_seen, one run, {k} points: y read + x beside its steps + paired ({n_one} points)",
            one_s * 1000,
            "ms",
            f"step chart's read alone {step_s * 1000:.1f} ms; full SQL join of both histories ({n_join:,} rows)",
            join_s * 1000,
            target="<= 100 ms",
            met=one_s <= 0.1,
        ),
        Figure(
            f"x = tokens_seen, an overlay's run, {k} points: 4/column read, paired, clean line ({n_over} points)",
            over_s * 1000,
            "ms",
            f"step chart's read at 4/column alone {step_o * 1000:.1f} ms; full SQL join",
            join_s * 1000,
            target="<= 500 ms",
            met=over_s <= 0.5,
        ),
        Figure(
            f"app: X -> tokens_seen on a {k}-point run, 120x36, until drawn (median of {repeat})",
            statistics.median(app) * 1000,
            "ms",
            "full SQL join of both histories",
            join_s * 1000,
            target="<= 500 ms",
            met=statistics.median(app) <= 0.5,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(table(run(args.points, args.repeat)))


if __name__ == "__main__":
    main()
