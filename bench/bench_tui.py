"""TUI benchmarks, headless at 120x36: first paint, key latency and memory on 0 / 10k / 100k-run stores.

How "visible" is measured: the bench wraps the browser screen's ``_compositor_refresh`` (the
one place every Textual frame is rendered, headless included: only the terminal write is
skipped) and records the end of the first frame rendered while the awaited state holds
(rows loaded, cursor moved, filter result shown...).  Keys go straight to the driver as
``events.Key`` (``Pilot.press`` sleeps in 20 ms steps, too coarse to time).  Each latency is
"painted": press -> the frame that shows the change; "state" (press -> widget state changed,
polled every ~1 ms) is reported beside it.  A no-op key (a bench-only binding that repaints
the one-line status bar) gives the floor every key pays in the same run: event dispatch plus
waiting for Textual's next 60 fps frame slot.

Each store runs in its own child process (clean RSS, no shared caches); the parent prints
the table.  Run: ``python bench/bench_tui.py [--sizes 0,10000,100000] [--presses 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import Figure, percentile, table
from make_store import cached

SIZE = (120, 36)
FILTERS = ("metrics.auc > 0.5 AND params.param_0 >= 50", "metrics.auc > 0.8 AND params.param_1 = 'adam'")
TIMEOUT_S = 60.0
MARK = "BENCH_JSON:"
WRITER = """
import sys, time, tuitrack
tuitrack.set_store(sys.argv[1]); tuitrack.configure(capture_packages=False)
with tuitrack.start_run(name="live-writer") as run:
    step = 0
    while True:
        run.log_metric("auc", (step % 100) / 100, step); step += 1
        time.sleep(0.01)
"""


# -- child side: everything below up to `parent` runs inside one app process ----------------------
class Probe:
    """Times "press -> the frame that shows it" by hooking the screen's frame renderer."""

    def __init__(self, screen: Any) -> None:
        self.cond: Callable[[], bool] | None = None
        self.state_at: float | None = None
        self.paint_at: float | None = None
        self.frames = 0  # frames rendered since arm(), the one that shows the state included
        original = screen._compositor_refresh

        def hooked() -> None:
            cond = self.cond
            if self.paint_at is None:
                self.frames += 1
            ready = cond is not None and self.paint_at is None and cond()
            if ready and self.state_at is None:
                self.state_at = time.perf_counter()
            original()
            if ready:
                self.paint_at = time.perf_counter()

        screen._compositor_refresh = hooked

    def arm(self, cond: Callable[[], bool]) -> None:
        self.cond, self.state_at, self.paint_at, self.frames = cond, None, None, 0

    async def wait(self, what: str) -> None:
        deadline = time.perf_counter() + TIMEOUT_S
        cond = self.cond
        assert cond is not None
        while self.paint_at is None:
            if self.state_at is None and cond():
                self.state_at = time.perf_counter()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{what}: no frame showed the awaited state within {TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.0005)


def _bench_app_class() -> type:
    from textual.binding import Binding

    from tuitrack.tui.app import TuitrackApp

    class BenchApp(TuitrackApp):
        """The real app plus one no-op key (f12) that repaints the status bar: the floor for every key."""

        BINDINGS = [Binding("f12", "bench_noop", "bench no-op", show=False)]
        noops = 0

        def action_bench_noop(self) -> None:
            self.noops += 1
            self.browser.status.refresh()

    return BenchApp


def _rows_shown(browser: Any) -> bool:
    """The browser has applied a read and every row on screen is loaded (no "…" placeholders)."""
    table_ = browser.table
    if browser.last_refresh_ms is None:
        return False
    top, bottom = table_.visible_range()
    return all(table_.loaded_run(rid) is not None for rid in table_.rids[top:bottom])


def _send(app: Any, key: str, char: str | None = None) -> None:
    from textual import events

    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


def _detail_caught_up(app: Any) -> bool:
    """The detail pane shows (or has asked for) the run under the cursor: its debounce has fired."""
    run = app.browser.table.cursor_run
    detail = app.browser.query_one("#detail")
    return detail.wanted == (run.id if run is not None else detail.wanted)


