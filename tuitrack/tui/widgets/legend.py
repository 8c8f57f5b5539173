"""Legends packed line by line, so an entry ("━━ name (id)") never breaks across lines."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

GAP = "   "


def pack_legend(entries: Sequence[Text], width: int) -> Text:
    """Entries joined by a gap, starting a new line before an entry that would not fit in ``width``.

    An entry longer than the whole width is cut with an ellipsis rather than wrapped.
    """
    out = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for entry in entries:
        size = entry.cell_len
        if used and used + len(GAP) + size > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(GAP)
            used += len(GAP)
        if size > width > 1:
            entry = entry.copy()
            entry.truncate(width, overflow="ellipsis")
            size = width
        out.append_text(entry)
        used += size
    return out
