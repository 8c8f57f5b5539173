"""Metric charts of a few runs: "how did these runs train, and which one is still improving?"

One line per run in the run's stable colour, a grid of charts when several metrics are picked,
debiased EMA smoothing (``+``/``-``) with the raw series kept faint (``w`` toggles it), x axis
step / wall time / relative time (``x``) or any metric paired by step (``X``), log y (``l``).
Histories are downsampled in SQL to about twice the chart width, keeping each bucket's min and max:
a single run is drawn so (its envelope: spikes show), an overlay of several runs as one clean line
per run (the middle of each column's envelope), with the envelope faint underneath on request (``e``).  RUNNING runs
are re-read when the store's data_version moves.
The metric picker lists at most :data:`PICKER_LIMIT` keys (a run may log 10,000): ``/`` filters
them, and the picked ones always stay listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from tuitrack.analysis import compare as cmp
from tuitrack.analysis import series as ser
from tuitrack.entities import RUNNING, MetricPoint, Run, data_keys
from tuitrack.tui.colors import faded, hex_color, run_colors, run_markers
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.checklist import CheckList
from tuitrack.tui.widgets.key_footer import KeyFooter
from tuitrack.tui.widgets.legend import pack_legend
from tuitrack.tui.widgets.metric_chart import ChartSpec, MetricChart, Series

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

#: ``+`` and ``-`` share one footer entry.
SMOOTH = Binding.Group("Smooth", compact=True)
#: The x axis choices the ``X`` picker lists before the metrics (parenthesised: no metric key can be one).
X_CHOICES = {"(step)": ser.X_STEP, "(wall time)": ser.X_WALL, "(relative time)": ser.X_RELATIVE}
SMOOTHING_STEPS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
MIN_POINTS = 200
#: An overlay reads this many points per chart column (each step bucket's min and max: two pairs a column, so
#: every column holds one whole pair) and draws the middle of each column's envelope.  More costs a scan of the
#: history: past twice the points the store merges its 1024-step blocks (a read of ~n/1024 rows), short of
#: that it scans every bucket.
OVERLAY_READ = 4
#: Most keys a picker lists at once (each option is a widget line measured on every change).
PICKER_LIMIT = 200


def listed_keys(keys: list[str], needle: str, picked: list[str], limit: int = PICKER_LIMIT) -> list[str]:
    """The keys a picker lists: those containing ``needle`` (any case), at most ``limit``, and every picked one."""
    low = needle.strip().lower()
    shown = [k for k in keys if low in k.lower()][:limit] if low else keys[:limit]
    have = set(shown)
    if not picked:
        return shown
    return [k for k in keys if k in have or k in picked]


def picker_title(title: str, listed: int, total: int) -> Text:
    text = Text(title, style="bold")
    if listed < total:
        text.append(f"\n{listed:,} of {total:,} · / filters", style="dim")
    return text


# A key picker is a title, a filter box and a CheckList under it (the charts' metrics, the groups' params):
def fill_picker(
    picker: SelectionList[str], title: Static, heading: str, keys: list[str], needle: str, picked: list[str]
) -> None:
    """List the keys matching the filter box's ``needle`` (at most PICKER_LIMIT), the picked ones always among
    them, without a SelectedChanged; the title says how many are listed."""
    listed = listed_keys(keys, needle, picked)
    with picker.prevent(SelectionList.SelectedChanged):
        picker.clear_options()
        picker.add_options([Selection(safe(k, limit=24), k, k in picked) for k in listed])
    title.update(picker_title(heading, len(listed), len(keys)))


def focus_first_match(picker: SelectionList[str]) -> None:
    """Enter in the filter box: to the list, on its first match (space picks it)."""
    if picker.option_count:
        picker.highlighted = 0
    picker.focus()


def picked_keys(picker: SelectionList[str], before: list[str]) -> set[str]:
    """What is picked after a change in the list: its ticks, and the earlier picks the filter hides."""
    listed = {picker.get_option_at_index(i).value for i in range(picker.option_count)}
    return {k for k in before if k not in listed} | set(picker.selected)


def leave_filter(box: Input, picker: SelectionList[str]) -> bool:
    """Escape in the filter box empties it and goes back to the list (True); elsewhere it is not the box's."""
    if not box.has_focus:
        return False
    box.value = ""
    picker.focus()
    return True


