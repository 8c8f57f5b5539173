"""The browser's chart panel: every metric of the cursor run and the marked runs, beside the runs.

W&B LEET's first screen shows the run list next to a chart of every metric, and marking a run adds
it to every chart in place.  ``w`` shows or hides this panel and ``<`` / ``>`` narrow or widen it
(both remembered per store, as ``z`` is); the charts screen (``v``) stays for full-size work.  In
the panel (``tab`` to it): the arrows pick a chart, ``pgup`` / ``pgdn`` turn pages, ``l`` toggles
the picked chart's log y and ``f`` filters the charts by metric name.

The cost is bounded by the screen, not by the data:

- reads run in one exclusive worker, started :data:`FOLLOW_DELAY_S` after the last cursor move and
  after the frame that showed it (the run detail's two-phase pattern), so cursor keys stay instant
  and a held key reads only the run it stops on;
- the metric keys come from ``Store.key_window`` (at most :data:`KEY_SCAN` per run, filtered in SQL),
  so a run with 10,000 metrics shows a page of charts;
- each history is downsampled in SQL to twice its chart's width (``get_metric_history(max_points=)``
  reads a 10M-point series' 1024-step summary blocks), and kept in a small cache checked against the
  key's point count and last step, so marking one more run reads only that run;
- the same worker then builds the charts (their series, and each chart's plotext drawing as finished
  lines for the size the chart has, ``chart_grid.draw_chart``): the event loop only swaps those lines
  in, so a key pressed while the charts are built is not held up by them.  A read whose cursor run
  was left meanwhile is dropped (its token is no longer wanted), never painted over a newer one.

A single run is drawn with each bucket's min and max, so its spikes show; overlaid runs get one clean
line each (``series.bucket_midrange``: the middle of each column's envelope), where min/max pairs of
noisy runs would draw solid bands.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tuitrack.entities import MetricPoint
from tuitrack.tui.colors import hex_color, run_colors, run_markers
from tuitrack.tui.paint import wait_for_paint
from tuitrack.tui.text import clean, safe
from tuitrack.tui.timers import stop
from tuitrack.tui.widgets.chart_grid import Canvas, ChartGrid, draw_chart, grid_shape
from tuitrack.tui.widgets.legend import pack_legend
from tuitrack.tui.widgets.quiet import update_static

if TYPE_CHECKING:
    from textual.strip import Strip

    from tuitrack.store.core import Store
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.browser.runs_table import RunsTable
    from tuitrack.tui.browser.state import ViewState
    from tuitrack.tui.widgets.metric_chart import ChartSpec

#: A cursor move waits this long for the next one before the panel reads (the detail pane reads first).
FOLLOW_DELAY_S = 0.12
#: Seconds a metric-name filter waits for the next keystroke.
FILTER_DELAY_S = 0.2
#: Runs drawn at once: the marked ones (in mark order) and the cursor run, one palette colour each.
MAX_RUNS = 12
#: Metric keys read per run (in key order, after the filter): a run may log 10,000; ``f`` narrows.
KEY_SCAN = 1000
#: Histories kept between reads (each at most twice a chart's width in points).
CACHE_SIZE = 256
#: The panel's width, percent of the screen; ``<`` / ``>`` step through these.
WIDTHS = (30, 40, 50, 60, 70)
DEFAULT_WIDTH = 40
#: Cells a legend entry takes, about (its line, a name, the gap): the legend wraps onto up to 3 lines.
LEGEND_ENTRY = 20

PANEL_BINDINGS = [
    Binding("w", "toggle_chart_panel", "Chart panel: show/hide", show=False, id="browser.chart_panel"),
    Binding(
        "greater_than_sign",
        "resize_chart_panel(1)",
        "Chart panel wider",
        show=False,
        key_display=">",
        id="browser.chart_panel_wider",
    ),
    Binding(
        "less_than_sign",
        "resize_chart_panel(-1)",
        "Chart panel narrower",
        show=False,
        key_display="<",
        id="browser.chart_panel_narrower",
    ),
]


@dataclass(frozen=True)
class PanelRun:
    """A run the panel draws: its id, its store rid (for key windows) and whether it is marked."""

    run_id: str
    rid: int
    marked: bool = True


@dataclass
class PanelData:
    """One read: the runs (in draw order), the metric keys, the page shown and its histories."""

    runs: list[tuple[str, str]]  # (run id, name), marks first, the cursor run last
    keys: list[str]  # every key of the grid (those with a history; else every key), sorted
    page: int
    per_page: int
    clipped: bool  # some run has more matching keys than KEY_SCAN
    max_points: int = 0  # each history was downsampled to this many points (a min and a max per bucket)
    histories: dict[tuple[str, str], list[MetricPoint]] = field(default_factory=dict)
    fresh: dict[tuple[str, str, int], tuple[tuple[int, int], list[MetricPoint]]] = field(default_factory=dict)
    error: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.keys) / max(1, self.per_page)))

    @property
    def page_keys(self) -> list[str]:
        start = self.page * self.per_page
        return self.keys[start : start + self.per_page]


def read_panel(
    store: Store,
    runs: Sequence[PanelRun],
    needle: str,
    page: int,
    per_page: int,
    max_points: int,
    cache: dict[tuple[str, str, int], tuple[tuple[int, int], list[MetricPoint]]] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> PanelData | None:
    """What the panel shows for ``runs``: a worker calls this (None: cancelled on the way).

    Reads per run one key window (at most :data:`KEY_SCAN` keys containing ``needle``), then the
    histories of the page's keys only, each downsampled in SQL to ``max_points``; a cached history
    whose key still has the same point count and last step is not read again.
    """
    cache = cache or {}
    found = {run.info.run_id: run for run in store.runs_by_rids([r.rid for r in runs], with_data=False)}
    present = [r for r in runs if r.run_id in found]
    low = needle.strip().lower()
    shapes: dict[tuple[str, str], tuple[int, int]] = {}
    keys: set[str] = set()
    curves: set[str] = set()
    clipped = False
    for run in present:
        window = store.key_window(run.rid, "metrics", 0, KEY_SCAN, low)
        clipped = clipped or window.total > KEY_SCAN
        for summary in window.rows:
            if summary.key.startswith("system/") and "system" not in low:
                continue  # the run detail's System tab charts those
            shapes[(run.run_id, summary.key)] = (summary.count, summary.step)
            keys.add(summary.key)
            if summary.count > 1:
                curves.add(summary.key)
        if cancelled():
            return None
    ordered = sorted(curves or keys)
    data = PanelData(
        runs=[(r.run_id, found[r.run_id].info.run_name) for r in present],
        keys=ordered,
        page=0,
        per_page=max(1, per_page),
        clipped=clipped,
        max_points=max_points,
    )
    data.page = max(0, min(page, data.pages - 1))
    for key in data.page_keys:
        for run in present:
            shape = shapes.get((run.run_id, key))
            if shape is None:
                continue
            slot = (run.run_id, key, max_points)
            hit = cache.get(slot)
            if hit is not None and hit[0] == shape:
                data.histories[(run.run_id, key)] = hit[1]
                continue
            if cancelled():
                return None
            points = store.get_metric_history(run.run_id, key, max_points)
            data.histories[(run.run_id, key)] = points
            data.fresh[slot] = (shape, points)
    return data


@dataclass(frozen=True)
class Look:
    """How the panel draws its charts besides the data: a drawing made for another look is redone."""

    log_keys: frozenset[str]
    selected: int
    focused: bool
    no_color: bool
    width: int  # of one chart, in cells (titles are cut to it)


@dataclass
class Drawing:
    """The charts of one read, built in the read's worker: their specs and each one's finished lines."""

    look: Look
    specs: list[ChartSpec]
    drawn: list[tuple[Canvas, list[Strip]]] | None  # None: the grid's charts change (it draws them itself)


def draw_panel(
    data: PanelData,
    look: Look,
    canvases: Sequence[Canvas] | None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Drawing | None:
    """The charts of ``data``: the specs, and each drawn on its chart's canvas when the grid keeps its charts.

    Runs in the panel's read worker (plotext, series bucketing and text layout stay off the event loop);
    None: cancelled between two charts (the cursor moved on: the drawing would be dropped anyway).
    """
    specs = build_specs(
        data,
        log_keys=set(look.log_keys),
        selected=min(look.selected, max(0, len(data.page_keys) - 1)),
        focused=look.focused,
        no_color=look.no_color,
        width=look.width,
    )
    drawn = None
    if canvases is not None and len(canvases) == len(specs):
        drawn = []
        for spec, canvas in zip(specs, canvases):
            if cancelled():
                return None
            drawn.append((canvas, draw_chart(spec, canvas)))
    return Drawing(look, specs, drawn)


def build_specs(
    data: PanelData, *, log_keys: set[str], selected: int, focused: bool, no_color: bool, width: int = 0
) -> list[ChartSpec]:
    """One chart per key of the page: a line per run in the run's colour (a glyph each with NO_COLOR)."""
    from tuitrack.analysis import compare as cmp  # with the first chart too, not with the app
    from tuitrack.analysis import series as ser
    from tuitrack.tui.widgets.metric_chart import ChartSpec, Series  # plotext: with the first chart

    ids = [run_id for run_id, _ in data.runs]
    colors = run_colors(ids)
    markers = run_markers(ids) if no_color else {}
    names = dict(data.runs)
    specs = []
    for i, key in enumerate(data.page_keys):
        series = []
        drawn = [run_id for run_id in ids if data.histories.get((run_id, key))]
        for run_id in drawn:
            points = data.histories[(run_id, key)]
            xs = [float(p.step) for p in points]
            ys = [p.value for p in points]
            if len(drawn) > 1:  # overlaid: one clean line per run (its min/max pairs would draw a solid band)
                xs, ys = ser.bucket_midrange(xs, ys, max(1, data.max_points // 2))
            series.append(Series(names[run_id], xs, ys, colors[run_id], marker=markers.get(run_id, "braille")))
        arrow = "↓" if cmp.metric_direction(key) == cmp.LOWER else "↑"
        pick = "▸ " if focused and i == selected else ""
        log = "  log y" if key in log_keys else ""
        name = clean(key, limit=max(8, width - len(pick) - len(log) - 4)) if width else key
        specs.append(
            ChartSpec(
                title=f"{pick}{name} {arrow}{log}",
                series=series,
                log_y=key in log_keys,
                legend=False,
                empty_message="no points",
            )
        )
    return specs


class ChartPanel(Widget, can_focus=True):
    """The chart grid beside the runs table; the browser calls :meth:`follow` as the cursor and marks move."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    ChartPanel { width: 40%; height: 1fr; border-left: vkey $panel-lighten-2; display: none; }
    ChartPanel:focus-within { border-left: vkey $accent; }
    ChartPanel > #panel-head { height: 1; padding: 0 1; background: $boost; }
    ChartPanel > #panel-legend { height: auto; max-height: 3; padding: 0 1; }
    ChartPanel > #panel-filter { height: 1; border: none; padding: 0 1; display: none; }
    ChartPanel > #panel-filter.-shown { display: block; }
    ChartPanel > ChartGrid { height: 1fr; }
    """
    BINDINGS = [
        Binding("left", "pick(-1, 0)", "Chart left", show=False, id="chart_panel.left"),
        Binding("right", "pick(1, 0)", "Chart right", show=False, id="chart_panel.right"),
        Binding("up", "pick(0, -1)", "Chart up", show=False, id="chart_panel.up"),
        Binding("down", "pick(0, 1)", "Chart down", show=False, id="chart_panel.down"),
        Binding("pageup", "page(-1)", "Previous charts", show=False, id="chart_panel.page_up"),
        Binding("pagedown", "page(1)", "Next charts", show=False, id="chart_panel.page_down"),
        Binding("l", "toggle_log", "Log y", id="chart_panel.log_y"),
        Binding("f", "filter_metrics", "Filter metrics", id="chart_panel.filter"),
        Binding("escape", "leave", "Back", show=False, id="chart_panel.back"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[PanelRun] = []
        self.needle = ""
        self.page = 0
        self.selected = 0
        self.log_keys: set[str] = set()
        self.data: PanelData | None = None
        self.reads = 0  # reads started (tests and the bench count them)
        self._token = 0
        self._wanted = 0  # the token of the read whose result is wanted
        self._timer: Timer | None = None
        self._filter_timer: Timer | None = None
        self._cache: OrderedDict[tuple[str, str, int], tuple[tuple[int, int], list[MetricPoint]]] = OrderedDict()
        self._shape: tuple[int, int, int] | None = None  # (columns, per page, max points) of the last read
        self.on_change: Callable[[], None] | None = None  # the browser remembers filter and log y

    def compose(self) -> ComposeResult:
        yield Static(Text("no run selected", style="dim"), id="panel-head")
        yield Input(
            placeholder="filter charts by metric name · enter: back to the charts", id="panel-filter", disabled=True
        )
        yield Static(Text(""), id="panel-legend")
        yield ChartGrid(id="panel-grid")

    # -- what to show ---------------------------------------------------------------------------
    @property
    def shown(self) -> bool:
        return bool(self.display)

    @property
    def loaded(self) -> bool:
        """The panel shows the runs last asked for (no read pending) and every chart is drawn."""
        return (
            self._timer is None
            and self._wanted == self._token
            and self.data is not None
            and self.query_one("#panel-grid", ChartGrid).drawn
        )

    def follow(self, runs: Sequence[PanelRun], *, now: bool = False) -> None:
        """Chart these runs (marks first, the cursor run last).  Cheap: reads after a short pause, in a worker."""
        runs = list(runs)
        if runs == self.runs and not now and self.data is not None:
            return
        self.runs = runs
        if self.shown:
            self._schedule(now)

    def reload(self, now: bool = True) -> None:
        """Read again (new data in the store, a new page, filter or size)."""
        if self.shown:
            self._schedule(now)

    def _schedule(self, now: bool) -> None:
        stop(self._timer)
        self._token += 1
        self._wanted = self._token
        if now:
            self._timer = None
            self._start()
        else:
            self._timer = self.set_timer(FOLLOW_DELAY_S, self._start)

    def _layout(self) -> tuple[int, int, int]:
        """(columns, charts per page, points per history) for the panel's current size."""
        width = self.content_region.width or max(30, self.app.size.width * DEFAULT_WIDTH // 100)
        height = (self.content_region.height or max(8, self.app.size.height - 4)) - 1  # the status line
        height -= min(3, max(1, math.ceil(len(self.runs) * LEGEND_ENTRY / max(10, width - 2))))  # the legend
        if self.query_one("#panel-filter", Input).has_class("-shown"):
            height -= 1
        columns, rows = grid_shape(width, height)
        chart_width = max(10, width // columns - 8)  # minus the y axis labels
        return columns, columns * rows, max(20, 2 * chart_width)

    def _start(self) -> None:
        self._timer = None
        if not self.runs:
            self.workers.cancel_group(self, "chart-panel")
            self._show(PanelData(runs=[], keys=[], page=0, per_page=1, clipped=False), self._token)
            return
        self._shape = self._layout()
        _, per_page, max_points = self._shape
        self.reads += 1
        canvases = self.query_one("#panel-grid", ChartGrid).canvases()
        self._read(
            self._token,
            list(self.runs),
            self.needle,
            self.page,
            per_page,
            max_points,
            dict(self._cache),
            self._look(),
            canvases,
        )

    def _look(self) -> Look:
        columns = self._shape[0] if self._shape else 1
        return Look(
            log_keys=frozenset(self.log_keys),
            selected=self.selected,
            focused=self.has_focus,
            no_color=self.app.no_color,
            width=(self.content_region.width or 40) // columns,
        )

    @work(thread=True, exclusive=True, group="chart-panel")
    def _read(
        self,
        token: int,
        runs: list[PanelRun],
        needle: str,
        page: int,
        per_page: int,
        max_points: int,
        cache: dict[tuple[str, str, int], tuple[tuple[int, int], list[MetricPoint]]],
        look: Look,
        canvases: list[Canvas] | None,
    ) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:  # a newer read, or the cursor moved on (its read starts after FOLLOW_DELAY_S)
            return worker.is_cancelled or self._wanted != token

        wait_for_paint(self)  # after the frame that shows what the key did (the cursor, the detail)
        if cancelled():
            return
        try:
            data = read_panel(self.app.store, runs, needle, page, per_page, max_points, cache, cancelled=cancelled)
        except Exception as exc:  # a vanished run or a store error shows in the panel
            data = PanelData(
                runs=[], keys=[], page=0, per_page=per_page, clipped=False, error=f"{type(exc).__name__}: {exc}"
            )
        if data is None or cancelled():
            return
        drawing = None
        if data.error is None and data.runs:
            drawing = draw_panel(data, look, canvases, cancelled)
            if drawing is None:
                return  # the cursor moved on while drawing: stop, and leave the GIL to the key's frame
        if cancelled():
            return
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._show, data, token, drawing)

    def _show(self, data: PanelData, token: int, drawing: Drawing | None = None) -> None:
        if token != self._wanted or not self.is_mounted or not self.app.is_running:
            return  # a read for runs the panel no longer follows: dropped
        for slot, entry in data.fresh.items():
            self._cache[slot] = entry
            self._cache.move_to_end(slot)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        same_look = drawing is not None and drawing.look == self._look()
        self.data = data
        self.page = data.page
        self.selected = min(self.selected, max(0, len(data.page_keys) - 1))
        if drawing is not None and same_look:
            self._paint(data, drawing.specs, drawing.drawn)
        else:  # log y, the picked chart or focus changed during the read: new specs (drawn by the grid)
            self.redraw()

    # -- drawing --------------------------------------------------------------------------------
    def redraw(self) -> None:
        """New specs for the data shown (a key in the panel); the grid draws the changed charts in its worker."""
        data = self.data
        if data is None:
            return
        look = self._look()
        specs = build_specs(
            data,
            log_keys=set(look.log_keys),
            selected=look.selected,
            focused=look.focused,
            no_color=look.no_color,
            width=look.width,
        )
        self._paint(data, specs, None)

    def _paint(self, data: PanelData, specs: list[ChartSpec], drawn: list[tuple[Canvas, list[Strip]]] | None) -> None:
        columns = self._shape[0] if self._shape else 1
        self.query_one("#panel-grid", ChartGrid).show(specs, columns, drawn)
        update_static(self.query_one("#panel-head", Static), self._head(data))
        update_static(self.query_one("#panel-legend", Static), self._legend(data))

    def _head(self, data: PanelData) -> Text:
        if data.error:
            return safe(f"could not read the charts: {data.error}", "red")
        if not data.runs:
            return Text("no run here: move to a run, or mark runs (space)", style="dim")
        if not data.keys:
            what = f"no metric matches {self.needle!r} (f)" if self.needle else "no metrics logged yet"
            return safe(what, "dim")
        text = Text(f"{len(data.keys):,} chart{'s' if len(data.keys) != 1 else ''}", style="bold")
        if data.clipped:
            text.append(f" (first {KEY_SCAN:,} keys per run: f narrows)", style="yellow")
        if data.pages > 1:
            text.append(f" · page {data.page + 1}/{data.pages}")
        if self.needle:
            text.append(" · f: ")
            text.append_text(safe(self.needle, limit=20))
        if self.has_focus and data.page_keys:
            text.append(" · l log y", style="dim")
        return text

    def _legend(self, data: PanelData) -> Text:
        ids = [run_id for run_id, _ in data.runs]
        colors = run_colors(ids)
        markers = run_markers(ids) if self.app.no_color else {}
        marked = {r.run_id for r in self.runs if r.marked}
        entries = []
        for run_id, name in data.runs:
            glyph = markers[run_id] * 2 if markers else "━━"
            entry = Text(f"{glyph} ", style=hex_color(colors[run_id]))
            entry.append_text(safe(name, limit=20))
            if run_id not in marked:
                entry.append(" (cursor)", style="dim")
            entries.append(entry)
        width = max(10, (self.content_region.width or 40) - 2)
        return pack_legend(entries, width)

    def on_resize(self, event: events.Resize) -> None:
        if self.shown and self._shape is not None and self._layout() != self._shape:
            self.reload(now=False)

    def on_focus(self) -> None:
        self.redraw()

    def on_blur(self) -> None:
        self.redraw()

    # -- keys -----------------------------------------------------------------------------------
    def action_pick(self, dx: int, dy: int) -> None:
        """Move the picked chart; past the page's edge, turn the page."""
        data = self.data
        if data is None or not data.page_keys:
            return
        columns = self._shape[0] if self._shape else 1
        index = self.selected + dx + dy * columns
        if index < 0 and data.page > 0:
            self._turn(-1, last=True)
        elif index >= len(data.page_keys) and data.page + 1 < data.pages:
            self._turn(1)
        else:
            self.selected = max(0, min(index, len(data.page_keys) - 1))
            self.redraw()

    def action_page(self, step: int) -> None:
        data = self.data
        if data is not None and 0 <= data.page + step < data.pages:
            self._turn(step)

    def _turn(self, step: int, last: bool = False) -> None:
        self.page = max(0, self.page + step)
        self.selected = (self._shape[1] - 1) if last and self._shape else 0
        self.reload()

    def action_toggle_log(self) -> None:
        data = self.data
        if data is None or not data.page_keys:
            return
        key = data.page_keys[self.selected]
        self.log_keys ^= {key}
        self.redraw()
        if self.on_change is not None:
            self.on_change()

    @property
    def picked_key(self) -> str | None:
        data = self.data
        if data is None or not data.page_keys:
            return None
        return data.page_keys[min(self.selected, len(data.page_keys) - 1)]

    def action_filter_metrics(self) -> None:
        box = self.query_one("#panel-filter", Input)
        box.disabled = False
        box.add_class("-shown")
        box.focus()

    def action_leave(self) -> None:
        box = self.query_one("#panel-filter", Input)
        if box.has_focus:
            if box.value:
                box.value = ""
            self._hide_filter()
            self.focus()
            return
        back = getattr(self.screen, "action_back", None)
        if back is not None:
            back()

    def _hide_filter(self) -> None:
        box = self.query_one("#panel-filter", Input)
        box.remove_class("-shown")
        box.disabled = True

    def set_filter(self, needle: str) -> None:
        """Show the charts whose metric name contains ``needle`` (any case), from their first page."""
        needle = needle.strip()
        if needle == self.needle:
            return
        self.needle, self.page, self.selected = needle, 0, 0
        box = self.query_one("#panel-filter", Input)
        if box.value.strip() != needle:
            box.value = needle
        if needle and not box.has_class("-shown"):
            box.disabled = False
            box.add_class("-shown")
        if self.on_change is not None:
            self.on_change()
        self.reload()

    @on(Input.Changed, "#panel-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        stop(self._filter_timer)
        value = event.value
        self._filter_timer = self.set_timer(FILTER_DELAY_S, lambda: self.set_filter(value))

    @on(Input.Submitted, "#panel-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        stop(self._filter_timer)
        self._filter_timer = None
        self.set_filter(event.value)
        if not event.value.strip():
            self._hide_filter()
        self.focus()


class ChartPanelHost:
    """The browser's side of the panel: its keys, what it follows, what is remembered (a mixin)."""

    view: ViewState
    table: RunsTable
    query_one: Any
    notify: Any
    _save_state: Any

    @property
    def chart_panel(self) -> ChartPanel:
        return self.query_one("#chart-panel", ChartPanel)

    def _panel_state(self) -> dict[str, Any]:
        saved = self.view.extra.get("chart_panel")
        return saved if isinstance(saved, dict) else {}

    def _remember_panel(self) -> None:
        panel = self.chart_panel
        self.view.extra["chart_panel"] = {
            "shown": panel.shown,
            "width": self._panel_width(),
            "filter": panel.needle,
            "log_y": sorted(panel.log_keys),
        }
        self._save_state()

    def _panel_width(self) -> int:
        width = self._panel_state().get("width")
        return width if isinstance(width, int) and width in WIDTHS else DEFAULT_WIDTH

    def restore_chart_panel(self) -> None:
        """At mount: the panel as it was left in this store (shown or not, its width, filter and log y)."""
        state = self._panel_state()
        panel = self.chart_panel
        panel.on_change = self._remember_panel
        panel.styles.width = f"{self._panel_width()}%"
        log_y = state.get("log_y")
        panel.log_keys = {k for k in log_y if isinstance(k, str)} if isinstance(log_y, list) else set()
        needle = state.get("filter")
        if isinstance(needle, str) and needle:
            panel.needle = needle
            box = panel.query_one("#panel-filter", Input)
            box.value, box.disabled = needle, False
            box.add_class("-shown")
        panel.display = state.get("shown") is True

    def panel_runs(self) -> list[PanelRun]:
        """The marked runs (in mark order, at most MAX_RUNS) and the cursor run last."""
        table = self.table
        runs = [PanelRun(run_id, rid) for run_id, rid in list(table.marks.items())[:MAX_RUNS]]
        cursor = table.cursor_run
        rid = table.cursor_rid
        if cursor is not None and rid is not None and cursor.id not in table.marks:
            runs = [*runs[: MAX_RUNS - 1], PanelRun(cursor.id, rid, marked=False)]
        return runs

    def follow_chart_panel(self, now: bool = False) -> None:
        panel = self.chart_panel
        if panel.shown:
            panel.follow(self.panel_runs(), now=now)

    def on_runs_table_cursor_moved(self, event: Any) -> None:
        self.follow_chart_panel()

    def on_runs_table_marks_changed(self, event: Any) -> None:
        self.follow_chart_panel()

    def action_toggle_chart_panel(self) -> None:
        """``w``: show or hide the chart panel (remembered per store)."""
        panel = self.chart_panel
        panel.display = not panel.shown
        if panel.shown:
            panel.follow(self.panel_runs(), now=True)
        elif panel.has_focus_within:
            self.table.focus()
        self._remember_panel()

    def action_resize_chart_panel(self, step: int) -> None:
        """``<`` / ``>``: the panel narrower or wider, in steps of :data:`WIDTHS` (remembered per store)."""
        panel = self.chart_panel
        if not panel.shown:
            panel.display = True
            panel.follow(self.panel_runs(), now=True)
        index = WIDTHS.index(self._panel_width())
        width = WIDTHS[max(0, min(len(WIDTHS) - 1, index + step))]
        self.view.extra["chart_panel"] = {**self._panel_state(), "width": width}
        panel.styles.width = f"{width}%"
        self._remember_panel()


__all__ = ["PANEL_BINDINGS", "ChartPanel", "ChartPanelHost", "PanelData", "PanelRun", "build_specs", "read_panel"]
