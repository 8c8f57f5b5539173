"""Turning runs into rows and rows into csv / json / markdown / a terminal table.

Shared by ``tuitrack ls``, ``compare``, ``best`` and ``export`` so every output
spells a run the same way, and by the compare view (``metric_direction``).
Pure functions: no store access, no click.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tuitrack.entities import CRASHED, Run, RunInfo, data_keys
from tuitrack.formatting import cell_width, truncate_cells, visible
from tuitrack.query import summaries
from tuitrack.query.filter import FilterError, parse_field

#: Attribute columns a user can ask for (``--columns``), in their canonical spelling.
ATTRIBUTES = (
    "run_id",
    "name",
    "experiment",
    "status",
    "start_time",
    "end_time",
    "duration",
    "parent_id",
    "user",
    "host",
    "source",
    "note",
)
_ATTR_ALIASES = {
    "id": "run_id",
    "run_name": "name",
    "experiment_name": "experiment",
    "duration_ms": "duration",
    "parent": "parent_id",
    "description": "note",
}


def metric_direction(key: str) -> str:
    """``"min"`` when lower is better (loss, error, err, rmse, mse, mae, perplexity in the key), else ``"max"``.

    ``val_loss``, ``train/mse``, ``error_rate`` and ``perplexity`` are minimised; ``accuracy``, ``auc``,
    ``f1``, ``recall`` are maximised.  ``err`` only counts at the start of a word so ``berry_score`` stays max.
    (The rule lives in :mod:`tuitrack.query.summaries`, which ``metrics.KEY.best`` also follows.)
    """
    return summaries.metric_direction(key)


def json_number(value: float | int | None) -> float | int | str | None:
    """A JSON-safe number: NaN and infinities become the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if value is None or isinstance(value, int):
        return value
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def plain_number(value: float | int | None) -> str:
    """Full precision for csv/md: ``repr`` of the float, ``nan``/``inf``/``-inf`` spelled out."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


# -- runs -> rows ---------------------------------------------------------------------------
def canonical_column(spec: str) -> tuple[str, str]:
    """``"metrics.auc"`` -> ``("metrics", "auc")``; ``"status"`` -> ``("attributes", "status")``.

    A bare name that is no attribute comes back as ``("", name)``: the caller resolves it against
    the runs' metrics, params and tags.
    """
    spec = spec.strip()
    field = _summary_column(spec)
    if field is not None:
        return field
    for prefix, kind in (
        ("metrics.", "metrics"),
        ("metric.", "metrics"),
        ("params.", "params"),
        ("param.", "params"),
        ("tags.", "tags"),
        ("tag.", "tags"),
        ("attributes.", "attributes"),
    ):
        if spec.startswith(prefix):
            key = spec[len(prefix) :].strip()
            if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"'":
                key = key[1:-1]
            if kind == "attributes":
                key = _ATTR_ALIASES.get(key, key)
            return kind, key
    name = _ATTR_ALIASES.get(spec, spec)
    if name in ATTRIBUTES:
        return "attributes", name
    return "", spec


def _summary_column(spec: str) -> tuple[str, str] | None:
    """``metrics.`val.loss`.min`` (quoted: always a summary) -> ``("metrics.min", "val.loss")``, else None."""
    if not spec.startswith(("metrics.", "metric.")) or ("`" not in spec and '"' not in spec):
        return None
    try:
        _, key, field = parse_field(spec)
    except FilterError:
        return None
    return (f"metrics.{field}", key) if field is not None else None


def resolve_columns(
    specs: Iterable[str], runs: Sequence[Run], metric_key_exists: Callable[[str], bool] | None = None
) -> list[tuple[str, str]]:
    """Canonical (kind, key) columns; bare names go to whichever of metrics/params/tags the runs have.

    Summary fields (``metrics.val_loss.min``, or bare ``val_loss.min``) come back as
    ``("metrics.min", "val_loss")``: unless the whole name is a metric key (asked of
    ``metric_key_exists``, else of the runs), which always wins (see :mod:`tuitrack.query.summaries`).
    """
    exists = metric_key_exists or (lambda k: any(k in r.data.metrics for r in runs))
    out: list[tuple[str, str]] = []
    for spec in specs:
        kind, key = canonical_column(spec)
        if kind in ("metrics", "") and not exists(key) and (split := summaries.split_suffix(key)) is not None:
            base, field = split
            try:
                summaries.check_field(field)
            except summaries.SummaryError as exc:
                raise ValueError(f"column {spec!r}: {exc}") from None
            if kind == "metrics" or exists(base):
                out.append((f"metrics.{field}", base))
                continue
        if not key:
            raise ValueError(f"empty column name in {spec!r}")
        if kind == "":
            for candidate in ("metrics", "params", "tags"):
                if any(key in _section(r, candidate) for r in runs):
                    kind = candidate
                    break
            else:
                raise ValueError(
                    f"unknown column {spec!r}: not an attribute ({', '.join(ATTRIBUTES)}) and no "
                    "listed run has a metric, param or tag of that name"
                )
        if kind == "attributes" and key not in ATTRIBUTES:
            raise ValueError(f"unknown attribute column {spec!r}; attributes are {', '.join(ATTRIBUTES)}")
        out.append((kind, key))
    return out


def is_summary(col: tuple[str, str]) -> bool:
    return col[0].startswith("metrics.")


def _section(run: Run, kind: str) -> dict[str, Any]:
    sections: dict[str, dict[str, Any]] = {
        "metrics": run.data.metrics,
        "params": run.data.params,
        "tags": run.data.tags,
    }
    return sections[kind]


def elapsed_ms(info: RunInfo, now_ms: int) -> int:
    """How long a run ran: to its end, to now while it is alive, to its last heartbeat once it crashed.

    The TUI's runs table counts the same way; without the crashed case a dead run's duration
    would keep growing in ``ls``/``show``/``compare`` for as long as nobody looks.
    """
    if info.end_time is not None:
        return info.end_time - info.start_time
    if info.display_status(now_ms) == CRASHED:
        return max(0, (info.heartbeat or info.start_time) - info.start_time)
    return max(0, now_ms - info.start_time)


def attribute(run: Run, key: str, now_ms: int) -> Any:
    """The value of attribute column ``key`` (one of :data:`ATTRIBUTES`) for ``run``."""
    info = run.info
    return {
        "run_id": info.run_id,
        "name": info.run_name,
        "experiment": info.experiment,
        "status": info.display_status(now_ms),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration": elapsed_ms(info, now_ms),
        "parent_id": info.parent_id,
        "user": info.user,
        "host": info.host,
        "source": info.source,
        "note": info.note,
    }[key]


def default_columns(runs: Sequence[Run], *, tags: bool = True) -> list[tuple[str, str]]:
    """Every attribute, then every param, metric (and tag) key any of the runs has, sorted."""
    cols: list[tuple[str, str]] = [("attributes", a) for a in ATTRIBUTES]
    for kind in ("params", "metrics", *(("tags",) if tags else ())):
        keys = data_keys(runs, kind)
        cols += [(kind, k) for k in keys]
    return cols


def column_label(col: tuple[str, str]) -> str:
    kind, key = col
    if is_summary(col):
        return f"metrics.{key}.{kind.split('.', 1)[1]}"
    return key if kind == "attributes" else f"{kind}.{key}"


def cell(run: Run, col: tuple[str, str], now_ms: int) -> Any:
    """The raw value of one column for a run (None when the run lacks it)."""
    kind, key = col
    if kind == "attributes":
        return attribute(run, key, now_ms)
    if is_summary(col):
        return summaries.value(run.data.summaries.get(key), kind.split(".", 1)[1])
    return _section(run, kind).get(key)


def run_record(run: Run, cols: Sequence[tuple[str, str]], now_ms: int) -> dict[str, Any]:
    """A JSON-ready dict of the run: attributes flat, params/metrics/tags nested (only keys the run has)."""
    out: dict[str, Any] = {}
    for col in cols:
        kind, key = col
        value = cell(run, col, now_ms)
        if kind == "attributes":
            out[key] = value
        elif is_summary(col):
            if value is not None:
                out.setdefault("metric_summaries", {}).setdefault(key, {})[kind.split(".", 1)[1]] = json_number(value)
        elif value is not None:
            out.setdefault(kind, {})[key] = json_number(value) if kind == "metrics" else value
    return out


# -- rows -> text formats ---------------------------------------------------------------------
def to_json(data: Any) -> str:
    """Pretty JSON; characters that act on a terminal are written as ``\\uXXXX`` escapes.

    ``json`` escapes C0 controls itself but leaves DEL, C1 and the bidi/zero-width marks raw;
    they can only occur inside strings, where the escape is exact: parsing gives the data back.
    """
    return _JSON_UNSAFE_RE.sub(_json_escape, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def terminal_cells(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows for a terminal: every text cell through :func:`visible` (numbers and None unchanged)."""
    return [[visible(v) if isinstance(v, str) else v for v in row] for row in rows]


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with ``\\n`` line ends whose every field reads back exactly.

    The writer runs with ``\\r\\n`` as its terminator so that it quotes fields holding a bare CR
    too (with ``\\n`` alone it left them unquoted, and readers split the row there); each row's
    terminator is then written as ``\\n``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    lines = []
    for row in [
        header,
        *([plain_number(v) if isinstance(v, float) else ("" if v is None else v) for v in row] for row in rows),
    ]:
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        lines.append(buf.getvalue()[:-2])
    return "\n".join(lines) + "\n"


