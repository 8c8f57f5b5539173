"""The runs table: a virtual table over an ordered list of rids.

Why virtual: a store can hold 100k runs.  The screen fetches the ordered rids
once (ints are cheap); this widget renders only the lines on screen (Line
API) and loads the runs of the visible window in a worker, keeping an LRU of
loaded runs.  Live refresh swaps in new rows without moving the cursor, the
marks or the scroll position, because every piece of state is keyed by run id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional, Union

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tuitrack.entities import Run
from tuitrack.formatting import MARK_GLYPH
from tuitrack.store import sync as sync_state
from tuitrack.store.core import Store
from tuitrack.tui.browser.run_columns import (
    FIXED_KEYS,
    STATUS,
    SYNC_STATUS_WIDTH,
    Column,
    cell,
    fit,
    make_column,
    value_width,
)
from tuitrack.tui.colors import hex_color, run_colors, run_markers
from tuitrack.tui.paint import wait_for_paint
from tuitrack.tui.widgets.lists import ENDS

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

CACHE_SIZE = 5000
MAX_VALUE_WIDTH = 24
MARGIN = 60  # rows loaded above/below the visible window so scrolling rarely shows placeholders


def _index(rids: list[int], rid: int) -> int | None:
    """Where ``rid`` is in ``rids`` (a C-speed scan: cheaper than a 100k-entry dict built for one lookup)."""
    try:
        return rids.index(rid)
    except ValueError:
        return None


def load_sync(store: Store, rids: Sequence[int]) -> dict[int, bool] | None:
    """rid -> "not pushed complete to the tracking server" for ``rids`` (a page: one indexed query);
    None when the store never synced, so the table shows no push state.  Call from a worker."""
    unpushed = sync_state.unpushed_among(store, rids)
    return None if unpushed is None else {rid: rid in unpushed for rid in rids}


_BOLD = Style(bold=True)
#: A cell's text: a string, or (text, style) pieces drawn one after the other.
CellText = Union[str, list[tuple[str, Optional[Style]]]]


def _pieces(text: CellText, style: Style | None, base: Style) -> list[Segment]:
    """A cell's segments, then the space that separates it from the next."""
    if isinstance(text, str):
        return [Segment(text + " ", base + style if style else base)]
    return [*(Segment(t, base + s if s else base) for t, s in text), Segment(" ", base)]


def load_runs(store: Store, rids: Sequence[int]) -> list[tuple[int, Run]]:
    """(rid, run) pairs for rids, in order (runs deleted meanwhile are skipped).  Call from a worker."""
    runs = store.runs_by_rids(list(rids))
    if len(runs) == len(rids):
        return list(zip(rids, runs))
    by_id = {run.id: run for run in runs}
    run_ids = store.run_ids_of(rids)
    return [(rid, by_id[run_ids[rid]]) for rid in rids if run_ids.get(rid) in by_id]


