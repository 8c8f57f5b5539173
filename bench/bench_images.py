"""Image view first paint (issue 17): ``i`` on 6 marked runs, each with a 100-step series of 256x256 images.

Measures, in a headless app at 120x36, the time from the key to every run's picture decoded and on
screen (the images ``ImagesScreen`` shows), against the same-run baseline of decoding those six PNG
files directly with Pillow.  Run: ``python bench/bench_images.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import Figure, app_sessions, table

os.environ.setdefault("TUITRACK_IMAGES", "halfcell")

RUNS, STEPS, SIZE = 6, 100, 256


def _store(path: Path) -> None:
    import numpy as np

    import tuitrack

    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False)
    rng = np.random.default_rng(0)
    for r in range(RUNS):
        with tuitrack.start_run(name=f"img{r}") as run:
            for step in range(STEPS):
                run.log_image(rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8), key="val/pred", step=step)
    tuitrack.reset()


async def _first_paint(path: Path, repeat: int) -> list[float]:
    from tuitrack.tui.screens.images import ImagesScreen

    async def key_to_pictures(app, pilot) -> float:
        await pilot.press(*["space"] * RUNS)
        await pilot.pause(0.1)
        start = time.perf_counter()
        await pilot.press("i")
        while not (isinstance(app.screen, ImagesScreen) and len(app.screen.shown) == RUNS):
            await pilot.pause(0.005)
        await pilot.pause(0)  # the frame that draws them
        return time.perf_counter() - start

    def ready(app) -> bool:
        return len(app.browser.table.rids) == RUNS and app.browser.table.cursor_run is not None

    return await app_sessions(path, repeat, key_to_pictures, ready=ready)


def run(repeat: int = 5) -> list[Figure]:
    from PIL import Image

    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-images-"))
    try:
        _store(tmp / "store")
        times = asyncio.run(_first_paint(tmp / "store", repeat))
        files = sorted((tmp / "store" / "artifacts").glob("*/images/val/pred/step_000000099.png"))
        t0 = time.perf_counter()
        for _ in range(repeat):
            for f in files:
                with Image.open(f) as img:
                    img.load()
        decode = (time.perf_counter() - t0) / repeat
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ours = statistics.median(times)
    return [
        Figure(
            f"image view first paint: {RUNS} runs x {STEPS} steps of {SIZE}x{SIZE} px, key to pictures",
            ours * 1000,
            "ms",
            f"decoding the {RUNS} PNGs with Pillow",
            decode * 1000,
            target="<= 500 ms",
            met=ours <= 0.5,
        )
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(table(run(args.repeat)))


if __name__ == "__main__":
    main()
