"""Parallel coordinates without textual: axes, brushes, the filter a brush spells, and a braille raster.

The app's parallel-coordinates view (``tuitrack/tui/screens/parcoords.py``) draws one vertical axis per
chosen param or metric (summary fields such as ``metrics.val_loss.min`` included) and one line per run
across them.  Everything that decides *where* things go is here, as pure functions over plain values,
so it is tested exactly and runs in a worker thread:

- :func:`build_axis` places each run on an axis: numeric (linear, or log when the values are positive
  and span two decades) or categorical (natural order, ``v2`` before ``v10``).  A missing value or
  NaN has no position; ±inf sits at the axis' end.
- A :class:`Brush` is a range of an axis' *slots* (:data:`STEPS` + 1 edges on a numeric axis, one slot
  per category otherwise).  :func:`brush_mask` says which runs every brush keeps and
  :func:`brush_filter` spells the same condition in the filter language (``params.lr >= 0.01 and
  metrics.acc <= 0.9``), comparing the very numbers the mask compares, so the browser's filter keeps
  exactly the runs the brush kept (a missing value or NaN never matches either, as in the filter language).
- :func:`color_levels` bins the colour metric (best bin brightest, by the metric's direction);
  :func:`render` rasterizes the lines into braille cells and overlays the axes, the brush and the
  category labels, returning rows of ``(text, layer)`` runs that the screen maps to styles.

Cost is bounded by the screen: each line costs about its length in braille dots, whatever the runs hold.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tuitrack.entities import Run
from tuitrack.formatting import cell_width, format_metric, truncate_cells, visible
from tuitrack.query import summaries

#: Edges a numeric brush moves between (each key press moves an edge 1/STEPS of the axis).
STEPS = 20
#: Colour bins of the colour metric (the last is the best).
BINS = 6
#: A numeric axis whose positive values span at least this ratio (two decades) is drawn on a log scale.
LOG_RATIO = 100.0

# Layers of a cell, in drawing order (a cell shows its highest layer; see :func:`render`).
EMPTY, OUT, NO_VALUE = 0, 1, 2
FIRST_BIN = 3
FOCUS = FIRST_BIN + BINS
AXIS, AXIS_SELECTED, BRUSH, LABEL, LABEL_SELECTED = FOCUS + 1, FOCUS + 2, FOCUS + 3, FOCUS + 4, FOCUS + 5

_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Braille dot bits by (row 0-3, column 0-1) inside a cell.
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


# -- fields ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """A param, a metric's latest value, or a metric's summary (``summary`` = ``min``, ``best`` ...)."""

    kind: str  # "params" or "metrics"
    key: str
    summary: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("params", "metrics"):
            raise ValueError(f"an axis is a param or a metric, not {self.kind!r}")
        if self.summary is not None:
            if self.kind != "metrics":
                raise ValueError("summary fields exist for metrics only")
            summaries.check_field(self.summary)

    @property
    def label(self) -> str:
        """What the axis header says: the key, with its summary field (``val_loss.min``)."""
        return self.key if self.summary is None else f"{self.key}.{self.summary}"

    @property
    def name(self) -> str:
        """The field as the filter language and the column chooser spell it."""
        if self.summary is not None:
            return summaries.field_key(self.key, self.summary)
        key = self.key if _SIMPLE_KEY.match(self.key) else summaries.quote_key(self.key)
        return f"{self.kind}.{key}"

    def value(self, run: Run) -> str | float | None:
        """The run's value (None when the run lacks it)."""
        if self.kind == "params":
            return run.data.params.get(self.key)
        if self.summary is None:
            return run.data.metrics.get(self.key)
        summary = run.data.summaries.get(self.key)
        got = summaries.value(summary, self.summary)
        return None if got is None else float(got)


def field_choices(runs: Sequence[Run], summary_fields: Sequence[str] = summaries.CHOOSER_FIELDS) -> list[Field]:
    """Every field the runs have: params, then each metric followed by its summary fields."""
    params = sorted({k for r in runs for k in r.data.params})
    metrics = sorted({k for r in runs for k in r.data.metrics})
    return choices_from_keys(params, metrics, summary_fields)


