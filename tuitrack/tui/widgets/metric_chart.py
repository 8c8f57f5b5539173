"""A plotext chart of one or more series, redrawn only through :meth:`MetricChart.replot`.

Views hand it finished data (already downsampled, smoothed, coloured); the widget only draws,
so chart rendering never touches the store.  :func:`chart_strips` draws the same chart in a worker
thread (the chart grid of the browser's panel and the System tab), for views that redraw on every
cursor move.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from plotext._dict import themes as _themes
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot, _rgbify_theme, _sequence

from tuitrack.tui.colors import RGB
from tuitrack.tui.text import clean

if TYPE_CHECKING:
    from textual.css.styles import RulesMap

    from tuitrack.tui.widgets.chart_grid import Canvas

LINE, SCATTER = "line", "scatter"


@dataclass
class Series:
    """One drawn series.  ``kind`` is ``line`` or ``scatter``; labels are shown in the legend."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: RGB
    kind: str = LINE
    marker: str = "braille"


@dataclass
class ChartSpec:
    """Everything a chart shows: series plus axes.  ``xticks`` = (positions, labels) or None."""

    title: str = ""
    series: list[Series] = field(default_factory=list)
    xlabel: str = ""
    ylabel: str = ""
    log_y: bool = False
    xticks: tuple[list[float], list[str]] | None = None
    yticks: tuple[list[float], list[str]] | None = None
    empty_message: str = "no data"
    legend: bool = True  # plotext's in-plot legend; views with their own coloured legend turn it off


def finite_points(
    xs: Sequence[float], ys: Sequence[float], *, positive_y: bool = False
) -> tuple[list[float], list[float]]:
    """Drop points plotext cannot place (NaN/inf, and y <= 0 on a log axis)."""
    out_x: list[float] = []
    out_y: list[float] = []
    for x, y in zip(xs, ys):
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            continue
        if positive_y and y <= 0:
            continue
        out_x.append(x)
        out_y.append(y)
    return out_x, out_y


