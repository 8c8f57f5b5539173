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
            self.update(self.render_info(info), layout=False)  # one fixed line: a repaint, not a screen layout

    @staticmethod
    def render_info(info: StatusInfo) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if info.read_only:
            text.append(" READ-ONLY ", style="bold reverse red")
            text.append(" ")
        if info.partial:
            runs = f"{info.shown}+ runs"
        elif info.shown != info.total:
            runs = f"{info.shown} of {info.total} run{'s' if info.total != 1 else ''}"
        else:
            runs = f"{info.total} run{'s' if info.total != 1 else ''}"
        text.append(runs, style="bold")
        if info.shown > 0 and info.last - info.first + 1 < info.shown and not info.partial:
            text.append(f" · rows {info.first + 1}-{info.last + 1}", style="dim")
        first, last, count = info.columns
        if count and (first > 1 or last < count):  # columns off to the side: which ones show, and which way
            which = f"cols {first}-{last}" if last > first else f"col {first}"
            text.append(" · ")
            text.append(f"{'← ' if first > 1 else ''}{which} of {count}{' →' if last < count else ''}", style="bold")
        if info.marked:
            text.append(f" · ● {info.marked} marked", style="bold yellow")
            if info.marked_out:
                text.append(f", {info.marked_out} not in view", style="bold yellow")
        if info.unpushed:
            text.append(f" · ↑ {info.unpushed} unpushed", style="magenta")
        text.append(" · ")
        text.append(clean(info.scope, limit=60), style="cyan")  # the whole name a narrow tree cuts
        if info.sort:
            text.append(" · sort: ", style="dim")
            text.append(clean(info.sort, limit=30), style="bold")
        if info.filter:
            text.append(" · filter: ", style="dim")
            text.append(clean(info.filter, limit=60), style="green")
        if info.message:
            text.append(" · ")
            text.append(clean(info.message, limit=60), style="italic")
        if info.loading:
            text.append(" · loading…", style="dim italic")
        elif info.refreshed:
            text.append(f" · ↻ {info.refreshed}", style="dim")
        text.append(" · ")
        text.append(clean(info.store), style="dim")
        return text
