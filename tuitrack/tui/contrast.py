"""NO_COLOR without dark grey on dark grey.

With ``NO_COLOR`` set, Textual turns every colour into the grey of its brightness.  Colours that
differ by hue but not by brightness then look alike, and dark ones (magenta metric headers, a red
status glyph on the cursor row) became grey 237 on grey 235.  This filter does the same
conversion and then moves a foreground grey away from its background grey until the two differ by
at least ``MIN_CONTRAST`` levels (of 255), keeping the order (lighter stays lighter), so text is
always readable and what was dim stays dimmer than what was bright.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, Monochrome

#: Grey levels (0-255) between text and its background at least.
MIN_CONTRAST = 110


def grey(color: Color) -> int:
    """The grey level Textual's monochrome conversion gives ``color``."""
    return color.monochrome.r


def readable(fg: int, bg: int) -> int:
    """``fg`` moved away from ``bg`` to at least ``MIN_CONTRAST`` levels apart (toward white on a dark
    background, toward black on a light one)."""
    if abs(fg - bg) >= MIN_CONTRAST:
        return fg
    return min(255, bg + MIN_CONTRAST) if bg < 128 else max(0, bg - MIN_CONTRAST)


@lru_cache(4096)
def contrast_style(style: Style, background: Color) -> Style:
    fg = Color.from_rich_color(style.color) if style.color is not None else None
    bg = Color.from_rich_color(style.bgcolor) if style.bgcolor is not None else background
    level_bg = grey(bg)
    new_bg = Color(level_bg, level_bg, level_bg)
    if fg is None:
        return style + Style.from_color(None, new_bg.rich_color if style.bgcolor is not None else None)
    level = readable(grey(fg), level_bg)
    return style + Style.from_color(
        Color(level, level, level).rich_color, new_bg.rich_color if style.bgcolor is not None else None
    )


class ContrastMonochrome(LineFilter):
    """Textual's ``Monochrome`` filter, with every foreground kept readable on its background."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, contrast_style(style, background) if style is not None else None, None)
            for text, style, _ in segments
        ]


def with_contrast(filters: list[LineFilter]) -> list[LineFilter]:
    """``filters`` with Textual's Monochrome swapped for :class:`ContrastMonochrome`."""
    return [ContrastMonochrome(enabled=f.enabled) if isinstance(f, Monochrome) else f for f in filters]
