"""A grid of metric charts that keeps its chart widgets and only hands them new specs.

The browser's chart panel and the run detail's System tab both show a page of charts whose
number changes rarely and whose data changes often: remounting plotext widgets on every change
would relayout the screen, so the grid mounts ``len(specs)`` charts once and afterwards only calls
``set_spec`` on them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.containers import Grid

if TYPE_CHECKING:  # plotext is imported with the first chart, not with the app
    from tuitrack.tui.widgets.metric_chart import ChartSpec, MetricChart

#: Smallest chart worth drawing: plotext needs room for its axes and a few rows of line.
CHART_MIN_WIDTH = 30
CHART_MIN_HEIGHT = 8


def grid_shape(
    width: int, height: int, *, min_width: int = CHART_MIN_WIDTH, min_height: int = CHART_MIN_HEIGHT
) -> tuple[int, int]:
    """(columns, rows) of charts that fit in ``width`` x ``height`` cells (at least 1 x 1)."""
    return max(1, width // min_width), max(1, height // min_height)


@functools.cache
def grid_chart_class() -> type[MetricChart]:
    """``GridChart``: a chart whose axis ticks follow its size (a grid lays its charts out after mounting
    them, and ticks chosen for the size before that, plotext's 80x20 default, would depend on timing).
    Made on first use, so importing the app does not import plotext."""
    from tuitrack.tui.widgets.metric_chart import MetricChart

    class GridChart(MetricChart):
        def on_resize(self) -> None:
            self.replot()

    return GridChart


class ChartGrid(Grid):
    """A ``columns``-wide grid of :class:`MetricChart`; :meth:`show` swaps in new specs."""

    DEFAULT_CSS = """
    ChartGrid { grid-size: 1; grid-gutter: 0 1; height: 1fr; }
    ChartGrid > GridChart { min-height: 6; }
    """

    def show(self, specs: Sequence[ChartSpec], columns: int) -> None:
        """Draw ``specs`` in ``columns`` columns (rows as needed), reusing the charts already mounted."""
        columns = max(1, min(columns, len(specs) or 1))
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns
        if not specs:  # no chart class needed: an empty grid (every run detail's System tab at start) keeps plotext out
            if self.children:
                self.remove_children()
            return
        kind = grid_chart_class()
        charts = list(self.query_children(kind))
        if len(charts) != len(specs):
            self.remove_children()
            if specs:
                self.mount_all([kind(spec, classes="grid-chart") for spec in specs])
            return
        for chart, spec in zip(charts, specs):
            if chart.spec != spec:
                chart.set_spec(spec)

    @property
    def charts(self) -> list[MetricChart]:
        return list(self.query_children(grid_chart_class()))
