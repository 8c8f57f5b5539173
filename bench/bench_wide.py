"""TUI benchmarks on wide runs: one run with 10,000 metric keys, 100,000 tags, 10,000 params and a
10M-point history, beside a narrow run (the baseline) and a 1,000-run sweep for the grouped chart.

Issue 15 ("the app on wide runs"): the Metrics tab took 33 s, the Tags tab 51 s, keys pressed
meanwhile waited 43 s more and memory reached 484 MB.  Timed here, headless at 120x36 with the
harness of ``bench_tui.py`` (press -> the first frame showing the result):

- opening the wide run's detail, and each of its Params / Metrics / Tags tabs until rows are drawn
  (baseline: the same on the narrow run, same process);
- a no-op key pressed while the wide run's detail loads, and scrolling keys in its Tags tab
  (baseline: the no-op key when idle);
- the key filter in the Tags tab, the chart screen, the compare table and the tag editor on it;
- the grouped view over the 1,000-run sweep until its chart is drawn (one batched history read);
- RSS at the end.

The store is built through ``Store`` (runs, params, tags, metric batches) and cached between runs
(``TUITRACK_BENCH_CACHE``).  Run: ``python bench/bench_wide.py [--points 10000000] [--presses 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench_tui import MARK, Probe, Session, _send, _settle, _until
from common import Figure, percentile, table
from make_store import CACHE_DIR

WIDE = {"metrics": 10_000, "tags": 100_000, "params": 10_000}
SWEEP_RUNS = 1_000
SWEEP_POINTS = 1_000
T0 = 1_790_000_000_000


# -- the store ----------------------------------------------------------------------------------------
def build(path: Path, points: int, sweep: int = SWEEP_RUNS, wide: dict[str, int] | None = None) -> Path:
    """The sweep (oldest), then the narrow run, then the wide run (newest: the top row by default)."""
    shape = wide or WIDE
    from tuitrack.store.core import Store

    store = Store(path, create=True)
    exp = store.experiment_id("sweep")
    kl, ka = store.metric_kid("loss"), store.metric_kid("acc")
    for i in range(sweep):
        lr = (0.1, 0.03, 0.01, 0.003)[i % 4]
        rid = store.create_run(
            run_id=uuid.UUID(int=i + 1).hex,
            experiment_id=exp,
            name=f"sweep-{i:04d}",
            start_time=T0 + i,
            params={"lr": str(lr), "seed": str(i // 4)},
        )
        loss = [(rid, kl, s, T0 + s, 1 / (1 + s * lr) + ((i * 7919 + s) % 97) / 2000) for s in range(SWEEP_POINTS)]
        acc = [(rid, ka, s, T0 + s, 1 - 1 / (1 + s * lr)) for s in range(SWEEP_POINTS)]
        store.write_batches([(rid, "loss", loss), (rid, "acc", acc)])
        store.end_run(rid, "FINISHED")
    exp = store.experiment_id("wide")
    narrow = store.create_run(
        run_id=uuid.UUID(int=10**9).hex,
        experiment_id=exp,
        name="narrow-run",
        start_time=T0 + 10**6,
        tags={f"tag_{i}": f"value {i}" for i in range(5)},
        params={f"param_{i}": str(i) for i in range(20)},
    )
    store.write_batches(
        [
            (narrow, f"m{k}", [(narrow, store.metric_kid(f"m{k}"), s, T0 + s, s / 100 + k) for s in range(100)])
            for k in range(10)
        ]
    )
    store.end_run(narrow, "FINISHED")
    wide_rid = store.create_run(
        run_id=uuid.UUID(int=10**9 + 1).hex,
        experiment_id=exp,
        name="wide-run",
        start_time=T0 + 2 * 10**6,
        tags={f"tag_{i:06d}": f"value {i}" for i in range(shape["tags"])},
        params={f"param_{i:05d}": str(i) for i in range(shape["params"])},
    )
    # one point for each key but one; that one ("loss") carries the long history
    w = wide_rid
    store.write_batches(
        [(w, f"k{i}", [(w, store.metric_kid(f"k{i}"), 0, T0, float(i))]) for i in range(shape["metrics"] - 1)]
    )
    kid = store.metric_kid("loss")
    for start in range(0, points, 1_000_000):
        store.write_batches(
            [
                (
                    w,
                    "loss",
                    [
                        (w, kid, s, T0 + s, 1.0 / (1 + s * 1e-4) + 0.01 * math.sin(s))
                        for s in range(start, min(points, start + 1_000_000))
                    ],
                )
            ]
        )
    store.end_run(w, "FINISHED")
    store.close()
    return path


def cached(points: int, sweep: int = SWEEP_RUNS, wide: dict[str, int] | None = None) -> Path:
    shape = wide or WIDE
    key = hashlib.sha1(inspect.getsource(build).encode()).hexdigest()[:10]
    sizes = "-".join(f"{k[0]}{shape[k]}" for k in ("metrics", "tags", "params"))
    target = CACHE_DIR / f"wide-{sizes}-p{points}-s{sweep}-{key}"
    if (target / "tuitrack.db").exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = CACHE_DIR / f".building-{os.getpid()}-{target.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    build(tmp, points, sweep, shape)
    try:
        tmp.rename(target)
    except OSError:  # built by another bench meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# -- child side -----------------------------------------------------------------------------------------
def _rows_drawn(rows: Any) -> bool:
    """A KeyRows has content and the rows on screen are loaded (no "…" placeholders)."""
    from tuitrack.tui.widgets.key_rows import Rows

    if not rows.blocks:
        return False
    top = round(rows.scroll_offset.y)
    for y in range(top, top + (rows.size.height or 30)):  # (not laid out yet in the frame that shows it)
        spot = rows.locate(y)
        if spot is None:
            break
        block = rows.blocks[spot[0]]
        if isinstance(block, Rows) and rows.rows(block.start + spot[1]) is None:
            return False
    return True


async def _timed(app: Any, probe: Probe, key: str | Any, char: str | None, cond: Any, what: str) -> float:
    """ms from sending ``key`` (or calling it) to the first frame of the browser where ``cond`` holds; for
    keys that open another screen (not hooked by the probe), to the moment ``cond`` holds (polled every 0.5 ms)."""
    probe.arm(cond)
    t0 = time.perf_counter()
    if callable(key):
        key()
    else:
        _send(app, key, char)
    deadline = t0 + 60
    while probe.paint_at is None:
        now = time.perf_counter()
        if cond():
            if app.screen is not app.browser:
                return (now - t0) * 1000
            if probe.state_at is None:
                probe.state_at = now
            elif now - probe.state_at > 0.1:  # shown but no frame asked for since: ask for one
                app.browser.refresh()
        if now > deadline:
            detail = app.browser.query_one("#detail")
            state = {
                "screen": type(app.screen).__name__,
                "tab": detail.active_tab,
                "run": detail.run_id,
                "focused": str(app.focused),
                "within": detail.has_focus_within,
                "wanted": detail.wanted,
                "message": detail.message,
            }
            if detail.data is not None and detail.active_tab in ("params", "metrics", "tags"):
                rows = detail.query_one(f"#{detail.active_tab}-body")
                window = detail.data.window(detail.active_tab)
                state.update(
                    blocks=[type(b).__name__ for b in rows.blocks],
                    first=rows.first_row(),
                    window=(window.offset, len(window.rows), window.total),
                    size=str(rows.size),
                    scroll=rows.scroll_offset.y,
                    busy=sorted(detail._window_busy),
                )
            raise TimeoutError(f"{what}: not shown within 60 s; {state}")
        await asyncio.sleep(0.0005)
    return (probe.paint_at - t0) * 1000


async def measure(app: Any, pilot: Any, probe: Probe, presses: int) -> dict[str, Any]:
    browser, table_ = app.browser, app.browser.table
    detail = browser.query_one("#detail")
    out: dict[str, Any] = {}

    def add(name: str, value: float) -> None:
        out.setdefault(name, []).append(value)

    await _settle(app, 0.3)
    names = {table_.rids[i]: table_.loaded_run(table_.rids[i]).info.run_name for i in range(2)}
    assert list(names.values()) == ["wide-run", "narrow-run"], names

    # the no-op floor
    for _ in range(presses):
        want = app.noops + 1
        add("no-op key", await _timed(app, probe, "f12", None, lambda want=want: app.noops == want, "no-op"))
        await _settle(app, 0.05)

    # open each run's detail and its tabs: narrow (row 1) then wide (row 0), alternating
    for rep in range(max(2, presses // 5)):
        for row, label in ((1, "narrow"), (0, "wide")):
            table_.move_cursor(row=row)
            await _settle(app, 0.2)
            run_id = table_.cursor_run.id
            if label == "wide":  # a key pressed while the wide run loads
                detail.show_run(None)
                await _settle(app, 0.05, detail=False)  # the pane wants no run now: nothing to catch up
                _send(app, "enter", "\r")
                want = app.noops + 1
                add(
                    "no-op key while the wide run loads",
                    await _timed(app, probe, "f12", None, lambda want=want: app.noops == want, "no-op during load"),
                )
                await _until(
                    lambda run_id=run_id: detail.run_id == run_id and browser.has_class("-detail-max"), "detail open"
                )
            else:
                add(
                    f"open detail ({label})",
                    await _timed(
                        app,
                        probe,
                        "enter",
                        "\r",
                        lambda run_id=run_id: detail.run_id == run_id and browser.has_class("-detail-max"),
                        "open detail",
                    ),
                )
            detail.select_tab("overview")
            await _settle(app, 0.1)
            for tab in ("params", "metrics", "tags"):  # opened as a click on its title does
                rows = detail.query_one(f"#{tab}-body")
                add(
                    f"{tab} tab rows ({label})",
                    await _timed(
                        app,
                        probe,
                        lambda tab=tab: detail.select_tab(tab),
                        None,
                        lambda tab=tab, run_id=run_id, rows=rows: (
                            detail.active_tab == tab and detail.run_id == run_id and _rows_drawn(rows)
                        ),
                        tab,
                    ),
                )
                await _settle(app, 0.1)
            if label == "wide" and rep == 0:  # keys in the Tags tab (100,000 rows)
                rows = detail.query_one("#tags-body")
                rows.focus()
                await _settle(app, 0.1)
                for key, name in (("down", "down"), ("pagedown", "page down")):
                    for _ in range(presses):
                        before = rows.scroll_offset.y
                        add(
                            f"tags tab {name} (wide)",
                            await _timed(
                                app,
                                probe,
                                key,
                                None,
                                lambda rows=rows, before=before: rows.scroll_offset.y != before,
                                name,
                            ),
                        )
                        await _settle(app, 0.05)
                for key, name in (("end", "end"), ("home", "home")):
                    for _ in range(max(3, presses // 4)):
                        target = 0 if key == "home" else rows.max_scroll_y
                        rows.scroll_to(
                            y=rows.max_scroll_y // 2 if key == "end" else rows.max_scroll_y // 3, animate=False
                        )
                        await _settle(app, 0.2)
                        add(
                            f"tags tab {name}, rows drawn (wide)",
                            await _timed(
                                app,
                                probe,
                                key,
                                None,
                                lambda rows=rows, target=target: (
                                    round(rows.scroll_offset.y) == target and _rows_drawn(rows)
                                ),
                                name,
                            ),
                        )
                        await _settle(app, 0.1)
                for i in range(max(3, presses // 4)):  # the key filter: f, type, rows of the match
                    needle = f"{1234 + i}"
                    _send(app, "f", "f")
                    box = detail.query_one("#tags-filter")
                    await _until(lambda box=box: box.has_focus, "filter box")
                    box.value = needle
                    t0 = time.perf_counter()
                    await _until(
                        lambda needle=needle, rows=rows: (
                            detail.data.window("tags").needle == needle
                            and _rows_drawn(rows)
                            and any(needle in r[0] for r in detail.data.window("tags").rows)
                        ),
                        "filtered",
                    )
                    add("tags filter, matching rows (wide)", (time.perf_counter() - t0) * 1000)
                    box.value = ""
                    _send(app, "enter", "\r")
                    await _until(
                        lambda rows=rows: detail.data.window("tags").needle == "" and _rows_drawn(rows), "unfiltered"
                    )
                    await _settle(app, 0.1)
            _send(app, "escape")
            await _until(lambda: not browser.has_class("-detail-max"), "detail closed")
            await _settle(app, 0.1)

    # chart screen, compare table, tag editor: each run alone (marked), narrow then wide
    from tuitrack.tui.dialogs.tag_editor import TagEditor
    from tuitrack.tui.screens.charts import ChartsScreen
    from tuitrack.tui.screens.compare import CompareScreen

    for _rep in range(max(2, presses // 5)):
        for row, label in ((1, "narrow"), (0, "wide")):
            table_.move_cursor(row=row)
            await _settle(app, 0.2)
            add(
                f"chart screen drawn ({label})",
                await _timed(
                    app,
                    probe,
                    "v",
                    "v",
                    lambda: (
                        isinstance(app.screen, ChartsScreen)
                        and app.screen.loaded
                        and bool(app.screen.query("MetricChart"))
                    ),
                    "charts",
                ),
            )
            if label == "wide":
                out["chart preselects"] = app.screen.selected
            _send(app, "escape")
            await _until(lambda: app.screen is browser, "charts closed")
            await _settle(app, 0.1)
            _send(app, "space", " ")
            await _until(lambda: len(table_.marks) == 1, "marked")
            table_.move_cursor(row=row)
            add(
                f"compare table drawn ({label})",
                await _timed(
                    app,
                    probe,
                    "c",
                    "c",
                    lambda: (
                        isinstance(app.screen, CompareScreen)
                        and app.screen.comparison is not None
                        and bool(app.screen.query("DataTable"))
                        and app.screen.query_one("DataTable").row_count > 0
                    ),
                    "compare",
                ),
            )
            _send(app, "escape")
            await _until(lambda: app.screen is browser, "compare closed")
            table_.move_cursor(row=row)  # (space moved it down)
            await _settle(app, 0.1)
            _send(app, "space", " ")
            await _until(lambda: not table_.marks, "unmarked")
            table_.move_cursor(row=row)
            await _settle(app, 0.1)
            add(
                f"tag editor drawn ({label})",
                await _timed(
                    app,
                    probe,
                    "t",
                    "t",
                    lambda: isinstance(app.screen, TagEditor) and app.screen.is_mounted and bool(app.screen.listed),
                    "tag editor",
                ),
            )
            _send(app, "escape")
            await _until(lambda: app.screen is browser, "tag editor closed")
            await _settle(app, 0.1)

    # the grouped view over the sweep (1,000 runs) and over its first 12
    from tuitrack.tui.screens.groups import GroupsScreen

    sweep = len(app.store.search_rids("experiment = 'sweep'"))
    for filt, label in (("run_name LIKE 'sweep-000%'", "10 runs"), ("experiment = 'sweep'", f"{sweep} runs")):
        browser.apply_filter(filt)
        await _until(lambda filt=filt: browser.view.filter == filt and len(table_.rids) > 0, "filter")
        await _settle(app, 0.3)
        for _ in range(max(2, presses // 10)):
            add(
                f"groups chart drawn ({label})",
                await _timed(
                    app,
                    probe,
                    "a",
                    "a",
                    lambda: isinstance(app.screen, GroupsScreen) and app.screen.histories and app.screen.loaded,
                    "groups",
                ),
            )
            out[f"groups runs ({label})"] = len(app.screen.runs)
            _send(app, "escape")
            await _until(lambda: app.screen is browser, "groups closed")
            await _settle(app, 0.2)
    out["rss_mb"] = _rss_mb()
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


async def child_main(store: Path, presses: int) -> dict[str, Any]:
    return await Session(store, 0.0).run(lambda app, pilot, probe, first: measure(app, pilot, probe, presses))


# -- parent side ----------------------------------------------------------------------------------------
def run(
    points: int = 10_000_000, presses: int = 20, sweep: int = SWEEP_RUNS, wide: dict[str, int] | None = None
) -> list[Figure]:
    shape = wide or WIDE
    store = cached(points, sweep, shape)
    cmd = [sys.executable, __file__, "--child", "--store", str(store), "--presses", str(presses)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    res = next((json.loads(line[len(MARK) :]) for line in proc.stdout.splitlines() if line.startswith(MARK)), None)
    if res is None:
        raise RuntimeError(f"bench child failed:\n{proc.stderr[-3000:]}")
    label = f"{shape['metrics']:,} metrics, {shape['tags']:,} tags, {shape['params']:,} params, {points:,} points"
    figs: list[Figure] = []
    noop = percentile(res["no-op key"], 95)

    def fig(name: str, base_name: str | None, target: float | None, unit_note: str = "", q: float = 95) -> None:
        samples = res[name]
        value = percentile(samples, q)
        base = percentile(res[base_name], q) if base_name else noop
        figs.append(
            Figure(
                f"{name}: p{q:.0f}",
                value,
                "ms",
                base_name or "no-op key",
                base,
                target=f"<= {target:g} ms" if target else "",
                met=value <= target if target else None,
                note=f"p50 {statistics.median(samples):.1f} ms, n={len(samples)}{unit_note}",
            )
        )

    fig("no-op key while the wide run loads", None, 50)
    fig("open detail (narrow)", None, None)
    for tab in ("params", "metrics", "tags"):
        fig(f"{tab} tab rows (wide)", f"{tab} tab rows (narrow)", 300)
    for name in ("down", "page down"):
        fig(f"tags tab {name} (wide)", None, 50)
    for name in ("end", "home"):
        fig(f"tags tab {name}, rows drawn (wide)", None, 300)
    fig("tags filter, matching rows (wide)", None, 300)
    for what in ("chart screen drawn", "compare table drawn", "tag editor drawn"):
        fig(f"{what} (wide)", f"{what} (narrow)", None)
    fig(f"groups chart drawn ({sweep} runs)", "groups chart drawn (10 runs)", None)
    figs.append(
        Figure(
            f"TUI RSS after all of the above ({label})",
            res["rss_mb"],
            "MB",
            target="<= 200 MB",
            met=res["rss_mb"] <= 200,
            note=f"peak {res['peak_mb']:.0f} MB",
        )
    )
    figs.append(Figure(f"chart screen preselects {res['chart preselects']!r} on the wide run", 0, ""))

    return figs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000_000, help="points in the wide run's long history")
    ap.add_argument("--presses", type=int, default=20, help="presses per key")
    ap.add_argument("--sweep", type=int, default=SWEEP_RUNS, help="runs in the sweep for the grouped view")
    ap.add_argument("--shape", default="10000,100000,10000", help="the wide run's metrics,tags,params")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(MARK + json.dumps(asyncio.run(child_main(args.store, args.presses))))
        return
    metrics, tags, params = (int(x) for x in args.shape.split(","))
    print(table(run(args.points, args.presses, args.sweep, {"metrics": metrics, "tags": tags, "params": params})))


if __name__ == "__main__":
    main()
