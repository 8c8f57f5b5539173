"""Helpers the TUI test modules share: apps opened on a store, what rows, widgets and the screen show as plain text.

Test modules import these (``from tui_helpers import browse``) instead of importing each other; they load
the app's modules, so the standard-library-only checks (``tests/helpers.py``) stay free of them.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from rich.segment import Segment
from textual.app import App
from textual.widgets import Static

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.runs_table import RunsTable
from tuitrack.tui.screens.parcoords import ParCoordsScreen
from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.key_rows import KeyRows

T0 = 1_717_000_000_000
NOW = T0 + 3_600_000  # the app's clock in these tests: an hour after the seeded runs began
N_RUNS = 150  # seed_many: more runs than the first window of a 36-row terminal holds
DEMO_NOW = 1_717_000_000_000  # snapshot tests: the demo store's clock and the app's, as the screenshot script's


# -- apps on a store ----------------------------------------------------------------------------------------
@asynccontextmanager
async def browse(
    path: Path,
    tmp_path: Path,
    *,
    read_only: bool | None = None,
    live: float = 0,
    app_class: type[TuitrackApp] | None = None,
    size: tuple[int, int] = (120, 36),
) -> AsyncIterator[tuple[TuitrackApp, object]]:
    """The app on ``path`` (clock at NOW, state under tmp_path), settled; drained of workers on the way out."""
    store = Store(path, read_only=read_only)
    app = create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=live, app_class=app_class)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app)
            yield app, pilot
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
    finally:
        store.close()


@asynccontextmanager
async def browse_quick(path: Path, tmp_path: Path) -> AsyncIterator[tuple[TuitrackApp, object]]:
    """``browse`` without the closing pause: for tests that count what the app does, and nothing after."""
    store = Store(path)
    app = create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            yield app, pilot
            await app.workers.wait_for_complete()
    finally:
        store.close()


@contextmanager
def demo_copy_app(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, halfcell_images: bool = False
) -> Iterator[TuitrackApp]:
    """The app as the screenshot script opens it: on a writable copy of the demo store (steps may write),
    by the relative path ``demo`` (the status line reads the same on every machine), clock at DEMO_NOW.
    ``halfcell_images``: images drawn in half cells, as the script draws them, the same in every terminal."""
    shutil.copytree(demo_path, tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    if halfcell_images:
        monkeypatch.setenv("TUITRACK_IMAGES", "halfcell")
    store = Store(Path("demo"))
    try:
        yield create_app(store, clock=lambda: DEMO_NOW, state_dir=tmp_path / "state", live_interval=0)
    finally:
        store.close()


@contextmanager
def isolated_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """View state and config under ``tmp_path`` (``xdg-state``, ``xdg-config``: a test may read the files the app
    wrote there), times in UTC, ``tmp_path`` the working folder (exports land there); all undone after."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.chdir(tmp_path)
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def seed_many(path: Path) -> None:
    """N_RUNS runs, newest first = highest index; auc rises with the index so sorting by it reverses the list."""
    ticks = iter(range(100_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    counter = iter(range(1, 100_000))
    tracking.set_id_factory(lambda: f"{next(counter):06x}" + "cd" * 13)
    tuitrack.configure(capture_env=False, capture_packages=False)
    for i in range(N_RUNS):
        with tuitrack.start_run(experiment="exp" + str(i % 2), name=f"run{i:03d}") as run:
            run.log_metric("auc", i / N_RUNS)
    tuitrack.flush()
    store_mod.set_clock(lambda: NOW)


# -- what the runs table shows ------------------------------------------------------------------------------
def names(app: TuitrackApp) -> list[str]:
    table = app.browser.table
    return [table.loaded_run(r).info.run_name for r in table.rids]


def row_text(table: RunsTable, index: int) -> str:
    y = index - int(table.scroll_y) + 1
    return "".join(seg.text for seg in table.render_line(y))


async def move_to_column(pilot, table: RunsTable, key: str) -> None:
    await pilot.press("home")
    for _ in range(len(table.columns)):
        if table.cursor_column.key == key:
            return
        await pilot.press("right")
    raise AssertionError(f"no column {key}")


# -- what the screen shows ----------------------------------------------------------------------------------
def _segments(line: object) -> Iterator[Segment]:
    """Segments of a rendered line (a Strip, or a list of Strips)."""
    if isinstance(line, Segment):
        yield line
    else:
        for part in line:  # type: ignore[attr-defined]
            yield from _segments(part)


def screen_render(app: TuitrackApp) -> tuple[str, set[str]]:
    """(the screen as plain text, the hyperlinks in its styles): what the terminal would be sent."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    links = {
        seg.style.link for line in update.strips for seg in _segments(line) if seg.style is not None and seg.style.link
    }
    console.print(update)
    return console.export_text(styles=False), links


# -- what a widget shows ------------------------------------------------------------------------------------
def static_text(app: App[None], selector: str, width: int = 100) -> str:
    """What a Static (or the lines of a KeyRows) shows, as plain text (rendered by Rich at ``width``)."""
    rows = app.query_one(selector)
    if isinstance(rows, KeyRows):
        return rows.text(width)
    widget = app.query_one(selector, Static)
    console = Console(width=width, color_system=None, legacy_windows=False, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def widget_text(widget) -> str:
    """A picture widget's plain text, or a Static's content as plain text."""
    if isinstance(getattr(widget, "plain", None), str):  # the picture
        return widget.plain
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def open_pc(app, pilot) -> ParCoordsScreen:
    """Parallel coordinates opened with ``b``, loaded and drawn."""
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(app.screen, ParCoordsScreen) and app.screen.loaded)
    screen = app.screen
    await wait_until(pilot, lambda: screen.drawn == screen.generation)
    return screen
