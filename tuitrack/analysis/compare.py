"""Comparing runs side by side, without textual: the matrix behind the compare view and its exports.

The TUI, the CLI and tests all need the same answers ("which rows differ?", "which run is best at
auc?"), so the logic lives here as plain functions over :class:`tuitrack.entities.Run` objects.
Series math (smoothing, downsampling, grouping) is in :mod:`tuitrack.analysis.series`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tuitrack.analysis.export import elapsed_ms, md_cell
from tuitrack.analysis.export import metric_direction as default_direction
from tuitrack.entities import Run, data_keys
from tuitrack.errors import TuitrackError
from tuitrack.formatting import format_duration, format_metric, format_time
from tuitrack.store.reads import StoreReads

HIGHER, LOWER = "max", "min"

# Sections of the comparison, in display order.
RUN, PARAM, METRIC, METRIC_MIN, METRIC_MAX, TAG = "run", "param", "metric", "metric.min", "metric.max", "tag"
METRIC_SECTIONS = (METRIC, METRIC_MIN, METRIC_MAX)


def metric_direction(key: str, overrides: Mapping[str, str] | None = None) -> str:
    """``"min"`` when lower is better, else ``"max"``; a user override wins."""
    if overrides and key in overrides:
        return overrides[key]
    return default_direction(key)


# -- formatting --------------------------------------------------------------------------
# One look for numbers, durations and times across every view (see tuitrack/tui/glyphs.py).
fmt_number = format_metric
fmt_duration = format_duration


def fmt_time(ms: int | None) -> str:
    return format_time(ms, seconds=True)


# -- the comparison matrix -------------------------------------------------------------------
@dataclass
class Row:
    """One row of the comparison: a label and one cell per run (None = the run lacks it)."""

    section: str
    key: str
    cells: list[str | None]
    numbers: list[float | None] = field(default_factory=list)
    direction: str | None = None  # metric rows only
    best: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # at a step: why a cell is empty, or the step it was logged at

    @property
    def label(self) -> str:
        prefix = {RUN: "", PARAM: "params.", METRIC: "metrics.", METRIC_MIN: "min ", METRIC_MAX: "max ", TAG: "tags."}[
            self.section
        ]
        return prefix + self.key

    @property
    def differs(self) -> bool:
        """True when the runs do not all hold the same value (a missing value counts as a value).

        Metric rows compare the numbers, not the 4-decimal cells: 0.87341 and 0.87344 differ.
        """
        if self.numbers:
            return len({"nan" if v is not None and math.isnan(v) else v for v in self.numbers}) > 1
        return len(set(self.cells)) > 1


@dataclass
class Comparison:
    """Runs as columns, rows per section; built by :func:`build_comparison`."""

    run_ids: list[str]
    run_names: list[str]
    rows: list[Row]
    step: int | None = None  # metric rows hold the values at this step (None: the latest values)

    def visible_rows(self, diff_only: bool = False) -> list[Row]:
        """The rows to show; with ``diff_only`` only rows whose values differ (run id/name always kept)."""
        if not diff_only:
            return list(self.rows)
        return [r for r in self.rows if r.differs or (r.section == RUN and r.key in ("run id", "name"))]

    def row(self, section: str, key: str) -> Row:
        for r in self.rows:
            if r.section == section and r.key == key:
                return r
        raise KeyError(f"no {section} row {key!r} in this comparison")


def _mark_best(row: Row) -> None:
    finite = [(i, v) for i, v in enumerate(row.numbers) if v is not None and not math.isnan(v)]
    if len(finite) < 2 or len({v for _, v in finite}) < 2:
        row.best = set()
        return
    pick = min if row.direction == LOWER else max
    target = pick(v for _, v in finite)
    row.best = {i for i, v in finite if v == target}


def build_comparison(
    runs: Sequence[Run],
    *,
    now_ms: int,
    with_minmax: bool = False,
    directions: Mapping[str, str] | None = None,
    at_step: tuple[int, Mapping[str, Mapping[str, StepValue]]] | None = None,
) -> Comparison:
    """The comparison matrix of ``runs`` (column order kept): info, params, metrics (latest[, min, max]), tags.

    ``at_step`` = ``(step, values_at_step(...))`` puts each metric's value at that step in the metric rows
    instead of the latest (min/max rows stay the whole run's); a run without a value there gets an empty
    cell whose note says why.
    """
    rows: list[Row] = []
    info = [
        ("run id", [r.info.run_id for r in runs]),
        ("name", [r.info.run_name for r in runs]),
        ("experiment", [r.info.experiment for r in runs]),
        ("status", [r.info.display_status(now_ms) for r in runs]),
        ("start", [fmt_time(r.info.start_time) for r in runs]),
        ("duration", [fmt_duration(elapsed_ms(r.info, now_ms)) for r in runs]),
    ]
    rows.extend(Row(RUN, key, list(cells)) for key, cells in info)

    for key in data_keys(runs, "params"):
        rows.append(Row(PARAM, key, [r.data.params.get(key) for r in runs]))
    for key in data_keys(runs, "summaries"):
        direction = metric_direction(key, directions)
        sections = [METRIC, METRIC_MIN, METRIC_MAX] if with_minmax else [METRIC]
        for section in sections:
            numbers: list[float | None] = []
            notes: list[str] = []
            for r in runs:
                s = r.data.summaries.get(key)
                if s is None:
                    numbers.append(None)
                elif section == METRIC and at_step is not None:
                    found = at_step[1].get(r.info.run_id, {}).get(key)
                    numbers.append(found.value if found else None)
                    notes.append(found.note if found else "")
                else:
                    numbers.append(s.value if section == METRIC else s.min if section == METRIC_MIN else s.max)
                if len(notes) < len(numbers):
                    notes.append("")
            row = Row(section, key, [None if v is None else fmt_number(v) for v in numbers], numbers, direction)
            if any(notes):
                row.notes = notes
            _mark_best(row)
            rows.append(row)
    for key in data_keys(runs, "tags"):
        rows.append(Row(TAG, key, [r.data.tags.get(key) for r in runs]))
    step = at_step[0] if at_step is not None else None
    return Comparison([r.info.run_id for r in runs], [r.info.run_name for r in runs], rows, step)


# -- values at a step ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepValue:
    """A metric's value at a chosen step: its last point at or before that step, or why there is none."""

    value: float | None  # None: no value at this step (``note`` says why)
    step: int | None = None  # the step the value was logged at (<= the chosen step)
    note: str = ""


def step_value(
    step: int, found_step: int | None, value: float | None, first_step: int | None, last_step: int | None
) -> StepValue:
    """The value at ``step`` from a series' last point at or before it (``found_step``/``value``, None when
    there is none; a None value is a NaN point) and the series' first and last step.

    A series that starts after ``step`` or ends before it has no value there: a run's final value is not
    its value at a step it never reached, and reading it so would crown a run that stopped early.
    """
    if found_step is None:
        return StepValue(None, None, f"starts at step {first_step}" if first_step is not None else "no points")
    if last_step is not None and last_step < step:
        return StepValue(None, None, f"ends at step {last_step}")
    note = "" if found_step == step else f"logged at step {found_step}"
    return StepValue(math.nan if value is None else float(value), int(found_step), note)


def values_at_step(store: StoreReads, runs: Sequence[Run], step: int) -> dict[str, dict[str, StepValue]]:
    """run id -> metric key -> :class:`StepValue` at ``step``, for every metric of ``runs`` (one store read:
    three primary-key seeks per run and metric, whatever the histories' lengths)."""
    by_rid: dict[int, str] = {}
    for run in runs:
        by_rid[store.resolve_run(run.info.run_id)[0]] = run.info.run_id
    out: dict[str, dict[str, StepValue]] = {run_id: {} for run_id in by_rid.values()}
    for rid, key, found, value, first, last in store.metric_values_at(list(by_rid), step):
        out[by_rid[rid]][key] = step_value(step, found, value, first, last)
    return out


def load_runs(store: StoreReads, run_ids: Sequence[str]) -> tuple[list[Run], list[str]]:
    """The runs for ``run_ids`` in that order (one batched read), plus the ids no longer in the store."""
    rids: list[int] = []
    missing: list[str] = []
    for ref in run_ids:
        try:
            rids.append(store.resolve_run(ref)[0])
        except TuitrackError:
            missing.append(ref)
    return store.runs_by_rids(rids), missing


def best_run_ids(comparison: Comparison, key: str) -> list[str]:
    """Run ids holding the best latest value of metric ``key``."""
    row = comparison.row(METRIC, key)
    return [comparison.run_ids[i] for i in sorted(row.best)]


# -- export -----------------------------------------------------------------------------------
def _headers(comparison: Comparison) -> list[str]:
    return ["field", *[f"{name} ({rid[:8]})" for rid, name in zip(comparison.run_ids, comparison.run_names)]]


def to_markdown(comparison: Comparison, *, diff_only: bool = False) -> str:
    """A GitHub-flavoured Markdown table; the best value of each metric row is bold with a ★."""
    head = _headers(comparison)
    if comparison.step is not None:
        head[0] = f"field (metrics at step {comparison.step})"
    lines = ["| " + " | ".join(md_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    for row in comparison.visible_rows(diff_only):
        cells = []
        for i, cell in enumerate(row.cells):
            text = md_cell(cell) if cell is not None else ""
            cells.append(f"**{text}** ★" if i in row.best else text)
        lines.append("| " + " | ".join([md_cell(row.label), *cells]) + " |")
    return "\n".join(lines) + "\n"


def to_csv(comparison: Comparison, *, diff_only: bool = False) -> str:
    """CSV with one column per run; metric cells keep full float precision."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["section", "key", *comparison.run_ids])
    writer.writerow(["run", "name", *comparison.run_names])
    for row in comparison.visible_rows(diff_only):
        if row.section == RUN and row.key in ("run id", "name"):
            continue
        if row.numbers:
            cells = ["" if v is None else repr(v) if math.isfinite(v) else fmt_number(v) for v in row.numbers]
        else:
            cells = ["" if c is None else c for c in row.cells]
        writer.writerow([row.section, row.key, *cells])
    return buf.getvalue()


def default_export_path(kind: str, now_ms: int, directory: Path | None = None) -> Path:
    """``./tuitrack-compare-YYYYmmdd-HHMMSS.<md|csv>``."""
    if kind not in ("md", "csv"):
        raise ValueError(f"export kind must be 'md' or 'csv', not {kind!r}")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now_ms / 1000))
    return (directory or Path(".")) / f"tuitrack-compare-{stamp}.{kind}"


def write_export(comparison: Comparison, path: str | os.PathLike[str], *, diff_only: bool = False) -> Path:
    """Write Markdown (``.md``/``.markdown``) or CSV (anything else ending in ``.csv``); returns the path."""
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix in (".md", ".markdown"):
        text = to_markdown(comparison, diff_only=diff_only)
    elif suffix == ".csv":
        text = to_csv(comparison, diff_only=diff_only)
    else:
        raise ValueError(f"cannot tell the export format of {str(target)!r}: use a .md or .csv file name")
    if target.is_dir():
        raise ValueError(f"{target} is a folder; give a file name ending in .md or .csv")
    if not target.parent.exists():
        raise ValueError(f"folder {target.parent} does not exist")
    target.write_text(text, encoding="utf-8")
    return target


# -- remembered metric directions --------------------------------------------------------------
def state_dir() -> Path:
    """``$XDG_STATE_HOME/tuitrack`` or ``~/.local/state/tuitrack`` (never inside a store)."""
    base = os.environ.get("XDG_STATE_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".local" / "state"
    return root / "tuitrack"


class DirectionPrefs:
    """Per-store metric directions the user flipped, kept in ``metric_directions.json`` keyed by store path."""

    FILE = "metric_directions.json"

    def __init__(self, store_path: str | os.PathLike[str], directory: Path | None = None):
        self.store_key = str(Path(store_path).expanduser().resolve())
        self.file = (directory or state_dir()) / self.FILE
        self.overrides: dict[str, str] = self._load().get(self.store_key, {})

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: {m: d for m, d in v.items() if d in (LOWER, HIGHER)} for k, v in data.items() if isinstance(v, dict)}

    def direction(self, key: str) -> str:
        return metric_direction(key, self.overrides)

    def flip(self, key: str) -> str:
        """Flip ``key``'s direction, persist it, and return the new direction."""
        new = HIGHER if self.direction(key) == LOWER else LOWER
        if new == metric_direction(key):
            self.overrides.pop(key, None)
        else:
            self.overrides[key] = new
        self.save()
        return new

    def save(self) -> None:
        data = self._load()
        if self.overrides:
            data[self.store_key] = dict(sorted(self.overrides.items()))
        else:
            data.pop(self.store_key, None)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of our own (two open apps may save at once), renamed over the old one atomically.
        fd, tmp = tempfile.mkstemp(prefix=self.FILE, suffix=".tmp", dir=self.file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=1, sort_keys=True))
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
