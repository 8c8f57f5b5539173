"""A scrolling list of one run's params, tags or metrics that draws only the lines on screen.

A run may carry 100,000 tags or 10,000 metrics.  A ``Static`` renders all of its content to
measure its height (51 s for 100k tags); this Line-API widget knows its height from the row
counts, renders the lines in view and nothing else, and asks its owner (``WantRows``) for the
rows it lacks, which the owner reads from the store in a worker.  Small sections (every row
loaded) are shown as before: the owner passes their full renderable as one block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class Lines:
    """Fixed content (headings, a small section's whole table), wrapped to the widget's width."""

    renderables: tuple[RenderableType, ...]


@dataclass(frozen=True)
class Rows:
    """One line per row: rows ``start .. start + count`` of the owner's ordered key list."""

    start: int
    count: int


Block = Union[Lines, Rows]  # Union: Python 3.9 evaluates this line
#: Draws one row (a window entry) as one line at the given width.
RowRenderer = Callable[[Any, int], Text]

PLACEHOLDER = Text("…", style="dim")
#: Drawn row lines kept for scrolling back and forth (dropped with new content).
ROW_CACHE = 500


class KeyRows(ScrollView, can_focus=True):
    """Blocks of lines; ``Rows`` blocks are drawn from ``rows`` (index -> row) and asked for when missing."""

    DEFAULT_CSS = """
    KeyRows { height: 1fr; overflow-x: hidden; }
    """

    @dataclass
    class WantRows(Message):
        """Lines on screen show rows that are not loaded: the owner should read around ``index``."""

        widget: KeyRows
        index: int

        @property
        def control(self) -> KeyRows:
            return self.widget

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.blocks: list[Block] = []
        self.rows: Callable[[int], Any | None] = lambda i: None
        self.render_row: RowRenderer = lambda row, width: Text(str(row))
        self._fixed: dict[tuple[int, int], list[Strip]] = {}  # (block index, width) -> rendered lines
        self._asked: int | None = None  # the index last asked for (asked once until new rows arrive)
        self._row_strips: dict[tuple[int, int], Strip] = {}  # (row index, width) -> its drawn line
        self.built_lines = 0  # rendered row lines since the last set_content (tests: bounded by the screen)

    # -- content -----------------------------------------------------------------------------
    def set_content(
        self,
        blocks: Sequence[Block],
        rows: Callable[[int], Any | None] | None = None,
        render_row: RowRenderer | None = None,
        *,
        keep_scroll: bool = True,
    ) -> None:
        """New blocks (and the row lookup / renderer for their ``Rows``); redraws what is on screen."""
        self.blocks = list(blocks)
        if rows is not None:
            self.rows = rows
        if render_row is not None:
            self.render_row = render_row
        self._fixed.clear()
        self._row_strips.clear()
        self._asked = None
        self.built_lines = 0
        self._resize_virtual()
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def rows_arrived(self, rows: Callable[[int], Any | None]) -> None:
        """More rows for the same blocks (a scroll read): redraw without moving."""
        self.rows = rows
        self._row_strips.clear()
        self._asked = None
        self.refresh()

    def _width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width or 80)

    def _fixed_lines(self, index: int, width: int) -> list[Strip]:
        key = (index, width)
        lines = self._fixed.get(key)
        if lines is None:
            block = self.blocks[index]
            assert isinstance(block, Lines)
            console = self.app.console
            options = console.options.update_width(width)
            lines = []
            for renderable in block.renderables:
                lines += [Strip(line) for line in console.render_lines(renderable, options, pad=False)]
            self._fixed[key] = lines
        return lines

    def _block_height(self, index: int, width: int) -> int:
        block = self.blocks[index]
        return block.count if isinstance(block, Rows) else len(self._fixed_lines(index, width))

    def _resize_virtual(self) -> None:
        width = self._width()
        height = sum(self._block_height(i, width) for i in range(len(self.blocks)))
        self.virtual_size = Size(width, height)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_strips.clear()  # drawn with the old style (a theme change)

    def on_resize(self) -> None:
        self._resize_virtual()

    def first_row(self) -> int:
        """Index of the first row on screen (or of the first row below the lines on screen); 0 when none."""
        width = self._width()
        y = round(self.scroll_offset.y)
        for i, block in enumerate(self.blocks):
            h = self._block_height(i, width)
            if isinstance(block, Rows) and (y < h or i == len(self.blocks) - 1):
                return block.start + max(0, min(y, block.count - 1))
            if isinstance(block, Rows):
                y -= h
                continue
            if y < h:
                nxt = next((b for b in self.blocks[i:] if isinstance(b, Rows)), None)
                return nxt.start if nxt is not None else 0
            y -= h
        return 0

    # -- keys: jumps land at once (an animated scroll across 100k lines would ask for rows on every frame) --
    def action_scroll_home(self) -> None:
        self.scroll_to(y=0, animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self.scrollable_content_region.height, animate=False)

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self.scrollable_content_region.height, animate=False)

    # -- drawing -------------------------------------------------------------------------------
    def locate(self, y: int) -> tuple[int, int] | None:
        """(block index, line within it) of content line ``y``."""
        width = self._width()
        for i in range(len(self.blocks)):
            h = self._block_height(i, width)
            if y < h:
                return i, y
            y -= h
        return None

    def render_line(self, y: int) -> Strip:
        width = self._width()
        style = self.rich_style
        spot = self.locate(self.scroll_offset.y + y)
        if spot is None:
            return Strip.blank(width, style)
        index, line = spot
        block = self.blocks[index]
        if isinstance(block, Lines):
            strip = self._fixed_lines(index, width)[line]
        else:
            at = block.start + line
            cached = self._row_strips.get((at, width))
            if cached is not None:  # a scroll by one line draws one new row, not the screenful
                return cached
            row = self.rows(at)
            if row is None:
                self._want(at)
                text = PLACEHOLDER
            else:
                text = self.render_row(row, width)
                self.built_lines += 1
            text = text.copy()
            text.no_wrap, text.overflow = True, "ellipsis"
            text.truncate(width, overflow="ellipsis", pad=False)
            strip = Strip(list(text.render(self.app.console))).crop_extend(0, width, style).apply_style(style)
            if row is not None:
                if len(self._row_strips) > 4 * ROW_CACHE:
                    self._row_strips.clear()
                self._row_strips[(at, width)] = strip
            return strip
        return strip.crop_extend(0, width, style).apply_style(style)

    def _want(self, index: int) -> None:
        if self._asked is not None and abs(self._asked - index) < 10:
            return
        self._asked = index
        # Not posted from here: during a frame the screen is the active pump, and a message sent
        # "by" the screen stops bubbling at it.  Sent from the widget's own turn instead.
        self.call_later(self._post_want, index)

    def _post_want(self, index: int) -> None:
        self.post_message(self.WantRows(self, index))

    # -- reading back (tests, snapshots of text) -------------------------------------------------
    def text(self, width: int | None = None) -> str:
        """Every line as plain text at ``width`` (rows not loaded show "…"); for tests and debugging."""
        width = width or self._width()
        out: list[str] = []
        for i, block in enumerate(self.blocks):
            if isinstance(block, Lines):
                out += ["".join(seg.text for seg in strip).rstrip() for strip in self._fixed_lines(i, width)]
            else:
                for j in range(block.count):
                    row = self.rows(block.start + j)
                    text = PLACEHOLDER if row is None else self.render_row(row, width)
                    out.append(text.plain[:width].rstrip())
        return "\n".join(out)


__all__ = ["Block", "KeyRows", "Lines", "RowRenderer", "Rows"]
