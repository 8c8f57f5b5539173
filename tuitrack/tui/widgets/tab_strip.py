"""The detail pane's tab titles, drawn by one widget.

Textual's TabbedContent builds its title bar from ten nested widgets, each arranged and
composited on every frame that re-lays the screen out; this draws the same two lines (titles,
then an underline under the active title) from one widget, and a click still picks a tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

BAR, HALF_LEFT, HALF_RIGHT = "━", "╺", "╸"


class TabStrip(Widget):
    """Titles of ``tabs`` ((id, title) pairs) in a row, the ``active`` one underlined."""

    DEFAULT_CSS = """
    TabStrip {
        height: 2;
        width: 1fr;
        pointer: pointer;
    }
    TabStrip > .tab-strip--tab { color: $foreground 50%; }
    TabStrip > .tab-strip--active { color: $foreground; }
    TabStrip > .tab-strip--hover { color: $foreground; }
    TabStrip > .tab-strip--bar { color: $foreground 10%; }
    TabStrip > .tab-strip--highlight { color: $block-cursor-background; }
    TabStrip:ansi > .tab-strip--tab { text-style: dim; }
    TabStrip:ansi > .tab-strip--active { text-style: not dim bold; }
    TabStrip:ansi > .tab-strip--bar { color: $border-blurred; }
    """

    COMPONENT_CLASSES = {
        "tab-strip--tab",
        "tab-strip--active",
        "tab-strip--hover",
        "tab-strip--bar",
        "tab-strip--highlight",
    }
    ALLOW_SELECT = False

    @dataclass
    class Chosen(Message):
        """A title was clicked."""

        tab_id: str

    def __init__(self, tabs: Sequence[tuple[str, str]], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        if active not in [tab_id for tab_id, _ in tabs]:
            raise ValueError(f"unknown tab {active!r}")
        self.tabs = tuple(tabs)
        self._active = active
        self._hover: str | None = None

    @property
    def active(self) -> str:
        return self._active

    @active.setter
    def active(self, tab_id: str) -> None:
        if tab_id not in [t for t, _ in self.tabs]:
            raise ValueError(f"unknown tab {tab_id!r}")
        if tab_id != self._active:
            self._active = tab_id
            self.refresh()

    def spans(self) -> list[tuple[str, int, int]]:
        """(tab id, first cell, end cell) of each title, padded by one cell each side (on the left only when
        the titles would not fit otherwise: eight tabs in a narrow pane)."""
        pad = self._pad()
        out, x = [], 0
        for tab_id, title in self.tabs:
            width = len(title) + pad
            out.append((tab_id, x, x + width))
            x += width
        return out

    def _pad(self) -> int:
        wide = sum(len(title) + 2 for _, title in self.tabs)
        return 2 if not self.size.width or wide <= self.size.width else 1

    def tab_at(self, x: int) -> str | None:
        return next((tab_id for tab_id, start, end in self.spans() if start <= x < end), None)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            segments = []
            packed = self._pad() == 1
            for tab_id, title in self.tabs:
                name = (
                    "tab-strip--active"
                    if tab_id == self._active
                    else "tab-strip--hover"
                    if tab_id == self._hover
                    else "tab-strip--tab"
                )
                text = f" {title}" if packed else f" {title} "
                segments.append(Segment(text, self.get_component_rich_style(name)))
            return Strip(segments).crop_extend(0, width, None).apply_style(self.rich_style)
        if y == 1:
            return self._underline(width).apply_style(self.rich_style)
        return Strip.blank(width, self.rich_style)

    def _underline(self, width: int) -> Strip:
        """Textual's tab underline: the active title's text highlighted, half bars at its edges."""
        bar = Style.from_color(self.get_component_rich_style("tab-strip--bar").color)
        lit = Style.from_color(self.get_component_rich_style("tab-strip--highlight").color)
        _, start, end = next(span for span in self.spans() if span[0] == self._active)
        trail = self._pad() - 1  # the space after a title (none when the titles are packed)
        start, end = min(start + 1, width), min(end - trail, width)  # the title itself, not its padding
        segments = [Segment(BAR * max(0, start - 1), bar)] if start > 1 else []
        if start > 0:
            segments.append(Segment(HALF_RIGHT, bar))
        segments.append(Segment(BAR * (end - start), lit))
        if end < width:
            segments.append(Segment(HALF_LEFT + BAR * (width - end - 1), bar))
        return Strip(segments).crop_extend(0, width, None)

    def on_click(self, event: events.Click) -> None:
        tab_id = self.tab_at(event.x)
        if tab_id is not None:
            event.stop()
            self.post_message(self.Chosen(tab_id))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self.tab_at(event.x) if event.y == 0 else None)

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, tab_id: str | None) -> None:
        if tab_id != self._hover:
            self._hover = tab_id
            self.refresh()


__all__ = ["TabStrip"]
