"""Param-vs-metric scatter over the runs in the current filter: "how does max_depth affect accuracy?"

x is a param or a metric, y a metric, points coloured by a param or tag.  Numeric values go on a
numeric axis, anything else becomes categories in natural order (``v2`` before ``v10``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from tuitrack.analysis import compare as cmp
from tuitrack.analysis import series as ser
from tuitrack.entities import Run, data_keys
from tuitrack.tui.colors import PALETTE, hex_color
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.key_footer import KeyFooter
from tuitrack.tui.widgets.legend import pack_legend
from tuitrack.tui.widgets.metric_chart import SCATTER, ChartSpec, MetricChart, Series

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

NO_COLOR = "(none)"
NEUTRAL = (78, 121, 167)


def run_value(run: Run, field: str) -> str | float | None:
    """The value of ``params.k`` / ``metrics.k`` / ``tags.k`` for a run (None when missing)."""
    kind, _, key = field.partition(".")
    if kind == "params":
        return run.data.params.get(key)
    if kind == "metrics":
        return run.data.metrics.get(key)
    if kind == "tags":
        return run.data.tags.get(key)
    raise ValueError(f"unknown field {field!r}: expected params.<key>, metrics.<key> or tags.<key>")


class ScatterScreen(Screen[None]):
    """Scatter of the given runs."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    ScatterScreen #scatter-status { height: auto; padding: 0 1; background: $panel; }
    ScatterScreen MetricChart { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="scatter.back"),
        Binding("x", "pick('x')", "X axis", id="scatter.x"),
        Binding("y", "pick('y')", "Y metric", id="scatter.y"),
        Binding("c", "pick('color')", "Colour by", id="scatter.color"),
    ]

    def __init__(
        self, run_ids: list[str], x: str | None = None, y: str | None = None, color: str | None = None
    ) -> None:
        super().__init__()
        self.run_ids = list(run_ids)
        self.runs: list[Run] = []
        self.x, self.y, self.color = x, y, color
        self.x_choices: list[str] = []
        self.y_choices: list[str] = []
        self.color_choices: list[str] = [NO_COLOR]
        self.loaded = False
        self.plotted = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("loading runs…"), id="scatter-status")
            yield MetricChart(ChartSpec(empty_message="loading"), id="scatter-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="scatter-load")
    def _load(self) -> None:
        runs, _ = cmp.load_runs(self.app.store, self.run_ids)
        self.app.call_from_thread(self._loaded, runs)

    def _loaded(self, runs: list[Run]) -> None:
        self.runs = runs
        params, metrics, tags = (data_keys(runs, kind) for kind in ("params", "metrics", "tags"))
        self.x_choices = [f"params.{k}" for k in params] + [f"metrics.{k}" for k in metrics]
        self.y_choices = [f"metrics.{k}" for k in metrics]
        self.color_choices = [NO_COLOR] + [f"params.{k}" for k in params] + [f"tags.{k}" for k in tags]
        coverage = {k: sum(k in r.data.params for r in runs) for k in params}
        distinct = {k: len({r.data.params[k] for r in runs if k in r.data.params}) for k in params}
        varying = sorted((k for k in params if distinct[k] > 1), key=lambda k: (-coverage[k], k))
        if self.x not in self.x_choices:
            numeric = [k for k in varying if ser.make_axis([r.data.params.get(k) for r in runs]).numeric]
            pick = next(iter(numeric or varying or params or metrics), None)
            self.x = None if pick is None else (f"params.{pick}" if pick in params else f"metrics.{pick}")
        if self.y not in self.y_choices:
            shared = [k for k in metrics if all(k in r.data.metrics for r in runs)]
            self.y = f"metrics.{(shared or metrics)[0]}" if metrics else None
        if self.color not in self.color_choices:
            others = sorted(
                (k for k in varying if f"params.{k}" != self.x and distinct[k] <= len(PALETTE)),
                key=lambda k: (-coverage[k], distinct[k], k),
            )
            self.color = f"params.{others[0]}" if others else NO_COLOR
        self.loaded = True
        self.redraw()

    # -- drawing ---------------------------------------------------------------------------------
    def build_spec(self) -> tuple[ChartSpec, list[tuple[str, tuple[int, int, int], int]]]:
        """The chart, plus the legend rows (category, colour, point count)."""
        if self.x is None or self.y is None:
            return ChartSpec(title="scatter", empty_message="these runs have no params or metrics to plot"), []
        xs_raw = [run_value(r, self.x) for r in self.runs]
        ys_raw = [run_value(r, self.y) for r in self.runs]
        x_axis = ser.make_axis(xs_raw)
        y_vals = [v if isinstance(v, float) else None for v in ys_raw]
        if self.color == NO_COLOR or self.color is None:
            groups = {"": [i for i in range(len(self.runs))]}
        else:
            cvals = [run_value(r, self.color) for r in self.runs]
            order = ser.make_axis(cvals)
            groups = {}
            for i, value in sorted(enumerate(cvals), key=lambda iv: order.positions[iv[0]] or 1e300):
                groups.setdefault("∅" if value is None else str(value), []).append(i)
        series: list[Series] = []
        legend: list[tuple[str, tuple[int, int, int], int]] = []
        self.plotted = 0
        for n, (label, idx) in enumerate(groups.items()):
            pts = [
                (x, y) for x, y in ((x_axis.positions[i], y_vals[i]) for i in idx) if x is not None and y is not None
            ]
            color = NEUTRAL if label == "" else PALETTE[n % len(PALETTE)]
            self.plotted += len(pts)
            if not pts:
                continue
            name = "" if label == "" else f"{(self.color or '').partition('.')[2]}={label}"
            series.append(Series(name, [p[0] for p in pts], [p[1] for p in pts], color, kind=SCATTER, marker="●"))
            legend.append((name, color, len(pts)))
        # The title names y; plotext would print a y label under the axis, far from it.  The colour
        # legend is the status line's (an in-plot legend covers points).
        spec = ChartSpec(
            title=f"{self.y} vs {self.x}",
            series=series,
            xlabel=self.x,
            empty_message="no run has both values",
            legend=False,
        )
        if not x_axis.numeric:
            spec.xticks = (x_axis.ticks, x_axis.labels)
        return spec, legend

    def redraw(self) -> None:
        spec, legend = self.build_spec()
        self.query_one(MetricChart).set_spec(spec)
        text = Text(f"{self.plotted} of {len(self.runs)} runs plotted", style="bold")
        text.append(" · x: ")
        text.append_text(safe(self.x or "—"))
        text.append(" · y: ")
        text.append_text(safe(self.y or "—"))
        text.append(" · colour: ")
        text.append_text(safe(self.color or NO_COLOR))
        if self.plotted < len(self.runs):
            text.append(f" · {len(self.runs) - self.plotted} lack a value", style="dim")
        if legend and any(name for name, _, _ in legend):
            entries = []
            for name, color, count in legend:
                entry = Text("● ", style=hex_color(color))
                entry.append_text(safe(name, limit=30))
                entry.append(f" ({count})", style="dim")
                entries.append(entry)
            status = self.query_one("#scatter-status", Static)
            text.append("\n")
            text.append_text(pack_legend(entries, max(20, (status.content_region.width or self.app.size.width - 2))))
        self.query_one("#scatter-status", Static).update(text)

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self.redraw)

    # -- actions ------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pick(self, which: str) -> None:
        if not self.loaded:
            return
        choices = {"x": self.x_choices, "y": self.y_choices, "color": self.color_choices}[which]
        current = {"x": self.x, "y": self.y, "color": self.color}[which]
        if not choices:
            self.notify(f"nothing to choose for {which}: these runs have no such values", severity="warning")
            return
        title = {"x": "x axis (param or metric)", "y": "y axis (metric)", "color": "colour points by"}[which]
        self.app.push_screen(KeyPicker(title, choices, current), lambda key: self._set(which, key))

    def _set(self, which: str, key: str | None) -> None:
        if key is None:
            return
        setattr(self, which, key)
        self.redraw()
