"""A grid of metric charts drawn in a worker thread: the event loop only swaps in finished lines.

The browser's chart panel and the run detail's System tab both show a page of charts whose
number changes rarely and whose data changes often (every cursor move).  Building a plotext chart
(plotting, the character matrix, parsing its ANSI text into styled lines) takes several ms per
chart, tens of ms at load; on the event loop that delayed the next key's frame.  So the grid's
charts are plain widgets holding finished lines (``GridChart``), drawn by
:func:`tuitrack.tui.widgets.metric_chart.chart_strips` in a worker, for the size each chart has:

- :meth:`ChartGrid.show` hands the grid new specs; charts whose spec changed (or that are new, or
  resized) are drawn in one exclusive worker, and each result is applied only if its chart still
  has that spec and that size (a stale drawing is dropped, never painted over a newer one);
- a caller that already draws in a worker (the panel's read) asks :meth:`ChartGrid.canvases` first
  and passes its finished lines to :meth:`ChartGrid.show`, so a cursor move costs one hand-off.

The grid mounts ``len(specs)`` charts once and afterwards only hands them new specs: remounting would
relayout the screen.  Nothing here imports plotext: the worker imports it with the first chart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from textual import work
from textual.color import Color
from textual.containers import Grid
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from tuitrack.tui.text import clean

if TYPE_CHECKING:  # plotext is imported with the first chart, not with the app
    from textual.style import Style as VisualStyle

    from tuitrack.tui.widgets.metric_chart import ChartSpec

#: Smallest chart worth drawing: plotext needs room for its axes and a few rows of line.
CHART_MIN_WIDTH = 30
CHART_MIN_HEIGHT = 8
#: The style rules Content reads when it lays out a chart's text (copied on the loop for the worker).
_TEXT_RULES = (("text_align", "left"), ("text_overflow", "fold"), ("text_wrap", "wrap"), ("line_pad", 0))


def grid_shape(
    width: int, height: int, *, min_width: int = CHART_MIN_WIDTH, min_height: int = CHART_MIN_HEIGHT
) -> tuple[int, int]:
    """(columns, rows) of charts that fit in ``width`` x ``height`` cells (at least 1 x 1)."""
    return max(1, width // min_width), max(1, height // min_height)


@dataclass(frozen=True)
class Canvas:
    """What drawing a chart in a thread needs to know of its widget, read on the event loop."""

    width: int
    height: int
    theme: str  # plotext's theme for the app's theme, as PlotextPlot names it ("textual-auto-<name>")
    surface: tuple[int, int, int]
    foreground: tuple[int, int, int]
    style: VisualStyle  # the widget's base style (its background and colour)
    rules: tuple[tuple[str, Any], ...]  # the text rules of _TEXT_RULES, as the widget has them

    @property
    def size(self) -> Size:
        return Size(self.width, self.height)


def canvas_of(chart: Widget) -> Canvas:
    """The canvas of a laid-out chart (on the event loop)."""
    app = chart.app
    variables = app.theme_variables
    styles = chart.styles
    return Canvas(
        width=chart.size.width,
        height=chart.size.height,
        theme=f"textual-auto-{app.theme}",
        surface=Color.parse(variables.get("surface", "black")).rgb,
        foreground=Color.parse(variables.get("foreground", "white")).rgb,
        style=chart.visual_style,
        rules=tuple((rule, styles.get(rule, default)) for rule, default in _TEXT_RULES),
    )


def draw_chart(spec: ChartSpec, canvas: Canvas) -> list[Strip]:
    """``spec`` drawn for ``canvas``, in a worker thread; an error shows as a line in the chart."""
    from tuitrack.tui.widgets.metric_chart import chart_strips  # plotext: with the first chart

    try:
        return chart_strips(spec, canvas)
    except Exception as exc:  # plotext failing on some data: say so in the chart, keep the app running
        return [Strip([Segment(clean(f"could not draw this chart: {type(exc).__name__}: {exc}"))])]


class GridChart(Widget):
    """One chart of the grid: its spec and the lines drawn for it, at the size they were drawn for.

    Renders by copying those lines (nothing is built here); until its first drawing arrives it is
    blank, and after a resize it shows the old lines cropped until the new ones arrive.
    """

    DEFAULT_CSS = """
    GridChart { width: 1fr; height: 1fr; min-height: 8; }
    """

    def __init__(self, spec: ChartSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.strips: list[Strip] = []
        self._drawn: tuple[ChartSpec, Size] | None = None  # what self.strips show

    @property
    def drawn(self) -> bool:
        """The lines shown are this chart's spec at its current size."""
        return self._drawn is not None and self._drawn[0] is self.spec and self._drawn[1] == self.size

    def paint(self, spec: ChartSpec, size: Size, strips: list[Strip]) -> bool:
        """Show ``strips`` (``spec`` drawn at ``size``) if this chart still has that spec and size."""
        if spec is not self.spec or size != self.size:
            return False  # drawn for a spec or size this chart no longer has: dropped
        self.strips = strips
        self._drawn = (spec, size)
        self.refresh()
        return True

    @property
    def plain(self) -> str:
        """The drawing as text (tests)."""
        return "\n".join(strip.text for strip in self.strips)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < len(self.strips):
            strip = self.strips[y]
            return strip if self.drawn else strip.crop_extend(0, width, self.visual_style.rich_style)
        return Strip.blank(width, self.visual_style.rich_style)

    def on_resize(self) -> None:
        grid = self.parent
        if isinstance(grid, ChartGrid):
            grid.draw_later()