async def _settle(app: Any, at_least: float, detail: bool = True) -> None:
    """Let debounce timers fire and background reads finish, so presses do not overlap.

    Includes the detail pane's debounced load of the cursor's run: a cursor moved by the last
    key's second read phase must not load its detail during the next timed key (a person
    pausing between keys would see it loaded first).  ``detail=False`` after the pane was cleared
    on purpose (``show_run(None)``): it asks for no run until the next key, so waiting for it to catch
    up would only run out the 60 s timeout.
    """
    await asyncio.sleep(at_least)
    deadline = time.perf_counter() + TIMEOUT_S
    while time.perf_counter() < deadline and (
        any(w.is_running for w in app.workers) or (detail and not _detail_caught_up(app))
    ):
        await asyncio.sleep(0.005)


async def _until(cond: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT_S
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.001)


class Session:
    """One app on one store, with its probe; ``start`` returns the first-paint time."""

    def __init__(self, store_path: Path, live: float) -> None:
        self.store_path, self.live = store_path, live
        self.state_dir = Path(tempfile.mkdtemp(prefix="tuitrack-bench-state-"))

    async def run(self, body: Callable[[Any, Any, Probe, float], Any]) -> Any:
        from tuitrack.store.core import Store
        from tuitrack.tui.app import create_app

        t0 = time.perf_counter()
        app = create_app(
            Store(self.store_path), live_interval=self.live, state_dir=self.state_dir, app_class=_bench_app_class()
        )
        probe = Probe(app.browser)
        probe.arm(lambda: _rows_shown(app.browser))
        try:
            async with app.run_test(size=SIZE) as pilot:
                await probe.wait("first paint")
                assert probe.paint_at is not None
                first = probe.paint_at - t0
                probe.arm(lambda: _screen_settled(app))  # the first screen: rows and the first run's detail
                await probe.wait("first screen")
                assert probe.paint_at is not None
                self.first_screen = probe.paint_at - t0
                return await body(app, pilot, probe, first)
        finally:
            app.store.close()
            shutil.rmtree(self.state_dir, ignore_errors=True)


async def _measure(
    app: Any, probe: Probe, key: str, char: str | None, cond: Callable[[], bool], out: dict[str, list[float]], name: str
) -> None:
    probe.arm(cond)
    t0 = time.perf_counter()
    _send(app, key, char)
    await probe.wait(name)
    assert probe.state_at is not None and probe.paint_at is not None
    out.setdefault(name, []).append((probe.paint_at - t0) * 1000)
    out.setdefault(name + ".state", []).append((probe.state_at - t0) * 1000)
    out.setdefault(name + ".frames", []).append(probe.frames)


KEY_GROUPS = ("moves", "sort", "filter", "detail", "settle")


def _screen_settled(app: Any) -> bool:
    """Nothing left to change on screen after a cursor move: rows loaded, and the detail pane's tab on
    screen shows the cursor's run with its sparklines (the second phase of its read is in)."""
    browser = app.browser
    if not browser.table.rids:
        return browser.last_refresh_ms is not None  # an empty store: nothing to show a detail of
    run = browser.table.cursor_run
    detail = browser.query_one("#detail")
    if run is None or not _rows_shown(browser) or detail.run_id != run.id or detail.active_tab in detail._fills:
        return False  # (hidden tabs are filled after the frame: they change nothing on screen)
    from tuitrack.tui.browser.detail_data import stale_keys

    return detail._history_run == run.id and not stale_keys(detail.data, detail._history_cache)


