"""Pure renderers for the run detail sections: ``DetailData`` in, Rich renderables out.

Every user string goes through ``tui.text.safe`` so names, params, tags and
notes show literally; long values fold inside their column instead of pushing
the layout sideways.  No Textual imports: cheap to test and reuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tuitrack.entities import DatasetInput, MetricSummary
from tuitrack.formatting import format_metric, format_time
from tuitrack.store.reads import KeyWindow
from tuitrack.tui.browser.detail_data import MAX_SPARK_KEYS, DetailData
from tuitrack.tui.glyphs import status_text
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.key_rows import Block, Lines, RowRenderer, Rows
from tuitrack.tui.widgets.sparkline import sparkline

if TYPE_CHECKING:
    from tuitrack.analysis import reproduce as rp

#: Longest user value shown in a table cell (params allow 6000 chars, tags 8000); longer ones are cut
#: with their full length noted, so one huge value cannot push everything else off screen.
VALUE_LIMIT = 500
KEY_WIDTH = 28


def human_duration(ms: int | None) -> str:
    """``850ms``, ``12.3s``, ``2m 05s``, ``1h 02m 03s``, ``3d 04h 05m``."""
    if ms is None:
        return "—"
    ms = max(0, int(ms))
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    s = ms // 1000
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    if d:
        return f"{d}d {h:02d}h {m:02d}m"
    if h:
        return f"{h}h {m:02d}m {s:02d}s"
    return f"{m}m {s:02d}s"


def human_size(n: int | None) -> str:
    """``512 B``, ``1.5 KiB``, ``2.0 MiB``."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # unreachable; keeps type checkers calm


def _dim(text: str) -> Text:
    return Text(text, style="dim")


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


