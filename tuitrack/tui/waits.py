"""Waiting for the app to finish what a key started: the one set of waits for tests and the screenshot script.

Every wait here raises :class:`WaitTimeout` (an ``AssertionError``) when its state is not reached in
time, naming what it waited for, so a test that waits for the wrong thing fails where it waits instead
of asserting on a half-done screen, and a README picture is never taken of one.  Waits poll state
between frames (workers finished, the cursor's run loaded, the detail showing it, a condition the
caller gives), never the clock alone.  The screenshot script (``tuitrack.tui.screenshots``) uses them
too, so the snapshot tests and the README pictures agree on "complete".
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from tuitrack.tui.app import TuitrackApp

#: How long a wait polls before it gives up (generous: CI machines are shared and slow).
TIMEOUT_S = 20.0
#: Seconds between two looks at the state.
STEP_S = 0.05


class WaitTimeout(AssertionError):
    """The app did not reach the awaited state in time."""


async def workers_done(app: App[Any], what: str = "the app's workers to finish", timeout: float = TIMEOUT_S) -> None:
    """Wait until no worker of the app runs; raise :class:`WaitTimeout` if one still runs after ``timeout``.

    Polled rather than awaited: cancelling an await on a worker at the timeout would cancel the worker.
    """
    deadline = time.monotonic() + timeout
    while True:
        running = [w for w in app.workers if not w.is_finished]
        if not running:
            return
        if time.monotonic() > deadline:
            names = ", ".join(sorted({w.name or w.group for w in running}))
            raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what} (still running: {names})")
        await asyncio.sleep(0.005)


async def drain(pilot: Pilot[Any], rounds: int = 5, pause: float | None = None, timeout: float = TIMEOUT_S) -> None:
    """Let thread workers and the callbacks they hand to the event loop finish, ``rounds`` times over.

    A worker's result arrives through ``call_from_thread`` and may start another worker (a read's
    second phase, a curation write after its read), hence several rounds; ``pause`` is the time given
    to the event loop between them (None: until the screen has processed its messages).  Raises
    :class:`WaitTimeout` when workers still run after ``timeout`` seconds in all.
    """
    deadline = time.monotonic() + timeout
    for _ in range(rounds):
        await pilot.pause(pause)
        await workers_done(pilot.app, timeout=max(0.0, deadline - time.monotonic()))
    await pilot.pause(pause)


async def wait_until(
    pilot: Pilot[Any],
    cond: Callable[[], object],
    what: str | None = None,
    timeout: float = TIMEOUT_S,
    step: float = STEP_S,
) -> None:
    """Poll ``cond`` between frames until it holds; raise :class:`WaitTimeout` naming ``what`` otherwise
    (without ``what``: the source line of ``cond``)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause(step)
        if cond():
            return
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what or _source(cond)}")


def _source(cond: Callable[[], object]) -> str:
    try:
        return inspect.getsource(cond).strip()
    except (OSError, TypeError):
        return repr(cond)


def browser_idle(app: TuitrackApp) -> bool:
    """The browser's read is done and the cursor's row is loaded (or the table is empty)."""
    worker = app.browser._search_worker
    table = app.browser.table
    return (worker is None or worker.is_finished) and (not table.rids or table.cursor_run is not None)


async def settle_browser(
    pilot: Pilot[Any], app: TuitrackApp, cond: Callable[[], object] | None = None, timeout: float = TIMEOUT_S
) -> None:
    """Wait until the browser is idle (see :func:`browser_idle`) and ``cond`` holds."""
    await wait_until(
        pilot, lambda: browser_idle(app) and (cond is None or cond()), "the browser to settle", timeout=timeout
    )


def detail_shows_cursor_run(app: TuitrackApp) -> bool:
    """The runs table has a cursor run and the detail pane has shown that run."""
    from tuitrack.tui.browser.run_detail import RunDetail

    run_id = app.current_run_id()
    return run_id is not None and app.browser.query_one("#detail", RunDetail).run_id == run_id


def detail_filled(app: TuitrackApp) -> bool:
    """The detail pane wants the cursor's run and every tab it fills is filled (or it shows a message)."""
    from tuitrack.tui.browser.run_detail import RunDetail

    detail = app.browser.query_one("#detail", RunDetail)
    return detail.filled and detail.wanted == app.current_run_id()


async def settle_detail(
    pilot: Pilot[Any], cond: Callable[[], object] | None = None, *, filled: bool = True, timeout: float = TIMEOUT_S
) -> None:
    """Wait until the app's workers are done, the browser is idle, its detail pane shows the cursor's run
    (``filled``: with every tab filled) and ``cond`` holds."""
    app: TuitrackApp = pilot.app  # type: ignore[assignment]
    shown = detail_filled if filled else detail_shows_cursor_run

    def done() -> bool:
        return not any(not w.is_finished for w in app.workers) and browser_idle(app) and shown(app)

    await wait_until(
        pilot, lambda: done() and (cond is None or cond()), "the detail pane to show the cursor's run", timeout=timeout
    )
    await pilot.pause(STEP_S)
