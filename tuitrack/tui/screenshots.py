"""Regenerate the README's SVG screenshots from the demo store.

Run ``python -m tuitrack.tui.screenshots [--out screenshots] [--size WxH]``.
It builds the deterministic demo store in a temporary (writable) folder, drives
the real app through Textual's pilot with a fixed clock (times shown in UTC),
and saves one SVG per main view, so the pictures change only when the UI does.
Each view has its own terminal size (most 120x36, one browser at 80x24);
``--size`` shoots every view at one size instead (handy to review 80x24).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from tuitrack.demo import build_demo_store
from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.filter_bar import FilterBar
from tuitrack.tui.browser.run_detail import RunDetail

NOW = 1_717_000_000_000
GRID = "attributes.run_name LIKE 'grid_%'"
Step = Callable[[Pilot, TuitrackApp], Awaitable[None]]


@dataclass(frozen=True)
class View:
    name: str
    step: Step
    size: tuple[int, int] = (120, 36)


async def settle(pilot: Pilot, app: TuitrackApp) -> None:
    """Wait until the table and the detail pane show the cursor run, so the picture is complete."""
    for _ in range(200):
        await pilot.pause(0.05)
        worker = app.browser._search_worker
        detail = app.browser.query_one(RunDetail)
        if (worker is not None and worker.is_finished and app.current_run_id() is not None
                and detail.run_id == app.current_run_id()):
            break
    await app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _idle(pilot: Pilot, app: TuitrackApp) -> None:
    """Let pushed screens load (their workers) and paint."""
    for _ in range(5):
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _main_view(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)


async def _sorted_marked(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("space", "j", "space")
    table = app.browser.table
    table.move_cursor(col=[c.key for c in table.columns].index("metrics.auc"))
    await pilot.press("s")
    await settle(pilot, app)


async def _filtered(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc > 0.88 AND params.seed IS NOT NULL", "enter")
    await settle(pilot, app)


async def _filter_error(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc >> 0.8")
    await pilot.pause(0.1)


async def _detail(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("j", "j", "j", "enter")
    await settle(pilot, app)


async def _help(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


async def _columns(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("o")
    await pilot.pause(0.2)


async def _grid_marked(pilot: Pilot, app: TuitrackApp, marks: int = 4) -> None:
    """The grid runs filtered, the first ``marks`` of them marked (what compare and charts show)."""
    await settle(pilot, app)
    app.browser.apply_filter(GRID)
    await settle(pilot, app)
    for _ in range(marks):
        await pilot.press("space")
    await settle(pilot, app)


async def _compare(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app)
    await pilot.press("c")  # 3+ runs: their differences first
    await _idle(pilot, app)
    app.clear_notifications()
    await _idle(pilot, app)


async def _filter_typing(pilot: Pilot, app: TuitrackApp) -> None:
    """Typed, not entered: the filter applies as you type, with its live count."""
    await settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc > 0.88")
    await pilot.pause(0.4)
    await _idle(pilot, app)


async def _dense(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("z")
    app.clear_notifications()
    await settle(pilot, app)


async def _unsaved_tags(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=1)
    await pilot.press("t")
    await _idle(pilot, app)
    await pilot.press(*"stage=candidate", "enter", "escape")
    app.clear_notifications()
    await pilot.pause(0.2)


async def _delete(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=3)
    await pilot.press("d")
    app.clear_notifications()
    await _idle(pilot, app)


async def _charts(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app)
    await pilot.press("v")
    await _idle(pilot, app)
    await pilot.press("plus", "plus")
    app.clear_notifications()
    await _idle(pilot, app)


async def _scatter(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("p")
    app.clear_notifications()
    await _idle(pilot, app)


async def _groups(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    app.browser.apply_filter("attributes.run_name LIKE 'lr%'")
    await settle(pilot, app)
    await pilot.press("a")
    app.clear_notifications()
    await _idle(pilot, app)


async def _tag_editor(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=3)
    await pilot.press("t")
    await _idle(pilot, app)
    await pilot.press(*"status=keep")
    await pilot.pause(0.2)


VIEWS: tuple[View, ...] = (
    View("browser", _main_view),
    View("browser-80x24", _main_view, (80, 24)),
    View("sorted-marked", _sorted_marked),
    View("filter", _filtered),
    View("filter-error", _filter_error),
    View("run-detail", _detail),
    View("help", _help),
    View("columns", _columns),
    View("compare", _compare),
    View("charts", _charts),
    View("scatter", _scatter),
    View("groups", _groups),
    View("tag-editor", _tag_editor),
    View("sorted-marked-80x24", _sorted_marked, (80, 24)),
    View("compare-80x24", _compare, (80, 24)),
    View("filter-typing", _filter_typing),
    View("dense", _dense),
    View("unsaved-tags", _unsaved_tags, (80, 24)),
    View("delete-80x24", _delete, (80, 24)),
)


async def _shoot(template: Path, work: Path, view: View, out: Path, size: tuple[int, int]) -> Path:
    """One view on a fresh writable copy of the demo store (so no READ-ONLY badge, no cross-talk)."""
    store_dir = work / "demo"
    if store_dir.exists():
        shutil.rmtree(store_dir)
    shutil.copytree(template, store_dir)
    store = Store(Path("demo"))
    try:
        app = create_app(store, clock=lambda: NOW, state_dir=work / f"state-{view.name}", live_interval=0)
        async with app.run_test(size=size) as pilot:
            await view.step(pilot, app)
            target = Path(app.save_screenshot(f"{view.name}.svg", str(out)))
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
        return target
    finally:
        store.close()


def generate(out: Path, size: tuple[int, int] | None = None, only: list[str] | None = None) -> list[Path]:
    """Write every view's SVG into ``out`` (each at its own size unless ``size``); returns the files written."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    written = []
    try:
        with tempfile.TemporaryDirectory(prefix="tuitrack-shots-") as tmp:
            root = Path(tmp)
            template = build_demo_store(root / "template", now_ms=NOW)
            cwd = Path.cwd()
            os.chdir(root)  # the status line then shows the store as "demo", not a random temp path
            try:
                for view in VIEWS:
                    if only and view.name not in only:
                        continue
                    written.append(asyncio.run(_shoot(template, root, view, out, size or view.size)))
            finally:
                os.chdir(cwd)
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the SVGs")
    parser.add_argument("--size", default=None, help="shoot every view at WIDTHxHEIGHT (default: each view's own)")
    parser.add_argument("views", nargs="*", metavar="VIEW",
                        help=f"only these views (default all: {', '.join(v.name for v in VIEWS)})")
    args = parser.parse_args(argv)
    size = None
    if args.size is not None:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            parser.error(f"--size must look like 120x36, got {args.size!r}")
        if width < 80 or height < 24:
            parser.error(f"--size must be at least 80x24, got {args.size}")
        size = (width, height)
    unknown = sorted(set(args.views) - {v.name for v in VIEWS})
    if unknown:
        parser.error(f"unknown view(s): {', '.join(unknown)}")
    for path in generate(args.out, size, args.views or None):
        print(path)


if __name__ == "__main__":
    main()