class KeyValues:
    """Key/value rows: keys in a bold column (at most ``KEY_WIDTH``), values wrapped beside them.

    What a two-column ``Table.grid`` drew, at about a quarter of the cost: a table measures
    every cell to size its columns, on every render and every height measurement, and the
    detail pane renders these on each cursor move and each enter.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[Text, Text]] = []

    def add_row(self, key: str | Text, value: str | Text) -> None:
        self.rows.append(
            (key if isinstance(key, Text) else Text(key), value if isinstance(value, Text) else Text(value))
        )

    def _key_width(self) -> int:
        return min(KEY_WIDTH, max((cell_len(k.plain) for k, _ in self.rows), default=0))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        key = self._key_width()
        widest = max((cell_len(line) for _, v in self.rows for line in v.plain.split("\n")), default=0)
        return Measurement(min(options.max_width, key + 3), min(options.max_width, key + 2 + widest))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key_width = self._key_width()
        value_width = max(1, options.max_width - key_width - 2)
        for key, value in self.rows:
            keys = key.wrap(console, key_width, overflow="fold") if cell_len(key.plain) > key_width else [key]
            values = value.wrap(console, value_width, overflow="fold")
            for i in range(max(len(keys), len(values))):
                line = Text(no_wrap=True, overflow="crop")
                part = keys[i].copy() if i < len(keys) else Text("")
                part.append(" " * (key_width - cell_len(part.plain) + 2))  # padding in the key's style, as
                part.stylize_before("bold")  # a table column draws it (and SVG renderers keep it)
                line.append_text(part)
                if i < len(values):
                    line.append_text(values[i])
                yield line


def kv_table(items: Iterable[tuple[str, str]], empty: str) -> RenderableType:
    """Key/value rows with literal, folded values; ``empty`` when there are none."""
    rows = list(items)
    if not rows:
        return _dim(empty)
    grid = KeyValues()
    for key, value in rows:
        cell = _folding(safe(value, limit=VALUE_LIMIT))
        if len(value) > VALUE_LIMIT:
            cell.append(f"  ({len(value):,} chars)", "dim italic")
        grid.add_row(safe(key), cell)
    return grid


def _folding(text: Text) -> Text:
    text.no_wrap = False
    text.overflow = "fold"
    return text


def _git_line(tags: Mapping[str, str]) -> Text | None:
    commit = tags.get("tuitrack.git.commit")
    if not commit:
        return None
    line = safe(commit)
    branch = tags.get("tuitrack.git.branch")
    if branch:
        line.append(" on ")
        line.append_text(safe(branch, "bold"))
    if tags.get("tuitrack.git.dirty") == "true":
        line.append("  (dirty: uncommitted changes)", "yellow")
    elif tags.get("tuitrack.git.dirty") == "false":
        line.append("  (clean)", "dim")
    return _folding(line)


def overview(data: DetailData) -> RenderableType:
    """Identity, timing, provenance, note and (for failed runs) the traceback."""
    info = data.run.info
    tags = data.run.data.tags
    grid = KeyValues()

    def row(label: str, value: Text | str | None) -> None:
        if value is None or value == "":
            value = _dim("—")
        grid.add_row(label, _folding(value) if isinstance(value, Text) else _folding(safe(value)))

    row("Run ID", info.run_id)
    row("Name", safe(info.run_name, "bold"))
    status = status_text(data.status)
    if data.status != info.status:
        silent = data.now_ms - (info.heartbeat or info.start_time)
        if info.display_status(data.now_ms) == info.status:  # the heartbeat is fresh: the process table said so
            status.append(f"  (stored {info.status}; its process {info.pid} on this machine is gone)", "dim")
        else:
            status.append(f"  (stored {info.status}; no heartbeat for {human_duration(silent)})", "dim")
    row("Status", status)
    row("Experiment", safe(info.experiment))
    row("Started", format_time(info.start_time, seconds=True))
    crashed = info.end_time is None and data.status == "CRASHED"
    last_beat = info.heartbeat or info.start_time
    if info.end_time is not None:
        row("Ended", format_time(info.end_time, seconds=True))
        row("Duration", human_duration(info.duration))
    elif crashed:
        # Same number as the table's duration column: the run stopped at its last heartbeat.
        row("Ended", _dim(f"— (last heartbeat {format_time(last_beat, seconds=True)})"))
        row(
            "Duration",
            Text(f"{human_duration(last_beat - info.start_time)} until last heartbeat (crashed)", style="red"),
        )
    else:
        row("Ended", _dim("— (no end yet)"))
        row("Duration", Text(f"{human_duration(data.now_ms - info.start_time)} so far", style="yellow"))
    if info.parent_id:
        parent = safe(info.parent_id)
        parent.append("  ")
        parent.append_text(
            safe(data.parent_name, "bold") if data.parent_name is not None else _dim("(parent run not in this store)")
        )
        row("Parent", parent)
    if data.child_count:
        row("Children", f"{data.child_count} nested run{'s' if data.child_count != 1 else ''}")
    row("User", info.user)
    row("Host", info.host)
    row("PID", str(info.pid) if info.pid is not None else None)
    row("Git", _git_line(tags))
    row("Command", info.source)
    row("Python", tags.get("tuitrack.python"))
    row("Platform", tags.get("tuitrack.platform"))
    if info.deleted_at is not None:
        row("Deleted", Text(f"deleted {format_time(info.deleted_at, seconds=True)}", style="red"))
    if tags.get("tuitrack.pulled_from"):  # team sync (#14): which server the run came from
        row("Pulled", safe(f"from {tags['tuitrack.pulled_from']}"))
    if tags.get("tuitrack.sync.conflict"):  # both sides changed it: which write was kept
        row("Sync", safe(tags["tuitrack.sync.conflict"], "yellow"))
    parts: list[RenderableType] = [grid]
    if info.note:
        parts += [Text(""), _heading("Note"), _folding(safe(info.note, single_line=False))]
    if info.error:
        style = "red" if data.status in ("FAILED", "CRASHED") else ""
        label = "Error (traceback)" if "Traceback" in info.error else "Error"
        parts += [Text(""), _heading(label), _folding(safe(info.error, style, single_line=False))]
    return Group(*parts)


@dataclass(frozen=True)
class Section:
    """What a params/metrics/tags tab draws: blocks of lines, and how a ``Rows`` block's row looks."""

    blocks: list[Block]
    draw: RowRenderer | None = None