async def key_latencies(
    app: Any, probe: Probe, presses: int, full: bool, gap: float = 0.15, groups: tuple[str, ...] = KEY_GROUPS
) -> dict[str, list[float]]:
    """ms samples per key: noop, down, up, pgdn; with ``full`` also sort, filter, open detail.

    ``groups`` picks which of ``KEY_GROUPS`` to time (the no-op floor is always timed).

    ``gap``: pause after each press once background reads are done (0.15 s > the detail pane's 0.1 s
    debounce, like a user stepping through runs: the detail pane's own repaint may land on the next press).
    """
    browser, table_ = app.browser, app.browser.table
    out: dict[str, list[float]] = {}
    for _ in range(presses):
        want = app.noops + 1
        await _measure(app, probe, "f12", None, lambda want=want: app.noops == want, out, "no-op key")
        await _settle(app, gap)
    for key, step in (("down", 1), ("up", -1)) if "moves" in groups else ():
        for _ in range(presses):
            want = max(0, min(len(table_.rids) - 1, table_.cursor_row + step))
            await _measure(
                app,
                probe,
                key,
                None,
                lambda want=want: table_.cursor_row == want and _rows_shown(browser),
                out,
                f"cursor {key}",
            )
            await _settle(app, gap)
    if not full:
        return out
    for _ in range(presses if "moves" in groups else 0):
        if table_.cursor_row + table_._body_height() >= len(table_.rids):  # at the end: start over, unmeasured
            table_.move_cursor(row=0)
            await _settle(app, gap)
        want = min(len(table_.rids) - 1, table_.cursor_row + table_._body_height())
        await _measure(
            app,
            probe,
            "pagedown",
            None,
            lambda want=want: table_.cursor_row == want and _rows_shown(browser),
            out,
            "page down",
        )
        await _settle(app, gap)
    # sort: on the auc metric column, where sorting 100k runs costs the most
    auc = next(i for i, c in enumerate(table_.columns) if c.key == "metrics.auc")
    table_.move_cursor(col=auc)
    for _ in range(presses if "sort" in groups else 0):
        old, sort = table_.rids, (table_.sort_key, table_.sort_desc)
        await _measure(
            app,
            probe,
            "s",
            "s",
            lambda old=old, sort=sort: (
                table_.rids is not old and (table_.sort_key, table_.sort_desc) != sort and _rows_shown(browser)
            ),
            out,
            "sort (s)",
        )
        await _settle(app, gap)
    # filter: sorted by auc ascending while the filters keep auc above a bound, the worst case for a
    # top-N walk (every run below the bound comes first in the index); set unmeasured if sort was skipped
    while "filter" in groups and (table_.sort_key, table_.sort_desc) != ("metrics.auc", False):
        sort = (table_.sort_key, table_.sort_desc)
        _send(app, "s", "s")
        await _until(lambda sort=sort: (table_.sort_key, table_.sort_desc) != sort, "sort did not change")
        await _settle(app, gap)
    bar = browser.query_one("#filter-bar")
    for i in range(presses if "filter" in groups else 0):
        text = FILTERS[i % 2]
        _send(app, "slash", "/")
        await _until(lambda: bar.input.has_focus and bar.region.height > 0, "filter bar did not open")
        bar.input.value = text
        await _settle(app, 0.05)  # typing takes a person longer than the bar's checks of each keystroke
        old = table_.rids
        await _measure(
            app,
            probe,
            "enter",
            "\r",
            lambda text=text, old=old: (
                browser.view.filter == text
                and table_.rids is not old
                and _rows_shown(browser)
                and not bar.input.has_focus
            ),
            out,
            "filter apply",
        )
        await _settle(app, gap)
    for _ in range(presses if "settle" in groups else 0):  # one key, then nothing: when does the screen stop?
        if table_.cursor_row >= len(table_.rids) - 1:
            table_.move_cursor(row=0)
            await _settle(app, gap)
        row = table_.cursor_row
        await _measure(
            app,
            probe,
            "down",
            None,
            lambda row=row: table_.cursor_row == row + 1 and _screen_settled(app),
            out,
            "one down, screen settled",
        )
        await _settle(app, gap)
    detail = browser.query_one("#detail")
    browser.apply_filter("")  # back to every run, from the top
    await _until(
        lambda: browser.view.filter == "" and len(table_.rids) == browser.total and _rows_shown(browser),
        "filter did not clear",
    )
    table_.move_cursor(row=0)
    await _settle(app, gap)
    for _ in range(presses if "detail" in groups else 0):
        if table_.cursor_row >= len(table_.rids) - 1:
            table_.move_cursor(row=0)
            await _settle(app, gap)
        row = table_.cursor_row
        _send(app, "down")
        await _until(
            lambda row=row: table_.cursor_row == row + 1 and table_.cursor_run is not None, "cursor did not move"
        )
        run_id = table_.cursor_run.id
        await _measure(
            app,
            probe,
            "enter",
            "\r",
            lambda run_id=run_id: detail.run_id == run_id and browser.has_class("-detail-max"),
            out,
            "open detail",
        )
        _send(app, "escape")
        await _until(lambda: not browser.has_class("-detail-max"), "escape did not close the detail")
        await _settle(app, gap)
    return out


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