def choices_from_keys(
    params: Sequence[str], metrics: Sequence[str], summary_fields: Sequence[str] = summaries.CHOOSER_FIELDS
) -> list[Field]:
    """The fields of these param and metric keys: params, then each metric followed by its summary fields."""
    out = [Field("params", k) for k in params]
    for key in metrics:
        out.append(Field("metrics", key))
        out.extend(Field("metrics", key, s) for s in summary_fields)
    return out


def default_fields(runs: Sequence[Run], limit: int = 5) -> tuple[list[Field], Field | None]:
    """Axes to open on (params that vary, numeric first, then metrics most runs have) and the colour metric.

    The colour metric is a metric every run has if there is one (a loss first), drawn as the last axis
    so the eye ends on it.
    """
    params = sorted({k for r in runs for k in r.data.params})
    metrics = sorted({k for r in runs for k in r.data.metrics})
    coverage = {k: sum(k in r.data.params for r in runs) for k in params}
    distinct = {k: len({r.data.params[k] for r in runs if k in r.data.params}) for k in params}
    varying = [k for k in params if distinct[k] > 1]
    numeric = {k: _numeric_param([r.data.params.get(k) for r in runs]) for k in varying}
    varying.sort(key=lambda k: (not numeric[k], -coverage[k], distinct[k], k))
    held = {k: sum(k in r.data.metrics for r in runs) for k in metrics}
    common = [k for k in metrics if 2 * held[k] >= len(runs)] or metrics  # metrics most runs have
    lossy = sorted(common, key=lambda k: (held[k] < len(runs), summaries.metric_direction(k) != summaries.LOWER, k))
    color = Field("metrics", lossy[0]) if lossy else None
    n_metrics = min(2, len(common))
    picked = [Field("params", k) for k in varying[: max(0, limit - n_metrics)]]
    others = [Field("metrics", k) for k in common if color is None or k != color.key]
    picked += others[: max(0, limit - len(picked) - (color is not None))]
    if color is not None:
        picked.append(color)
    return picked, color


# -- axes --------------------------------------------------------------------------------------------
def _param_number(value: str | float | None) -> float | None:
    """The number a param spells, as the store reads it (``tuitrack.store.core._numeric``)."""
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if len(value) > 64:
        return None
    try:
        num = float(value)
    except ValueError:
        return None
    return num if math.isfinite(num) else None