class ChartGrid(Grid):
    """A ``columns``-wide grid of :class:`GridChart`; :meth:`show` swaps in new specs."""

    DEFAULT_CSS = """
    ChartGrid { grid-size: 1; grid-gutter: 0 1; height: 1fr; }
    ChartGrid > GridChart { min-height: 6; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drawings = 0  # charts drawn by the grid's own worker (tests)
        self._draw_pending = False

    def show(
        self,
        specs: Sequence[ChartSpec],
        columns: int,
        drawn: Sequence[tuple[Canvas, list[Strip]]] | None = None,
    ) -> None:
        """Draw ``specs`` in ``columns`` columns (rows as needed), reusing the charts already mounted.

        ``drawn``: each spec already drawn (in a worker) on the canvas :meth:`canvases` gave; a
        drawing whose chart has another size or style since is drawn again here, in the worker.
        """
        columns = max(1, min(columns, len(specs) or 1))
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns
        if not specs:  # an empty grid (every run detail's System tab at start): nothing to mount or draw
            self.workers.cancel_group(self, "chart-grid")
            if self.children:
                self.remove_children()
            return
        charts = self.charts
        if len(charts) != len(specs):
            self.workers.cancel_group(self, "chart-grid")
            self.remove_children()
            if specs:
                self.mount_all([GridChart(spec, classes="grid-chart") for spec in specs])
            return  # laid out, then drawn (GridChart.on_resize)
        ready = drawn if drawn is not None and len(drawn) == len(specs) else None
        for i, (chart, spec) in enumerate(zip(charts, specs)):
            if ready is not None:
                canvas, strips = ready[i]
                chart.spec = spec
                if canvas == canvas_of(chart):
                    chart.paint(spec, canvas.size, strips)
            elif chart.spec != spec:
                chart.spec = spec
        self.draw()

    def canvases(self) -> list[Canvas] | None:
        """Each mounted chart's canvas, for a worker that draws ahead (None: none laid out yet)."""
        charts = self.charts
        if not charts or any(not chart.size.area for chart in charts):
            return None
        return [canvas_of(chart) for chart in charts]

    @property
    def charts(self) -> list[GridChart]:
        return list(self.query_children(GridChart))

    @property
    def drawn(self) -> bool:
        """Every chart shows its spec at its size (nothing waits for the worker)."""
        return all(chart.drawn or not chart.size.area for chart in self.charts)

    def draw_later(self) -> None:
        """Draw after this refresh: a layout resizes every chart, one worker draws them all."""
        if not self._draw_pending:
            self._draw_pending = True
            self.call_after_refresh(self.draw)

    def draw(self) -> None:
        """Draw, in one worker, every chart not drawn for its spec and size (a newer call cancels it)."""
        self._draw_pending = False
        jobs = [(chart, chart.spec, canvas_of(chart)) for chart in self.charts if chart.size.area and not chart.drawn]
        if jobs:
            self._draw(jobs)

    @work(thread=True, exclusive=True, group="chart-grid", description="chart grid: draw")
    def _draw(self, jobs: list[tuple[GridChart, ChartSpec, Canvas]]) -> None:
        worker = get_current_worker()
        done = []
        for chart, spec, canvas in jobs:
            if worker.is_cancelled:
                return
            done.append((chart, spec, canvas.size, draw_chart(spec, canvas)))
        if not worker.is_cancelled:
            with contextlib.suppress(RuntimeError):  # the app is shutting down
                self.app.call_from_thread(self._drawn, done)

    def _drawn(self, done: list[tuple[GridChart, ChartSpec, Size, list[Strip]]]) -> None:
        for chart, spec, size, strips in done:
            if chart.parent is self and chart.paint(spec, size, strips):
                self.drawings += 1