async def child_main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"runs": args.runs}
    writer = None
    if args.writer:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(args.store)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(1.0)  # the writer's run exists before the app opens
    try:
        if args.mode == "paint":
            paints, screens = [], []
            for _ in range(args.repeat):
                session = Session(args.store, args.live)
                paints.append(await session.run(lambda app, pilot, probe, first: asyncio.sleep(0, first)))
                screens.append(session.first_screen)
            result["first_paint_s"] = paints
            result["first_screen_s"] = screens
            if args.presses:
                groups = tuple(args.keys.split(","))
                result["keys"] = await Session(args.store, args.live).run(
                    lambda app, pilot, probe, first: key_latencies(
                        app, probe, args.presses, not args.writer and not args.moves_only, args.gap, groups
                    )
                )
        else:  # memory: open, then page down to the last run

            async def scroll(app: Any, pilot: Any, probe: Probe, first: float) -> dict[str, Any]:
                table_ = app.browser.table
                await _settle(app, 0.2)
                opened = _rss_mb()
                t = time.perf_counter()
                presses = 0
                while table_.cursor_row < len(table_.rids) - 1:
                    row = table_.cursor_row
                    _send(app, "pagedown")
                    presses += 1
                    await _until(
                        lambda row=row: table_.cursor_row != row and _rows_shown(app.browser), "page down stuck"
                    )
                scrolled = time.perf_counter() - t
                await _settle(app, 0.2)
                return {
                    "rss_open_mb": opened,
                    "rss_end_mb": _rss_mb(),
                    "scroll_s": scrolled,
                    "presses": presses,
                    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }

            result.update(await Session(args.store, args.live).run(scroll))
    finally:
        if writer is not None:
            writer.terminate()
            _, err = writer.communicate(timeout=10)
            result["writer_stderr"] = err.decode(errors="replace")[-500:]
    return result


COLD = """
import sys, time
from tuitrack.cli.main import main as _cli  # what the tuitrack command imports before it opens the browser
try:  # then, as run_app does, the collector pauses until the first screen is ready
    from tuitrack.tui import startup
    startup.pause_collector()
except ImportError:  # code from before the pause
    pass
try:  # what it asks the terminal before the app starts (nothing here: stdout is no terminal)
    from tuitrack.tui.widgets import image_view
    image_view.detect()
except AttributeError:  # code from before detect() imported textual-image with the app instead
    pass
from tuitrack.store.core import Store
from tuitrack.tui.app import create_app
app = create_app(Store(sys.argv[1]), live_interval=0, state_dir=__import__("pathlib").Path(sys.argv[2]))
hooked = app.browser._compositor_refresh
done = []
def frame():
    hooked()
    b = app.browser
    run = b.table.cursor_run if b.is_mounted else None
    if not done and run is not None and b.last_refresh_ms is not None and b.query_one("#detail").run_id == run.id:
        done.append(time.time())
        app.exit()
app.browser._compositor_refresh = frame
app.run(headless=True, size=(120, 36))
print("COLD:", done[0])
"""


def cold_start(store: Path, repeat: int = 3) -> list[float]:
    """Seconds from starting the process to the first screen (rows and the first run's detail painted),
    imports included: ``tuitrack --store PATH`` as a user runs it, headless.

    With the bytecode cache Python keeps in ``__pycache__``, as a user has it (pip compiles it when it installs
    a wheel; an editable install writes it on the first run): one untimed run writes it first, and
    ``PYTHONDONTWRITEBYTECODE`` is dropped from the child's environment, since with it set and no cache every
    tuitrack module would be compiled from source on each start.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = []
    for attempt in range(repeat + 1):
        state = tempfile.mkdtemp(prefix="tuitrack-bench-cold-")
        try:
            t0 = time.time()
            proc = subprocess.run(
                [sys.executable, "-c", COLD, str(store), state], capture_output=True, text=True, timeout=120, env=env
            )
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("COLD:")), None)
            if line is None:
                raise RuntimeError(f"cold start failed:\n{proc.stderr[-2000:]}")
            if attempt == 0:
                continue  # the run that writes the bytecode cache
            out.append(float(line.split()[1]) - t0)
        finally:
            shutil.rmtree(state, ignore_errors=True)
    return out


#: ``image_view.detect()`` in a child on a pty, timed inside the child.
DETECT = """
import time
from tuitrack.tui.widgets import image_view
t0 = time.perf_counter()
got = image_view.detect()
print("DETECT:", got, time.perf_counter() - t0, flush=True)
"""


def terminal_query(repeat: int = 3) -> list[float]:
    """Seconds ``tuitrack`` spends asking the terminal what it draws before the app starts, on a pty whose other
    end answers as tmux and xterm do: the device attributes (no Sixel) and the cell size, not the Kitty graphics
    query.  The headless first screen above has no terminal, so it never pays this."""
    import fcntl
    import pty
    import re
    import select
    import struct
    import termios

    out = []
    for _ in range(repeat):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))  # no pixel size: it asks
        proc = subprocess.Popen(
            [sys.executable, "-c", DETECT],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            env={**os.environ, "TUITRACK_IMAGES": "auto"},  # a forced method asks nothing
        )
        os.close(slave)
        seen, answered = b"", 0
        try:
            while b"DETECT:" not in seen or not seen.endswith(b"\n"):
                if not select.select([master], [], [], 30)[0]:
                    raise RuntimeError(f"terminal query: no output ({seen!r})")
                try:
                    seen += os.read(master, 1024)
                except OSError:
                    break
                queries = re.findall(rb"\x1b\[16t|\x1b\[c", seen)
                for query in queries[answered:]:
                    os.write(master, b"\x1b[6;20;10t" if query == b"\x1b[16t" else b"\x1b[?62;22c")
                answered = len(queries)
        finally:
            proc.wait(30)
            os.close(master)
        if b"DETECT:" not in seen:
            raise RuntimeError(f"terminal query failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        line = seen[seen.index(b"DETECT:") :].split()
        out.append(float(line[2]))
    return out


def python_start(repeat: int = 3) -> float:
    """Seconds to start and end a bare Python process: the floor under every cold start."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# -- parent side ----------------------------------------------------------------------------------
