"""One stable colour per run, shared by the compare table, charts, scatter and groups.

The colour is derived from the run id alone (CRC32 into a fixed palette), so a run keeps its
colour across views, sessions and machines; Python's ``hash`` is salted per process, so it is
not used.  Palette entries are RGB tuples, which plotext and Rich both accept.
"""

from __future__ import annotations

import zlib

RGB = tuple[int, int, int]

#: Distinguishable on dark and light terminals (Tableau 10 plus a few extras).
PALETTE: tuple[RGB, ...] = (
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
    (31, 190, 220),
    (160, 220, 90),
)


def run_color(run_id: str) -> RGB:
    """The run's colour (stable for a given id)."""
    return PALETTE[zlib.crc32(run_id.encode("utf-8")) % len(PALETTE)]


def run_colors(run_ids: list[str]) -> dict[str, RGB]:
    """Colours for runs drawn together: each keeps its own colour unless two collide, then the later
    one moves to the next free palette slot (so one chart never shows two runs in one colour)."""
    out: dict[str, RGB] = {}
    used: set[RGB] = set()
    for rid in run_ids:
        color = run_color(rid)
        if color in used and len(used) < len(PALETTE):
            start = PALETTE.index(color)
            color = next(
                PALETTE[(start + i) % len(PALETTE)]
                for i in range(1, len(PALETTE))
                if PALETTE[(start + i) % len(PALETTE)] not in used
            )
        out[rid] = color
        used.add(color)
    return out


def lighter(color: RGB, amount: float = 0.5) -> RGB:
    """The colour mixed toward white (for min/max bands beside a mean line)."""
    r, g, b = color
    return (round(r + (255 - r) * amount), round(g + (255 - g) * amount), round(b + (255 - b) * amount))


def hex_color(color: RGB) -> str:
    """``#rrggbb`` for Rich styles."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def faded(color: RGB, amount: float = 0.6, *, dark: bool = True) -> RGB:
    """The colour mixed toward the background, so a raw series sits quietly behind its smoothed line.

    ``lighter`` fades on a light background only; on a dark one it makes lines whiter and louder.
    """
    target = (24, 24, 24) if dark else (255, 255, 255)
    r, g, b = (round(c + (t - c) * amount) for c, t in zip(color, target))
    return (r, g, b)


#: Without colour (NO_COLOR) chart series differ by the glyph their points are drawn with.
MARKERS: tuple[str, ...] = ("•", "x", "+", "o", "*", "#", "=", "%", "@", "&", "$", "~")


def run_markers(run_ids: list[str]) -> dict[str, str]:
    """One marker per run drawn together, in order (used when colours cannot tell series apart)."""
    return {rid: MARKERS[i % len(MARKERS)] for i, rid in enumerate(run_ids)}
