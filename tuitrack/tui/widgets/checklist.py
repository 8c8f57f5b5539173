"""A SelectionList whose boxes read ``[✓]`` / ``[ ]`` instead of Textual's coloured ``▐X▌``.

Textual draws every box as an ``X`` and tells picked from unpicked by colour alone, which reads as
"everything is crossed out" and is unreadable with ``NO_COLOR``.  A tick and an empty box say it
with the glyph itself; the colours stay as a second cue.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets._toggle_button import ToggleButton

from tuitrack.tui.widgets.lists import list_keys

T = TypeVar("T")

CHECKED, UNCHECKED = "✓", " "


class CheckList(SelectionList[T]):
    """``SelectionList`` with explicit tick boxes (same API, same messages), and j/k/g/G."""

    BINDINGS = list_keys("checklist")

    DEFAULT_CSS = """
    CheckList > .selection-list--button { color: $text-muted; background: transparent; }
    CheckList > .selection-list--button-highlighted { color: $text-muted; background: transparent; }
    CheckList > .selection-list--button-selected { color: $text-success; background: transparent; text-style: bold; }
    CheckList > .selection-list--button-selected-highlighted { color: $text-success; background: transparent;
                                                               text-style: bold; }
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if (
            len(segments) < 3
            or segments[0].text != ToggleButton.BUTTON_LEFT
            or segments[1].text != ToggleButton.BUTTON_INNER
            or segments[2].text != ToggleButton.BUTTON_RIGHT
        ):
            return strip
        meta = segments[1].style.meta if segments[1].style is not None else {}
        index = meta.get("option")
        if index is None:
            return strip
        selected = self.get_option_at_index(index).value in self._selected
        box_style = segments[1].style
        rest = segments[4].style if len(segments) > 4 else segments[3].style
        edge = rest or box_style
        if edge is not None and box_style is not None and box_style.meta:
            edge = edge + type(box_style)(meta=box_style.meta)
        new = [
            Segment("[", edge),
            Segment(CHECKED if selected else UNCHECKED, box_style),
            Segment("]", edge),
            *segments[3:],
        ]
        return Strip(new, strip.cell_length)
