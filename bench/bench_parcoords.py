"""Parallel coordinates (issue 17 item 3) on 1,000 runs: first paint, and a brush key to its new picture.

In a headless app at 120x36 (and 80x24) on a store of 1,000 runs (4 params, 3 metrics with 20-step
histories), measures the time from ``b`` in the browser to the picture on screen (runs read, axes
built, 1,000 lines drawn in braille), and from a brush key (``↓`` on an axis) to the redrawn picture.
Same-run baselines: reading those 1,000 runs from the store (what any view of them costs), and a key
the screen ignores.  Run: ``python bench/bench_parcoords.py [--runs 1000] [--repeat 5]``.
``--tags 1000`` gives every run 1,000 tags the view never shows (wide runs: first paint must not read
them); ``--keep DIR`` builds the store once in DIR, so two checkouts can be measured on the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import Figure, app_sessions, median_time, table


def _store(path: Path, runs: int, tags: int = 0) -> None:
    import tuitrack

    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False, capture_output=False)
    rng = random.Random(0)
    for i in range(runs):
        params = {
            "lr": str(rng.choice([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003])),
            "depth": str(rng.randint(2, 12)),
            "optimizer": rng.choice(["adam", "sgd", "rmsprop", "adamw"]),
            "batch": str(rng.choice([32, 64, 128, 256])),
        }
        extra = {f"note/{t:04d}": f"value {t} of run {i}" for t in range(tags)}  # what the view never shows
        with tuitrack.start_run(name=f"sweep-{i:04d}", params=params, tags=extra or None) as run:
            quality = rng.random()
            for step in range(20):
                run.log_metrics(
                    {
                        "loss": 1.5 * (1 - quality) / (1 + step) + rng.random() * 0.05,
                        "val_loss": 1.6 * (1 - quality) / (1 + step) + rng.random() * 0.08,
                        "accuracy": 0.5 + 0.45 * quality * step / 19 + rng.random() * 0.02,
                    },
                    step=step,
                )
    tuitrack.flush()
    tuitrack.reset()


async def _measure(
    path: Path, runs: int, repeat: int, size: tuple[int, int]
) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    from tuitrack.tui.screens.parcoords import ParCoordsScreen

    paints, brushes, noops, cpu_paint, cpu_brush = [], [], [], [], []

    def ready(app) -> bool:
        worker = app.browser._search_worker
        return len(app.browser.table.rids) == runs and worker is not None and worker.is_finished

    async def measure(app, pilot) -> None:
        await pilot.pause(0.2)
        start, cpu = time.perf_counter(), time.process_time()
        await pilot.press("b")
        while not (
            isinstance(app.screen, ParCoordsScreen)
            and app.screen.loaded
            and app.screen.drawn == app.screen.generation
            and app.screen.drawn > 0
        ):
            await pilot.pause(0.002)
        await pilot.pause(0)  # the frame that shows it
        paints.append(time.perf_counter() - start)
        cpu_paint.append(time.process_time() - cpu)
        screen = app.screen
        assert len(screen.runs) == runs, len(screen.runs)
        for _ in range(5):
            await pilot.pause(0.05)
            start, cpu = time.perf_counter(), time.process_time()
            await pilot.press("down")
            while screen.drawn != screen.generation:
                await pilot.pause(0.002)
            await pilot.pause(0)
            brushes.append(time.perf_counter() - start)
            cpu_brush.append(time.process_time() - cpu)
            start = time.perf_counter()
            await pilot.press("F12")  # bound to nothing
            await pilot.pause(0)
            noops.append(time.perf_counter() - start)

    await app_sessions(path, repeat, measure, ready=ready, size=size, polls=400)
    return paints, brushes, noops, cpu_paint, cpu_brush


def run(runs: int = 1000, repeat: int = 5, tags: int = 0, keep: Path | None = None) -> list[Figure]:
    """``tags``: tags per run besides the params and metrics; ``keep``: build the store there (or reuse it)."""
    from tuitrack.store.core import Store

    tmp = keep or Path(tempfile.mkdtemp(prefix="tuitrack-bench-parcoords-"))
    try:
        if not (tmp / "store").exists():
            _store(tmp / "store", runs, tags)
        store = Store(tmp / "store", read_only=True)
        rids = store.search_rids("")
        read = median_time(lambda: store.runs_by_rids(rids), repeat)
        store.close()
        out = []
        wide = f", {tags:,} tags each" if tags else ""
        for size in ((120, 36),) if tags else ((120, 36), (80, 24)):
            paints, brushes, noops, cpu_paint, cpu_brush = asyncio.run(_measure(tmp / "store", runs, repeat, size))
            paint = statistics.median(paints)
            brush = sorted(brushes)[max(0, int(len(brushes) * 0.95) - 1)]
            noop = sorted(noops)[max(0, int(len(noops) * 0.95) - 1)]
            where = f"{size[0]}x{size[1]}"
            out.append(
                Figure(
                    f"parallel coordinates first paint: {runs:,} runs{wide}, {where}, key to picture",
                    paint * 1000,
                    "ms",
                    f"reading the {runs:,} runs",
                    read * 1000,
                    target="<= 1000 ms",
                    met=paint <= 1.0,
                    note=f"process CPU {statistics.median(cpu_paint) * 1000:.0f} ms",
                )
            )
            out.append(
                Figure(
                    f"parallel coordinates brush key to redrawn picture, p95: {runs:,} runs{wide}, {where}",
                    brush * 1000,
                    "ms",
                    "a key bound to nothing",
                    noop * 1000,
                    target="<= 200 ms",
                    met=brush <= 0.2,
                    note=f"process CPU p95 {sorted(cpu_brush)[max(0, int(len(cpu_brush) * 0.95) - 1)] * 1000:.0f} ms",
                )
            )
        return out
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--tags", type=int, default=0, help="tags per run (wide runs); measures 120x36 only")
    ap.add_argument("--keep", type=Path, help="build the store in this folder, or reuse the one there")
    args = ap.parse_args()
    print(table(run(args.runs, args.repeat, args.tags, args.keep)))


if __name__ == "__main__":
    main()
