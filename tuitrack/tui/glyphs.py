"""Rich renderings of run status for the TUI views (the glyph table itself is in :mod:`tuitrack.formatting`)."""

from __future__ import annotations

from rich.text import Text

from tuitrack.formatting import STATUS_GLYPHS, UNKNOWN_GLYPH


def status_glyph(status: str) -> Text:
    """The coloured one-cell glyph for a (display) status."""
    glyph, style = STATUS_GLYPHS.get(status, UNKNOWN_GLYPH)
    return Text(glyph, style=style)


def status_text(status: str) -> Text:
    """Glyph plus the status word, e.g. for the detail overview."""
    glyph, style = STATUS_GLYPHS.get(status, UNKNOWN_GLYPH)
    return Text(f"{glyph} {status}", style=style)
