"""The run detail's System tab: the samples ``start_run(system_metrics=True)`` logs, as charts.

The sampler (tuitrack/tracking/capture.py, ``SystemSampler``) logs ``system/cpu_percent``,
``system/memory_percent`` and ``system/process_rss_mb`` every 10 seconds, and per GPU
``system/gpu_<i>_utilization_percent``, ``..._memory_percent`` and ``..._memory_used_mb`` where
NVML is present.  The tab reads the run's ``system/`` keys (one key window, at most
:data:`MAX_KEYS`) and each history downsampled in SQL to twice a chart's width, in a worker, and
only while the tab is on screen.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

from tuitrack.entities import MetricPoint, MetricSummary
from tuitrack.formatting import format_metric
from tuitrack.store.core import Store
from tuitrack.tui.colors import PALETTE, run_markers
from tuitrack.tui.widgets.chart_grid import CHART_MIN_HEIGHT, CHART_MIN_WIDTH

if TYPE_CHECKING:
    from tuitrack.tui.widgets.metric_chart import ChartSpec

PREFIX = "system/"
#: System keys read per run (a machine with 8 GPUs logs 27).
MAX_KEYS = 48
NO_SYSTEM = (
    "No system metrics for this run.\n\n"
    "Runs started with tuitrack.start_run(..., system_metrics=True) sample CPU and memory every 10 s "
    "(and each GPU's utilisation and memory where NVIDIA's NVML library is present); they need psutil: "
    "pip install 'tuitrack[system]'.  MLflow's spelling, log_system_metrics=True, works too."
)
_LABELS = {
    "cpu_percent": "CPU %",
    "memory_percent": "memory %",
    "process_rss_mb": "process RSS MB",
}
_GPU = re.compile(r"gpu_(\d+)_(utilization_percent|memory_percent|memory_used_mb)\Z")
_GPU_LABELS = {"utilization_percent": "utilisation %", "memory_percent": "memory %", "memory_used_mb": "memory (MB)"}


def label(key: str) -> str:
    """A chart title for a system key: ``system/cpu_percent`` -> ``CPU %``, ``system/gpu_0_memory_percent`` ->
    ``GPU 0 memory %``; other keys keep their name after ``system/``."""
    name = key[len(PREFIX) :] if key.startswith(PREFIX) else key
    gpu = _GPU.match(name)
    if gpu:
        return f"GPU {gpu.group(1)} {_GPU_LABELS[gpu.group(2)]}"
    return _LABELS.get(name, name)


@dataclass
class SystemData:
    """One read of a run's system metrics: their summaries (key order) and histories."""

    run_id: str
    start_ms: int
    summaries: list[MetricSummary] = field(default_factory=list)
    histories: dict[str, list[MetricPoint]] = field(default_factory=dict)
    more: int = 0  # system keys past MAX_KEYS, not drawn
    error: str | None = None


def read_system(store: Store, run_id: str, max_points: int) -> SystemData:
    """The run's ``system/`` keys and their histories, downsampled in SQL to ``max_points`` (call from a worker)."""
    rid, _ = store.resolve_run(run_id)
    run = store.runs_by_rids([rid], with_data=False)[0]
    window = store.key_window(rid, "metrics", 0, MAX_KEYS, PREFIX)
    rows = [s for s in window.rows if s.key.startswith(PREFIX)]
    data = SystemData(run_id, run.info.start_time, rows, more=max(0, window.total - MAX_KEYS))
    for summary in rows:
        data.histories[summary.key] = store.get_metric_history(run_id, summary.key, max_points)
    return data


def grid_columns(width: int, charts: int) -> int:
    """Side by side as far as the width allows (the pane is short: a column of charts would be unreadable)."""
    return max(1, min(charts, width // CHART_MIN_WIDTH))


def grid_height(height: int, charts: int, columns: int) -> int:
    """The grid's height: the pane's, or more (the tab scrolls) when its rows would be shorter than a chart."""
    rows = max(1, math.ceil(charts / max(1, columns)))
    return max(height, rows * CHART_MIN_HEIGHT)


def specs(data: SystemData, *, no_color: bool) -> list[ChartSpec]:
    """A chart per key against the time since the run started (its latest and highest value in the title)."""
    from tuitrack.analysis import series as ser  # with the first samples shown, not with the app
    from tuitrack.tui.widgets.metric_chart import ChartSpec, Series, nice_ticks  # plotext: on first use

    marker = next(iter(run_markers([data.run_id]).values())) if no_color else "braille"
    out = []
    for i, summary in enumerate(data.summaries):
        points = data.histories.get(summary.key, [])
        xs = ser.x_values(points, ser.X_RELATIVE, data.start_ms)
        ys = [p.value for p in points]
        title = f"{label(summary.key)}: {format_metric(summary.value)} (max {format_metric(summary.max)})"
        spec = ChartSpec(
            title=title,
            series=[Series(label(summary.key), xs, ys, PALETTE[i % len(PALETTE)], marker=marker)],
            legend=False,
            empty_message="no samples",
        )
        finite = [y for y in ys if math.isfinite(y)]
        if xs:
            spec.xticks = ser.time_ticks(min(xs), max(xs), 3, ser.X_RELATIVE)
        if finite:  # three round ticks whatever the chart's height (the tab's charts are short)
            spec.yticks = nice_ticks(min(finite), max(finite), 3)
        out.append(spec)
    return out


def status(data: SystemData) -> Text:
    """The line above the charts: how many samples, over how long."""
    if data.error:
        return Text(data.error, style="red")
    if not data.summaries:
        return Text("")
    samples = max(s.count for s in data.summaries)
    text = Text(f"{len(data.summaries)} system metrics · {samples:,} samples", style="dim")
    if data.more:
        text.append(f" · {data.more} more not shown (tuitrack history RUN KEY prints any)", style="yellow")
    return text


__all__ = ["NO_SYSTEM", "SystemData", "grid_columns", "grid_height", "label", "read_system", "specs", "status"]