def complete(window: KeyWindow) -> bool:
    """The window holds every matching row: the section is drawn whole, values wrapped, as one block."""
    return window.offset == 0 and len(window.rows) == window.total


def _section_heading(title: str, window: KeyWindow, count: int, noun: str) -> Text:
    """``Tags (100,000)``, and what the filter matched or that ``f`` filters a long section."""
    heading = _heading(f"{title} ({count:,})")
    if window.needle:
        heading.append(f"  {window.total:,} of {window.unfiltered:,} {noun} match ", "dim")
        heading.append_text(safe(repr(window.needle), "dim"))
    elif not complete(window):
        heading.append("  f filters by key", "dim")
    return heading


def _no_match(window: KeyWindow, empty: str) -> str:
    return f"no key matches {window.needle!r}" if window.needle else empty


def kv_line(window: KeyWindow) -> RowRenderer:
    """One ``(key, value)`` row per line (a long section): keys in a bold column, values cut at the edge."""
    key_width = min(KEY_WIDTH, max((cell_len(k) for k, _ in window.rows), default=6))

    def draw(row: tuple[str, str], width: int) -> Text:
        key, value = row
        line = safe(key, "bold", limit=key_width)
        line.append(" " * (key_width - cell_len(line.plain) + 2))
        line.append_text(safe(value, limit=VALUE_LIMIT))
        return line

    return draw


def params(data: DetailData) -> Section:
    """Params sorted by key, then the datasets the run read (what data version was that?)."""
    window = data.window("params")
    heading = _section_heading("Params", window, window.total, "params")
    tail: list[RenderableType] = [Text(""), _heading(f"Data inputs ({len(data.inputs)})")]
    if not data.inputs:
        tail.append(_dim("no datasets logged (log_input)"))
    else:
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column("name", overflow="fold", max_width=KEY_WIDTH)
        table.add_column("source", overflow="fold", ratio=1)
        table.add_column("digest", no_wrap=True)
        table.add_column("rows", justify="right", no_wrap=True)
        table.add_column("context", overflow="fold")
        for item in data.inputs:
            table.add_row(
                safe(item.name),
                _folding(safe(item.source)) if item.source else _dim("(in memory)"),
                safe(item.digest[:12]) if item.digest else _dim("—"),
                f"{item.rows:,}" if item.rows is not None else _dim("?"),
                safe(item.context) if item.context else _dim("—"),
            )
        tail.append(table)
        for item in data.inputs:  # what MLflow datasets add: their columns and profile
            line = dataset_summary(item)
            if line:
                tail.append(_folding(Text.assemble(safe(item.name, "bold"), Text(": ", style="dim"), safe(line))))
    if complete(window):
        return Section([Lines((heading, kv_table(window.rows, _no_match(window, "no params logged")), *tail))])
    return Section([Lines((heading,)), Rows(0, window.total), Lines(tuple(tail))], kv_line(window))


def dataset_summary(item: DatasetInput) -> str:
    """One line of a dataset's schema (column: type, or tensor shapes) and profile; "" when it has neither."""
    bits: list[str] = []
    schema = item.schema if isinstance(item.schema, dict) else {}
    cols = schema.get("mlflow_colspec")
    if isinstance(cols, list):
        bits.append(", ".join(f"{c.get('name', '?')} {c.get('type', '?')}" for c in cols if isinstance(c, dict)))
    tensors = schema.get("mlflow_tensorspec")
    if isinstance(tensors, dict):
        for part, spec_text in tensors.items():
            try:
                spec = json.loads(spec_text) if isinstance(spec_text, str) else spec_text
                shape = spec[0]["tensor-spec"]["shape"]
                dtype = spec[0]["tensor-spec"]["dtype"]
                bits.append(f"{part} {dtype}{list(shape)}")
            except (ValueError, LookupError, TypeError):
                continue
    if isinstance(item.profile, dict) and item.profile:
        bits.append(" ".join(f"{k}={v}" for k, v in item.profile.items()))
    if item.source_type:
        bits.append(f"source type {item.source_type}")
    return " · ".join(b for b in bits if b)


#: Metric columns in the order they are dropped when the pane is too narrow for all of them.
_DROP_ORDER = ("history", "step", "min", "max", "steps")
SPARK_MAX = 24
SPARK_MIN = 6