def _numeric_param(values: Sequence[str | float | None]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(_param_number(v) is not None for v in present)


def _natural(text: str) -> list[tuple[int, int | str]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part]


@dataclass
class Axis:
    """Where each run sits on one axis: ``positions[i]`` in [0, 1] (0 bottom) or None (no value)."""

    field: Field
    numeric: bool
    positions: list[float | None]
    values: list[float | str | None]  # numbers on a numeric axis (NaN kept), strings on a categorical one
    lo: float = 0.0
    hi: float = 0.0
    log: bool = False
    categories: list[str] = dataclasses.field(default_factory=list)
    missing: int = 0  # runs without the key
    nan: int = 0  # runs whose value is NaN

    @property
    def slots(self) -> int:
        """Brush positions: STEPS + 1 edges of a numeric axis, or one per category."""
        return STEPS + 1 if self.numeric else max(1, len(self.categories))

    def to_unit(self, value: float) -> float:
        """A number's place on a numeric axis, clamped to [0, 1]."""
        if math.isnan(value):
            raise ValueError("NaN has no place on an axis")
        if self.hi <= self.lo:
            return 0.5
        if self.log:
            if value <= 0:
                return 0.0
            t = (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        else:
            t = (value - self.lo) / (self.hi - self.lo)
        return min(1.0, max(0.0, t))

    def edge_value(self, step: int) -> float:
        """The number at brush edge ``step`` (0 = lo, STEPS = hi), rounded to what the step resolves."""
        if step <= 0:
            return self.lo
        if step >= STEPS:
            return self.hi
        t = step / STEPS
        if self.log:
            return float(f"{math.exp(math.log(self.lo) + t * (math.log(self.hi) - math.log(self.lo))):.3g}")
        width = (self.hi - self.lo) / STEPS
        digits = max(0, 1 - math.floor(math.log10(width))) if width > 0 else 6
        return round(self.lo + t * (self.hi - self.lo), digits)

    def tick(self, value: float) -> str:
        return format_metric(value)


def build_axis(fld: Field, values: Sequence[str | float | None]) -> Axis:
    """The axis of ``fld`` for runs holding ``values`` (one per run, None when missing)."""
    missing = sum(v is None for v in values)
    if fld.kind == "metrics" or _numeric_param(values):
        nums: list[float | None] = [
            None if v is None else (float(v) if fld.kind == "metrics" else _param_number(v)) for v in values
        ]
        nan = sum(v is not None and math.isnan(v) for v in nums)
        finite = [v for v in nums if v is not None and math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
        log = bool(finite) and lo > 0 and hi / lo >= LOG_RATIO
        axis = Axis(fld, True, [], list(nums), lo, hi, log, missing=missing, nan=nan)
        for v in nums:
            if v is None or math.isnan(v):
                axis.positions.append(None)
            elif not finite:  # only infinities
                axis.positions.append(1.0 if v > 0 else 0.0)
            else:
                axis.positions.append(axis.to_unit(v))
        return axis
    texts = [None if v is None else str(v) for v in values]
    cats = sorted({t for t in texts if t is not None}, key=_natural)
    index = {c: i for i, c in enumerate(cats)}
    span = max(1, len(cats) - 1)
    positions = [None if t is None else (0.5 if len(cats) == 1 else index[t] / span) for t in texts]
    return Axis(fld, False, positions, list(texts), categories=cats, missing=missing)


def build_axes(runs: Sequence[Run], fields: Sequence[Field]) -> list[Axis]:
    return [build_axis(f, [f.value(r) for r in runs]) for f in fields]


# -- brushes -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Brush:
    """Slots ``lo`` .. ``hi`` (inclusive, 0 = the bottom) of an axis are kept."""

    lo: int
    hi: int


def full(axis: Axis) -> Brush:
    return Brush(0, axis.slots - 1)


def clamp(axis: Axis, brush: Brush) -> Brush | None:
    """The brush fitted to the axis; None when it keeps the whole axis (no brush at all)."""
    top = axis.slots - 1
    lo, hi = max(0, min(brush.lo, top)), max(0, min(brush.hi, top))
    if lo > hi:
        lo, hi = hi, lo
    if lo == 0 and hi == top:
        return None
    return Brush(lo, hi)


def move_edge(axis: Axis, brush: Brush | None, edge: str, delta: int) -> Brush | None:
    """Move the ``top`` or ``bottom`` edge by ``delta`` slots (up is +); the edges never cross."""
    b = brush or full(axis)
    if edge == "top":
        new = Brush(b.lo, max(b.lo, min(axis.slots - 1, b.hi + delta)))
    elif edge == "bottom":
        new = Brush(min(b.hi, max(0, b.lo + delta)), b.hi)
    else:
        raise ValueError(f"edge is 'top' or 'bottom', not {edge!r}")
    return clamp(axis, new)


def slide(axis: Axis, brush: Brush | None, delta: int) -> Brush | None:
    """Move the whole brush by ``delta`` slots, keeping its width (stopping at the ends)."""
    if brush is None:
        return None
    top = axis.slots - 1
    delta = max(-brush.lo, min(top - brush.hi, delta))
    moved = Brush(brush.lo + delta, brush.hi + delta)
    return clamp(axis, moved) if moved != full(axis) else None


def bounds(axis: Axis, brush: Brush) -> tuple[float | None, float | None]:
    """A numeric brush as (lowest kept, highest kept); None = that end is open (the axis' end, ±inf kept)."""
    if not axis.numeric:
        raise ValueError("a categorical axis has no numeric bounds")
    lo = None if brush.lo <= 0 else axis.edge_value(brush.lo)
    hi = None if brush.hi >= STEPS else axis.edge_value(brush.hi)
    return lo, hi


def kept_categories(axis: Axis, brush: Brush) -> list[str]:
    return axis.categories[brush.lo : brush.hi + 1]


def keeps(axis: Axis, brush: Brush, index: int) -> bool:
    """Whether run ``index`` passes ``brush`` on ``axis`` (a run without a value, or NaN, never does)."""
    value = axis.values[index]
    if value is None:
        return False
    if not axis.numeric:
        return value in kept_categories(axis, brush)
    assert isinstance(value, float)
    if math.isnan(value):
        return False
    lo, hi = bounds(axis, brush)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def brush_mask(axes: Sequence[Axis], brushes: dict[int, Brush], n_runs: int) -> list[bool]:
    """Which runs every brush keeps (axes are indexed as in ``axes``)."""
    mask = [True] * n_runs
    for i, brush in brushes.items():
        axis = axes[i]
        if axis.numeric:
            lo, hi = bounds(axis, brush)
            low = -math.inf if lo is None else lo
            high = math.inf if hi is None else hi
            for r, value in enumerate(axis.values):  # NaN fails both comparisons
                if mask[r] and not (value is not None and low <= value <= high):  # type: ignore[operator]
                    mask[r] = False
        else:
            kept = set(kept_categories(axis, brush))
            for r, value in enumerate(axis.values):
                if mask[r] and value not in kept:
                    mask[r] = False
    return mask


def _number_text(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def quote(text: str) -> str:
    """A string literal of the filter language (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def brush_clause(axis: Axis, brush: Brush) -> str:
    """One brush in the filter language."""
    name = axis.field.name
    if not axis.numeric:
        cats = kept_categories(axis, brush)
        if len(cats) == 1:
            return f"{name} = {quote(cats[0])}"
        return f"{name} IN ({', '.join(quote(c) for c in cats)})"
    lo, hi = bounds(axis, brush)
    parts = []
    if lo is not None:
        parts.append(f"{name} >= {_number_text(lo)}")
    if hi is not None:
        parts.append(f"{name} <= {_number_text(hi)}")
    return " and ".join(parts)


def brush_filter(axes: Sequence[Axis], brushes: dict[int, Brush]) -> str:
    """Every brush, ANDed, in axis order ("" when there is none)."""
    return " and ".join(brush_clause(axes[i], brushes[i]) for i in sorted(brushes))


def combine(base: str, extra: str) -> str:
    """``base AND extra`` (each parenthesised when it holds an OR); either may be empty."""
    parts = [p.strip() for p in (base, extra) if p and p.strip()]
    if len(parts) < 2:
        return parts[0] if parts else ""
    return " and ".join(f"({p})" if re.search(r"\bor\b", p, re.IGNORECASE) else p for p in parts)


def describe(axis: Axis, brush: Brush) -> str:
    """A brush in words for the status line: ``lr 0.01–0.1``, ``optimizer: adam, sgd``."""
    label = axis.field.label
    if not axis.numeric:
        return f"{label}: {', '.join(kept_categories(axis, brush))}"
    lo, hi = bounds(axis, brush)
    if lo is None:
        return f"{label} ≤ {format_metric(hi)}"
    if hi is None:
        return f"{label} ≥ {format_metric(lo)}"
    return f"{label} {format_metric(lo)}–{format_metric(hi)}"


# -- colour ------------------------------------------------------------------------------------------
@dataclass
class ColorScale:
    """Each run's colour bin (0 .. BINS-1, the last the best; None = no value) and the bins' value ranges.

    ``clipped`` says whether values lie beyond the worst / the best edge (they share the end bin).
    """

    levels: list[int | None]
    edges: list[float]  # BINS + 1 values from the worst end to the best end
    lower_is_better: bool
    clipped: tuple[bool, bool] = (False, False)


def color_levels(values: Sequence[float | None], lower_is_better: bool, bins: int = BINS) -> ColorScale:
    """Bin finite values linearly over their range without the outer 5% at each end (one diverged run
    would otherwise squeeze every other run into one bin); values beyond go to the end bins, ±inf too.
    NaN and None get None."""
    finite = sorted(v for v in values if v is not None and math.isfinite(v))
    cut = (len(finite) - 1) // 20  # 5% at each end, none below 21 values
    lo, hi = (finite[cut], finite[len(finite) - 1 - cut]) if finite else (0.0, 0.0)
    worst, best = (hi, lo) if lower_is_better else (lo, hi)
    edges = [worst + (best - worst) * i / bins for i in range(bins + 1)]
    beyond_lo, beyond_hi = bool(finite) and finite[0] < lo, bool(finite) and finite[-1] > hi
    clipped = (beyond_hi, beyond_lo) if lower_is_better else (beyond_lo, beyond_hi)
    levels: list[int | None] = []
    for v in values:
        if v is None or math.isnan(v):
            levels.append(None)
            continue
        if hi <= lo:
            levels.append(bins - 1 if math.isfinite(v) or (v > 0) != lower_is_better else 0)
            continue
        t = min(1.0, max(0.0, (v - lo) / (hi - lo)))  # beyond the range (and ±inf): an end bin
        if lower_is_better:
            t = 1 - t
        levels.append(min(bins - 1, int(t * bins)))
    return ColorScale(levels, edges, lower_is_better, clipped)


# -- layout ------------------------------------------------------------------------------------------
def axis_columns(n: int, width: int) -> list[int]:
    """The cell column of each of ``n`` axes spread over ``width`` cells (first at 0, last at width-1)."""
    if n <= 0 or width <= 0:
        return []
    if n == 1:
        return [width // 2]
    return [round(i * (width - 1) / (n - 1)) for i in range(n)]


def fit(text: str, width: int) -> str:
    """``text`` made terminal-safe and cut to ``width`` cells (with an ellipsis; nothing when ``width`` < 1)."""
    text = visible(text.replace("\n", "⏎"))
    if width <= 0 and cell_width(text) > width:
        return ""
    return truncate_cells(text, width)


def label_row(labels: Sequence[str], columns: Sequence[int], width: int) -> list[tuple[int, str, int]]:
    """Place one label per axis on a line of ``width`` cells: (start column, text, axis index).

    Each label gets the room between its neighbours (centred on its axis; the first starts at the left
    edge, the last ends at the right edge) and is cut to fit, so labels never overlap.
    """
    n = len(columns)
    out = []
    for i, (text, col) in enumerate(zip(labels, columns)):
        left = 0 if i == 0 else (columns[i - 1] + col) // 2 + 1
        right = width - 1 if i == n - 1 else (col + columns[i + 1]) // 2
        room = max(0, right - left + 1)
        if n > 1 and 0 < i < n - 1:
            room = max(0, room - 1)  # a blank between neighbours
        shown = fit(text, room)
        w = cell_width(shown)
        if n == 1:
            start = max(0, min(width - w, col - w // 2))
        elif i == 0:
            start = 0
        elif i == n - 1:
            start = width - w
        else:
            start = max(left, min(right - w + 1, col - w // 2))
        out.append((start, shown, i))
    return out


# -- raster ------------------------------------------------------------------------------------------
@dataclass
class Line:
    """One run: its place on each axis (None = no value there) and the layer it is drawn in."""

    positions: Sequence[float | None]
    layer: int


def _pattern(n: int, dy: int, phase: int, width: int) -> list[tuple[int, int]]:
    """The cells (offset from the start cell, dot mask) a segment n dots wide and dy dots tall covers,
    starting at dot row ``phase`` of its cell and at the left dot column.  Segments of one shape share it."""
    if n <= 0:
        ys = [0]
    elif dy >= 0:
        ys = [(dy * k * 2 + n) // (2 * n) for k in range(n + 1)]
    else:
        ys = [-((-dy * k * 2 + n) // (2 * n)) for k in range(n + 1)]
    cells: dict[int, int] = {}
    prev = 0
    for x, y in enumerate(ys):
        lo, hi = (prev, y) if prev <= y else (y, prev)
        for yy in range(lo + phase, hi + phase + 1):
            off = (yy >> 2) * width + (x >> 1)
            cells[off] = cells.get(off, 0) | _DOTS[yy & 3][x & 1]
        prev = y
    return list(cells.items())


class Canvas:
    """Braille cells of ``width`` x ``height``: dots in three tiers (brushed out, kept, focused)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        size = width * height
        self.out = [0] * size
        self.kept = [0] * size
        self.kept_layer = [EMPTY] * size
        self.focus = [0] * size
        self.glyph: dict[int, tuple[str, int]] = {}  # cell -> (character, layer) drawn over the dots
        self._patterns: dict[tuple[int, int, int], list[tuple[int, int]]] = {}

    def segment(self, x0: int, y0: int, x1: int, y1: int, layer: int) -> None:
        """Dots from (x0, y0) to (x1, y1) in dot coordinates (x0 even, x0 <= x1), connected: a steep
        segment fills the dots between its columns.  Lines must come in ascending layer order."""
        w = self.width
        key = (x1 - x0, y1 - y0, y0 & 3)
        pattern = self._patterns.get(key)
        if pattern is None:
            pattern = self._patterns[key] = _pattern(x1 - x0, y1 - y0, y0 & 3, w)
        base = (y0 >> 2) * w + (x0 >> 1)
        if layer in (OUT, FOCUS):
            bits = self.out if layer == OUT else self.focus
            for off, mask in pattern:
                bits[base + off] |= mask
            return
        bits, layers = self.kept, self.kept_layer
        for off, mask in pattern:
            cell = base + off
            bits[cell] |= mask
            layers[cell] = layer

    def put(self, row: int, col: int, text: str, layer: int) -> None:
        """Characters over the dots (axes, labels); a wide character takes two cells, the second holding
        nothing.  What falls outside is dropped."""
        if not 0 <= row < self.height:
            return
        c = col
        for ch in text:
            w = cell_width(ch)
            if c >= 0 and c + w <= self.width:
                self.glyph[row * self.width + c] = (ch, layer)
                if w == 2:
                    self.glyph[row * self.width + c + 1] = ("", layer)
            c += w

    def rows(self) -> list[list[tuple[str, int]]]:
        """Each row as runs of (text, layer): a cell shows the focused run's dots, else the kept runs'
        (in the highest layer among them), else the brushed-out ones."""
        out = []
        w = self.width
        for r in range(self.height):
            runs: list[tuple[str, int]] = []
            text: list[str] = []
            current = -1
            for c in range(w):
                i = r * w + c
                if i in self.glyph:
                    ch, layer = self.glyph[i]
                elif self.focus[i]:
                    ch, layer = chr(0x2800 + self.focus[i]), FOCUS
                elif self.kept[i]:
                    ch, layer = chr(0x2800 + self.kept[i]), self.kept_layer[i]
                elif self.out[i]:
                    ch, layer = chr(0x2800 + self.out[i]), OUT
                else:
                    ch, layer = " ", EMPTY
                if layer != current and text:
                    runs.append(("".join(text), current))
                    text = []
                current = layer
                text.append(ch)
            if text:
                runs.append(("".join(text), current))
            out.append(runs)
        return out


def _dot_y(position: float, height: int) -> int:
    return round((1.0 - position) * (height * 4 - 1))


def draw_lines(canvas: Canvas, columns: Sequence[int], lines: Sequence[Line]) -> None:
    """Each line as segments between neighbouring axes, skipping the axes' own columns; a segment
    touching an axis where the run has no value is not drawn.  Lower layers first."""
    h = canvas.height
    spans = [(2 * columns[i] + 2, 2 * columns[i + 1] - 1) for i in range(len(columns) - 1)]
    drawn: set[tuple[int, int, int, int]] = set()
    top = h * 4 - 1
    for line in sorted(lines, key=lambda ln: ln.layer):
        ys = [None if p is None else round((1.0 - p) * top) for p in line.positions]
        for i, (x0, x1) in enumerate(spans):
            a, b = ys[i], ys[i + 1]
            if a is None or b is None or x1 < x0:
                continue
            key = (i, a, b, line.layer)
            if key in drawn:  # runs on the same dots: drawn once, so the cost is bounded by the screen
                continue
            drawn.add(key)
            canvas.segment(x0, a, x1, b, line.layer)


def axis_rows(axis: Axis, brush: Brush | None, height: int) -> tuple[int, int] | None:
    """The rows (top, bottom; 0 = top row) a brush covers on an axis drawn ``height`` rows tall."""
    if brush is None:
        return None
    if axis.numeric:
        lo, hi = bounds(axis, brush)
        p_lo = 0.0 if lo is None else axis.to_unit(lo)
        p_hi = 1.0 if hi is None else axis.to_unit(hi)
    else:
        span = max(1, len(axis.categories) - 1)
        p_lo, p_hi = (0.5, 0.5) if len(axis.categories) == 1 else (brush.lo / span, brush.hi / span)
    return _dot_y(p_hi, height) >> 2, _dot_y(p_lo, height) >> 2


def category_marks(axis: Axis, height: int) -> list[tuple[int, str]]:
    """(row, category) for the categories that get a label, at most one per row (the others skipped)."""
    taken: set[int] = set()
    out = []
    span = max(1, len(axis.categories) - 1)
    for i, cat in enumerate(axis.categories):
        pos = 0.5 if len(axis.categories) == 1 else i / span
        row = _dot_y(pos, height) >> 2
        if row in taken:
            continue
        taken.add(row)
        out.append((row, cat))
    return out


def render(
    axes: Sequence[Axis],
    lines: Sequence[Line],
    width: int,
    height: int,
    *,
    selected: int | None = None,
    brushes: dict[int, Brush] | None = None,
) -> list[list[tuple[str, int]]]:
    """The plot as rows of (text, layer) runs: lines in braille, axes in box drawing (the brushed part
    heavy), category labels beside their axis (left of the last one)."""
    brushes = brushes or {}
    canvas = Canvas(width, height)
    columns = axis_columns(len(axes), width)
    draw_lines(canvas, columns, lines)
    for i, (axis, col) in enumerate(zip(axes, columns)):
        rows = axis_rows(axis, brushes.get(i), height)
        for r in range(height):
            inside = rows is not None and rows[0] <= r <= rows[1]
            canvas.put(r, col, "┃" if inside else "│", BRUSH if inside else AXIS_SELECTED if i == selected else AXIS)
        if not axis.numeric:
            last = i == len(axes) - 1 and len(axes) > 1
            room = (
                (col - (columns[i - 1] if i else -1) - 2)
                if last
                else ((columns[i + 1] if i + 1 < len(columns) else width) - col - 2)
            )
            room = min(room, 16)
            kept = set(kept_categories(axis, brushes[i])) if i in brushes else None
            for r, cat in category_marks(axis, height):
                text = fit(cat, room)
                if not text:
                    continue
                layer = LABEL_SELECTED if kept is not None and cat in kept else LABEL
                canvas.put(r, col - cell_width(text) if last else col + 1, text, layer)
    return canvas.rows()


def lines_for(
    axes: Sequence[Axis], mask: Sequence[bool], levels: Sequence[int | None], focus: int | None = None
) -> list[Line]:
    """One line per run: brushed-out runs in OUT, kept ones in their colour bin (NO_VALUE without one),
    the focused run on top."""
    out = []
    for r, keep in enumerate(mask):
        positions = [a.positions[r] for a in axes]
        if r == focus:
            layer = FOCUS
        elif not keep:
            layer = OUT
        else:
            level = levels[r] if r < len(levels) else None
            layer = NO_VALUE if level is None else FIRST_BIN + level
        out.append(Line(positions, layer))
    return out
