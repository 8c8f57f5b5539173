"""Shared pieces of the bench suite: one figure type and the markdown table every script prints, the timing
loops, a long metric history written in batches, and headless app sessions on a store.

Why a figure carries its baseline: absolute times drift on shared machines, so each number
comes with a reference measured in the same run (raw sqlite3, a no-op key, an empty store...)
and the ratio between the two; the target from issue 7 is checked on the figure itself.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Figure:
    """One measured number, its same-run baseline and its target.

    ``ratio`` is ``value / baseline`` unless the script sets it (e.g. throughput ratios
    are baseline/value so that "x of raw" reads naturally); ``met`` is None when the
    figure has no target.
    """

    what: str
    value: float
    unit: str
    baseline_what: str = ""
    baseline: float | None = None
    ratio: float | None = None
    ratio_label: str = "x baseline"
    target: str = ""
    met: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.value / self.baseline


def fmt(value: float | None, unit: str) -> str:
    """A number with its unit, rounded for reading (3 significant digits, thousands separators)."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(figures: Iterable[Figure]) -> str:
    """The markdown table: figure, baseline, ratio, target, met/missed."""
    lines = ["| what | tuitrack | baseline (same run) | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]
    for f in figures:
        base = (
            f"{f.baseline_what} {fmt(f.baseline, f.unit)}".strip()
            if f.baseline is not None
            else (f.baseline_what or "-")
        )
        ratio = f"{f.ratio:.2f}{f.ratio_label}" if f.ratio is not None else "-"
        mark = "" if f.met is None else ("met" if f.met else "**MISSED**")
        what = f.what + (f" ({f.note})" if f.note else "")
        lines.append(
            f"| {_cell(what)} | {_cell(fmt(f.value, f.unit))} | {_cell(base)} | {_cell(ratio)}"
            f" | {_cell(f.target or '-')} | {mark} |"
        )
    return "\n".join(lines)


def timings(fn: Callable[[], T], n: int) -> tuple[list[float], T]:
    """The wall time of each of ``n`` calls (seconds, ``n`` >= 1) and the last call's result."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def timed(fn: Callable[[], T], n: int = 7) -> tuple[float, T]:
    """Median wall time of ``n`` calls (seconds) and the last call's result."""
    times, out = timings(fn, n)
    return statistics.median(times), out


def median_time(fn: Callable[[], object], n: int = 7) -> float:
    """Median wall time of ``n`` calls (seconds): the middle is stable where the mean is not."""
    return timed(fn, n)[0]


def write_history(
    store: Any,
    rid: int,
    points: int,
    curves: Mapping[str, Callable[[int], float]],
    at: Callable[[int], int],
    batch: int = 100_000,
) -> None:
    """Steps 0 .. ``points`` - 1 of each curve (``key: value of a step``) for the run ``rid``, timestamp ``at(step)``,
    through the store's batch writer: ``batch`` steps at a time, one ``write_metrics`` call a curve."""
    for start in range(0, points, batch):
        steps = range(start, min(points, start + batch))
        for key, value in curves.items():
            store.write_metrics([(rid, key, value(s), s, at(s)) for s in steps])


async def app_sessions(
    path: Path,
    repeat: int,
    body: Callable[[Any, Any], Awaitable[T]],
    *,
    ready: Callable[[Any], bool] = lambda app: app.browser.table.cursor_run is not None,
    size: tuple[int, int] = (120, 36),
    polls: int = 200,
) -> list[T]:
    """``body(app, pilot)``'s results in ``repeat`` headless apps, one after another, on the store at ``path``
    (opened read-only once for all).  ``body`` runs once ``ready(app)`` holds, polled every 20 ms, or after
    ``polls`` polls whatever it says."""
    from tuitrack.store.core import Store  # here: the stdlib-only benches import this module too
    from tuitrack.tui.app import create_app

    out = []
    store = Store(path, read_only=True)
    try:
        for _ in range(repeat):
            app = create_app(store, state_dir=path / "state", live_interval=0)
            async with app.run_test(size=size) as pilot:
                for _ in range(polls):
                    await pilot.pause(0.02)
                    if ready(app):
                        break
                out.append(await body(app, pilot))
    finally:
        store.close()
    return out


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank (no interpolation: a p95 is a sample that happened)."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def machine() -> str:
    """One line naming the machine: figures only mean something next to it."""
    import os
    import platform
    import sqlite3

    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        ram_text = f"{ram:.1f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        ram_text = "RAM ?"
    try:
        load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load ?"
    try:
        from importlib.metadata import version

        textual = f", textual {version('textual')}"
    except Exception:  # not installed: the TUI bench will say so
        textual = ""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus ({cpu}), {ram_text},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{textual}; {load}"
    )