_NUMBER_COLUMNS = ("last", "min", "max", "steps", "step")


def _metric_cells(s: MetricSummary) -> dict[str, Text]:
    return {
        "last": Text(format_metric(s.value), style="bold"),
        "min": Text(format_metric(s.min)),
        "max": Text(format_metric(s.max)),
        "steps": Text(f"{s.count:,}"),
        "step": Text(str(s.step)),
    }


def _metric_layout(rows: list[MetricSummary], width: int) -> tuple[int, dict[str, int], list[str], int]:
    """(key width, column widths, columns shown, sparkline width) for ``rows`` in ``width`` columns."""
    cells = [_metric_cells(s) for s in rows]
    widths = {name: max(len(name), *(len(c[name]) for c in cells)) for name in _NUMBER_COLUMNS}
    key_width = min(KEY_WIDTH, max(6, *(len(s.key) for s in rows)))
    shown = ["last", "min", "max", "steps", "step", "history"]
    spark = SPARK_MAX

    def needed() -> int:
        cols = [key_width] + [widths[c] for c in shown if c != "history"] + ([spark] if "history" in shown else [])
        return sum(cols) + len(cols) - 1

    for name in _DROP_ORDER:
        if needed() <= width:
            break
        if name == "history":
            spark = max(0, SPARK_MAX - (needed() - width))
            if spark >= SPARK_MIN:
                break
        shown.remove(name)
    return key_width, widths, shown, spark


def _title(name: str, widths: dict[str, int]) -> str:
    return "last step" if name == "step" and widths[name] >= 9 else name


