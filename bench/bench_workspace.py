"""The browser's chart panel (issue 17 item 7), headless at 120x36.

1. Cursor down / up on 1,000 runs (each with loss, val_loss and accuracy over 200 steps) with the
   panel open, against the same keys with the panel closed (same store, same run): "painted" is the
   press -> the frame that shows the moved cursor (bench_tui's probe).  With the panel open, how
   long the panel then takes to show the new run's charts is reported beside it.
   Then the same keys at a browsing pace: a key every 130-300 ms (seeded), not waiting for the
   panel, so keys land while the panel reads and draws the previous run's charts (its drawing is
   what a key could wait for on the event loop); the panel closed, same store, is the baseline.
2. Panel paint on a 1M-point history: ``w`` with the cursor on a run whose ``loss`` has 1,000,000
   points -> the frame showing its charts; baseline: reading that history's every row
   (``get_metric_history`` without ``max_points``).

Run: ``python bench/bench_workspace.py [--runs 1000] [--points 1000000] [--presses 40] [--paced-presses 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tui import SIZE, Probe, _bench_app_class, _rows_shown, _send, _settle
from common import percentile, timings, write_history

from tuitrack.store.core import Store

T0 = 1_790_000_000_000


def build(path: Path, runs: int, points: int) -> None:
    """``runs`` runs with three 200-step curves, and the newest one with a ``points``-point loss."""
    rng = random.Random(3)
    store = Store(path, create=True)
    exp = store.experiment_id("bench")
    batch: list[tuple[int, str, float, int, int]] = []
    for i in range(runs):
        rid = store.create_run(run_id=f"{i:032x}", experiment_id=exp, name=f"run-{i:04d}", start_time=T0 + i * 60_000)
        q = rng.random()
        for s in range(200):
            t = T0 + i * 60_000 + s * 1000
            batch += [
                (rid, "loss", 0.2 + q * math.exp(-s / 40) + rng.gauss(0, 0.01), s, t),
                (rid, "val_loss", 0.3 + q * math.exp(-s / 50) + rng.gauss(0, 0.02), s, t),
                (rid, "accuracy", 0.9 - 0.4 * math.exp(-s / 30) + rng.gauss(0, 0.005), s, t),
            ]
        store.end_run(rid, "FINISHED", end_time=T0 + i * 60_000 + 200_000)
        if len(batch) > 200_000:
            store.write_metrics(batch)
            batch = []
    store.write_metrics(batch)
    rid = store.create_run(run_id="f" * 32, experiment_id=exp, name="long-run", start_time=T0 + runs * 60_000)
    write_history(
        store, rid, points, {"loss": lambda s: 1 / (s + 1) + rng.gauss(0, 0.001)}, at=lambda s: T0 + s, batch=250_000
    )
    store.end_run(rid, "FINISHED", end_time=T0 + runs * 60_000 + points)
    store.close()


async def session(path: Path, body: Any) -> Any:
    from tuitrack.tui.app import create_app

    state = Path(tempfile.mkdtemp(prefix="tuitrack-bench-ws-"))
    app = create_app(Store(path), live_interval=0, state_dir=state, app_class=_bench_app_class())
    probe = Probe(app.browser)
    probe.arm(lambda: _rows_shown(app.browser))
    try:
        async with app.run_test(size=SIZE):
            await probe.wait("first paint")
            return await body(app, probe)
    finally:
        app.store.close()


async def painted(app: Any, probe: Probe, key: str, cond: Any) -> tuple[float, float]:
    """(ms to the frame showing ``cond``, ms to that state) for one key."""
    probe.arm(cond)
    t0 = time.perf_counter()
    _send(app, key)
    await probe.wait(key)
    assert probe.paint_at is not None and probe.state_at is not None
    return (probe.paint_at - t0) * 1000, (probe.state_at - t0) * 1000


def panel_done(app: Any) -> bool:
    panel = app.browser.chart_panel
    return panel.loaded and panel.data is not None and bool(panel.query_one("#panel-grid").charts)


async def cursor_keys(app: Any, probe: Probe, presses: int, panel_open: bool) -> dict[str, list[float]]:
    table = app.browser.table
    out: dict[str, list[float]] = {"move": [], "charts": []}
    if panel_open:
        _send(app, "w")
        await _until(lambda: panel_done(app))
    table.move_cursor(row=5)
    await _settle(app, 0.3)
    for i in range(presses):
        key = "down" if i % 2 == 0 else "up"
        want = table.cursor_row + (1 if key == "down" else -1)
        ms, _ = await painted(app, probe, key, lambda want=want: table.cursor_row == want and _rows_shown(app.browser))
        out["move"].append(ms)
        if panel_open:
            t0 = time.perf_counter()
            run_id = table.cursor_run.id
            await _until(lambda run_id=run_id: panel_done(app) and app.browser.chart_panel.data.runs[-1][0] == run_id)
            out["charts"].append((time.perf_counter() - t0) * 1000 + ms)
        await _settle(app, 0.25)
    return out


async def browsing(app: Any, probe: Probe, presses: int, panel_open: bool) -> list[float]:
    """press -> painted for cursor keys a browsing person presses: every 130-300 ms, never waiting for the panel."""
    table = app.browser.table
    if panel_open:
        _send(app, "w")
        await _until(lambda: panel_done(app))
    table.move_cursor(row=5)
    await _settle(app, 0.3)
    rng = random.Random(7)
    out = []
    for i in range(presses):
        key = "down" if i % 2 == 0 else "up"
        want = table.cursor_row + (1 if key == "down" else -1)
        ms, _ = await painted(app, probe, key, lambda want=want: table.cursor_row == want and _rows_shown(app.browser))
        out.append(ms)
        await asyncio.sleep(max(0.0, rng.uniform(0.13, 0.30) - ms / 1000))
    await _settle(app, 0.3)
    return out


async def _until(cond: Any, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.001)


async def long_history(app: Any, probe: Probe) -> float:
    table = app.browser.table
    assert table.cursor_run is not None and table.cursor_run.info.run_name == "long-run"
    await _settle(app, 0.3)
    ms, _ = await painted(app, probe, "w", lambda: panel_done(app))
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--paced-presses", type=int, default=100, help="keys at a browsing pace, per session")
    parser.add_argument("--repeat", type=int, default=5, help="panel paints on the long history")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuitrack-bench-ws-") as tmp:
        path = Path(tmp) / "store"
        t = time.perf_counter()
        build(path, args.runs, args.points)
        print(
            f"store: {args.runs} runs x 3 curves x 200 steps + one {args.points:,}-point history, "
            f"built in {time.perf_counter() - t:.1f} s"
        )
        closed = asyncio.run(session(path, lambda app, probe: cursor_keys(app, probe, args.presses, False)))
        opened = asyncio.run(session(path, lambda app, probe: cursor_keys(app, probe, args.presses, True)))
        paced_closed = asyncio.run(session(path, lambda app, probe: browsing(app, probe, args.paced_presses, False)))
        paced_open = asyncio.run(session(path, lambda app, probe: browsing(app, probe, args.paced_presses, True)))
        paints = [asyncio.run(session(path, long_history)) for _ in range(args.repeat)]
        store = Store(path)
        reads = [s * 1000 for s in timings(lambda: store.get_metric_history("f" * 32, "loss"), args.repeat)[0]]
        store.close()

    def p(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.1f} / p95 {percentile(values, 95):.1f} ms"

    print(f"cursor key, panel closed ({args.runs} runs): {p(closed['move'])}")
    print(f"cursor key, panel open   ({args.runs} runs): {p(opened['move'])}")
    print(f"  ... panel showing the new run's charts:     {p(opened['charts'])}")
    print(f"cursor key every 130-300 ms, panel closed: {p(paced_closed)}")
    print(f"cursor key every 130-300 ms, panel open:   {p(paced_open)}")
    print(f"panel paint, {args.points:,}-point history (w -> charts): {p(paints)}")
    print(f"  baseline: reading every row of that history: {p(reads)}")


if __name__ == "__main__":
    main()
