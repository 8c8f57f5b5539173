"""Runs grouped by params (by default all but the seed): "is lr=0.1 better than lr=0.03, beyond seed noise?"

A table of groups (n runs, mean ± std and min–max of each metric's latest value, best group mean
starred) and a chart of one metric's group mean with a min–max band drawn as lighter lines.
The chart's histories of all the runs come from one store read (``binned_histories``: each run's
mean in step buckets shared by all the runs), never one read per run; on wide runs the table
shows at most :data:`METRIC_COLUMNS` metrics and the group-by picker at most ``PICKER_LIMIT``
params (``/`` filters them).

The table draws only whole columns (as compare does, #16 items 5/8): the group and ``n`` columns stay on
the left, the metric columns that fit whole follow, ``←``/``→`` (``h``/``l``) move them a whole column
at a time and the status line says which are on screen (``metrics 1-2 of 6 →``).  The group label is cut
(``…``) to leave room for the widest metric column; the whole label of the highlighted group is in the
line under the table.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import DataTable, Input, SelectionList, Static

from tuitrack.analysis import compare as cmp
from tuitrack.analysis import series as ser
from tuitrack.entities import Run, data_keys
from tuitrack.formatting import cell_width, truncate_cells
from tuitrack.tui.colors import PALETTE, faded, hex_color
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.screens.charts import fill_picker, focus_first_match, leave_filter, picked_keys
from tuitrack.tui.text import clean, safe
from tuitrack.tui.widgets.checklist import CheckList
from tuitrack.tui.widgets.key_footer import KeyFooter
from tuitrack.tui.widgets.legend import pack_legend
from tuitrack.tui.widgets.metric_chart import ChartSpec, MetricChart, Series
from tuitrack.tui.widgets.whole_columns import WholeColumnTable

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

#: Step buckets of the grouped chart (shared by every run, so group means line up).
HISTORY_POINTS = 100
#: Most metric columns the groups table shows (the chart's metric always among them).
METRIC_COLUMNS = 30
#: The group label's cells in the table: at most LABEL_MAX, less when the widest metric column would not fit
#: beside it, never below LABEL_MIN.  The line under the table shows the highlighted group's whole label.
LABEL_MIN, LABEL_MAX = 12, 40
#: Most lines the highlighted group's label takes under the table (a longer one ends in ``…``).
ROW_LINES = 3


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
    GroupsScreen #groups-row { height: 1; padding: 0 1; background: $panel; }
    GroupsScreen MetricChart { height: 3fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="groups.back"),
        Binding("m", "pick_metric", "Chart metric", id="groups.metric"),
        Binding("slash", "filter_params", "Filter params", key_display="/", id="groups.filter"),
        # The table's metric columns from wherever the focus is (the table binds the same keys itself).
        Binding("left", "columns(-1)", "Metric columns left", show=False, id="groups.columns_left"),
        Binding("right", "columns(1)", "Metric columns right", show=False, id="groups.columns_right"),
        Binding("h", "columns(-1)", "Metric columns left", show=False, id="groups.columns_left_vim"),
        Binding("l", "columns(1)", "Metric columns right", show=False, id="groups.columns_right_vim"),
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
        self._varying: tuple[list[ser.Group], list[str]] | None = None  # (groups, params varying between them)
        self.histories: dict[str, list[tuple[int, float]]] = {}
        self.loaded = False
        self.label_cells = LABEL_MAX  #: the group label's cells in the table now (see LABEL_MIN/LABEL_MAX)
        self._rows: list[list[Text]] = []  # the metric cells of each group (as in the table)
        self._headers: list[Text] = []  # the metric columns' headers
        self._filled_for = Size(0, 0)  # the table's size when its labels were last cut
        self._legend_entries: list[Text] = []  # the chart legend's entries (packed again on a resize)

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="groups-side"):
                yield Static(Text("Group by (space)", style="bold"), id="group-title")
                yield Input(placeholder="/ filter", id="group-filter")
                yield CheckList[str](id="group-by")
            with Vertical():
                yield Static(Text("loading runs…"), id="groups-status")
                table = WholeColumnTable(id="groups-table", cursor_type="row", zebra_stripes=True)
                table.fixed_columns = 2  # group, n
                yield table
                yield Static(Text(""), id="groups-row")
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
        shown = self.table_metrics()
        stats = {key: [ser.group_metric_stats(g, key) for g in self.groups] for key in shown}
        best = {key: _best_index(stats[key], cmp.metric_direction(key)) for key in shown}
        self._headers = []
        for key in shown:
            arrow = "↓" if cmp.metric_direction(key) == cmp.LOWER else "↑"
            self._headers.append(safe(f"{key} {arrow}", "bold", limit=30))
        self._rows = [[_stats_cell(stats[key][gi], gi == best[key]) for key in shown] for gi in range(len(self.groups))]
        self.fill_table(keep_cursor=False)

    def fill_table(self, keep_cursor: bool = True) -> None:
        """The table from the groups' cells, the labels cut to what the table's width leaves them."""
        table = self.query_one("#groups-table", WholeColumnTable)
        self._filled_for = table.size
        row = table.cursor_row if keep_cursor else 0
        n_cells = [Text(str(len(group.runs))) for group in self.groups]
        n_width, widths = self._cell_widths()
        self.label_cells = cap = self.fit_label(n_width, max(widths, default=0))
        labels = [clean(self.group_label(g)) for g in self.groups]
        title = "group"
        if any(cell_width(label) > cap for label in labels) and self.varying_keys():
            # The labels must be cut: the values alone (the keys in the header), so cut labels still differ
            labels = [clean(self.group_label(g, values_only=True)) for g in self.groups]
            title = truncate_cells(clean(", ".join(self.varying_keys())), cap + 2)
        labels = [truncate_cells(label, cap) for label in labels]
        table.clear(columns=True)
        table.add_column(Text(title, style="bold", no_wrap=True), key="group")
        table.add_column(Text("n", style="bold"), key="n")
        for key, header in zip(self.table_metrics(), self._headers):
            table.add_column(header, key=f"m:{key}")
        for gi, cells in enumerate(self._rows):
            label = Text("■ ", style=hex_color(PALETTE[gi % len(PALETTE)])) + Text(labels[gi], no_wrap=True)
            table.add_row(label, n_cells[gi], *cells, key=str(gi))
        # The columns' widths now (as compare does): the window of whole columns is measured from them
        label_width = max([cell_len(title), *(2 + cell_len(label) for label in labels)])
        for column, width in zip(table.ordered_columns, [label_width, n_width, *widths]):
            column.content_width = width
        if self.groups:
            table.move_cursor(row=min(row, len(self.groups) - 1), animate=False)
        self.update_status()
        self._fit_row_line()
        self.show_row()

    def _cell_widths(self) -> tuple[int, list[int]]:
        """Cells of the ``n`` column and of each metric column (headers included)."""
        n_width = max([1, *(len(str(len(g.runs))) for g in self.groups)])
        return n_width, [
            max([h.cell_len, *(row[i].cell_len for row in self._rows)]) for i, h in enumerate(self._headers)
        ]

    def fit_label(self, n_width: int, metric_width: int) -> int:
        """The label's cells: what the table's width leaves beside ``n`` and the widest metric column, so each
        metric column can be shown whole beside the labels (between LABEL_MIN and LABEL_MAX)."""
        table = self.query_one("#groups-table", WholeColumnTable)
        width = table.size.width
        if width <= 0:  # not laid out yet: the resize that lays it out fits the labels again
            return LABEL_MAX
        if len(self.groups) + 1 > table.size.height:  # the rows scroll: a vertical scrollbar takes its cells
            width -= table.styles.scrollbar_size_vertical
        pad = 2 * table.cell_padding
        room = width - (n_width + pad) - (metric_width + pad) - pad - 2  # "■ " before the label
        return max(LABEL_MIN, min(LABEL_MAX, room))

    def update_status(self) -> None:
        shown = self.table_metrics()
        status = Text(f"{len(self.groups)} groups of {len(self.runs)} runs", style="bold")
        window = self.query_one("#groups-table", WholeColumnTable).window()
        if window.count and (window.left or window.right):  # some metric columns are off screen
            first, last = window.first - window.fixed + 1, window.last - window.fixed + 1
            which = f"metrics {first}-{last}" if last > first else f"metric {first}"
            arrows = ("← " if window.left else "", " →" if window.right else "")
            status.append("  ·  ")
            status.append(f"{arrows[0]}{which} of {window.count}{arrows[1]}", style="bold reverse")
        by = ", ".join(self.by or []) or "nothing (one group)"
        status.append("  ·  by ")
        status.append_text(safe(by, limit=60))
        status.append("  ·  mean ± std [min–max]  ★ best mean", style="dim")
        if len(shown) < len(self.metrics):
            status.append(f"  ·  {len(shown)} of {len(self.metrics):,} metrics", style="dim")
        self.query_one("#groups-status", Static).update(status)

    @on(WholeColumnTable.WindowChanged)
    def _window_changed(self) -> None:
        if not self.loaded:
            return
        if self.query_one("#groups-table", WholeColumnTable).size != self._filled_for:
            self._refit()  # resized (the terminal, or the side panel's breakpoint): the labels' cut anew
        self.update_status()

    @on(DataTable.RowHighlighted, "#groups-table")
    def show_row(self) -> None:
        """The highlighted group's whole label (the table cuts it) and its size, under the table."""
        line = self.query_one("#groups-row", Static)
        gi = self.query_one("#groups-table", WholeColumnTable).cursor_row
        if not self.groups or not 0 <= gi < len(self.groups):
            line.update(Text(""))
            return
        lines, cut = self._row_lines(gi, self._row_width())
        line.update(Text("\n").join(lines))
        line.tooltip = self.group_label(self.groups[gi]) if cut else None

    def _row_width(self) -> int:
        line = self.query_one("#groups-row", Static)
        return line.content_region.width or max(20, self.app.size.width - 28)

    def _row_lines(self, gi: int, width: int) -> tuple[list[Text], bool]:
        """Group ``gi``'s line under the table, wrapped to ``width`` in at most ROW_LINES lines (True: cut)."""
        group = self.groups[gi]
        text = Text("■ ", style=hex_color(PALETTE[gi % len(PALETTE)]))
        text.append(f"{len(group.runs)} run{'s' if len(group.runs) != 1 else ''}  ·  ", style="dim")
        text.append_text(safe(self.group_label(group), "bold"))
        text.no_wrap = False
        if text.cell_len <= width:
            return [text], False
        lines = list(text.wrap(self.app.console, width))
        if len(lines) <= ROW_LINES:
            return lines, False
        last = lines[ROW_LINES - 1]  # the last line kept ends in "…" after its last whole param
        last.rstrip()
        last.truncate(width - 2)
        comma = last.plain.rfind(", ")
        if comma > 0 and not last.plain.endswith(","):  # the line ends inside a param: back to the one before
            last = lines[ROW_LINES - 1] = last[: comma + 1]
        last.append(" …")
        return lines[:ROW_LINES], True

    def _fit_row_line(self) -> None:
        """The line under the table as high as the longest label needs (at most ROW_LINES), so moving the
        cursor never changes the layout."""
        width = self._row_width()
        need = 1
        for gi in range(len(self.groups)):
            need = max(need, len(self._row_lines(gi, width)[0]))
            if need >= ROW_LINES:
                break
        self.query_one("#groups-row", Static).styles.height = need

    def table_metrics(self) -> list[str]:
        """The metric columns of the table: the first METRIC_COLUMNS, the chart's metric always among them."""
        shown = self.metrics[:METRIC_COLUMNS]
        if self.metric is not None and self.metric not in shown:
            shown = [*shown[:-1], self.metric]
        return shown

    def varying_keys(self) -> list[str]:
        """The grouping params that vary between the groups, in grouping order."""
        cached = self._varying
        if cached is None or cached[0] is not self.groups:
            by = self.by or []
            cached = self._varying = (
                self.groups,
                [k for i, k in enumerate(by) if len({g.values[i][1] for g in self.groups}) > 1],
            )
        return cached[1]

    def group_label(self, group: ser.Group, values_only: bool = False) -> str:
        """Only the grouping params that vary between groups (constant ones say nothing); ``values_only``:
        without the keys (``0.03`` for ``learning_rate=0.03``), for the table when labels must be cut."""
        varying = self.varying_keys()
        values = [("∅" if v is None else str(v), k) for k, v in group.values if k in varying]
        parts = [v if values_only else f"{k}={v}" for v, k in values]
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
        self._legend_entries = entries
        self._pack_legend()

    def _pack_legend(self, retry: bool = True) -> None:
        """The legend's entries in as few lines as its width takes (again when the width changes)."""
        legend = self.query_one("#groups-legend", Static)
        width = legend.content_region.width
        legend.update(pack_legend(self._legend_entries, width or max(20, self.app.size.width - 28)))
        if not width and retry:  # not laid out yet: packed again for its width once it is (one frame later)
            self.call_after_refresh(self._pack_legend, False)

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self.redraw_chart)

    def _refit(self) -> None:
        """After the table's resize: the labels' cut for the new width (the table again only if it changed)."""
        self._filled_for = self.query_one("#groups-table", WholeColumnTable).size
        self._pack_legend()  # the legend is as wide as the table
        n_width, widths = self._cell_widths()
        if self.groups and self.fit_label(n_width, max(widths, default=0)) != self.label_cells:
            self.fill_table(keep_cursor=True)
        else:
            self._fit_row_line()
            self.show_row()

    # -- actions ------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if not leave_filter(self.query_one("#group-filter", Input), self.query_one("#group-by", SelectionList)):
            self.app.pop_screen()

    def action_pick_metric(self) -> None:
        if not self.metrics:
            self.notify("these runs have no metrics to chart", severity="warning")
            return
        self.app.push_screen(KeyPicker("chart which metric?", self.metrics, self.metric), self._metric_chosen)

    def action_columns(self, delta: int) -> None:
        """Move the table's metric columns a whole column (the keys work while the picker has the focus)."""
        self.query_one("#groups-table", WholeColumnTable).scroll_columns(delta)

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