def metrics(data: DetailData, width: int = 100) -> Section:
    """Per metric: last, min, max, step count, last step and a sparkline of its (downsampled) history.

    ``width`` is the room the pane has: the sparkline shrinks to fit, and in a narrow
    pane the least important columns go (history, step, min, max, steps) so the
    metric name and its last value always stay readable.  A run with more metrics than
    one window holds gets one line per metric (keys cut at the column's edge) and
    sparklines for the rows on screen.
    """
    window = data.window("metrics")
    rows: list[MetricSummary] = window.rows
    if not rows:
        return Section([Lines((_dim(_no_match(window, "no metrics logged")),))])
    key_width, widths, shown, spark = _metric_layout(rows, width)
    hidden = [n for n in ("min", "max", "steps", "step", "history") if n not in shown]
    notes: list[RenderableType] = [_dim(f"widen the pane to see {', '.join(hidden)}")] if hidden else []
    if not complete(window):
        heading = _section_heading("Metrics", window, window.total, "metrics")
        header = Text("metric".ljust(key_width), style="bold")
        for name in shown:
            header.append(" ")
            header.append(name.ljust(spark) if name == "history" else _title(name, widths).rjust(widths[name]), "bold")

        def draw(s: MetricSummary, _width: int) -> Text:
            line = safe(s.key, limit=key_width)
            line.append(" " * (key_width - cell_len(line.plain)))
            cells = _metric_cells(s)
            history = data.histories.get(s.key)
            for name in shown:
                line.append(" ")
                if name == "history":
                    line.append_text(sparkline(history, spark) if history else _dim("—"))
                else:
                    cell = cells[name]
                    cell.pad_left(widths[name] - len(cell))
                    line.append_text(cell)
            return line

        return Section([Lines((heading, header)), Rows(0, window.total), Lines(tuple(notes))], draw)
    table = Table(box=None, expand=False, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    table.add_column("metric", overflow="fold", min_width=min(key_width, 12), max_width=KEY_WIDTH)
    for name in shown:
        if name == "history":
            table.add_column("history", no_wrap=True, overflow="crop", width=spark)
        else:
            table.add_column(_title(name, widths), justify="right", no_wrap=True, min_width=widths[name])
    for s in rows:
        history = data.histories.get(s.key)
        cells = _metric_cells(s)
        table.add_row(
            safe(s.key),
            *[
                (sparkline(history, spark) if history else _dim("—")) if name == "history" else cells[name]
                for name in shown
            ],
        )
    parts: list[RenderableType] = [table, *notes]
    if len(rows) > MAX_SPARK_KEYS and "history" in shown:
        parts.append(_dim(f"history sparklines for the first {MAX_SPARK_KEYS} of {len(rows)} metrics"))
    return Section([Lines(tuple(parts))])


def tags(data: DetailData) -> Section:
    """User tags first; ``tuitrack.*`` system tags (environment, git) apart."""
    window = data.window("tags")
    n_user, n_system = window.total - window.tail, window.tail
    heading = _section_heading("Tags", window, n_user, "tags")
    system_heading = _heading(f"System tags ({n_system:,})")
    no_user = _no_match(window, "no tags set")
    no_system = _no_match(window, "no system tags (environment capture was off)")
    if complete(window):
        return Section(
            [
                Lines(
                    (
                        heading,
                        kv_table(window.rows[:n_user], no_user),
                        Text(""),
                        system_heading,
                        kv_table(window.rows[n_user:], no_system),
                    )
                )
            ]
        )
    return Section(
        [
            Lines((heading,)),
            Rows(0, n_user) if n_user else Lines((_dim(no_user),)),
            Lines((Text(""), system_heading)),
            Rows(n_user, n_system) if n_system else Lines((_dim(no_system),)),
        ],
        kv_line(window),
    )


def recipe(data: DetailData, reference: tuple[dict[str, str], str] | None = None) -> rp.Recipe:
    """What reruns the run; packages and Python compared with ``reference`` (this environment) when known."""
    from tuitrack.analysis import reproduce as rp  # the Env tab's, filled after the first screen is drawn

    return rp.build(
        data.run,
        data.inputs,
        [a.path for a in data.artifacts],
        data.packages,
        reference_packages=reference[0] if reference else None,
        reference_python=reference[1] if reference else None,
        reference="this environment" if reference else "",
    )


_REPORT_LABELS = {
    "command": "Command",
    "cwd": "Working dir",
    "git": "Git",
    "python": "Python",
    "packages": "Packages",
    "data": "Data",
    "model": "Load model",
}


def environment(data: DetailData, reference: tuple[dict[str, str], str] | None = None) -> RenderableType:
    """The reproduce view: where and how the run ran, how that differs from this environment, and the
    shell snippet that reruns it (``y`` copies it); the package list below is a separate widget."""
    from tuitrack.analysis import reproduce as rp

    r = recipe(data, reference)
    grid = KeyValues()
    label = ""
    for key, value in rp.report(r):
        if key in ("run", "started"):
            continue
        label = _REPORT_LABELS.get(key, key) if key else ""
        style = {"~": "bold yellow", "-": "red", "+": "green"}.get(value[:1], "") if not key else ""
        grid.add_row(label, _folding(safe(value, style)))
        if key == "python":
            grid.add_row("Host", _folding(safe(data.run.info.host)) if data.run.info.host else _dim("—"))
            grid.add_row("User", _folding(safe(data.run.info.user)) if data.run.info.user else _dim("—"))
    if reference is None and data.packages:
        grid.add_row("", _dim("comparing packages with this environment…"))
    snippet = Text("\nRerun (y copies it; tuitrack reproduce RUN --shell prints it):\n", style="dim")
    snippet.append_text(safe(rp.shell(r).rstrip("\n"), single_line=False))
    return Group(grid, snippet)


def header(data: DetailData) -> Text:
    """One line naming the run the pane shows, so it is never ambiguous."""
    line = status_text(data.status)
    line.append("  ")
    line.append_text(safe(data.run.info.run_name, "bold", limit=60))
    line.append("  ")
    line.append(data.run_id[:8], "dim")
    line.append("  ")
    error = last_error_line(data.run.info.error) if data.status == "FAILED" else ""
    if error:  # what went wrong, before anything else that fits on the line
        line.append_text(safe(error, "bold red", limit=200))
        line.append("  ")
    line.append_text(safe(data.run.info.experiment, "dim", limit=40))
    return line


def last_error_line(error: str | None) -> str:
    """The line of a stored error that names the exception (a traceback's last non-blank line)."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
