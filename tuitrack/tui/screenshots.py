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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from tuitrack.demo import build_demo_store
from tuitrack.store import sync as sync_state
from tuitrack.store.core import Store
from tuitrack.tui import waits
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.filter_bar import FilterBar
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.dialogs.help import HelpScreen

NOW = 1_717_000_000_000
GRID = "attributes.run_name LIKE 'grid_%'"
Step = Callable[[Pilot, TuitrackApp], Awaitable[None]]


@dataclass(frozen=True)
class View:
    name: str
    step: Step
    size: tuple[int, int] = (120, 36)


async def settle(pilot: Pilot, app: TuitrackApp) -> None:
    """Wait until the table and the detail pane show the cursor run, so the picture is complete.

    Raises :class:`~tuitrack.tui.waits.WaitTimeout` when they do not: no picture of a half-loaded screen.
    """
    await waits.settle_browser(pilot, app, lambda: waits.detail_shows_cursor_run(app))
    await waits.drain(pilot, rounds=1, pause=0.1)


async def _idle(pilot: Pilot, app: TuitrackApp) -> None:
    """Let pushed screens load (their workers) and paint."""
    await waits.drain(pilot, rounds=5, pause=0.05)
    await pilot.pause(0.05)


async def _keys(pilot: Pilot, app: TuitrackApp, *keys: str, quiet: bool = False) -> None:
    """Press ``keys``, then let what they opened load and paint (``_idle``); ``quiet``: the toasts they
    raised cleared first, so the picture shows the view alone."""
    await pilot.press(*keys)
    if quiet:
        app.clear_notifications()
    await _idle(pilot, app)


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
    bar = app.browser.query_one(FilterBar)
    await waits.wait_until(pilot, lambda: bar.error is not None, "the inline filter error")