def md_cell(text: str) -> str:
    """A markdown table cell: line breaks become spaces, other control characters ``\\xNN``, pipes escaped."""
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return visible(text).replace("\\", "\\\\").replace("|", "\\|")


def rows_to_md(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (pipes and backslashes in values escaped)."""
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                md_cell(plain_number(v) if isinstance(v, float) else ("" if v is None else str(v))) for v in row
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


text_width = cell_width  # the names the CLI's tables use
truncate = truncate_cells


def pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - text_width(text))
    return fill + text if right else text + fill


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    max_width: int = 80,
    numeric: Sequence[bool] | None = None,
    min_widths: Sequence[int] | None = None,
) -> str:
    """A plain aligned table that fits ``max_width``: the widest columns are truncated first.

    Cells must already be strings (made visible); ``numeric`` columns are right-aligned.
    """
    n = len(header)
    numeric = list(numeric or [False] * n)
    widths = [max([text_width(header[i])] + [text_width(r[i]) for r in rows]) for i in range(n)]
    floor = list(min_widths or [min(w, 6) for w in widths])
    gap = 2
    while sum(widths) + gap * (n - 1) > max_width:
        i = max(range(n), key=lambda j: widths[j] - floor[j])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1
    lines = ["  ".join(pad(truncate(header[i], widths[i]), widths[i], numeric[i]) for i in range(n)).rstrip()]
    for r in rows:
        lines.append("  ".join(pad(truncate(r[i], widths[i]), widths[i], numeric[i]) for i in range(n)).rstrip())
    return "\n".join(lines) + "\n"
