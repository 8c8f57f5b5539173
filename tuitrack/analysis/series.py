"""Series math for the chart, scatter and grouped views, without textual.

Smoothing, in-memory downsampling (min/max buckets that keep spikes; bucket means and LTTB that draw
one clean line per run in an overlay), x-axis choices (step, time, or another metric paired by step),
grouping runs that share params (across seeds) and placing param values on a scatter axis.
Pure functions so they can be tested exactly.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tuitrack.entities import MetricPoint, Run

SEED_PARAMS = ("seed", "random_state", "random_seed")
X_STEP, X_WALL, X_RELATIVE = "step", "wall time", "relative time"
X_MODES = (X_STEP, X_WALL, X_RELATIVE)


# -- smoothing --------------------------------------------------------------------------------
def ema(values: Sequence[float], weight: float) -> list[float]:
    """Debiased exponential moving average (TensorBoard's): early points are not dragged toward 0.

    ``weight`` in [0, 1): 0 returns the values unchanged.  NaN/inf points pass through and do not
    poison the average.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
    out: list[float] = []
    last = 0.0
    n = 0
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return out


# -- downsampling ----------------------------------------------------------------------------------
def minmax_downsample(xs: Sequence[float], ys: Sequence[float], max_points: int) -> tuple[list[float], list[float]]:
    """Keep each bucket's min and max (in x order) so spikes survive; xs must be sorted."""
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    n = len(xs)
    if n != len(ys):
        raise ValueError(f"xs and ys differ in length ({n} != {len(ys)})")
    if n <= max_points:
        return list(xs), list(ys)
    buckets = max_points // 2
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        idx = [i for i in range(lo, hi) if not math.isnan(ys[i])]
        if not idx:
            continue
        i_min = min(idx, key=lambda i: ys[i])
        i_max = max(idx, key=lambda i: ys[i])
        for i in sorted({i_min, i_max}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y


# -- clean overlay lines ---------------------------------------------------------------------------
def _x_bucket_line(
    xs: Sequence[float],
    ys: Sequence[float],
    buckets: int,
    one_x: Callable[[list[float]], float],
    bucket_y: Callable[[list[float]], float],
) -> tuple[list[float], list[float]]:
    """What :func:`bucket_mean` and :func:`bucket_midrange` share: the checks, the finite points, the
    equal-width x buckets and their mean x; ``bucket_y`` makes a bucket's y of its ys (in input order),
    ``one_x`` the one point's y when every point has one x."""
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys differ in length ({len(xs)} != {len(ys)})")
    pts = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    if len(pts) <= buckets:
        pts.sort(key=lambda p: p[0])
        return [x for x, _ in pts], [y for _, y in pts]
    lo = min(x for x, _ in pts)
    hi = max(x for x, _ in pts)
    if hi <= lo:  # every point at one x
        return [lo], [one_x([y for _, y in pts])]
    scale = buckets / (hi - lo)
    groups: dict[int, tuple[list[float], list[float]]] = {}  # bucket -> ([sum of its xs], its ys)
    for x, y in pts:
        b = min(buckets - 1, int((x - lo) * scale))
        group = groups.get(b)
        if group is None:
            groups[b] = ([x], [y])
        else:
            group[0][0] += x
            group[1].append(y)
    out_x: list[float] = []
    out_y: list[float] = []
    for b in sorted(groups):
        (sx,), bys = groups[b]
        # a mean is inside its bucket's range, up to rounding: clamp so x never steps backwards
        out_x.append(min(max(sx / len(bys), lo + b / scale), hi))
        out_y.append(bucket_y(bys))
    return out_x, out_y


def bucket_mean(xs: Sequence[float], ys: Sequence[float], buckets: int) -> tuple[list[float], list[float]]:
    """One point per equal-width x range: the mean x and mean y of the finite points in it.

    What an overlay of several runs draws: a noisy run downsampled to its min and max per bucket becomes a
    solid band, while its bucket means are one clean line.  ``xs`` need not be sorted; points with a
    non-finite x or y are left out, and so are empty buckets.  At most ``buckets`` points come back, in
    increasing x; when the finite points are no more than ``buckets`` they come back as they are, sorted by x.
    """
    return _x_bucket_line(
        xs,
        ys,
        buckets,
        lambda bys: math.fsum(bys) / len(bys),
        lambda bys: functools.reduce(operator.add, bys) / len(bys),  # summed in order (sum() compensates on 3.12)
    )


def bucket_midrange(xs: Sequence[float], ys: Sequence[float], buckets: int) -> tuple[list[float], list[float]]:
    """One point per equal-width x range: the mean x, and the middle of the lowest and highest y in it.

    The clean line of a series read as min/max pairs (``get_metric_history(max_points=...)``): where the
    store's buckets and the columns do not line up, a column holds one min or max more than the other, which
    pulls a mean by a large part of the band; the middle of the column's envelope stays on the trend as long
    as the column holds one whole pair (true when it spans two of the store's buckets).  Same input rules and
    output shape as :func:`bucket_mean`.
    """

    def midrange(bys: list[float]) -> float:
        low, high = min(bys), max(bys)
        return low + (high - low) / 2

    return _x_bucket_line(xs, ys, buckets, lambda bys: (min(bys) + max(bys)) / 2, midrange)


def lttb(xs: Sequence[float], ys: Sequence[float], n_out: int) -> tuple[list[float], list[float]]:
    """Largest-Triangle-Three-Buckets: ``n_out`` of the points (first and last kept) that keep the shape.

    ``xs`` sorted; non-finite points are left out first.  Unlike :func:`bucket_mean` it returns real
    points, so a spike can survive; it is the choice when the line must pass through logged values.
    """
    if n_out < 2:
        raise ValueError("n_out must be at least 2")
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys differ in length ({len(xs)} != {len(ys)})")
    pts = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    n = len(pts)
    if n <= n_out:
        return [x for x, _ in pts], [y for _, y in pts]
    if n_out == 2:
        return [pts[0][0], pts[-1][0]], [pts[0][1], pts[-1][1]]
    keep = [0]
    every = (n - 2) / (n_out - 2)
    a = 0
    for i in range(n_out - 2):
        start, end = int(i * every) + 1, int((i + 1) * every) + 1
        nxt_start, nxt_end = end, min(n, int((i + 2) * every) + 1)
        if i == n_out - 3:
            nxt_start, nxt_end = n - 1, n
        span = pts[nxt_start:nxt_end]
        avg_x = math.fsum(p[0] for p in span) / len(span)
        avg_y = math.fsum(p[1] for p in span) / len(span)
        ax, ay = pts[a]
        best, best_area = start, -1.0
        for j in range(start, end):
            area = abs((ax - avg_x) * (pts[j][1] - ay) - (ax - pts[j][0]) * (avg_y - ay))
            if area > best_area:
                best, best_area = j, area
        keep.append(best)
        a = best
    keep.append(n - 1)
    return [pts[i][0] for i in keep], [pts[i][1] for i in keep]


# -- a metric as the x axis ----------------------------------------------------------------------------
def align_by_step(
    y_points: Sequence[tuple[int, float]], x_points: Sequence[tuple[int, float]]
) -> list[tuple[int, float, float]]:
    """Pair each y point with metric x's value at the same step: ``(step, x, y)`` in y's order.

    Both inputs are ``(step, value)`` sorted by step.  Where x has points at y's step, the last of them is
    x; where x has none, x is interpolated linearly between its nearest points before and after that step;
    outside x's first..last step the y point is dropped (never extrapolated).  A non-finite x neighbour
    makes x NaN (the chart leaves such points out).
    """
    steps: list[int] = []
    values: list[float] = []
    for s, v in x_points:  # one x per step: the last logged
        if steps and steps[-1] == s:
            values[-1] = v
        else:
            steps.append(s)
            values.append(v)
    out: list[tuple[int, float, float]] = []
    if not steps:
        return out
    j = 0
    for s, y in y_points:
        if s < steps[0] or s > steps[-1]:
            continue
        while steps[j] < s:  # y is sorted by step, so the cursor only moves forward
            j += 1
        if steps[j] == s:
            out.append((s, values[j], y))
            continue
        s0, s1, v0, v1 = steps[j - 1], steps[j], values[j - 1], values[j]
        out.append((s, v0 + (v1 - v0) * (s - s0) / (s1 - s0), y))
    return out


# -- x axis ----------------------------------------------------------------------------------------
def x_values(points: Sequence[MetricPoint], mode: str, start_ms: int) -> list[float]:
    """x of each point: step, wall time (epoch seconds) or seconds since the run started."""
    if mode == X_STEP:
        return [float(p.step) for p in points]
    if mode == X_WALL:
        return [p.timestamp / 1000 for p in points]
    if mode == X_RELATIVE:
        return [(p.timestamp - start_ms) / 1000 for p in points]
    raise ValueError(f"unknown x axis {mode!r} (choose from {', '.join(X_MODES)})")


def next_x_mode(mode: str) -> str:
    return X_MODES[(X_MODES.index(mode) + 1) % len(X_MODES)]


def time_ticks(lo: float, hi: float, count: int, mode: str) -> tuple[list[float], list[str]]:
    """Tick positions and labels for a time axis (wall clock HH:MM:SS, or elapsed 1m30s)."""
    if count < 1 or not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    if hi <= lo:
        ticks = [lo]
    else:
        ticks = [lo + (hi - lo) * i / max(1, count - 1) for i in range(count)]
    if mode == X_WALL:
        fmt = "%H:%M:%S" if hi - lo < 86400 else "%m-%d %H:%M"
        return ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks]
    return ticks, [_elapsed(t) for t in ticks]


def _elapsed(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


# -- grouping ----------------------------------------------------------------------------------------
def default_group_keys(param_keys: Iterable[str]) -> list[str]:
    """All params except the ones that name a random seed: grouping "across seeds"."""
    return sorted(k for k in set(param_keys) if k.lower() not in SEED_PARAMS)


def _sort_key(value: str | None) -> tuple[int, float, str]:
    if value is None:
        return (2, 0.0, "")
    try:
        num = float(value)
        if math.isfinite(num):
            return (0, num, value)
    except ValueError:
        pass
    return (1, 0.0, value)


@dataclass
class Group:
    """Runs sharing the same values of the grouping params (``None`` = param not logged)."""

    values: tuple[tuple[str, str | None], ...]
    runs: list[Run]

    @property
    def label(self) -> str:
        if not self.values:
            return "all runs"
        return ", ".join(f"{k}={'∅' if v is None else v}" for k, v in self.values)


def group_runs(runs: Sequence[Run], by: Sequence[str]) -> list[Group]:
    """Groups in a stable order (params compared numerically when they are numbers)."""
    groups: dict[tuple[tuple[str, str | None], ...], list[Run]] = {}
    keys = list(by)
    for run in runs:
        values = tuple((k, run.data.params.get(k)) for k in keys)
        groups.setdefault(values, []).append(run)
    order = sorted(groups, key=lambda vals: [_sort_key(v) for _, v in vals])
    return [Group(v, groups[v]) for v in order]


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float
    std: float
    min: float
    max: float


def stats(values: Iterable[float | None]) -> Stats | None:
    """Mean, sample std, min and max of the finite values; None when there are none."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    std = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return Stats(len(finite), statistics.fmean(finite), std, min(finite), max(finite))


def group_metric_stats(group: Group, key: str) -> Stats | None:
    """Stats of the latest value of metric ``key`` over the group's runs."""
    return stats(r.data.metrics.get(key) for r in group.runs)


@dataclass
class Band:
    """A group's series: mean with min and max at each x, and how many runs contributed."""

    xs: list[float]
    mean: list[float]
    lo: list[float]
    hi: list[float]
    n: list[int]


def aggregate_series(series: Sequence[tuple[Sequence[float], Sequence[float]]]) -> Band:
    """Mean/min/max across runs on the union of their x values.

    A run contributes at x its last value at or before x, only inside its own x range (a run that
    stopped early does not drag the mean with a stale value).  Non-finite values are skipped.
    """
    cleaned = []
    for xs, ys in series:
        pts = sorted((x, y) for x, y in zip(xs, ys) if math.isfinite(y))
        if pts:
            cleaned.append(pts)
    grid = sorted({x for pts in cleaned for x, _ in pts})
    band = Band([], [], [], [], [])
    cursors = [0] * len(cleaned)
    for x in grid:
        vals = []
        for i, pts in enumerate(cleaned):
            if x < pts[0][0] or x > pts[-1][0]:
                continue
            j = cursors[i]
            while j + 1 < len(pts) and pts[j + 1][0] <= x:
                j += 1
            cursors[i] = j
            vals.append(pts[j][1])
        if vals:
            band.xs.append(x)
            band.mean.append(statistics.fmean(vals))
            band.lo.append(min(vals))
            band.hi.append(max(vals))
            band.n.append(len(vals))
    return band


# -- scatter axes --------------------------------------------------------------------------------------
@dataclass
class Axis:
    """Where each run lands on one scatter axis."""

    numeric: bool
    positions: list[float | None]
    ticks: list[float]
    labels: list[str]


def _as_float(value: str | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return None


def make_axis(values: Sequence[str | float | None]) -> Axis:
    """Numeric when every present value is a finite number; else categories 1..k in natural order."""
    present = [v for v in values if v is not None]
    nums = [_as_float(v) for v in present]
    if present and all(n is not None and math.isfinite(n) for n in nums):
        return Axis(True, [_as_float(v) for v in values], [], [])
    cats = sorted({str(v) for v in present}, key=_natural)
    index = {c: float(i + 1) for i, c in enumerate(cats)}
    return Axis(False, [None if v is None else index[str(v)] for v in values], list(index.values()), cats)


def _natural(text: str) -> list[tuple[int, int | str]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part]


def against_metric(y_points: Sequence[MetricPoint], x_points: Sequence[MetricPoint]) -> tuple[list[float], list[float]]:
    """y's points against metric x (``Store.metric_points_around`` gives x's points beside y's steps):
    paired by :func:`align_by_step`, points whose x is not finite left out, in increasing x (stable), so a
    line is drawn left to right even where x is not monotonic in step."""
    pairs = align_by_step([(p.step, p.value) for p in y_points], [(p.step, p.value) for p in x_points])
    kept = sorted(((x, y) for _, x, y in pairs if math.isfinite(x)), key=lambda p: p[0])
    return [x for x, _ in kept], [y for _, y in kept]