async def _detail(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("j", "j", "j", "enter")
    await settle(pilot, app)


async def _help(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("question_mark")
    await waits.wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
    await pilot.pause(0.1)


async def _columns(pilot: Pilot, app: TuitrackApp) -> None:
    from tuitrack.tui.browser.columns import ColumnsScreen

    await settle(pilot, app)
    await pilot.press("o")
    await waits.wait_until(pilot, lambda: isinstance(app.screen, ColumnsScreen), "the column chooser")
    await pilot.pause(0.1)


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
    await _keys(pilot, app, "c")  # 3+ runs: their differences first
    app.clear_notifications()
    await _idle(pilot, app)


async def _compare_at_step(pilot: Pilot, app: TuitrackApp) -> None:
    """Four xgboost runs compared at step 30 (``a``): one failed at step 16, one crashed at step 39."""
    await settle(pilot, app)
    app.browser.apply_filter("run_name LIKE 'xgboost%'")
    await settle(pilot, app)
    await pilot.press("A")
    await settle(pilot, app)
    await _keys(pilot, app, "c")
    await _keys(pilot, app, "a")
    await _keys(pilot, app, *"30", "enter")
    app.clear_notifications()
    await _idle(pilot, app)


async def _filter_typing(pilot: Pilot, app: TuitrackApp) -> None:
    """Typed, not entered: the filter applies as you type, with its live count."""
    await settle(pilot, app)
    await pilot.press("slash")
    app.browser.query_one(FilterBar).input.cursor_blink = False
    await pilot.press(*"metrics.auc > 0.88")
    await waits.settle_browser(pilot, app, lambda: app.current_filter == "metrics.auc > 0.88")  # applied as typed
    await _idle(pilot, app)


async def _dense(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await pilot.press("z")
    app.clear_notifications()
    await settle(pilot, app)


async def _unsaved_tags(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=1)
    await _keys(pilot, app, "t")
    await pilot.press(*"stage=candidate", "enter", "escape")
    from tuitrack.tui.dialogs.unsaved import UnsavedChanges

    await waits.wait_until(pilot, lambda: isinstance(app.screen, UnsavedChanges), "the unsaved-changes question")
    app.clear_notifications()
    await pilot.pause(0.2)


async def _delete(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=3)
    await _keys(pilot, app, "d", quiet=True)


async def _charts(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app)
    await _keys(pilot, app, "v")
    await _keys(pilot, app, "plus", "plus", quiet=True)


async def _charts_x_metric(pilot: Pilot, app: TuitrackApp) -> None:
    """Charts with a metric as the x axis: val_loss against loss (paired by step), picked with ``X``."""
    from textual.widgets import OptionList, SelectionList

    from tuitrack.tui.dialogs.key_picker import KeyPicker
    from tuitrack.tui.screens.charts import ChartsScreen

    await _grid_marked(pilot, app)
    await _keys(pilot, app, "v")
    screen = app.screen
    assert isinstance(screen, ChartsScreen)
    picker = screen.query_one("#metric-picker", SelectionList)
    picker.deselect_all()
    picker.select("val_loss")
    await _idle(pilot, app)
    await _keys(pilot, app, "X")
    chooser = app.screen
    assert isinstance(chooser, KeyPicker)
    chooser.query_one(OptionList).highlighted = chooser.listed.index("loss")
    await _keys(pilot, app, "enter", quiet=True)


async def _scatter(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    await _keys(pilot, app, "p", quiet=True)


async def _groups(pilot: Pilot, app: TuitrackApp) -> None:
    await settle(pilot, app)
    app.browser.apply_filter("attributes.run_name LIKE 'lr%'")
    await settle(pilot, app)
    await _keys(pilot, app, "a", quiet=True)


async def _tag_editor(pilot: Pilot, app: TuitrackApp) -> None:
    await _grid_marked(pilot, app, marks=3)
    await _keys(pilot, app, "t")
    await pilot.press(*"status=keep")
    await pilot.pause(0.2)


#: The summary-columns view: val_loss's last value beside its min, best step and mean of the last 10.
SUMMARY_COLUMNS = (
    "attributes.status",
    "attributes.run_name",
    "metrics.val_loss",
    "metrics.`val_loss`.min",
    "metrics.`val_loss`.best_step",
    "metrics.`val_loss`.mean_last_10",
    "metrics.`accuracy`.max",
)


async def _summary_columns(pilot: Pilot, app: TuitrackApp) -> None:
    """Columns chosen with ``o``, sorted by ``val_loss.min`` with ``s``, filtered on a summary field."""
    from tuitrack.tui.browser.columns import ColumnsScreen

    await settle(pilot, app)
    await pilot.press("o")
    await waits.wait_until(pilot, lambda: isinstance(app.screen, ColumnsScreen), "the column chooser")
    screen = app.screen
    assert isinstance(screen, ColumnsScreen)
    screen.selection.deselect_all()
    for key in SUMMARY_COLUMNS:
        screen.selection.select(key)
    await pilot.press("enter")
    await settle(pilot, app)
    app.browser.apply_filter("metrics.val_loss.best_step >= 5")
    await settle(pilot, app)
    table = app.browser.table
    table.move_cursor(col=[c.key for c in table.columns].index("metrics.`val_loss`.min"))
    await pilot.press("s")
    await settle(pilot, app)


async def _artifact_diff(pilot: Pilot, app: TuitrackApp, downs: int = 1, side: bool = False) -> None:
    """Two runs compared, ``D``, then the ``downs``-th file of the list (1: config.json, by key path)."""
    await settle(pilot, app)
    app.browser.apply_filter("run_name IN ('baseline_rf', 'deeper_trees')")
    await settle(pilot, app)
    await pilot.press("space", "j", "space")
    await settle(pilot, app)
    await _keys(pilot, app, "c")
    await _keys(pilot, app, "D")
    for _ in range(downs):
        await _keys(pilot, app, "down")
    if side:
        await pilot.press("v")
    await _idle(pilot, app)


async def _artifact_diff_text(pilot: Pilot, app: TuitrackApp) -> None:
    await _artifact_diff(pilot, app, downs=2, side=True)


#: What the Env tab's screenshot shows as recorded by start_run (the demo runs record no environment,
#: so their pictures stay the same on every machine) and as "this environment".
RECORDED_TAGS = {
    "tuitrack.python": "3.11.9",
    "tuitrack.platform": "Linux-6.1-x86_64",
    "tuitrack.cwd": "/home/alice/churn",
    "tuitrack.git.commit": "4f1c2e9a7b3d5e6f8a9b0c1d2e3f4a5b6c7d8e9f",
    "tuitrack.git.branch": "feature/xgb",
    "tuitrack.git.dirty": "true",
    "tuitrack.git.diff": "not stored: 812345 bytes is over git_diff_limit (262144)",
}
RECORDED_PACKAGES = {"numpy": "1.26.4", "pandas": "2.2.2", "scikit-learn": "1.5.0", "xgboost": "2.0.3"}
THIS_ENVIRONMENT = ({"numpy": "2.0.1", "pandas": "2.2.2", "scikit-learn": "1.5.0", "rich": "13.7.1"}, "3.12.4")


async def _reproduce(pilot: Pilot, app: TuitrackApp) -> None:
    """The Env tab of a run that recorded its environment, compared with a fixed "this environment"."""
    await settle(pilot, app)
    store = app.store
    rid = store.resolve_run("xgboost_tuned")[0]
    store.set_tags(rid, RECORDED_TAGS)
    store.set_packages(rid, RECORDED_PACKAGES)
    app.reference_environment = THIS_ENVIRONMENT
    app.browser.apply_filter("run_name = 'xgboost_tuned'")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)
    app.browser.query_one(RunDetail).select_tab("environment")
    await _idle(pilot, app)


#: Runs of the demo store that get a synthetic image series in the image view's screenshot.
IMAGE_RUNS = ("lr0.3_seed0", "lr0.1_seed0", "lr0.03_seed0")
IMAGE_STEPS = (0, 10, 20, 30)


def _blob(step: int, run: int, width: int = 48, height: int = 32) -> bytes:
    """A deterministic 'predicted mask' PNG: a disc that grows with the step, differently per run."""
    from tuitrack.tracking.images import encode_png

    radius = 4 + step * (0.25 + 0.1 * run)
    cx, cy = width * (0.35 + 0.15 * run), height / 2
    raw = bytearray()
    for y in range(height):
        for x in range(width):
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius**2
            raw += bytes((230, 120 + 40 * run, 40) if inside else (20 + x, 30, 60 + y * 3))
    return encode_png(bytes(raw), width, height, 3)


def add_demo_images(store: Store) -> None:
    """Write the image series ``val/prediction`` into :data:`IMAGE_RUNS` (as log_image lays them out)."""
    from tuitrack.tracking.images import image_path

    for i, name in enumerate(IMAGE_RUNS):
        rid, run_id = store.resolve_run(name)
        entries = []
        for step in IMAGE_STEPS:
            rel = image_path("val/prediction", step)
            data = _blob(step, i)
            dest = store.run_artifact_dir(run_id) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            entries.append((rel, len(data)))
        store.record_artifacts(rid, entries)


async def _images(pilot: Pilot, app: TuitrackApp) -> None:
    """Three runs marked, ``i``, one step back from the last (the slider moved)."""
    await settle(pilot, app)
    add_demo_images(app.store)
    app.browser.apply_filter("run_name IN ('lr0.3_seed0', 'lr0.1_seed0', 'lr0.03_seed0')")
    await settle(pilot, app)
    await pilot.press("space", "space", "space")  # space marks and moves down
    await settle(pilot, app)
    await _keys(pilot, app, "i")
    await _keys(pilot, app, "left")


async def _image_preview(pilot: Pilot, app: TuitrackApp) -> None:
    """The Artifacts tab previewing one of those images."""
    await settle(pilot, app)
    add_demo_images(app.store)
    app.browser.apply_filter("run_name = 'lr0.1_seed0'")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)
    detail = app.browser.query_one(RunDetail)
    detail.select_tab("artifacts")
    await _idle(pilot, app)
    table = detail.query_one("#artifact-list")
    keys = [row.key for row in detail._rows]
    table.move_cursor(row=keys.index("images/val/prediction/step_000000030.png"))
    await _keys(pilot, app, "enter")


DEMO_SERVER = "http://mlflow.example:5000"


def add_demo_sync_state(store: Store, changed: list[int]) -> None:
    """The demo store as a push to a tracking server left it, then the ``changed`` runs edited (not pushed).

    Only the store's sync records are written (what a push records once the server confirmed a run),
    so the picture needs no server.
    """
    remote = sync_state.remote_id(store, DEMO_SERVER)
    runs = sync_state.load_local_runs(store, store.search_rids(None, include_deleted=True))
    for run in runs:
        sync_state.map_run(store, run.rid, remote, run.run_id, "push", base={"known": True})
        sync_state.finish_sync(store, run.rid, remote, {"known": True}, covered_updated_at=run.updated_at, pushed=True)
    for rid in changed:
        store.set_tags(rid, {"reviewed": "alice"})


async def _sync_state(pilot: Pilot, app: TuitrackApp) -> None:
    """Pushed once, then two runs tagged: their rows carry ↑, the status line counts them."""
    await settle(pilot, app)
    table = app.browser.table
    add_demo_sync_state(app.store, [table.rids[1], table.rids[3]])
    app.request_refresh()
    await settle(pilot, app)


async def _parcoords(pilot: Pilot, app: TuitrackApp) -> None:
    """Parallel coordinates of the demo's runs: learning_rate brushed below 0.23, the best kept run focused."""
    await settle(pilot, app)
    await _keys(pilot, app, "b")
    await _keys(pilot, app, "right", "right", *["down"] * 5, "n", quiet=True)


async def _chart_panel(pilot: Pilot, app: TuitrackApp) -> None:
    """The grid runs, three marked and the cursor on a fourth, with the chart panel open (``w``)."""
    from tuitrack.tui.browser.chart_panel import ChartPanel

    await _grid_marked(pilot, app, marks=3)
    await pilot.press("w")
    panel = app.browser.query_one(ChartPanel)
    for _ in range(100):
        await pilot.pause(0.05)
        if panel.loaded:
            break
    app.clear_notifications()
    await _idle(pilot, app)


#: What the Logs tab's screenshot shows: a training script's output, as tuitrack.tracking.output keeps it.
DEMO_OUTPUT = "".join(
    [
        "loading s3://acme-ml/churn/v2/train.csv (5,000 rows)\n",
        "features: tenure, monthly_charges, contract, support_calls\n",
        *(
            f"epoch {e:3d}/30  loss={0.62 * 0.93**e + 0.11:.4f}  val_loss={0.66 * 0.94**e + 0.14:.4f}"
            f"  accuracy={0.91 - 0.3 * 0.9**e:.4f}  lr=0.05\n"
            for e in range(1, 31)
        ),
        "UserWarning: early stopping is off; training ran all 30 epochs\n",
        "saved model to runs:/<run>/model\n",
        "done in 6m12s\n",
    ]
)


def add_demo_output(store: Store, name: str) -> None:
    """Give the run ``name`` the console output a run captures (``logs/output.txt``)."""
    from tuitrack.tracking.output import OUTPUT_ARTIFACT

    rid, run_id = store.resolve_run(name)
    dest = store.run_artifact_dir(run_id) / OUTPUT_ARTIFACT
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = DEMO_OUTPUT.encode()
    dest.write_bytes(data)
    store.record_artifacts(rid, [(OUTPUT_ARTIFACT, len(data))])


async def _logs(pilot: Pilot, app: TuitrackApp) -> None:
    """The Logs tab of a run whose script printed (the tail of its output, shown literally)."""
    await settle(pilot, app)
    add_demo_output(app.store, "xgboost_tuned")
    app.browser.apply_filter("run_name = 'xgboost_tuned'")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)
    app.browser.query_one(RunDetail).select_tab("logs")
    await _idle(pilot, app)


def add_demo_system_metrics(store: Store, name: str) -> None:
    """Give the run ``name`` the samples ``start_run(system_metrics=True)`` logs: every 10 s over its duration."""
    import math

    rid, _ = store.resolve_run(name)
    run = store.runs_by_rids([rid], with_data=False)[0]
    start, end = run.info.start_time, run.info.end_time or run.info.start_time + 600_000
    points = []
    for i in range((end - start) // 10_000 + 1):
        t = start + i * 10_000
        busy = 0.5 + 0.5 * math.sin(i / 7) ** 2
        points += [
            (rid, "system/cpu_percent", round(35 + 55 * busy + (i * 37 % 11), 1), i, t),
            (rid, "system/memory_percent", round(22 + min(40, i * 0.4) + (i * 13 % 5) / 2, 1), i, t),
            (rid, "system/process_rss_mb", round(410 + min(900, i * 9.5) + (i * 7 % 23), 1), i, t),
        ]
    store.write_metrics(points)


async def _system(pilot: Pilot, app: TuitrackApp) -> None:
    """The System tab of a run started with ``system_metrics=True``."""
    await settle(pilot, app)
    add_demo_system_metrics(app.store, "xgboost_tuned")
    app.browser.apply_filter("run_name = 'xgboost_tuned'")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)
    app.browser.query_one(RunDetail).select_tab("system")
    await _idle(pilot, app)


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
    View("charts-80x24", _charts, (80, 24)),
    View("charts-x-metric", _charts_x_metric),
    View("charts-x-metric-80x24", _charts_x_metric, (80, 24)),
    View("scatter", _scatter),
    View("groups", _groups),
    View("groups-80x24", _groups, (80, 24)),
    View("tag-editor", _tag_editor),
    View("sorted-marked-80x24", _sorted_marked, (80, 24)),
    View("compare-80x24", _compare, (80, 24)),
    View("compare-at-step", _compare_at_step),
    View("compare-at-step-80x24", _compare_at_step, (80, 24)),
    View("filter-typing", _filter_typing),
    View("dense", _dense),
    View("unsaved-tags", _unsaved_tags, (80, 24)),
    View("delete-80x24", _delete, (80, 24)),
    View("summary-columns", _summary_columns),
    View("summary-columns-80x24", _summary_columns, (80, 24)),
    View("artifact-diff", _artifact_diff),
    View("artifact-diff-80x24", _artifact_diff_text, (80, 24)),
    View("reproduce", _reproduce),
    View("reproduce-80x24", _reproduce, (80, 24)),
    View("images", _images),
    View("images-80x24", _images, (80, 24)),
    View("image-preview", _image_preview),
    View("image-preview-80x24", _image_preview, (80, 24)),
    View("sync-state", _sync_state),
    View("sync-state-80x24", _sync_state, (80, 24)),
    View("parcoords", _parcoords),
    View("parcoords-80x24", _parcoords, (80, 24)),
    View("chart-panel", _chart_panel),
    View("chart-panel-80x24", _chart_panel, (80, 24)),
    View("logs", _logs),
    View("logs-80x24", _logs, (80, 24)),
    View("system", _system),
    View("system-80x24", _system, (80, 24)),
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
    written = []
    # Times in UTC; halfcell images: the same picture in every terminal (and in an SVG).
    env = environment(TZ="UTC", TUITRACK_IMAGES="halfcell")
    with env, tempfile.TemporaryDirectory(prefix="tuitrack-shots-") as tmp:
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
    return written


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """These environment variables set inside the block (``TZ`` takes effect: ``time.tzset``), the old values
    (or their absence) after it.  The screenshots and the snapshot tests use it for ``TZ=UTC``."""
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    time.tzset()
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        time.tzset()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the SVGs")
    parser.add_argument("--size", default=None, help="shoot every view at WIDTHxHEIGHT (default: each view's own)")
    parser.add_argument(
        "views", nargs="*", metavar="VIEW", help=f"only these views (default all: {', '.join(v.name for v in VIEWS)})"
    )
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