def nice_ticks(lo: float, hi: float, target: int = 5) -> tuple[list[float], list[str]]:
    """Round tick positions (steps of 1, 2, 2.5 or 5 x 10^k) inside [lo, hi], with short labels.

    plotext's own ticks split the range evenly (``29.8``, ``59.5`` for steps 0-119), which reads as
    noise; round numbers are what people look for on an axis.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or target < 2:
        return [], []
    raw = (hi - lo) / (target - 1)
    mag = 10 ** math.floor(math.log10(raw))

    def count(step: float) -> int:
        return math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1

    # The round step whose tick count is closest to the target (at least 2 ticks when possible).
    candidates = [m * mag for m in (0.5, 1, 2, 2.5, 5, 10)]
    step = min(candidates, key=lambda s: (count(s) < 2, abs(count(s) - target), -s))
    quarter = abs(step / 10 ** math.floor(math.log10(step)) - 2.5) < 1e-9
    decimals = max(0, -math.floor(math.log10(step) + 1e-9) + (1 if quarter else 0))
    ticks: list[float] = []
    index = math.ceil(lo / step - 1e-9)
    while index * step <= hi + step * 1e-9:
        ticks.append(round(index * step, 12))
        index += 1
    big = max(abs(lo), abs(hi)) >= 1e5
    return ticks, [f"{t:.3g}" if big else f"{t:.{decimals}f}" for t in ticks]


class MetricChart(PlotextPlot):
    """PlotextPlot holding a :class:`ChartSpec`; ``replot()`` = clear data, plot the spec, refresh."""

    DEFAULT_CSS = """
    MetricChart { width: 1fr; height: 1fr; min-height: 8; }
    """

    def __init__(
        self,
        spec: ChartSpec | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.spec = spec or ChartSpec()
        self.dropped = 0  # points not drawable (NaN/inf, or <= 0 on log y) in the last replot

    def on_mount(self) -> None:
        super().on_mount()
        self.replot()

    def set_spec(self, spec: ChartSpec) -> None:
        self.spec = spec
        self.replot()

    def replot(self) -> None:
        """Redraw from ``self.spec``."""
        self.dropped = plot_spec(self.plt, self.spec, self.size.width or 80, self.size.height or 20)
        self.refresh()


def plot_spec(plt: Plot, spec: ChartSpec, width: int, height: int) -> int:
    """Plot ``spec`` on ``plt`` for a ``width`` x ``height`` chart (its ticks follow the size).

    Returns how many points could not be drawn (NaN/inf, or <= 0 on log y).  ``MetricChart`` calls
    this on the event loop; :func:`chart_strips` calls it in a worker thread on a figure of its own.
    """
    plt.clear_data()
    plt.clear_figure()
    dropped = 0
    drawn = 0
    lo_x = lo_y = math.inf
    hi_x = hi_y = -math.inf
    for s in spec.series:
        xs, ys = finite_points(s.xs, s.ys, positive_y=spec.log_y)
        dropped += len(s.xs) - len(xs)
        if not xs:
            continue
        lo_x, hi_x = min(lo_x, min(xs)), max(hi_x, max(xs))
        lo_y, hi_y = min(lo_y, min(ys)), max(hi_y, max(ys))
        label = (clean(s.label, limit=28) or None) if spec.legend else None
        if s.kind == SCATTER:
            plt.scatter(xs, ys, color=s.color, label=label, marker=s.marker)
        else:
            plt.plot(xs, ys, color=s.color, label=label, marker=s.marker)
        drawn += 1
    title = clean(spec.title)
    if not drawn:
        title = f"{title} — {spec.empty_message}" if title else spec.empty_message
    plt.title(title)
    plt.xlabel(clean(spec.xlabel))
    plt.ylabel(clean(spec.ylabel))
    if spec.log_y and drawn:
        plt.yscale("log")
    xticks = spec.xticks if spec.xticks is not None else nice_ticks(lo_x, hi_x, max(3, min(8, width // 14)))
    yticks = spec.yticks
    if yticks is None and not spec.log_y:
        yticks = nice_ticks(lo_y, hi_y, max(3, min(7, height // 4)))
    if xticks is not None and xticks[0] and drawn:
        ticks, labels = xticks
        plt.xticks(ticks, [clean(t, limit=14) for t in labels])
    if yticks is not None and yticks[0] and drawn:
        ticks, labels = yticks
        plt.yticks(ticks, [clean(t, limit=14) for t in labels])
    return dropped


def _visual_style(style: VisualStyle | str) -> VisualStyle:
    """Content's style lookup for :func:`chart_strips`: plotext's spans carry styles, never style names."""
    return style if isinstance(style, VisualStyle) else VisualStyle()


def chart_strips(spec: ChartSpec, canvas: Canvas) -> list[Strip]:
    """The chart of ``spec`` as finished lines for a widget described by ``canvas``: thread-safe.

    The same lines a ``MetricChart`` of that size renders on the event loop (its plotext build, the
    ANSI text parsed, laid out in the widget's style), built on a figure of its own so a worker can
    draw while the loop paints.  ``GridChart`` only copies them into frames.
    """
    if canvas.theme not in _themes:  # what PlotextPlot registers on mount for the app's theme ("auto")
        _themes[canvas.theme] = _rgbify_theme(
            canvas.surface, canvas.surface, canvas.foreground, "default", list(_sequence)
        )
    plot = Plot()
    plot_spec(plot, spec, canvas.width, canvas.height)
    plot.plotsize(canvas.width, canvas.height)
    plot._set_size(canvas.width, canvas.height)  # as PlotextPlot.render does (textual-plotext issue 5)
    plot.theme(canvas.theme)
    content = Content.from_rich_text(Text.from_ansi(plot.build()))
    return content.render_strips(
        canvas.width, canvas.height, canvas.style, RenderOptions(_visual_style, cast("RulesMap", dict(canvas.rules)))
    )