def _child(
    store: Path,
    runs: int,
    mode: str,
    presses: int = 0,
    repeat: int = 3,
    live: float = 0.0,
    writer: bool = False,
    keys: tuple[str, ...] = KEY_GROUPS,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--store",
        str(store),
        "--runs",
        str(runs),
        "--mode",
        mode,
        "--presses",
        str(presses),
        "--repeat",
        str(repeat),
        "--live",
        str(live),
        "--keys",
        ",".join(keys),
    ]
    cmd += ["--writer"] if writer else []
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"bench child failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")


def run(
    sizes: tuple[int, ...] = (0, 10_000, 100_000),
    presses: int = 100,
    repeat: int = 3,
    live_presses: int | None = None,
    keys: tuple[str, ...] = KEY_GROUPS,
    memory: bool = True,
    cold: bool = True,
) -> list[Figure]:
    """All TUI figures; targets are checked on the largest store (issue 7 asks for 100k)."""
    sizes = tuple(sorted(set(sizes) | {0}))
    largest = sizes[-1]
    stores = {n: cached(n) for n in sizes}
    figures: list[Figure] = []
    results = {n: _child(stores[n], n, "paint", presses if n else 0, repeat, keys=keys) for n in sizes}
    empty = statistics.median(results[0]["first_paint_s"])
    for n in sizes:
        paint = statistics.median(results[n]["first_paint_s"])
        is_target = n == largest and n > 0
        figures.append(
            Figure(
                f"TUI first paint, {n:,} runs (median of {repeat})",
                paint,
                "s",
                "empty store",
                empty,
                target="<= 1.5 s, <= 2x empty" if is_target else "",
                met=(paint <= 1.5 and paint <= 2 * empty) if is_target else None,
            )
        )
    for n in sizes:
        screen = statistics.median(results[n]["first_screen_s"])
        figures.append(
            Figure(
                f"TUI first screen (rows + first run's detail), {n:,} runs, in process (median of {repeat})",
                screen,
                "s",
                "empty store",
                statistics.median(results[0]["first_screen_s"]) if results[0].get("first_screen_s") else None,
            )
        )
    if cold:
        floor = python_start()
        asked = terminal_query(repeat)
        figures.append(
            Figure(
                f"asking the terminal what it draws (a pty answering as tmux does), median of {repeat}",
                statistics.median(asked) * 1000,
                "ms",
                "",
                None,
                note=f"max {max(asked) * 1000:.1f} ms; before the app starts, on top of the first screen below",
            )
        )
        for n in sizes:
            if n == 0 or (n != 1000 and n != largest):
                continue
            times = cold_start(stores[n], repeat)
            figures.append(
                Figure(
                    f"TUI first screen from process start (imports included, bytecode cached as installed), {n:,} "
                    f"runs (median of {repeat})",
                    statistics.median(times),
                    "s",
                    "bare python start",
                    floor,
                    target="<= 0.6 s" if n == 1000 else "",
                    met=statistics.median(times) <= 0.6 if n == 1000 else None,
                    note=f"min {min(times):.2f} s, max {max(times):.2f} s",
                )
            )
    for n in sizes:
        keys = results[n].get("keys")
        if not keys:
            continue
        figures += _key_figures(keys, f"{n:,} runs", n == largest)
    if memory:
        mem = {n: _child(stores[n], n, "memory") for n in (0, largest)}
        end = mem[largest]
        figures.append(
            Figure(
                f"TUI RSS, {largest:,} runs after paging end to end",
                end["rss_end_mb"],
                "MB",
                "empty store just opened",
                mem[0]["rss_open_mb"],
                target="<= 200 MB",
                met=end["rss_end_mb"] <= 200,
                note=f"{end['rss_open_mb']:.0f} MB just opened; {end['presses']:,} pgdn in {end['scroll_s']:.1f} s",
            )
        )
    if largest and (live_presses is None or live_presses > 0):
        copy = Path(tempfile.mkdtemp(prefix="tuitrack-bench-live-")) / "store"
        try:
            shutil.copytree(stores[largest], copy)
            live = _child(
                copy,
                largest,
                "paint",
                live_presses if live_presses is not None else presses // 2,
                1,
                live=1.0,
                writer=True,
            )
        finally:
            shutil.rmtree(copy.parent, ignore_errors=True)
        figures.append(
            Figure(
                f"TUI first paint, {largest:,} runs, live refresh 1 s + a writer",
                live["first_paint_s"][0],
                "s",
                "empty store",
                empty,
            )
        )
        figures += _key_figures(live["keys"], f"{largest:,} runs, live 1 s + writer", True)
    return figures


