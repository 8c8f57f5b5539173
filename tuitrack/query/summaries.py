"""Metric summary fields: ``metrics.KEY.min`` and friends, one vocabulary for every front end.

The store keeps one summary row per run and metric key (``latest_metrics``), written
with every batch of points: the last value and its step, min and max with the step
each first occurred at, the point count, and the mean of the last
:data:`TAIL_N` points.  A summary field names one of those numbers, so sorting and
filtering 100k runs by ``metrics.val_loss.min`` never reads metric history.

Spelling (the rule that keeps dotted keys unambiguous):

- ``metrics.KEY.FIELD`` where FIELD is one of :data:`FIELDS` is the summary FIELD of
  KEY, *unless* ``KEY.FIELD`` is itself a metric key of the store: an existing key
  always wins, so filters written before summaries existed keep their meaning.
- Quoting settles it either way: ``metrics.`val.loss`.min`` is always the summary
  ``min`` of the key ``val.loss``; ``metrics.`reward.max``` is always the key
  ``reward.max``.
- ``best`` and ``best_step`` follow the metric's direction (lower is better for keys
  naming a loss, error, rmse, mse, mae or perplexity, else higher; callers may pass
  overrides, as the app does for directions a user flipped).
- ``mean_last_10`` is the mean of the last 10 points by step (NaN points skipped).
  Only N = 10 is stored; another N would have to read every run's history, so it is
  refused with a message rather than served slowly.

Pure: no I/O, standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: How many trailing points ``mean_last_N`` averages (the one N the store keeps).
TAIL_N = 10
TAIL_FIELD = f"mean_last_{TAIL_N}"

#: Summary fields, in the order the column chooser lists them.
FIELDS: tuple[str, ...] = (
    "last",
    "min",
    "max",
    "best",
    "best_step",
    TAIL_FIELD,
    "min_step",
    "max_step",
    "last_step",
    "count",
)
#: Fields whose values are steps or counts (integers), not metric values.
INTEGER_FIELDS = frozenset({"best_step", "min_step", "max_step", "last_step", "count"})
#: Fields offered per metric in the app's column chooser (the rest are reachable by typing).
CHOOSER_FIELDS: tuple[str, ...] = ("min", "max", "best", "best_step", TAIL_FIELD)

LOWER, HIGHER = "min", "max"
_LOWER_IS_BETTER = ("loss", "error", "err", "rmse", "mse", "mae", "perplexity")
_LOWER_RE = re.compile(r"(?:^|[^a-z])(?:" + "|".join(_LOWER_IS_BETTER) + r")|loss|error|perplexity")
_MEAN_RE = re.compile(r"mean_last_([0-9]+)\Z")
_SUFFIX_RE = re.compile(r"\.(" + "|".join(FIELDS) + r"|mean_last_[0-9]+)\Z")


class SummaryError(ValueError):
    """A summary field that exists in the syntax but not in the store (``mean_last_5``)."""


def metric_direction(key: str, overrides: Mapping[str, str] | None = None) -> str:
    """``"min"`` when lower is better (loss, error, err, rmse, mse, mae, perplexity in the key), else ``"max"``.

    ``val_loss``, ``train/mse``, ``error_rate`` and ``perplexity`` are minimised; ``accuracy``, ``auc``,
    ``f1``, ``recall`` are maximised.  ``err`` only counts at the start of a word so ``berry_score`` stays max.
    ``overrides`` (key -> "min"/"max") wins over the name.
    """
    if overrides and overrides.get(key) in (LOWER, HIGHER):
        return str(overrides[key])
    return LOWER if _LOWER_RE.search(key.lower()) else HIGHER


def check_field(field: str) -> str:
    """``field`` if the store keeps it; raises SummaryError naming what it does keep."""
    if field in FIELDS:
        return field
    m = _MEAN_RE.match(field)
    if m:
        raise SummaryError(
            f"only {TAIL_FIELD} is kept as a summary (the mean of the last {TAIL_N} points); "
            f"mean_last_{m.group(1)} would have to read every run's history"
        )
    raise SummaryError(f"unknown summary {field!r} (expected one of {', '.join(FIELDS)})")


def split_suffix(key: str) -> tuple[str, str] | None:
    """``"val.loss.min"`` -> ``("val.loss", "min")``; None when ``key`` ends in no summary suffix."""
    m = _SUFFIX_RE.search(key)
    if m is None or m.start() == 0:
        return None
    return key[: m.start()], m.group(1)


def column(field: str, key: str, directions: Mapping[str, str] | None = None) -> str:
    """The ``latest_metrics`` column holding ``field`` of ``key`` (a fixed name, never user text)."""
    field = check_field(field)
    if field in ("best", "best_step"):
        low = metric_direction(key, directions) == LOWER
        field = ("min" if low else "max") + ("_step" if field == "best_step" else "")
    return {
        "last": "value",
        "min": "min_value",
        "max": "max_value",
        "min_step": "min_step",
        "max_step": "max_step",
        "last_step": "step",
        "count": "count",
        TAIL_FIELD: "tail_mean",
    }[field]


def value(summary: Any, field: str, directions: Mapping[str, str] | None = None) -> float | int | None:
    """The value of ``field`` in a :class:`~tuitrack.entities.MetricSummary` (None when not known)."""
    if summary is None:
        return None
    attr = {
        "value": "value",
        "min_value": "min",
        "max_value": "max",
        "min_step": "min_step",
        "max_step": "max_step",
        "step": "step",
        "count": "count",
        "tail_mean": "tail_mean",
    }[column(field, summary.key, directions)]
    return getattr(summary, attr, None)


def quote_key(key: str) -> str:
    """A key in backticks for the filter language (a backtick inside is doubled)."""
    return "`" + key.replace("`", "``") + "`"


def field_key(key: str, field: str) -> str:
    """The unambiguous spelling of a summary field: ``metrics.`val_loss`.min``."""
    return f"metrics.{quote_key(key)}.{field}"
