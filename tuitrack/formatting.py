"""Status glyphs, value formats and terminal-safe text shared by the CLI, the TUI and the analysis code.

One place so the runs table, the run detail, compare, charts and the CLI all show a
status, a metric value, a time or a duration the same way.  Pure functions on the
standard library (no Rich, no Textual), so any layer may import them.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from typing import Any

#: status -> (glyph, style).  CRASHED is a display status (RUNNING with a stale heartbeat).
STATUS_GLYPHS: dict[str, tuple[str, str]] = {
    "RUNNING": ("▶", "bold yellow"),
    "FINISHED": ("✔", "green"),
    "FAILED": ("✘", "bold red"),
    "KILLED": ("■", "magenta"),
    "CRASHED": ("☠", "bold red"),
    "SCHEDULED": ("◷", "cyan"),
}
UNKNOWN_GLYPH = ("?", "dim")
MARK_GLYPH = "●"
#: C0/C1 controls, plus the invisible characters that rearrange a terminal line: bidi overrides and
#: isolates (a run name with U+202E prints backwards), line/paragraph separators, zero-width marks.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def format_metric(value: float | int | None) -> str:
    """Up to 4 significant decimals: ``0.8734``, ``1.2e-05``, ``12.5``, ``nan``, ``inf``; None -> ``""``."""
    if value is None:
        return ""
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.2g}" if a < 1e-3 else f"{v:.4g}"
    if v.is_integer():
        return str(int(v))
    if a >= 1000:
        return f"{v:.1f}"
    out = f"{v:.4f}".rstrip("0").rstrip(".")
    return out if out not in ("", "-0") else f"{v:.2g}"


def format_duration(ms: int | None) -> str:
    """Compact duration: ``850ms``, ``12.3s``, ``4m05s``, ``2h03m``, ``3d04h``; None -> ``""``."""
    if ms is None:
        return ""
    ms = max(0, int(ms))
    if ms < 1000:
        return f"{ms}ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f}s"
    s_int = int(s)
    m, sec = divmod(s_int, 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def format_time(ms: int | None, *, seconds: bool = False) -> str:
    """Local wall time ``2024-05-01 12:30`` (``:ss`` with ``seconds``); None -> ``""``."""
    if ms is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.localtime(ms / 1000))


def format_short_time(ms: int | None) -> str:
    """``05-01 12:30``: the table's start column, narrow enough for 80 columns."""
    if ms is None:
        return ""
    return time.strftime("%m-%d %H:%M", time.localtime(ms / 1000))


def short_id(run_id: str) -> str:
    """The 8-character id prefix shown in tables (the CLI resolves unique prefixes)."""
    return run_id[:8]


def visible(text: Any) -> str:
    """A user string made safe for a terminal: control characters shown as ``\\xNN`` (``\\uNNNN``) instead of acting."""
    return _CONTROL_RE.sub(_escape_char, str(text))


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes (wide CJK characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def truncate_cells(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, the cut marked with ``…`` (which takes the last cell; just ``…``
    when ``width`` is below 1)."""
    if cell_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"