def _key_figures(keys: dict[str, list[float]], label: str, is_target: bool) -> list[Figure]:
    base = percentile(keys["no-op key"], 95)
    out = []
    for name, samples in keys.items():
        if name.endswith((".state", ".frames")):
            continue
        p95 = percentile(samples, 95)
        state = percentile(keys[name + ".state"], 95)
        frames = keys.get(name + ".frames") or [0]
        targeted = (is_target or name.startswith("one down")) and name != "no-op key"
        out.append(
            Figure(
                f"TUI key {name}, {label}: p95 press->painted",
                p95,
                "ms",
                "no-op key p95",
                base,
                target="p95 <= 50 ms" if targeted else "",
                met=p95 <= 50 if targeted else None,
                note=f"p50 {statistics.median(samples):.1f} ms, state p95 {state:.1f} ms, n={len(samples)}, frames"
                f" p50 {statistics.median(frames):g} (the one showing it included)",
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,10000,100000", help="comma-separated run counts")
    ap.add_argument("--presses", type=int, default=100, help="presses per key")
    ap.add_argument("--repeat", type=int, default=3, help="first paints per store (median)")
    ap.add_argument("--live-presses", type=int, default=None, help="presses per key in the live variant (0: skip)")
    ap.add_argument(
        "--keys",
        default=",".join(KEY_GROUPS),
        help=f"comma-separated key groups to time, of {','.join(KEY_GROUPS)} (the no-op floor always)",
    )
    ap.add_argument("--no-memory", action="store_true", help="skip the page-to-the-end memory run")
    ap.add_argument("--no-cold", action="store_true", help="skip the from-process-start first screens")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=("paint", "memory"), default="paint", help=argparse.SUPPRESS)
    ap.add_argument("--live", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--gap", type=float, default=0.15, help=argparse.SUPPRESS)
    ap.add_argument("--moves-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(MARK + json.dumps(asyncio.run(child_main(args))))
        return
    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    except ValueError:
        ap.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(n < 0 for n in sizes) or args.presses < 0 or args.repeat < 1:
        ap.error("sizes and --presses must be >= 0, --repeat >= 1")
    keys = tuple(k.strip() for k in args.keys.split(",") if k.strip())
    unknown = sorted(set(keys) - set(KEY_GROUPS))
    if unknown:
        ap.error(f"unknown --keys {', '.join(unknown)} (known: {', '.join(KEY_GROUPS)})")
    print(table(run(sizes, args.presses, args.repeat, args.live_presses, keys, not args.no_memory, not args.no_cold)))


if __name__ == "__main__":
    main()
