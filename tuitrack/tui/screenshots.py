"""Regenerate the README's SVG screenshots from the demo store.

Run ``python -m tuitrack.tui.screenshots [--out screenshots] [--size 120x36]``.
It builds the deterministic demo store in a temporary folder, drives the real
app through Textual's pilot with a fixed clock (times shown in UTC), and
saves one SVG per main view, so the pictures change only when the UI does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from ..demo import build_demo_store
from ..store import Store
from .app import TuitrackApp, create_app
from .widgets.filter_bar import FilterBar
from .widgets.run_detail import RunDetail

NOW = 1_717_000_000_000
Step = Callable[[Pilot, TuitrackApp], Awaitable[None]]


async def _settle(pilot: Pilot, app: TuitrackApp) -> None:
    for _ in range(200):
        await pilot.pause(0.05)
        worker = app.browser._search_worker
        detail = app.browser.query_one(RunDetail)
        if (worker is not None and worker.is_finished and app.current_run_id() is not None
                and detail.run_id == app.current_run_id()):
            break
    await app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _main_view(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)


async def _sorted_marked(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("space", "j", "space")
    table = app.browser.table
    table.move_cursor(col=[c.key for c in table.columns].index("metrics.auc"))
    await pilot.press("s")
    await _settle(pilot, app)


async def _filtered(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc > 0.88 AND params.seed IS NOT NULL", "enter")
    await _settle(pilot, app)


async def _filter_error(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc >> 0.8")
    await pilot.pause(0.1)


async def _detail(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("j", "j", "j", "enter")
    await _settle(pilot, app)


async def _help(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


async def _columns(pilot: Pilot, app: TuitrackApp) -> None:
    await _settle(pilot, app)
    await pilot.press("o")
    await pilot.pause(0.2)


VIEWS: dict[str, Step] = {
    "browser": _main_view, "sorted-marked": _sorted_marked, "filter": _filtered, "filter-error": _filter_error,
    "run-detail": _detail, "help": _help, "columns": _columns,
}


async def _shoot(store_dir: Path, state_dir: Path, name: str, step: Step, out: Path, size: tuple[int, int]) -> Path:
    store = Store(store_dir, read_only=True)
    try:
        app = create_app(store, clock=lambda: NOW, state_dir=state_dir, live_interval=0)
        async with app.run_test(size=size) as pilot:
            await step(pilot, app)
            target = Path(app.save_screenshot(f"{name}.svg", str(out)))
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
        return target
    finally:
        store.close()


def generate(out: Path, size: tuple[int, int] = (120, 36)) -> list[Path]:
    """Write every view's SVG into ``out``; returns the files written."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TZ"] = "UTC"
    time.tzset()
    written = []
    with tempfile.TemporaryDirectory(prefix="tuitrack-shots-") as tmp:
        root = Path(tmp)
        build_demo_store(root / "demo", now_ms=NOW)
        cwd = Path.cwd()
        os.chdir(root)  # the status line then shows the store as "demo", not a random temp path
        try:
            for index, (name, step) in enumerate(VIEWS.items()):
                written.append(asyncio.run(_shoot(Path("demo"), root / f"state{index}", name, step, out, size)))
        finally:
            os.chdir(cwd)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the SVGs")
    parser.add_argument("--size", default="120x36", help="terminal size WIDTHxHEIGHT (default 120x36)")
    args = parser.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size must look like 120x36, got {args.size!r}")
    if width < 80 or height < 24:
        parser.error(f"--size must be at least 80x24, got {args.size}")
    for path in generate(args.out, (width, height)):
        print(path)


if __name__ == "__main__":
    main()
