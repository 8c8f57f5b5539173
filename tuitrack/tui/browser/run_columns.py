"""The runs table's column model: which columns exist, how wide, how a cell looks, how it sorts.

Kept apart from the widget so the column chooser, the saved state and the
table agree on one vocabulary: a column is named by its filter-language key
(``attributes.start_time``, ``params.max_depth``, ``metrics.auc``), which is
also exactly what ``store.search_rids(order_by=...)`` sorts by in SQL.

A summary column (``metrics.`val_loss`.min``, see :mod:`tuitrack.query.summaries`) is always
spelled with the key in backticks, so a key that itself ends in ``.min`` never reads as
one; plain metric columns keep the unquoted ``metrics.KEY`` spelling saved states use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.style import Style

from tuitrack.entities import Run
from tuitrack.formatting import (
    MARK_GLYPH,
    STATUS_GLYPHS,
    UNKNOWN_GLYPH,
    format_duration,
    format_metric,
    format_short_time,
    short_id,
)
from tuitrack.query import summaries
from tuitrack.query.filter import FilterError, parse_field
from tuitrack.tui.liveness import display_status
from tuitrack.tui.text import clean

STATUS, NAME, RUN_ID, START, DURATION = (
    "attributes.status",
    "attributes.run_name",
    "attributes.run_id",
    "attributes.start_time",
    "attributes.duration",
)
BASE_KEYS: tuple[str, ...] = (STATUS, NAME, RUN_ID, START, DURATION)
#: The columns that stay on screen while the rest scroll sideways.
FIXED_KEYS: tuple[str, ...] = (STATUS, NAME)
DEFAULT_SORT = (START, True)
_BASE = {
    STATUS: ("", 2, "left"),
    NAME: ("name", 22, "left"),
    RUN_ID: ("id", 8, "left"),
    START: ("start", 11, "left"),
    DURATION: ("duration", 8, "right"),
}
#: The status cell's third glyph: the run (or some of its points) is not on the tracking server yet.
UNPUSHED_GLYPH = "↑"
#: The status column's width once the store has synced (mark, status, push state).
SYNC_STATUS_WIDTH = 3
_KIND_STYLE = {"params": Style(color="cyan"), "metrics": Style(color="magenta"), "tags": Style(color="green")}
_IDENT = re.compile(r"[^\W\d][\w/-]*\Z")
_DIM = Style(dim=True)
#: Before the name of a run listed under its parent.
CHILD_GLYPH = "↳ "
_ITALIC = Style(italic=True)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    align: str
    kind: str  # "attributes", "params", "metrics", "tags"

    @property
    def header_style(self) -> Style | None:
        return _KIND_STYLE.get(self.kind)


@lru_cache(maxsize=1024)
def summary_of(key: str) -> tuple[str, str] | None:
    """``"metrics.`val_loss`.min"`` -> ``("val_loss", "min")``; None for every other column key."""
    if not key.startswith("metrics.`"):
        return None
    try:
        _, name, field = parse_field(key)
    except FilterError:
        return None
    return (name, field) if field is not None else None


def summary_keys(metric: str) -> list[str]:
    """The summary columns the chooser offers for one metric key."""
    return [summaries.field_key(metric, f) for f in summaries.CHOOSER_FIELDS]


def split_key(key: str) -> tuple[str, str]:
    """``"params.lr"`` -> ``("params", "lr")``; raises ValueError naming a key that is not a column."""
    kind, sep, name = key.partition(".")
    if not sep or not name or kind not in ("attributes", "params", "metrics", "tags"):
        raise ValueError(f"not a column key: {key!r} (expected attributes.*, params.*, metrics.* or tags.*)")
    if kind == "attributes" and key not in _BASE:
        raise ValueError(f"unknown run attribute column {key!r}")
    return kind, name


def make_column(key: str) -> Column:
    kind, name = split_key(key)
    if kind == "attributes":
        label, width, align = _BASE[key]
        return Column(key, label, width, align, kind)
    summary = summary_of(key)
    if summary is not None:
        label = clean(f"{summary[0]}.{summary[1]}")
        return Column(key, label, max(6, min(cell_len(label) + 2, 18)), "right", kind)  # + the sort arrow
    label = clean(name)
    width = max(6, min(cell_len(label), 14)) if kind == "metrics" else max(6, min(cell_len(label), 16))
    return Column(key, label, width, "right" if kind == "metrics" else "left", kind)


def order_expr(key: str, descending: bool) -> str:
    """The order_by string for a column: user keys are backtick-quoted so any key name sorts safely."""
    kind, name = split_key(key)
    if summary_of(key) is not None:  # already the filter language's unambiguous spelling
        return f"{key} {'DESC' if descending else 'ASC'}"
    if kind != "attributes":
        name = "`" + name.replace("`", "``") + "`"
    return f"{kind}.{name} {'DESC' if descending else 'ASC'}"


def first_sort_descending(key: str) -> bool:
    """First press of ``s``: largest first for metrics, newest/longest first for times, A-Z otherwise.

    A summary of a metric value (min, max, best, mean) sorts best-first by the metric's direction
    (lowest loss first); steps and counts largest first.
    """
    summary = summary_of(key)
    if summary is not None and summary[1] not in summaries.INTEGER_FIELDS:
        return summaries.metric_direction(summary[0]) == summaries.HIGHER
    return key.startswith("metrics.") or key in (START, DURATION)


def _summary_text(run: Run, summary: tuple[str, str]) -> str:
    value = summaries.value(run.data.summaries.get(summary[0]), summary[1])
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else format_metric(value)


def default_keys(params: list[str], metrics: list[str]) -> list[str]:
    """Columns shown until the user picks some: the run basics, then every metric, then every param.

    Metrics first because the first question is "which run had the best recall?"; a saved
    column choice (``o``) always wins over this default.
    """
    return [*BASE_KEYS, *(f"metrics.{k}" for k in metrics), *(f"params.{k}" for k in params)]


def fit(text: str, width: int, align: str = "left") -> str:
    """Pad or cut (with an ellipsis) to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