class ChartsScreen(Screen[None]):
    """Charts of the given runs' metrics."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    DEFAULT_CSS = """
    ChartsScreen #charts-side { width: 24; border-right: solid $panel; }
    ChartsScreen.-narrow #charts-side { width: 20; }
    ChartsScreen #charts-side Static { height: auto; padding: 0 1; }
    ChartsScreen #metric-picker { height: 1fr; border: none; }
    ChartsScreen #metric-filter { height: 1; border: none; padding: 0 1; }
    ChartsScreen #charts-status { height: 1; padding: 0 1; background: $panel; }
    ChartsScreen #charts-legend { height: auto; max-height: 4; padding: 0 1; }
    ChartsScreen #chart-grid { grid-size: 1; grid-gutter: 0 1; height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="charts.back"),
        Binding("plus,equals_sign", "smooth(1)", "Smooth +", key_display="+", group=SMOOTH, id="charts.smooth_more"),
        Binding("minus", "smooth(-1)", "Smooth -", key_display="-", group=SMOOTH, id="charts.smooth_less"),
        Binding("w", "toggle_raw", "Raw", id="charts.raw"),
        Binding("x", "cycle_x", "X axis", id="charts.x_axis"),
        Binding("X", "pick_x", "X metric", id="charts.x_metric"),
        Binding("e", "toggle_envelope", "Envelope", show=False, id="charts.envelope"),
        Binding("l", "toggle_log", "Log y", id="charts.log_y"),
        Binding("slash", "filter_metrics", "Filter", key_display="/", id="charts.filter"),
    ]

    def __init__(self, run_ids: list[str], metrics: list[str] | None = None) -> None:
        super().__init__()
        self.run_ids = list(run_ids)
        self.requested_metrics = list(metrics or [])
        self.runs: list[Run] = []
        self.keys: list[str] = []
        self.selected: list[str] = []
        self.histories: dict[tuple[str, str], list[MetricPoint]] = {}
        self.smooth_index = 0
        self.show_raw = True
        self.x_mode = ser.X_STEP
        self.x_metric: str | None = None  # a metric as the x axis (paired with y by step); None: x_mode
        self.x_histories: dict[tuple[str, str, str], list[MetricPoint]] = {}  # (run, y key, x key) -> x points
        self.envelope = False  # overlays: each run's min/max envelope faint under its line
        self.log_y = False
        self.loaded = False
        self._data_version: int | None = None

    @property
    def smoothing(self) -> float:
        return SMOOTHING_STEPS[self.smooth_index]

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="charts-side"):
                yield Static(Text("Metrics (space)", style="bold"), id="metric-title")
                yield Input(placeholder="/ filter", id="metric-filter")
                yield CheckList[str](id="metric-picker")
            with Vertical():
                yield Static(Text("loading…"), id="charts-status")
                yield Static(Text(""), id="charts-legend")
                yield Grid(id="chart-grid")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load(first=True)
        if (interval := _live_interval(self.app)) > 0:
            self.set_interval(interval, self._poll_live)

    # -- data ----------------------------------------------------------------------------------
    def _chart_width(self) -> int:
        """About how many columns one chart's plot area has."""
        cols = _grid_columns(max(1, len(self.selected)))
        return max(20, (self.app.size.width - 30) // cols)

    def _max_points(self) -> int:
        """Points read per series: two a column for one run (its min/max envelope), more for an overlay."""
        per_column = OVERLAY_READ if len(self.run_ids) > 1 else 2
        return max(MIN_POINTS, self._chart_width() * per_column)

    @work(thread=True, exclusive=True, group="charts-load")
    def _load(self, first: bool = False, only_running: bool = False) -> None:
        x_metric = self.x_metric
        store = self.app.store
        version = store.data_version()
        runs, missing = cmp.load_runs(store, self.run_ids)
        keys = data_keys(runs, "summaries")
        selected = self.selected
        if first:
            selected = (
                [k for k in self.requested_metrics if k in keys]
                or [k for k in self._remembered() if k in keys]
                or _default_metrics(runs, keys)
            )
        histories = dict(self.histories) if only_running else {}
        x_histories = dict(self.x_histories) if only_running else {}
        targets = [r for r in runs if r.info.status == RUNNING] if only_running else runs
        max_points = self._max_points()
        for run in targets:
            rid = run.info.run_id
            for key in selected:
                if key not in run.data.summaries:
                    continue
                histories[(rid, key)] = store.get_metric_history(rid, key, max_points)
                if x_metric is not None and x_metric in run.data.summaries:
                    # x's points beside the drawn steps only: bounded by the chart, not by x's history
                    steps = [p.step for p in histories[(rid, key)]]
                    x_histories[(rid, key, x_metric)] = store.metric_points_around(rid, x_metric, steps)
        self.app.call_from_thread(self._loaded, runs, keys, selected, histories, version, missing, first, x_histories)

    def _loaded(
        self,
        runs: list[Run],
        keys: list[str],
        selected: list[str],
        histories: dict[tuple[str, str], list[MetricPoint]],
        version: int,
        missing: list[str],
        first: bool,
        x_histories: dict[tuple[str, str, str], list[MetricPoint]] | None = None,
    ) -> None:
        self.runs, self.keys, self.histories = runs, keys, histories
        self.x_histories = x_histories or {}
        self._data_version = version
        if first:
            self.selected = selected
            self._fill_picker()
            self.query_one("#metric-picker", SelectionList).focus()
            if missing:
                self.notify(f"{len(missing)} run(s) no longer in the store were left out", severity="warning")
            if not keys:
                self.notify("these runs have no metrics to chart", severity="warning")
        self.loaded = True
        self.redraw()

    def _poll_live(self) -> None:
        """Re-read RUNNING runs when another connection has written (cheap PRAGMA probe first)."""
        if not self.loaded or not any(r.info.status == RUNNING for r in self.runs):
            return
        self._probe()

    @work(thread=True, exclusive=True, group="charts-probe")
    def _probe(self) -> None:
        version = self.app.store.data_version()
        if version != self._data_version:
            self.app.call_from_thread(self._load, False, True)

    def _fill_picker(self) -> None:
        """List the keys matching the filter (at most PICKER_LIMIT), the picked ones always among them."""
        needle = self.query_one("#metric-filter", Input).value
        picker, title = self.query_one("#metric-picker", SelectionList), self.query_one("#metric-title", Static)
        fill_picker(picker, title, "Metrics (space)", self.keys, needle, self.selected)

    @on(Input.Changed, "#metric-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_picker()

    @on(Input.Submitted, "#metric-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        focus_first_match(self.query_one("#metric-picker", SelectionList))

    def action_filter_metrics(self) -> None:
        self.query_one("#metric-filter", Input).focus()

    @on(SelectionList.SelectedChanged, "#metric-picker")
    def _picked(self, event: SelectionList.SelectedChanged) -> None:
        chosen = picked_keys(self.query_one("#metric-picker", SelectionList), self.selected)
        self.selected = [k for k in self.keys if k in chosen]
        self._remember(self.selected)
        if self._missing_data():
            self._load()
        else:
            self.redraw()

    def _missing_data(self) -> bool:
        """Whether a picked metric (or its x metric) has not been read for some run yet."""
        for run in self.runs:
            rid, have = run.info.run_id, run.data.summaries
            for key in self.selected:
                if key in have and (rid, key) not in self.histories:
                    return True
                if self.x_metric in have and (rid, key, self.x_metric) not in self.x_histories and key in have:
                    return True
        return False

    # -- drawing -----------------------------------------------------------------------------------
    def build_specs(self) -> list[ChartSpec]:
        """One ChartSpec per selected metric, from the loaded histories and the current settings.

        One run: its downsampled points as read (each bucket's min and max: the envelope, spikes kept).
        Several runs: one clean line per run, the middle of each of the chart's columns
        (:func:`~tuitrack.analysis.series.bucket_midrange`), with the envelope faint underneath when ``e`` asks.
        """
        colors = run_colors([r.info.run_id for r in self.runs])
        markers = self.markers()
        dark = self.app.current_theme.dark
        width = self._chart_width()
        specs = []
        for key in self.selected:
            drawn: list[tuple[Run, list[float], list[float]]] = []
            for run in self.runs:
                points = self.histories.get((run.info.run_id, key))
                if not points:
                    continue
                if self.x_metric is not None:
                    xs, ys = ser.against_metric(points, self.x_histories.get((run.info.run_id, key, self.x_metric), []))
                    if not xs:
                        continue
                else:
                    xs = ser.x_values(points, self.x_mode, run.info.start_time)
                    ys = [p.value for p in points]
                drawn.append((run, xs, ys))
            overlay = len(drawn) > 1
            envelopes: list[Series] = []
            raw: list[Series] = []
            series: list[Series] = []
            lo_x, hi_x = float("inf"), float("-inf")
            for run, xs, ys in drawn:
                lo_x, hi_x = min(lo_x, min(xs)), max(hi_x, max(xs))
                color = colors[run.info.run_id]
                marker = markers.get(run.info.run_id, "braille")
                if overlay:
                    if self.envelope:  # faintest, under everything
                        envelopes.append(Series("", xs, ys, faded(color, 0.75, dark=dark), marker=marker))
                    xs, ys = ser.bucket_midrange(xs, ys, width)
                if self.smoothing > 0:
                    if self.show_raw:  # faint, and under every smoothed line (drawn first)
                        raw.append(Series("", xs, ys, faded(color, 0.6, dark=dark)))
                    series.append(Series(run.info.run_name, xs, ser.ema(ys, self.smoothing), color, marker=marker))
                else:
                    series.append(Series(run.info.run_name, xs, ys, color, marker=marker))
            direction = "↓ lower is better" if cmp.metric_direction(key) == cmp.LOWER else "↑ higher is better"
            title = f"{key}  ({direction})" if self.x_metric is None else f"{key} vs {self.x_metric}  ({direction})"
            spec = ChartSpec(
                title=title,
                series=envelopes + raw + series,
                xlabel=self.x_label(),
                log_y=self.log_y,
                legend=False,
            )
            if self.x_metric is not None:
                spec.empty_message = f"no steps shared with {self.x_metric}"
            elif self.x_mode != ser.X_STEP and series:
                spec.xticks = ser.time_ticks(lo_x, hi_x, 4, self.x_mode)
            specs.append(spec)
        return specs

    def x_label(self) -> str:
        """What the x axis is: ``step``, a time, or ``<metric> (by step)``."""
        return self.x_mode if self.x_metric is None else f"{self.x_metric} (by step)"

    def redraw(self) -> None:
        grid = self.query_one("#chart-grid", Grid)
        specs = self.build_specs()
        charts = list(grid.query(MetricChart))
        grid.styles.grid_size_columns = _grid_columns(len(specs))
        if len(charts) != len(specs):
            grid.remove_children()
            grid.mount_all([MetricChart(spec, classes="metric-chart") for spec in specs])
        else:
            for chart, spec in zip(charts, specs):
                chart.set_spec(spec)
        self._update_status()

    def _update_status(self) -> None:
        live = any(r.info.status == RUNNING for r in self.runs)
        text = Text(f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''}", style="bold")
        text.append(f" · smoothing {self.smoothing:g}")
        if self.smoothing > 0:
            text.append(" · raw " + ("shown" if self.show_raw else "hidden"))
        text.append(" · x: ")
        text.append_text(safe(self.x_label(), limit=30))
        text.append(f" · y: {'log' if self.log_y else 'linear'}")
        if self.envelope:
            text.append(" · envelope")
        if live:
            text.append(" · ● live", style="yellow")
        if not self.selected:
            text.append(" · pick a metric on the left (space)", style="dim")
        self.query_one("#charts-status", Static).update(text)
        colors = run_colors([r.info.run_id for r in self.runs])
        markers = self.markers()
        entries = []
        for run in self.runs:
            glyph = markers[run.info.run_id] * 2 if markers else "━━"
            entry = Text(f"{glyph} ", style=hex_color(colors[run.info.run_id]))
            entry.append_text(safe(run.info.run_name, limit=24))
            entry.append(f" {run.info.run_id[:8]}", style="dim")
            entries.append(entry)
        legend = self.query_one("#charts-legend", Static)
        width = legend.content_region.width or max(20, self.app.size.width - 28)
        legend.update(pack_legend(entries, width))

    def _remembered(self) -> list[str]:
        """The metrics picked last time in this store (kept with the browser's view state)."""
        browser = getattr(self.app, "browser", None)
        saved = browser.view.extra.get("chart_metrics") if browser is not None else None
        return [k for k in saved if isinstance(k, str)] if isinstance(saved, list) else []

    def _remember(self, keys: list[str]) -> None:
        browser = getattr(self.app, "browser", None)
        if browser is not None and keys and keys != self._remembered():
            browser.view.extra["chart_metrics"] = list(keys)
            browser._save_state()

    def markers(self) -> dict[str, str]:
        """run id -> point glyph when colours cannot tell the series apart (NO_COLOR); else {} (lines)."""
        return run_markers([r.info.run_id for r in self.runs]) if self.app.no_color else {}

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self._update_status)

    # -- actions ---------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if not leave_filter(self.query_one("#metric-filter", Input), self.query_one("#metric-picker", SelectionList)):
            self.app.pop_screen()

    def action_smooth(self, delta: int) -> None:
        self.smooth_index = min(len(SMOOTHING_STEPS) - 1, max(0, self.smooth_index + delta))
        self.redraw()

    def action_toggle_raw(self) -> None:
        self.show_raw = not self.show_raw
        if self.smoothing == 0:
            self.notify("raw series are drawn faintly behind smoothed ones; press + to smooth")
        self.redraw()

    def action_cycle_x(self) -> None:
        """step -> wall time -> relative time; from a metric x, back to step."""
        self.x_mode = ser.X_STEP if self.x_metric is not None else ser.next_x_mode(self.x_mode)
        self.x_metric = None
        self.redraw()

    def action_pick_x(self) -> None:
        """``X``: pick the x axis: step, a time, or any metric of these runs (paired with y by step)."""
        if not self.loaded:
            return
        choices = [*X_CHOICES, *self.keys]
        current = self.x_metric or next(k for k, v in X_CHOICES.items() if v == self.x_mode)
        self.app.push_screen(KeyPicker("X axis: step, a time, or a metric", choices, current), self.set_x)

    def set_x(self, choice: str | None) -> None:
        """Put ``choice`` on the x axis: a key of :data:`X_CHOICES` or a metric; None changes nothing."""
        if choice is None:
            return
        if choice in X_CHOICES:
            self.x_mode, self.x_metric = X_CHOICES[choice], None
            self.redraw()
            return
        self.x_metric = choice
        if any((rid, key) not in self.histories for rid, key in self._wanted()):
            self._load()
        elif self._missing_data():
            self._load_x(choice)  # y is read already: only x's points beside its steps
        else:
            self.redraw()

    def _wanted(self) -> list[tuple[str, str]]:
        return [(r.info.run_id, k) for r in self.runs for k in self.selected if k in r.data.summaries]

    @work(thread=True, exclusive=True, group="charts-load")
    def _load_x(self, x_metric: str) -> None:
        store = self.app.store
        histories = dict(self.histories)
        have = {r.info.run_id for r in self.runs if x_metric in r.data.summaries}
        x_histories = dict(self.x_histories)
        for (rid, key), points in histories.items():
            if rid in have and (rid, key, x_metric) not in x_histories:
                x_histories[(rid, key, x_metric)] = store.metric_points_around(rid, x_metric, [p.step for p in points])
        self.app.call_from_thread(self._x_loaded, x_histories)

    def _x_loaded(self, x_histories: dict[tuple[str, str, str], list[MetricPoint]]) -> None:
        self.x_histories = x_histories
        self.redraw()

    def action_toggle_envelope(self) -> None:
        self.envelope = not self.envelope
        if len({rid for rid, _ in self.histories}) < 2:
            self.notify("a single run is always drawn as its min/max envelope; e adds it under overlaid lines")
        self.redraw()

    def action_toggle_log(self) -> None:
        self.log_y = not self.log_y
        self.redraw()
        dropped = sum(c.dropped for c in self.query(MetricChart))
        if self.log_y and dropped:
            self.notify(f"log y: {dropped} point(s) <= 0 or not finite are not drawn", severity="warning")


def _live_interval(app: object) -> float:
    """The app's live-refresh period (create_app's live_interval; 0 = off), kept on the app or its browser."""
    for holder in (app, getattr(app, "browser", None)):
        value = getattr(holder, "live_interval", None)
        if isinstance(value, (int, float)):
            return float(value)
    return 2.0


def _grid_columns(n: int) -> int:
    return 1 if n <= 1 else 2 if n <= 4 else 3


#: Metrics opened by default: at most this many, those with a history first.
DEFAULT_CHARTS = 2


def _default_metrics(runs: list[Run], keys: list[str]) -> list[str]:
    """Metrics worth a chart with no choosing: ones with a history (more than one point), losses and
    ``val_*`` first, shared by every run if possible; a single-point metric only when nothing has a history."""

    def history(k: str) -> bool:
        return any(r.data.summaries[k].count > 1 for r in runs if k in r.data.summaries)

    def rank(k: str) -> tuple[bool, bool, bool, str]:
        return (
            not all(k in r.data.summaries for r in runs),
            "loss" not in k.lower(),
            not k.lower().startswith("val"),
            k,
        )

    with_history = sorted((k for k in keys if history(k) and not k.startswith("system/")), key=rank)
    if with_history:
        return with_history[:DEFAULT_CHARTS]
    shared = [k for k in keys if all(k in r.data.summaries for r in runs)]
    curves = [k for k in shared if all(r.data.summaries[k].count > 1 for r in runs)]
    return (curves or shared or keys)[:1]
