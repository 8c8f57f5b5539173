"""A one-line text sparkline (▁▂▃▄▅▆▇█) for a table cell.

A plain ``Text`` instead of Textual's Sparkline widget because the run detail
shows one per metric row inside a table, and because metric histories hold NaN
and ±inf that must stay visible instead of flattening the scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
NAN_MARK = "·"
POS_INF_MARK = "▲"
NEG_INF_MARK = "▼"


def _bucket(values: Sequence[float], width: int) -> list[float]:
    """Shrink to ``width`` values: each bucket's finite mean; inf wins over finite, NaN only if nothing else."""
    n = len(values)
    if n <= width:
        return list(values)
    out: list[float] = []
    for i in range(width):
        chunk = values[i * n // width : (i + 1) * n // width]
        finite = [v for v in chunk if math.isfinite(v)]
        infs = [v for v in chunk if math.isinf(v)]
        if infs:
            out.append(infs[-1])
        elif finite:
            out.append(sum(finite) / len(finite))
        else:
            out.append(math.nan)
    return out


def sparkline(values: Sequence[float], width: int = 24, style: str = "cyan") -> Text:
    """Bars scaled between the finite min and max; NaN shows as ``·``, +inf as ``▲``, -inf as ``▼``."""
    if width < 1:
        raise ValueError("sparkline width must be at least 1")
    points = _bucket([float(v) for v in values], width)
    finite = [v for v in points if math.isfinite(v)]
    lo = min(finite) if finite else 0.0
    hi = max(finite) if finite else 0.0
    span = hi - lo
    text = Text(no_wrap=True, overflow="crop")
    for v in points:
        if math.isnan(v):
            text.append(NAN_MARK, "dim")
        elif math.isinf(v):
            text.append(POS_INF_MARK if v > 0 else NEG_INF_MARK, "red")
        else:
            level = 3 if span == 0 else round((v - lo) / span * (len(BARS) - 1))
            text.append(BARS[level], style)
    return text
