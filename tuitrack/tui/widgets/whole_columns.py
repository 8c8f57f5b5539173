"""A DataTable that draws only whole columns and scrolls sideways a column at a time.

DataTable scrolls by cells, so its right edge cuts a column anywhere: at 80 columns, compare's third
run showed ``83c50ae`` for a run id and ``0.`` for 0.9497.  This table keeps its fixed columns on the
left and, of the others, draws the ones that fit whole from a first column on (``first_column``); a column
that does not fit is left out, never cut, and the cursor moving onto it moves the window by whole
columns (as the browser's runs table does, #16 item 5).  With a row cursor (the groups table) there is no
column to follow: ``←``/``→`` (``h``/``l``) move the window itself a whole column, ``home``/``end`` to the
first/last columns.  ``window()`` says which columns are on screen so the owner can say "runs 1-2 of 3 →".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from tuitrack.tui.widgets.lists import KeyTable


@dataclass(frozen=True)
class Window:
    """The scrolling columns on screen: indices ``first``..``last`` (inclusive) of ``ordered_columns``,
    of ``count`` scrolling columns from index ``fixed`` on.  ``cut``: the one shown does not fit whole
    even alone (drawn cut, with ``…`` at the edge)."""

    fixed: int
    first: int
    last: int
    count: int
    cut: bool = False

    @property
    def left(self) -> int:
        """Scrolling columns left out on the left."""
        return self.first - self.fixed

    @property
    def right(self) -> int:
        """Scrolling columns left out on the right."""
        return self.fixed + self.count - 1 - self.last


class WholeColumnTable(KeyTable):
    """``KeyTable`` (j/k/g/G, and h/l as in the runs table) that never draws part of a column; no
    horizontal scrollbar."""

    DEFAULT_CSS = """
    WholeColumnTable { overflow-x: hidden; }
    """
    BINDINGS = [
        Binding("h", "cursor_left", "Column left", show=False, id="table.left_vim"),
        Binding("l", "cursor_right", "Column right", show=False, id="table.right_vim"),
    ]

    class WindowChanged(Message):
        """The columns on screen changed (the cursor moved the window), or the table was resized."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_column = 0  #: index in ``ordered_columns`` of the first scrolling column on screen
        self._announced: Window | None = None

    # -- which columns are on screen --------------------------------------------------------------
    def _widths(self) -> list[int]:
        return [column.get_render_width(self) for column in self.ordered_columns]

    def window(self) -> Window:
        """The scrolling columns drawn now (see :class:`Window`)."""
        widths = self._widths()
        fixed = min(self.fixed_columns, len(widths))
        view = self._view(widths, fixed)
        first = max(fixed, min(self.first_column, len(widths) - 1))
        if first >= len(widths):
            return Window(fixed, fixed, fixed - 1, 0)
        used, last = 0, first - 1
        for i in range(first, len(widths)):
            if used + widths[i] > view:
                break
            used, last = used + widths[i], i
        if last < first:  # not even one fits: it shows cut (with its ellipsis) rather than nothing
            return Window(fixed, first, first, len(widths) - fixed, cut=True)
        return Window(fixed, first, last, len(widths) - fixed)

    def _fit_cursor(self) -> None:
        """Move the window by whole columns so the cursor's column is on screen; when the last columns
        are on screen, take in as many on the left as fit (a wider terminal shows them again)."""
        widths = self._widths()
        column = self.cursor_column
        fixed = min(self.fixed_columns, len(widths))
        if not widths or self.scrollable_content_region.width <= 0:  # not laid out yet
            return
        view = self._view(widths, fixed)
        window = self.window()
        if self._moves_cursor_sideways() and fixed <= column < len(widths):  # a row cursor has no column
            if column < window.first:
                self.first_column = column
            elif column > window.last:
                first = column  # the leftmost start from which the cursor's column still fits
                while first > fixed and sum(widths[first - 1 : column + 1]) <= view:
                    first -= 1
                self.first_column = first
        self._settle(window, widths, fixed, view)

    def _view(self, widths: list[int], fixed: int) -> int:
        """Cells for the scrolling columns: the table's width less the fixed columns and row labels."""
        return self.scrollable_content_region.width - sum(widths[:fixed]) - self._row_label_column_width

    def _settle(self, before: Window, widths: list[int], fixed: int, view: int) -> None:
        """When the last columns are on screen, take in as many on the left as fit; redraw if the window moved."""
        while self.first_column > fixed and sum(widths[self.first_column - 1 :]) <= view:
            self.first_column -= 1
        if self.window() != before:
            self.refresh()
        self._announce()

    def scroll_columns(self, delta: int) -> None:
        """Move the window ``delta`` whole columns to the right (negative: to the left), as far as there are
        columns off screen that way; ``delta`` of ``±len(columns)`` goes to the last/first columns."""
        widths = self._widths()
        fixed = min(self.fixed_columns, len(widths))
        if not widths or self.scrollable_content_region.width <= 0:
            return
        window = self.window()
        if delta > 0 and window.right:
            self.first_column = min(len(widths) - 1, window.first + delta)
        elif delta < 0 and window.left:
            self.first_column = max(fixed, window.first + delta)
        self._settle(window, widths, fixed, self._view(widths, fixed))

    def _announce(self) -> None:
        window = self.window()
        if window != self._announced:
            self._announced = window
            self.post_message(self.WindowChanged())

    # -- DataTable hooks ----------------------------------------------------------------------------
    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        """Scroll rows as DataTable does; columns move by whole columns (``_fit_cursor``), never by cells."""
        fixed = self._get_fixed_offset()
        cell = self._get_cell_region(self.cursor_coordinate)
        region = Region(int(self.scroll_x) + fixed.left, cell.y, 1, cell.height)  # in view sideways: no x scroll
        self.scroll_to_region(region, animate=animate, spacing=fixed, force=True)
        self._fit_cursor()

    def on_resize(self, event: events.Resize) -> None:
        self._announced = None  # a new size is news even when the same columns fit (the owner may refit them)
        self._fit_cursor()

    def _moves_cursor_sideways(self) -> bool:
        return self.show_cursor and self.cursor_type in ("cell", "column")

    def action_cursor_right(self) -> None:
        if self._moves_cursor_sideways():
            super().action_cursor_right()
        else:  # a row cursor: the window moves (DataTable would scroll by cells)
            self._set_hover_cursor(False)
            self.scroll_columns(1)

    def action_cursor_left(self) -> None:
        if self._moves_cursor_sideways():
            super().action_cursor_left()
        else:
            self._set_hover_cursor(False)
            self.scroll_columns(-1)

    def action_scroll_home(self) -> None:
        if self._moves_cursor_sideways():
            super().action_scroll_home()
        else:
            self._set_hover_cursor(False)
            self.scroll_columns(-len(self.ordered_columns))

    def action_scroll_end(self) -> None:
        if self._moves_cursor_sideways():
            super().action_scroll_end()
        else:
            self._set_hover_cursor(False)
            self.scroll_columns(len(self.ordered_columns))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_y = self.scroll_offset.y
        fixed_rows = self.get_row_height(self._header_row_key) if self.show_header else 0
        for i in range(self.fixed_rows):  # as DataTable.render_line: the header and fixed rows do not scroll
            key = self._row_locations.get_key(i)
            if key is not None:
                fixed_rows += self.get_row_height(key)
        if y >= fixed_rows:
            y += scroll_y
        window = self.window()
        widths = self._widths()
        origin = sum(widths[window.fixed : window.first])  # x of the first column drawn, in the scrolling part
        shown = sum(widths[window.first : window.last + 1])
        fixed = sum(widths[: window.fixed])
        left = fixed + self._row_label_column_width
        base = self.rich_style
        # DataTable crops its scrolling part to [x1 + fixed width, x2); what follows the last whole column is
        # drawn blank in its row's background (zebra stripe, header), as DataTable extends a narrow table.
        if window.cut:  # one column wider than the view: cut, and a cell that loses text ends in "…"
            view = max(1, self.scrollable_content_region.width - left)
            strip = self._render_line(y, origin, origin + fixed + shown, base).crop(0, left + shown)
            if strip.crop(left + view - 1, left + shown).text.strip():
                strip = Strip.join([strip.crop(0, left + view - 1), Strip([Segment("…", base)], 1)])
            return strip.crop(0, left + view).extend_cell_length(width, base)
        strip = self._render_line(y, origin, origin + width, base)
        if not window.right:  # the last column is on screen: nothing follows it but DataTable's own padding
            return strip
        return Strip.join([strip.crop(0, left + shown), _blank(strip.crop(left + shown, width))])


def _blank(strip: Strip) -> Strip:
    """``strip`` as spaces on each segment's background (no text, no click target)."""
    return Strip(
        [Segment(" " * seg.cell_length, Style(bgcolor=seg.style.bgcolor) if seg.style else None) for seg in strip],
        strip.cell_length,
    )