class RunsTable(ScrollView, can_focus=True):
    """Runs of the current tree selection + filter + sort, one line each, with a row and a column cursor."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    COMPONENT_CLASSES = {
        "runs-table--header",
        "runs-table--cursor",
        "runs-table--marked",
        "runs-table--cursor-cell",
        "runs-table--header-cursor",
        "runs-table--pending",
    }
    DEFAULT_CSS = """
    RunsTable { scrollbar-size-horizontal: 0; background: $surface; }
    RunsTable > .runs-table--header { text-style: bold; background: $panel; }
    RunsTable > .runs-table--header-cursor { text-style: bold reverse; }
    RunsTable > .runs-table--cursor { background: $panel-lighten-1; }
    RunsTable:focus > .runs-table--cursor { background: $accent 40%; }
    RunsTable > .runs-table--cursor-cell { text-style: bold underline; }
    RunsTable > .runs-table--marked { text-style: bold; background: $warning 15%; }
    RunsTable > .runs-table--pending { color: $text-muted; }
    """
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False, id="runs.up"),
        Binding("k", "cursor_up", "Up", show=False, id="runs.up_vim"),
        Binding("down", "cursor_down", "Down", show=False, id="runs.down"),
        Binding("j", "cursor_down", "Down", show=False, id="runs.down_vim"),
        Binding("left", "cursor_left", "Column left", show=False, id="runs.left"),
        Binding("h", "cursor_left", "Column left", show=False, id="runs.left_vim"),
        Binding("right", "cursor_right", "Column right", show=False, id="runs.right"),
        Binding("l", "cursor_right", "Column right", show=False, id="runs.right_vim"),
        Binding("pageup", "page_up", "Page up", show=False, id="runs.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="runs.page_down"),
        Binding("home", "first", "First run", show=False, id="runs.first"),
        Binding("end", "last", "Last run", show=False, id="runs.last"),
        Binding("g", "first", "First run", show=False, group=ENDS, id="runs.top"),
        Binding("G", "last", "Last run", show=False, group=ENDS, id="runs.bottom"),
        Binding("enter", "open", "Detail", id="runs.open"),
        Binding("space", "toggle_mark", "Mark", id="runs.mark"),
        Binding("A", "mark_all", "Mark all listed runs", show=False, id="runs.mark_all"),
        Binding("U", "clear_marks", "Clear all marks", show=False, id="runs.clear_marks"),
        Binding("s", "sort", "Sort", id="runs.sort"),
    ]

    @dataclass
    class CursorMoved(Message):
        """The run under the cursor changed (None: empty table or row not loaded yet)."""

        run_id: str | None

    @dataclass
    class OpenRequested(Message):
        run_id: str

    @dataclass
    class SortRequested(Message):
        key: str

    @dataclass
    class MarksChanged(Message):
        count: int

    class MarkAllRequested(Message):
        """``A``: mark every run of the list (the screen reads the ids of rows not loaded yet)."""

    class ViewportChanged(Message):
        """The rows or columns on screen changed (scroll, resize, wider columns) with the cursor's run unchanged."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rids: list[int] = []
        #: rid -> nesting level of rows listed under their parent (see ``loader.nest``)
        self.depth: dict[int, int] = {}
        self.empty_message = ""  # shown once a load found no runs (set by the browser)
        self.columns: list[Column] = []
        self.marks: dict[str, int] = {}  # run id -> rid, in mark order
        self._bullets: dict[str, tuple[str, Style]] | None = None  # the marks' bullets, made when drawn
        self._rid_set: set[int] | None = None  # the list's rids as a set, made when marks need it
        self.cursor_row = 0
        self.cursor_col = 1
        self.sort_key = ""
        self.sort_desc = False
        self.now_ms = 0
        self._runs: OrderedDict[int, Run] = OrderedDict()
        #: run id -> updated_at of runs whose values the column widths already fit (see _widen)
        self._measured: dict[str, int | None] = {}
        self._pending: set[int] = set()
        self._last_cursor_run: str | None = None
        self._total_width = 0
        self._fixed_width = 0
        self._shown_memo: tuple[tuple[int, ...], tuple[list[int], int]] | None = None
        #: rid -> not pushed complete yet, read with the rows; None while the store never synced
        self._sync: dict[int, bool] | None = None

    # -- data in -------------------------------------------------------------------
    def set_columns(self, keys: Sequence[str]) -> None:
        self._measured.clear()  # new columns: every run is measured against them
        self._shown_memo = None
        cols = [self._sized(make_column(k)) for k in keys]
        fixed = [c for c in cols if c.key in FIXED_KEYS]
        self.columns = fixed + [c for c in cols if c.key not in FIXED_KEYS]
        self.cursor_col = min(self.cursor_col, max(0, len(self.columns) - 1))
        self._total_width = 0  # new columns: measured anew below, and the view starts from the left again
        self._widen(self._runs.values())
        self.scroll_x = 0
        self._scroll_cursor_into_view()

    def _sized(self, col: Column) -> Column:
        """The status column holds a third glyph (push state) once the store has synced."""
        if col.key == STATUS and self._sync is not None:
            return replace(col, width=SYNC_STATUS_WIDTH)
        return col

    def set_sync(self, flags: Mapping[int, bool] | None) -> None:
        """Rows' push state as a read found it (see :func:`load_sync`); None: the store never synced."""
        if (flags is None) != (self._sync is None):
            self._sync = None if flags is None else {}
            self.columns = [self._sized(make_column(STATUS)) if c.key == STATUS else c for c in self.columns]
            self._shown_memo = None
            self._fixed_width = sum(c.width + 1 for c in self.columns if c.key in FIXED_KEYS)
            self._total_width = sum(c.width + 1 for c in self.columns)
            self._resize()
        if flags and self._sync is not None:
            if len(self._sync) > 4 * CACHE_SIZE:
                self._sync = {rid: v for rid, v in self._sync.items() if rid in self._runs}
            self._sync.update(flags)
        self.refresh()

    def _widen(self, runs: Iterable[Run]) -> None:
        """Grow param/tag/metric columns to fit the values seen (up to a cap); never shrink while browsing.

        Widths only grow, so a run already measured against these columns needs measuring again
        only once it changed (``updated_at`` moves on every write to it), since a live refresh, a
        re-sort or a repeated filter re-reads mostly the same runs.
        Two writes in one millisecond share an ``updated_at``, so a run is remembered only when its
        last write is older than the read (``now_ms``, taken before it) and it is not running.
        """
        measured = self._measured
        runs = [
            run
            for run in runs
            if run.info.updated_at is None
            or run.info.status == "RUNNING"
            or measured.get(run.id) != run.info.updated_at
        ]
        if len(measured) > 4 * CACHE_SIZE:
            measured.clear()
        settled = self.now_ms - 1
        measured.update(
            (run.id, run.info.updated_at)
            for run in runs
            if run.info.updated_at is not None and run.info.updated_at < settled and run.info.status != "RUNNING"
        )
        widths = {c.key: c.width for c in self.columns}
        if runs:
            self._grow(runs)
        if widths != {c.key: c.width for c in self.columns} or not self._total_width:
            self._shown_memo = None
            self._fixed_width = sum(c.width + 1 for c in self.columns if c.key in FIXED_KEYS)
            self._total_width = sum(c.width + 1 for c in self.columns)
            self._resize()
            self.refresh()
            self.post_message(self.ViewportChanged())  # wider columns: fewer may fit ("cols 1-3 of 20 →")

    def _grow(self, runs: list[Run]) -> None:
        """Widen each data column to its widest value in ``runs``.

        Per run and kind, the smaller side is walked: the run's keys that are columns, or the
        columns it may have.  A store with one 10,000-metric run has 20,000 columns: measuring
        every column of every loaded run was 1.5 million cells (7 s on the event loop).
        """
        slots: dict[str, dict[str, int]] = {"params": {}, "metrics": {}, "tags": {}}
        for i, col in enumerate(self.columns):
            if col.kind in slots and col.width < (MAX_VALUE_WIDTH if col.kind != "metrics" else 12):
                slots[col.kind][col.key.split(".", 1)[1]] = i
        need: dict[int, int] = {}
        for run in runs:
            for kind, columns in slots.items():
                source = getattr(run.data, kind)
                names = source if len(source) < len(columns) else columns
                for name in names:
                    slot = columns.get(name)
                    if slot is not None and name in source:
                        need[slot] = max(need.get(slot, 0), value_width(run, self.columns[slot]))
        for i, width in need.items():
            col = self.columns[i]
            cap = MAX_VALUE_WIDTH if col.kind != "metrics" else 12
            if col.width < width:
                self.columns[i] = replace(col, width=min(cap, width))

    def set_rids(
        self,
        rids: list[int],
        runs: Sequence[tuple[int, Run]] = (),
        anchor: tuple[int, int] | None = None,
        top: bool = False,
        depth: dict[int, int] | None = None,
    ) -> None:
        """Show a new ordered rid list; ``anchor`` (rid, screen line) keeps that run on that line,
        ``top`` puts the cursor and the view on the first row (after the list is in: moved before,
        the scroll loaded rows of the old list); ``depth``: the nesting of rows listed under a parent."""
        for rid, run in runs:
            self._store_run(rid, run)
        self._widen(run for _, run in runs)
        self.rids = rids
        self.depth = depth or {}
        self._rid_set = None
        self._resize()
        index = _index(rids, anchor[0]) if anchor is not None else None
        if top:
            self.cursor_row, self.scroll_y = 0, 0
        elif anchor is not None and index is not None:
            self.cursor_row = index
            first = int(self.scroll_y)
            if not first <= index < first + self._body_height():
                self.scroll_y = max(0, index - anchor[1])
        else:
            self.cursor_row = min(self.cursor_row, max(0, len(rids) - 1))
        self._scroll_cursor_into_view()
        self.refresh()
        self._request_window()
        self._announce_cursor()

    def update_runs(self, runs: Iterable[tuple[int, Run]]) -> None:
        """Replace loaded runs in place (live refresh); rows not on screen just refresh their cache entry."""
        runs = list(runs)
        for rid, run in runs:
            self._store_run(rid, run)
        self._widen(run for _, run in runs)
        self.refresh()
        self._announce_cursor(force=True)

    def forget(self, rids: Iterable[int]) -> None:
        for rid in rids:
            self._runs.pop(rid, None)

    def forget_all(self) -> None:
        """Drop every loaded run (a fresh read replaces them; the rest re-read lazily when shown)."""
        self._runs.clear()
        self._measured.clear()

    def run_at(self, index: int) -> Run | None:
        if 0 <= index < len(self.rids):
            return self._runs.get(self.rids[index])
        return None

    @property
    def cursor_run(self) -> Run | None:
        return self.run_at(self.cursor_row)

    @property
    def cursor_rid(self) -> int | None:
        return self.rids[self.cursor_row] if 0 <= self.cursor_row < len(self.rids) else None

    @property
    def cursor_column(self) -> Column | None:
        return self.columns[self.cursor_col] if 0 <= self.cursor_col < len(self.columns) else None

    def cursor_line(self) -> int:
        """The cursor's line within the visible rows (kept when the list changes under it)."""
        return self.cursor_row - int(self.scroll_y)

    def visible_range(self) -> tuple[int, int]:
        top = int(self.scroll_y)
        return top, min(len(self.rids), top + self._body_height())

    def loaded_run(self, rid: int) -> Run | None:
        return self._runs.get(rid)

    def _store_run(self, rid: int, run: Run) -> None:
        self._runs[rid] = run
        self._runs.move_to_end(rid)
        while len(self._runs) > CACHE_SIZE:
            self._runs.popitem(last=False)

    def _resize(self) -> None:
        # A screen's width more than the row: the window may start at any column (scrolling snaps to columns).
        self.virtual_size = Size(self._total_width + self.size.width, len(self.rids) + 1)

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # -- loading the visible window -----------------------------------------------
    def _request_window(self) -> None:
        if not self.is_mounted or not self.rids:
            return
        top, bottom = self.visible_range()
        lo, hi = max(0, top - MARGIN), min(len(self.rids), bottom + MARGIN)
        missing = [r for r in self.rids[lo:hi] if r not in self._runs and r not in self._pending]
        if missing:
            self._pending.update(missing)
            shown = set(self.rids[top:bottom])
            self._load_rows(missing, prefetch=not any(r in shown for r in missing))

    @work(thread=True, group="runs-window")
    def _load_rows(self, rids: list[int], prefetch: bool = False) -> None:
        """Read runs for rows without one.  Rows only around the screen (``prefetch``) are read
        after the next paint, so they never hold the GIL from the frame showing what the key did."""
        if prefetch:
            wait_for_paint(self)
            if get_current_worker().is_cancelled:
                return
        loaded = load_runs(self.app.store, rids)
        sync = load_sync(self.app.store, rids)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._rows_loaded, rids, loaded, sync)

    def _rows_loaded(
        self, asked: list[int], loaded: list[tuple[int, Run]], sync: dict[int, bool] | None = None
    ) -> None:
        self._pending.difference_update(asked)
        self.set_sync(sync)
        for rid, run in loaded:
            self._store_run(rid, run)
        self._widen(run for _, run in loaded)
        self.refresh()
        self._announce_cursor()

    # -- rendering --------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.rids):
            if not self.rids and y == 2 and self.empty_message:
                dim = self.get_component_rich_style("runs-table--pending")
                return Strip([Segment(fit("  " + self.empty_message, width), self.rich_style + dim)], width)
            return Strip.blank(width, self.rich_style)
        return self._row_strip(index, width)

    def _shown_columns(self, width: int) -> tuple[list[int], int]:
        """Indices of the columns on screen (fixed ones, then the scrolled ones in view) and the x,
        in the scrolling part, where the first scrolled one starts.

        Only whole columns are drawn: the window starts at the first column at or after
        ``scroll_x``, and a column that does not fit at the right edge is left out, so a cut cell
        never shows the tail or head of a value (``497`` for 0.9497, ``0.`` for 0.83).  Building
        only these cells matters too: with 20 params and 10 metrics, two thirds of a row's cells
        were formatted and styled only to be cropped away, on every repaint of every row.
        """
        sx, view = int(self.scroll_x), max(0, width - self._fixed_width)
        key = (width, sx, self._total_width, self._fixed_width, len(self.columns))
        if self._shown_memo is not None and self._shown_memo[0] == key:
            return self._shown_memo[1]  # every row of a frame asks; a store may have 20,000 columns
        fixed: list[int] = []
        shown: list[int] = []
        x, first_x = 0, None
        for i, col in enumerate(self.columns):
            if col.key in FIXED_KEYS:
                fixed.append(i)
                continue
            if x >= sx and first_x is None:
                first_x = x
            if first_x is not None and (x + col.width <= first_x + view or not shown):
                if x + col.width > first_x + view and col.kind != "params" and col.kind != "tags":
                    break  # wider than the whole view: only text may show cut (with its ellipsis)
                shown.append(i)
            elif first_x is not None:
                break
            x += col.width + 1
        result = (fixed + shown, first_x or 0)
        self._shown_memo = (key, result)
        return result

    def column_window(self) -> tuple[int, int, int]:
        """``(first, last, count)``: the scrolling columns on screen, numbered from 1 among the ``count``
        that scroll (the fixed ones left out); ``(0, 0, 0)`` before the table has a width."""
        width = self.scrollable_content_region.width
        if width <= 0 or not self.columns:
            return 0, 0, 0
        shown, _ = self._shown_columns(width)
        fixed = sum(1 for c in self.columns[: len(shown)] if c.key in FIXED_KEYS)  # set_columns puts them first
        scrolled = shown[fixed:]
        if not scrolled:
            return 0, 0, len(self.columns) - fixed
        return scrolled[0] - fixed + 1, scrolled[-1] - fixed + 1, len(self.columns) - fixed

    def scroll_origin(self) -> int:
        """The x, in the scrolling part, where the first column on screen starts (see ``_shown_columns``)."""
        return self._shown_columns(self.scrollable_content_region.width)[1]

    def _join(self, cells: list[tuple[int, CellText, Style | None]], base: Style, width: int, first_x: int) -> Strip:
        """One line from (column index, text, style) cells of ``_shown_columns``; a cell's text may be a list
        of (text, style) pieces (the status cell of a marked run: its bullet in the run's colour)."""
        fixed = [
            seg for i, text, style in cells if self.columns[i].key in FIXED_KEYS for seg in _pieces(text, style, base)
        ]
        rest = [
            seg
            for i, text, style in cells
            if self.columns[i].key not in FIXED_KEYS
            for seg in _pieces(text, style, base)
        ]
        left = Strip(fixed, self._fixed_width)
        right = Strip(
            rest, sum(self.columns[i].width + 1 for i, _, _ in cells if self.columns[i].key not in FIXED_KEYS)
        )
        right = right.crop(0, max(0, width - self._fixed_width))
        return Strip.join([left, right]).extend_cell_length(width, base).crop(0, width)

    def _header_strip(self, width: int) -> Strip:
        base = self.rich_style + self.get_component_rich_style("runs-table--header")
        cursor = self.get_component_rich_style("runs-table--header-cursor")
        cells: list[tuple[int, CellText, Style | None]] = []
        shown, first_x = self._shown_columns(width)
        for i in shown:
            col = self.columns[i]
            text = fit(col.label, col.width, col.align)
            if col.key == self.sort_key:  # the arrow always shows: a narrow column cuts its name instead
                arrow = "▼" if self.sort_desc else "▲"
                text = (
                    fit(col.label + arrow, col.width, col.align)
                    if cell_len(col.label) < col.width
                    else fit(col.label, col.width - 1) + arrow
                )
            style = col.header_style
            if i == self.cursor_col and self.has_focus:
                style = (style or Style()) + cursor
            cells.append((i, text, style))
        return self._join(cells, base, width, first_x)

    def _row_strip(self, index: int, width: int) -> Strip:
        rid = self.rids[index]
        run = self._runs.get(rid)
        base = self.rich_style
        if run is None:
            pending = self.get_component_rich_style("runs-table--pending")
            return Strip([Segment(fit("  …", width), base + pending)], width)
        marked = run.id in self.marks
        if marked:
            base = base + self.get_component_rich_style("runs-table--marked")
        is_cursor = index == self.cursor_row
        if is_cursor:
            base = base + self.get_component_rich_style("runs-table--cursor")
        cells: list[tuple[int, CellText, Style | None]] = []
        shown, first_x = self._shown_columns(width)
        for i in shown:
            col = self.columns[i]
            text, style = cell(
                run,
                col,
                self.now_ms,
                marked,
                None if self._sync is None else self._sync.get(rid, False),
                self.depth.get(rid, 0),
            )
            if is_cursor and i == self.cursor_col and self.has_focus:
                style = (style or Style()) + self.get_component_rich_style("runs-table--cursor-cell")
            if marked and col.key == STATUS and text.startswith(MARK_GLYPH):
                glyph, bullet = self.bullets()[run.id]
                cells.append((i, [(glyph, bullet), (fit(text[1:], col.width - 1), style)], None))
                continue
            cells.append((i, fit(text, col.width, col.align), style))
        return self._join(cells, base, width, first_x)

    def bullets(self) -> dict[str, tuple[str, Style]]:
        """Each marked run's bullet: ``●`` in the colour its line has in the chart panel and the charts
        (``run_colors`` over the marks in mark order); with NO_COLOR, the glyph its points are drawn with."""
        if self._bullets is None:
            ids = list(self.marks)
            if self.app.no_color:
                self._bullets = {r: (glyph, _BOLD) for r, glyph in run_markers(ids).items()}
            else:
                self._bullets = {
                    r: (MARK_GLYPH, Style(color=hex_color(c), bold=True)) for r, c in run_colors(ids).items()
                }
        return self._bullets

    # -- cursor ----------------------------------------------------------------------------
    def move_cursor(self, row: int | None = None, col: int | None = None) -> None:
        before = (self.cursor_row, self.cursor_col, self.scroll_x, self.scroll_y)
        if row is not None and self.rids:
            self.cursor_row = max(0, min(row, len(self.rids) - 1))
        if col is not None and self.columns:
            self.cursor_col = max(0, min(col, len(self.columns) - 1))
        self._scroll_cursor_into_view()
        if before[1:] == (self.cursor_col, self.scroll_x, self.scroll_y):
            # Only the old and the new cursor lines change: repaint just those (keys stay instant).
            width = self.scrollable_content_region.width
            for index in (before[0], self.cursor_row):
                self.refresh(Region(0, index - int(self.scroll_y) + 1, width, 1))
        else:
            self.refresh()
        self._request_window()
        self._announce_cursor()

    def _scroll_cursor_into_view(self) -> None:
        if not self.is_mounted:
            return
        top, height = int(self.scroll_y), self._body_height()
        if self.cursor_row < top:
            self.scroll_y = self.cursor_row
        elif self.cursor_row >= top + height:
            self.scroll_y = self.cursor_row - height + 1
        col = self.cursor_column
        if col is not None and col.key not in FIXED_KEYS:
            # Scroll by whole columns: the window starts where a column starts (see _shown_columns).
            starts, x = [], 0
            for c in self.columns:
                if c.key not in FIXED_KEYS:
                    starts.append(x)
                    x += c.width + 1
            start = sum(c.width + 1 for c in self.columns[: self.cursor_col]) - self._fixed_width
            view = max(1, self.scrollable_content_region.width - self._fixed_width)
            origin = self.scroll_origin()
            if start < origin:
                self.scroll_x = start
            elif start + col.width > origin + view:
                self.scroll_x = next((s for s in starts if start + col.width <= s + view), start)
        elif col is not None:
            self.scroll_x = 0

    def _announce_cursor(self, force: bool = False) -> None:
        run = self.cursor_run
        run_id = run.id if run is not None else None
        if force or run_id != self._last_cursor_run:
            self._last_cursor_run = run_id
            self.post_message(self.CursorMoved(run_id))

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        if int(old_value) != int(new_value):
            self.post_message(self.ViewportChanged())  # other columns on screen

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._request_window()
        if int(old_value) != int(new_value):
            self.post_message(self.ViewportChanged())

    def on_resize(self, event: events.Resize) -> None:
        self._resize()
        self._scroll_cursor_into_view()
        self._request_window()
        self.post_message(self.ViewportChanged())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=int(self.scroll_y) + event.y - 1)
        x, acc, origin = event.x, 0, self.scroll_origin()
        for i, col in enumerate(self.columns):
            left = acc if col.key in FIXED_KEYS else acc - origin
            if left <= x < left + col.width + 1:
                self.move_cursor(col=i)
                break
            acc += col.width + 1
        if event.chain == 2 and self.cursor_run is not None:
            self.post_message(self.OpenRequested(self.cursor_run.id))

    # -- actions --------------------------------------------------------------------------
    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.move_cursor(col=self.cursor_col - 1)

    def action_cursor_right(self) -> None:
        self.move_cursor(col=self.cursor_col + 1)

    def action_page_up(self) -> None:
        height = self._body_height()
        self.scroll_y = max(0, int(self.scroll_y) - height)
        self.move_cursor(row=self.cursor_row - height)

    def action_page_down(self) -> None:
        height = self._body_height()
        self.scroll_y = int(self.scroll_y) + height
        self.move_cursor(row=self.cursor_row + height)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.rids) - 1)

    def action_open(self) -> None:
        run = self.cursor_run
        if run is not None:
            self.post_message(self.OpenRequested(run.id))

    def action_sort(self) -> None:
        col = self.cursor_column
        if col is not None:
            self.post_message(self.SortRequested(col.key))

    def action_toggle_mark(self) -> None:
        run = self.cursor_run
        if run is None:
            return
        if run.id in self.marks:
            del self.marks[run.id]
        else:
            self.marks[run.id] = self.rids[self.cursor_row]
        self._bullets = None
        self.post_message(self.MarksChanged(len(self.marks)))
        self.move_cursor(row=self.cursor_row + 1)
        self.refresh()

    def action_clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self._bullets = None
            self.post_message(self.MarksChanged(0))
            self.refresh()

    def action_mark_all(self) -> None:
        self.post_message(self.MarkAllRequested())

    def mark(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Add (rid, run id) pairs to the marks (``A``)."""
        for rid, run_id in pairs:
            self.marks.setdefault(run_id, rid)
        self._bullets = None
        self.post_message(self.MarksChanged(len(self.marks)))
        self.refresh()

    def marks_out_of_view(self) -> int:
        """Marked runs that are not in the current list (another scope or filter)."""
        if not self.marks:
            return 0
        if self._rid_set is None:
            self._rid_set = set(self.rids)
        return sum(1 for rid in self.marks.values() if rid not in self._rid_set)