def value_width(run: Run, col: Column) -> int:
    """Cells a param/tag/metric value of ``run`` takes, as ``cell`` would show it (0: no value).

    Widening columns measures every loaded run on every reload; plain ASCII values (nearly all)
    skip the clean-and-measure path.
    """
    name = col.key.split(".", 1)[1]
    if col.kind == "metrics":
        summary = summary_of(col.key)
        if summary is not None:
            return cell_len(_summary_text(run, summary))
        value = run.data.metrics.get(name)
        return 0 if value is None else cell_len(format_metric(value))
    source = run.data.params if col.kind == "params" else run.data.tags
    text = source.get(name)
    if text is None:
        return 0
    return len(text) if text.isascii() and text.isprintable() else cell_len(clean(text))


def cell(
    run: Run, col: Column, now_ms: int, marked: bool, unpushed: bool | None = None, depth: int = 0
) -> tuple[str, Style | None]:
    """(text, style) of one cell, already ``clean``-ed: user text can never format or move the terminal.

    ``unpushed`` (None: the store never synced) adds a third status cell: :data:`UNPUSHED_GLYPH` for a
    run the tracking server does not have complete yet, a blank for one it has.
    ``depth``: how deep the row is nested under its parent (0: top-level, see ``loader.nest``).
    """
    info = run.info
    if col.key == STATUS:
        glyph, style = STATUS_GLYPHS.get(display_status(info, now_ms), UNKNOWN_GLYPH)
        sync = "" if unpushed is None else (UNPUSHED_GLYPH if unpushed else " ")
        return (MARK_GLYPH if marked else " ") + glyph + sync, Style.parse(style)
    if col.key == NAME:  # a run listed under its parent: indented one step per level, with an arrow
        prefix = "  " * (depth - 1) + CHILD_GLYPH if depth > 0 else ""
        return prefix + clean(info.run_name), None
    if col.key == RUN_ID:
        return short_id(info.run_id), _DIM
    if col.key == START:
        return format_short_time(info.start_time), None
    if col.key == DURATION:
        if info.end_time is None:
            # A crashed run stopped at its last heartbeat; a live one is still counting.
            crashed = display_status(info, now_ms) == "CRASHED"
            until = (info.heartbeat or info.start_time) if crashed else now_ms
            return format_duration(max(0, until - info.start_time)), _ITALIC
        return format_duration(info.duration), None
    name = col.key.split(".", 1)[1]
    if col.kind == "metrics":
        summary = summary_of(col.key)
        if summary is not None:
            return _summary_text(run, summary), None  # numbers only: nothing to clean
        value = run.data.metrics.get(name)
        return ("" if value is None else format_metric(value)), None
    source = run.data.params if col.kind == "params" else run.data.tags
    text = source.get(name)
    return ("" if text is None else clean(text)), None
