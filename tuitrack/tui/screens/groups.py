"""Runs grouped by params (by default all but the seed): "is lr=0.1 better than lr=0.03, beyond seed noise?"

A table of groups (n runs, mean ± std and min–max of each metric's latest value, best group mean
starred) and a chart of one metric's group mean with a min–max band drawn as lighter lines.
The chart's histories of all the runs come from one store read (``binned_histories``: each run's
mean in step buckets shared by all the runs), never one read per run; on wide runs the table
shows at most :data:`METRIC_COLUMNS` metrics and the group-by picker at most ``PICKER_LIMIT``
params (``/`` filters them).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, SelectionList, Static

from tuitrack.analysis import compare as cmp
from tuitrack.analysis import series as ser
from tuitrack.entities import Run, data_keys
from tuitrack.tui.colors import PALETTE, faded, hex_color
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.screens.charts import fill_picker, focus_first_match, leave_filter, picked_keys
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.checklist import CheckList
from tuitrack.tui.widgets.key_footer import KeyFooter
from tuitrack.tui.widgets.legend import pack_legend
from tuitrack.tui.widgets.lists import KeyTable
from tuitrack.tui.widgets.metric_chart import ChartSpec, MetricChart, Series

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

#: Step buckets of the grouped chart (shared by every run, so group means line up).
HISTORY_POINTS = 100
#: Most metric columns the groups table shows (the chart's metric always among them).
METRIC_COLUMNS = 30


class GroupsScreen(Screen[None]):
    """Grouped view of the given runs."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    DEFAULT_CSS = """
    GroupsScreen #groups-side { width: 24; border-right: solid $panel; }
    GroupsScreen.-narrow #groups-side { width: 20; }
    GroupsScreen #groups-legend { height: auto; max-height: 3; padding: 0 1; }
    GroupsScreen #groups-side Static { height: auto; padding: 0 1; }
    GroupsScreen #group-by { height: 1fr; border: none; }
    GroupsScreen #group-filter { height: 1; border: none; padding: 0 1; }
    GroupsScreen #groups-status { height: 1; padding: 0 1; background: $panel; }
    GroupsScreen #groups-table { height: 2fr; }
    GroupsScreen MetricChart { height: 3fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="groups.back"),
        Binding("m", "pick_metric", "Chart metric", id="groups.metric"),
        Binding("slash", "filter_params", "Filter params", key_display="/", id="groups.filter"),
    ]

    def __init__(self, run_ids: list[str], by: list[str] | None = None, metric: str | None = None) -> None:
        super().__init__()
        self.run_ids = list(run_ids)
        self.runs: list[Run] = []
        self.by: list[str] | None = list(by) if by is not None else None
        self.metric = metric
        self.metrics: list[str] = []
        self.groups: list[ser.Group] = []
        self.params: list[str] = []
        self._varying: tuple[list[ser.Group], set[str]] | None = None  # (groups, params varying between them)
        self.histories: dict[str, list[tuple[int, float]]] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="groups-side"):
                yield Static(Text("Group by (space)", style="bold"), id="group-title")
                yield Input(placeholder="/ filter", id="group-filter")
                yield CheckList[str](id="group-by")
            with Vertical():
                yield Static(Text("loading runs…"), id="groups-status")
                yield KeyTable(id="groups-table", cursor_type="row", zebra_stripes=True)
                yield Static(Text(""), id="groups-legend")
                yield MetricChart(ChartSpec(empty_message="loading"), id="groups-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="groups-load")
    def _load(self) -> None:
        runs, _ = cmp.load_runs(self.app.store, self.run_ids)
        self.app.call_from_thread(self._loaded, runs)

    def _loaded(self, runs: list[Run]) -> None:
        self.runs = runs
        params = self.params = data_keys(runs, "params")
        self.metrics = data_keys(runs, "metrics")
        if self.by is None:  # params that tell runs apart (constant ones make the same groups), seeds aside
            self.by = [k for k in ser.default_group_keys(params) if len({r.data.params.get(k) for r in runs}) > 1]
        self.by = [k for k in self.by if k in params]
        if self.metric not in self.metrics:
            shared = [k for k in self.metrics if all(k in r.data.metrics for r in runs)]
            self.metric = next(iter(shared or self.metrics), None)
        self._fill_picker()
        self.query_one("#group-by", SelectionList).focus()
        self.loaded = True
        self.regroup()
        self._load_histories()

    def _fill_picker(self) -> None:
        """List the params matching the filter (at most PICKER_LIMIT), the grouping ones always among them."""
        needle = self.query_one("#group-filter", Input).value
        picker, title = self.query_one("#group-by", SelectionList), self.query_one("#group-title", Static)
        fill_picker(picker, title, "Group by (space)", self.params, needle, self.by or [])

    @on(Input.Changed, "#group-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_picker()

    @on(Input.Submitted, "#group-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        focus_first_match(self.query_one("#group-by", SelectionList))

    def action_filter_params(self) -> None:
        self.query_one("#group-filter", Input).focus()

    @on(SelectionList.SelectedChanged, "#group-by")
    def _by_changed(self, event: SelectionList.SelectedChanged) -> None:
        if not self.loaded:
            return
        self.by = sorted(picked_keys(self.query_one("#group-by", SelectionList), self.by or []))
        self.regroup()
        self.redraw_chart()

    @work(thread=True, exclusive=True, group="groups-history")
    def _load_histories(self) -> None:
        """Every run's history of the chart metric, in one store read."""
        store, key = self.app.store, self.metric
        out: dict[str, list[tuple[int, float]]] = {}
        if key is not None:
            ids = [r.info.run_id for r in self.runs if key in r.data.summaries]
            out = store.binned_histories(ids, key, HISTORY_POINTS)
        self.app.call_from_thread(self._histories_loaded, key, out)

    def _histories_loaded(self, key: str | None, histories: dict[str, list[tuple[int, float]]]) -> None:
        if key != self.metric:
            return
        self.histories = histories
        self.redraw_chart()

    # -- rendering --------------------------------------------------------------------------------
    def regroup(self) -> None:
        self.groups = ser.group_runs(self.runs, self.by or [])
        table = self.query_one("#groups-table", DataTable)
        table.clear(columns=True)
        table.add_column(Text("group", style="bold"), key="group")
        table.add_column(Text("n", style="bold"), key="n")
        for key in self.table_metrics():
            arrow = "↓" if cmp.metric_direction(key) == cmp.LOWER else "↑"
            table.add_column(safe(f"{key} {arrow}", "bold", limit=30), key=f"m:{key}")
        shown = self.table_metrics()
        stats = {key: [ser.group_metric_stats(g, key) for g in self.groups] for key in shown}
        best = {key: _best_index(stats[key], cmp.metric_direction(key)) for key in shown}
        for gi, group in enumerate(self.groups):
            label = Text("■ ", style=hex_color(PALETTE[gi % len(PALETTE)])) + safe(self.group_label(group), limit=60)
            cells: list[Text] = [label, Text(str(len(group.runs)))]
            for key in shown:
                cells.append(_stats_cell(stats[key][gi], gi == best[key]))
            table.add_row(*cells, key=str(gi))
        by = ", ".join(self.by or []) or "nothing (one group)"
        status = Text(f"{len(self.groups)} groups of {len(self.runs)} runs", style="bold")
        status.append("  ·  by ")
        status.append_text(safe(by, limit=60))
        status.append("  ·  mean ± std [min–max]  ★ best mean", style="dim")
        if len(shown) < len(self.metrics):
            status.append(f"  ·  {len(shown)} of {len(self.metrics):,} metrics", style="dim")
        self.query_one("#groups-status", Static).update(status)

    def table_metrics(self) -> list[str]:
        """The metric columns of the table: the first METRIC_COLUMNS, the chart's metric always among them."""
        shown = self.metrics[:METRIC_COLUMNS]
        if self.metric is not None and self.metric not in shown:
            shown = [*shown[:-1], self.metric]
        return shown

    def group_label(self, group: ser.Group) -> str:
        """Only the grouping params that vary between groups (constant ones say nothing)."""
        cached = self._varying
        if cached is None or cached[0] is not self.groups:
            by = self.by or []
            cached = self._varying = (
                self.groups,
                {k for i, k in enumerate(by) if len({g.values[i][1] for g in self.groups}) > 1},
            )
        varying = cached[1]
        parts = [f"{k}={'∅' if v is None else v}" for k, v in group.values if k in varying]
        return ", ".join(parts) or "all runs"

    def build_chart_spec(self) -> ChartSpec:
        if self.metric is None:
            return ChartSpec(title="group means", empty_message="these runs have no metrics")
        bands: list[Series] = []
        series: list[Series] = []
        for gi, group in enumerate(self.groups):
            runs = [r for r in group.runs if self.histories.get(r.info.run_id)]
            if not runs:
                continue
            band = ser.aggregate_series(
                [
                    (
                        [float(s) for s, _ in self.histories[r.info.run_id]],
                        [v for _, v in self.histories[r.info.run_id]],
                    )
                    for r in runs
                ]
            )
            color = PALETTE[gi % len(PALETTE)]
            if len(runs) > 1:  # the band: faint min and max lines under every mean line
                dark = self.app.current_theme.dark
                bands.append(Series("", band.xs, band.lo, faded(color, 0.55, dark=dark)))
                bands.append(Series("", band.xs, band.hi, faded(color, 0.55, dark=dark)))
            series.append(Series(f"{self.group_label(group)} (n={len(runs)})", band.xs, band.mean, color))
        # The legend sits above the chart (an in-plot legend covers the curves).
        return ChartSpec(
            title=f"{self.metric}: group mean with min–max band",
            series=bands + series,
            xlabel="step",
            empty_message="no history for this metric",
            legend=False,
        )

    def redraw_chart(self) -> None:
        spec = self.build_chart_spec()
        self.query_one(MetricChart).set_spec(spec)
        entries = []
        for s in spec.series:
            if s.label:
                entry = Text("━━ ", style=hex_color(s.color))
                entry.append_text(safe(s.label, limit=40))
                entries.append(entry)
        legend = self.query_one("#groups-legend", Static)
        legend.update(pack_legend(entries, legend.content_region.width or max(20, self.app.size.width - 28)))

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self.redraw_chart)

    # -- actions ------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if not leave_filter(self.query_one("#group-filter", Input), self.query_one("#group-by", SelectionList)):
            self.app.pop_screen()

    def action_pick_metric(self) -> None:
        if not self.metrics:
            self.notify("these runs have no metrics to chart", severity="warning")
            return
        self.app.push_screen(KeyPicker("chart which metric?", self.metrics, self.metric), self._metric_chosen)

    def _metric_chosen(self, key: str | None) -> None:
        if key is None or key == self.metric:
            return
        self.metric = key
        self.histories = {}
        if key not in self.table_metrics():
            self.regroup()  # the chart's metric gets its column
        self.redraw_chart()
        self._load_histories()


def _best_index(stats: list[ser.Stats | None], direction: str) -> int | None:
    means = [(i, s.mean) for i, s in enumerate(stats) if s is not None and math.isfinite(s.mean)]
    if len(means) < 2 or len({m for _, m in means}) < 2:
        return None
    pick = min if direction == cmp.LOWER else max
    return pick(means, key=lambda im: im[1])[0]


def _stats_cell(stats: ser.Stats | None, best: bool) -> Text:
    if stats is None:
        return Text("—", style="dim")
    f = cmp.fmt_number
    text = Text("★ " if best else "", style="bold green")
    text.append(f"{f(stats.mean)}", style="bold green" if best else "")
    if stats.n > 1:
        text.append(f" ± {f(stats.std)} [{f(stats.min)}–{f(stats.max)}]", style="dim" if not best else "green")
    return text
