"""The one-line status bar: where you are and what you're looking at.

Store path, shown/total runs, the visible row and column windows, marks, the active
filter, READ-ONLY, and when the data was last read.  Built as a ``Text`` so a
store path or filter containing markup shows literally.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual.widgets import Static

from tuitrack.tui.text import clean


@dataclass(frozen=True)
class StatusInfo:
    store: str = ""
    shown: int = 0
    total: int = 0
    first: int = 0
    last: int = 0
    marked: int = 0
    #: of the marked runs, how many the current list does not show (another scope or filter)
    marked_out: int = 0
    filter: str = ""
    scope: str = "All runs"
    read_only: bool = False
    refreshed: str = ""
    loading: bool = False
    message: str = ""
    #: Only the top ``shown`` rows of the list are known yet (the whole list is being read).
    partial: bool = False
    #: Runs not yet pushed to the tracking server (None: the store never synced; nothing shown).
    unpushed: int | None = None
    #: what the rows are sorted by, e.g. ``auc ▼`` ("" = not said)
    sort: str = ""
    #: the scrolling columns on screen: first, last (from 1) and how many there are (``cols 1-3 of 20 →``)
    columns: tuple[int, int, int] = (0, 0, 0)


#: Which parts a narrow status line leaves out first (higher goes first): the line keeps what decides the rows
#: (count, filter, sort, marks, a message) and drops what shows elsewhere too (the columns in the header, the
#: scope in the tree) or can wait (refresh time, store path).
_DROP_ORDER = {"store": 9, "refreshed": 8, "rows": 6, "columns": 5, "scope": 4, "unpushed": 3}


class StatusLine(Static):
    """Renders a ``StatusInfo``; ``update_info(**changes)`` merges and re-renders."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.info = StatusInfo()

    def update_info(self, **changes: Any) -> None:
        info = replace(self.info, **changes)
        if info != self.info or not self.is_mounted:
            self.info = info
            self._render_now()

    def on_resize(self) -> None:
        self._render_now()  # another width keeps other parts

    def _render_now(self) -> None:
        width = self.content_region.width if self.is_mounted else 0
        self.update(self.render_info(self.info, width or None), layout=False)  # one line: a repaint, no layout

    @staticmethod
    def render_info(info: StatusInfo, width: int | None = None) -> Text:
        """The line; with ``width``, parts are left out by :data:`_DROP_ORDER` until it fits (the rest is cut)."""
        parts = _parts(info)
        if width is not None:
            droppable = sorted((p for p in parts if p[0] in _DROP_ORDER), key=lambda p: -_DROP_ORDER[p[0]])
            while droppable and _width(parts) > width:
                parts.remove(droppable.pop(0))
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (_, part) in enumerate(parts):
            if i:
                text.append(" " if parts[i - 1][0] == "read_only" else " · ")
            text.append_text(part)
        return text


def _width(parts: list[tuple[str, Text]]) -> int:
    """Cells the parts take with their separators (" · ", or one space after READ-ONLY)."""
    seps = sum(1 if parts[i - 1][0] == "read_only" else 3 for i in range(1, len(parts)))
    return sum(part.cell_len for _, part in parts) + seps


def _parts(info: StatusInfo) -> list[tuple[str, Text]]:
    """The line's parts in order, each named (see :data:`_DROP_ORDER`)."""
    parts: list[tuple[str, Text]] = []
    if info.read_only:
        parts.append(("read_only", Text(" READ-ONLY ", style="bold reverse red")))
    if info.partial:
        runs = f"{info.shown}+ runs"
    elif info.shown != info.total:
        runs = f"{info.shown} of {info.total} run{'s' if info.total != 1 else ''}"
    else:
        runs = f"{info.total} run{'s' if info.total != 1 else ''}"
    parts.append(("runs", Text(runs, style="bold")))
    if info.shown > 0 and info.last - info.first + 1 < info.shown and not info.partial:
        parts.append(("rows", Text(f"rows {info.first + 1}-{info.last + 1}", style="dim")))
    if info.marked:
        marked = Text(f"● {info.marked} marked", style="bold yellow")
        if info.marked_out:
            marked.append(f", {info.marked_out} not in view", style="bold yellow")
        parts.append(("marked", marked))
    if info.unpushed:
        parts.append(("unpushed", Text(f"↑ {info.unpushed} unpushed", style="magenta")))
    parts.append(("scope", Text(clean(info.scope, limit=60), style="cyan")))  # the whole name a narrow tree cuts
    if info.sort:
        parts.append(("sort", Text.assemble(("sort: ", "dim"), (clean(info.sort, limit=30), "bold"))))
    if info.filter:
        parts.append(("filter", Text.assemble(("filter: ", "dim"), (clean(info.filter, limit=60), "green"))))
    if info.message:
        parts.append(("message", Text(clean(info.message, limit=60), style="italic")))
    first, last, count = info.columns
    if count and (first > 1 or last < count):  # columns off to the side: which ones show, and which way
        which = f"cols {first}-{last}" if last > first else f"col {first}"
        parts.append(
            (
                "columns",
                Text(f"{'← ' if first > 1 else ''}{which} of {count}{' →' if last < count else ''}", style="bold"),
            )
        )
    if info.loading:
        parts.append(("loading", Text("loading…", style="dim italic")))
    elif info.refreshed:
        parts.append(("refreshed", Text(f"↻ {info.refreshed}", style="dim")))
    parts.append(("store", Text(clean(info.store), style="dim")))
    return parts
