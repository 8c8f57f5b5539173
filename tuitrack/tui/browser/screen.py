"""The browser screen: experiment tree, runs table, run detail, filter bar and status line.

It owns the view state (scope, filter, sort, columns) and the refresh loop.
All reads happen in one worker (:mod:`tuitrack.tui.browser.loader`); the results are
applied on the event loop with the cursor, marks and scroll kept, because they
are keyed by run id rather than by row position.  A reload applies twice: the
top rows of the new order first (painted at once, even on 100k runs), then the
whole rid list and the counts.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from tuitrack.curation.inputs import QuickTags, load_quick_tags
from tuitrack.entities import Run
from tuitrack.formatting import format_time
from tuitrack.query.filter import FilterError, compile_filter
from tuitrack.tui.browser import compare_keys
from tuitrack.tui.browser.chart_panel import PANEL_BINDINGS, ChartPanel, ChartPanelHost
from tuitrack.tui.browser.compare_keys import COMPARE_BINDINGS
from tuitrack.tui.browser.curation_keys import CURATION_BINDINGS, QUICK_TAGS_AFTER, Curation, quick_tag_bindings
from tuitrack.tui.browser.detail_pane import OPEN_WAIT_S, DetailPane
from tuitrack.tui.browser.experiment_tree import ALL, ExperimentTree, Scope
from tuitrack.tui.browser.filter_bar import FilterBar, remember
from tuitrack.tui.browser.loader import ViewData, ViewMeta, ViewRequest, read_rest, read_view, read_window
from tuitrack.tui.browser.run_columns import BASE_KEYS, default_keys, first_sort_descending, order_expr, summary_keys
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.browser.runs_table import RunsTable, load_runs
from tuitrack.tui.browser.state import ViewState, load_state, save_state
from tuitrack.tui.browser.status_line import StatusLine
from tuitrack.tui.browser.sync_keys import SYNC_BINDINGS, PushKey
from tuitrack.tui.paint import wait_for_paint
from tuitrack.tui.timers import stop
from tuitrack.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from tuitrack.store.core import Store
    from tuitrack.tui.app import TuitrackApp
    from tuitrack.tui.browser.columns import ColumnChoice

DETAIL_DEBOUNCE_S = 0.1
#: ``A`` marks at most this many runs of the list.
MARK_ALL_CAP = 5000


def window_rows(height: int) -> int:
    """Rows a reload reads first: a screenful and a little (every row it builds delays the first paint)."""
    return max(40, height + 8)


#: A view change (sort, filter, columns) is written to the state file after this pause.
STATE_SAVE_DELAY_S = 0.3


def _display_path(path: Path) -> str:
    """The store path as a user would type it (home shown as ``~``)."""
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if home != "/" and (text == home or text.startswith(home + "/")) else text


class BrowserScreen(ChartPanelHost, DetailPane, Screen[None]):
    """The main view.  The app's contract methods delegate here."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    #: No whole-screen repaint on focus moves: the widgets gaining and losing focus repaint themselves.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/", id="browser.filter"),
        Binding("r", "refresh", "Refresh", show=False, id="browser.refresh"),
        Binding("o", "columns", "Columns", show=False, id="browser.columns"),
        Binding("z", "toggle_dense", "Dense: hide/show the detail pane", show=False, id="browser.dense"),
        Binding("escape", "back", "Back", show=False, id="browser.back"),
        Binding(
            "right_square_bracket",
            "detail_tab(1)",
            "Next detail tab",
            show=False,
            key_display="]",
            id="browser.next_tab",
        ),
        Binding(
            "left_square_bracket",
            "detail_tab(-1)",
            "Previous detail tab",
            show=False,
            key_display="[",
            id="browser.previous_tab",
        ),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="browser.next_pane"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="browser.previous_pane"),
        # The views, curation and push keys act on the runs of this screen, so they are its keys: active
        # only while it is in front (never under a dialog or on a view).  The quick tags (1-9) come from
        # the user's config when the screen is built: see _bind_quick_tags.
        *COMPARE_BINDINGS,
        *CURATION_BINDINGS,
        *SYNC_BINDINGS,
        *PANEL_BINDINGS,
    ]

    def __init__(self, *, state_dir: Path | None = None, live_interval: float = 2.0) -> None:
        super().__init__(id="browser")
        self.state_dir = state_dir
        self.live_interval = live_interval
        self.view = ViewState()
        self.scope: Scope = ALL
        self.params: list[str] = []
        self.metrics: list[str] = []
        self.total = 0
        self.last_refresh_ms: int | None = None
        self.include_deleted = False
        self._token = 0
        self._version: int | None = None
        self._high_water: int | None = None
        self._detail_timer: Timer | None = None
        self._last_move = 0.0  # monotonic time of the last cursor move (a move within the debounce repeats)
        self._pending_open: Timer | None = None  # enter pressed, the run's detail still loading
        self._bar_timer: Timer | None = None  # a filter was applied, its bar closes with the first rows
        self._feedback_timer: Timer | None = None  # a reload's sort arrow and status wait for its rows
        self._state_timer: Timer | None = None  # a view change waiting to be remembered
        self._search_worker: Worker[None] | None = None
        self._first_load = True
        self._meta: ViewMeta | None = None
        #: After a partial (window-only) apply: the anchor to restore once the whole list is in, and the
        #: cursor's rid as that apply left it (if the user moved since, their position wins).
        self._pending_anchor: tuple[tuple[int, int], int] | None = None
        self._window_cursor: int | None = None
        self.partial = False
        #: a sort's read is on its way: None no; False its first rows not in yet; True they are
        self._to_top: bool | None = None
        quick = load_quick_tags()  # the user's config, read now (never at import)
        self.curation = Curation(self, quick)
        self.pusher = PushKey(self)
        self._bind_quick_tags(quick)

    def _bind_quick_tags(self, quick: QuickTags) -> None:
        """Add the 1-9 keys of the configured quick tags to this screen's bindings, right after ``.``."""
        keys: dict[str, list[Binding]] = {}
        for key, bindings in self._bindings.key_to_bindings.items():
            keys[key] = bindings
            if key == QUICK_TAGS_AFTER:
                for binding in quick_tag_bindings(quick):
                    keys.setdefault(binding.key, []).append(binding)
        self._bindings = BindingsMap.from_keys(keys)

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ExperimentTree(id="tree")
            with Vertical(id="main"):
                yield RunsTable(id="runs")
                yield RunDetail(id="detail")
            yield ChartPanel(id="chart-panel")
        yield FilterBar(id="filter-bar")
        yield StatusLine(id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def store(self) -> Store:
        """The open store of the app this screen runs in."""
        return cast("TuitrackApp", self.app).store

    def on_mount(self) -> None:
        store = self.app.store
        self.view = load_state(store.path, self.state_dir)
        self._saved_filter = self.view.filter
        message = ""
        if self.view.filter:
            try:
                compile_filter(self.view.filter)
            except FilterError as exc:
                message = f"saved filter dropped: {exc}"
                self.view.filter = ""
        self.table.sort_key, self.table.sort_desc = self.view.sort_key, self.view.sort_desc
        self.table.set_columns(self.view.columns or list(BASE_KEYS))
        self.status.update_info(
            store=_display_path(store.path),
            read_only=store.read_only,
            filter=self.view.filter,
            message=message,
            loading=True,
        )
        self.table.focus()
        if self.curation.quick.error:  # a broken quick_tags.json: the defaults are bound instead
            self.notify(self.curation.quick.error, title="quick tags", severity="warning", markup=False)
        if getattr(store, "notice", None):  # a read-only store read from a snapshot, or possibly stale
            self.notify(store.notice, title="read-only store", severity="warning", markup=False, timeout=15)
        if self.dense:
            self.query_one("#detail", RunDetail).display = False
        self.restore_chart_panel()
        self.app.theme_changed_signal.subscribe(self, self._style_detail_border)
        self.reload()
        if self.live_interval > 0:
            self.set_interval(self.live_interval, self._live_tick, name="live-refresh")

    # -- reading -------------------------------------------------------------------
    def _request(self, live: bool = False) -> ViewRequest:
        self._token += 1
        return ViewRequest(
            scope=self.scope,
            filter=self.view.filter,
            order_by=order_expr(self.view.sort_key, self.view.sort_desc),
            include_deleted=self.include_deleted,
            now_ms=self.app.clock(),
            live=live,
            since_ms=self._high_water,
            last_version=self._version,
            anchor_rid=self.table.cursor_rid,
            window=window_rows(self.size.height),
            token=self._token,
            meta=self._meta,
        )

    def reload(self) -> None:
        """Re-read the view (filter, sort, scope changed, or ``r``); the cursor stays on its run.

        What the key changed besides the rows (sort arrow, filter, "loading") shows with the first
        rows, in one frame, so the read never waits behind a frame of its own (both need the GIL);
        a read slower than ``OPEN_WAIT_S`` shows it then, so a key never looks ignored.
        """
        self._search_worker = self._read(self._request())
        stop(self._feedback_timer)
        self._feedback_timer = self.set_timer(OPEN_WAIT_S, self._show_feedback)

    def _show_feedback(self) -> None:
        """The read is slow: show what the key changed now, and that rows are on their way."""
        self._sync_sort_arrow()  # (stops the timer: the status now shows the new filter and scope)
        self._update_status()
        self.status.update_info(loading=True)

    def _sync_sort_arrow(self) -> None:
        """The header's sort arrow follows the view (see :meth:`reload` for when)."""
        stop(self._feedback_timer)
        self._feedback_timer = None
        table = self.table
        if (table.sort_key, table.sort_desc) != (self.view.sort_key, self.view.sort_desc):
            table.sort_key, table.sort_desc = self.view.sort_key, self.view.sort_desc
            table.refresh()

    def _live_tick(self) -> None:
        worker = self._search_worker
        if worker is not None and not worker.is_finished:
            return
        self.table.now_ms = self.app.clock()
        self.table.refresh()  # durations of running runs and heartbeat-stale runs move with the clock
        self._search_worker = self._read(self._request(live=True))

    @work(thread=True, exclusive=True, group="browser-read")
    def _read(self, req: ViewRequest) -> None:
        worker = get_current_worker()
        try:
            if req.live:
                data = read_view(self.app.store, req)
            else:  # top rows first, painted before the whole list is read
                data = read_window(self.app.store, req)
                if not data.final:
                    if not self._deliver(data) or worker.is_cancelled:
                        return
                    wait_for_paint(self)
                    if worker.is_cancelled:
                        return
                    data = read_rest(self.app.store, data)
        except Exception as exc:  # a vanished or corrupt store must show, not kill the app
            data = ViewData(request=req, error=f"{type(exc).__name__}: {exc}")
        if not worker.is_cancelled:
            self._deliver(data)

    def _deliver(self, data: ViewData) -> bool:
        """Hand a read to the event loop; False once the app is shutting down."""
        try:
            self.app.call_from_thread(self._apply, data)
        except RuntimeError:
            return False
        return True

    def _apply(self, data: ViewData) -> None:
        req = data.request
        if req.token != self._token or not self.app.is_running:
            return  # superseded, or the app is exiting and may already have removed the widgets
        self._sync_sort_arrow()
        if data.error:
            self._update_status()
            self.status.update_info(loading=False, message=f"read failed: {data.error}")
            return
        self.last_refresh_ms = self.app.clock()
        self.status.update_info(loading=not data.final, refreshed=format_time(self.last_refresh_ms, seconds=True)[11:])
        if not data.changed:
            return
        self._version, self._high_water = data.version, data.high_water
        if data.meta is not None:
            self._meta = data.meta
            if data.final:
                self.status.update_info(unpushed=data.meta.unpushed)
        table = self.table
        table.now_ms = req.now_ms
        if data.phase == "window":
            table.forget_all()  # this read's runs are stored below; the rest re-read lazily when shown
        if data.final:
            self.experiment_tree.update_data(data.experiments, data.parents, data.all_total)
            self.total = data.total
        if (data.params, data.metrics) != (self.params, self.metrics):
            self.params, self.metrics = data.params, data.metrics
            self._apply_columns()
        anchor = self._anchor_for(data)
        self.partial = not data.complete
        table.empty_message = self._empty_message(data.total if data.final else len(data.rids))
        table.set_rids(
            data.rids,
            data.runs,
            anchor=None if isinstance(anchor, str) else anchor,
            top=anchor == "top",
            depth=data.depth,
        )
        table.set_sync(data.sync)  # the rows' push state (↑), read with them
        self._window_cursor = table.cursor_rid if data.phase == "window" else None
        self._update_status()
        bar = self.query_one("#filter-bar", FilterBar)
        if data.final and bar.display:  # typing a filter: how many runs it keeps, live
            bar.show_count(len(data.rids), self.total)
        if self._bar_timer is not None:
            self._close_filter_bar()
        if req.live:
            self.query_one("#detail", RunDetail).refresh_run()
            self.chart_panel.reload()

    def _anchor_for(self, data: ViewData) -> tuple[int, int] | str | None:
        """Where the cursor goes: on its run at its screen line, kept across both phases of a reload.

        A window that does not hold the cursor's run (a sort sent it further down) shows the top
        for the moment; the whole list then puts the cursor back on its run, unless the user has
        moved it in between.
        """
        table = self.table
        if self._to_top is not None:  # a new sort: its first runs, unless the user moved since the first rows
            if data.phase == "window" and not data.final:
                self._to_top = True
                self._pending_anchor = None
                return "top"
            moved = self._to_top is True and table.cursor_rid != self._window_cursor
            self._to_top = None
            if not moved:
                return "top"
        anchor = (table.cursor_rid, table.cursor_line()) if table.cursor_rid is not None else None
        if self._first_load:
            anchor, self._first_load = None, False
        if data.phase == "window":
            self._pending_anchor = None
            if anchor is not None and not data.complete:
                index = data.rids.index(anchor[0]) if anchor[0] in data.rids else -1
                if index < 0 or index + table._body_height() - anchor[1] > len(data.rids):
                    self._pending_anchor = (anchor, table.cursor_row)
                    return "top"
            return anchor
        pending, self._pending_anchor = self._pending_anchor, None
        if pending is not None and table.cursor_rid == self._window_cursor:
            anchor, row = pending
            if anchor[0] not in data.rids:
                table.cursor_row = row  # the run left the list: stay at its row, as a one-phase read does
                return None
        return anchor

    def _empty_message(self, total: int) -> str:
        """What an empty table says, so "nothing matched" never looks like "still loading"."""
        if self.view.filter:
            return "No runs match this filter: / edits it, escape clears it."
        if total == 0 and self.scope is ALL:
            return "No runs in this store yet: log one with `import tuitrack` (or try `tuitrack demo`)."
        return "No runs here."

    def _apply_columns(self) -> None:
        keys = self.view.columns if self.view.columns is not None else default_keys(self.params, self.metrics)
        if [c.key for c in self.table.columns] != keys:
            self.table.set_columns(keys)
            self.table.refresh()

    def _update_status(self) -> None:
        first, last = self.table.visible_range()
        info = self.status.info
        shown = self._feedback_timer is not None  # a read in flight: filter and scope stay those of the rows
        self.status.update_info(
            shown=len(self.table.rids),
            total=self.total,
            first=first,
            last=max(first, last - 1),
            marked=len(self.table.marks),
            marked_out=self.table.marks_out_of_view(),
            filter=info.filter if shown else self.view.filter,
            scope=info.scope if shown else self.scope.label,
            partial=self.partial,
            sort=self._sort_label(),
            columns=self.table.column_window(),
        )

    def _sort_label(self) -> str:
        """``auc ▼``: the sort of the rows on screen (the table's, which changes with the rows)."""
        table = self.table
        if not table.sort_key:
            return ""
        label = next((c.label for c in table.columns if c.key == table.sort_key), table.sort_key.split(".", 1)[-1])
        return f"{label} {'▼' if table.sort_desc else '▲'}"

    def _save_state(self) -> None:
        """Remember the view (sort, filter, columns) shortly after it settles.

        Not at once: a thread writing a file on the very key press that starts a search took
        the GIL from it.  ``on_unmount`` writes a change still waiting.
        """
        stop(self._state_timer)
        self._state_timer = self.set_timer(STATE_SAVE_DELAY_S, self._write_state)

    @work(thread=True, group="browser-state")
    def _write_state(self) -> None:
        self._state_timer = None
        try:
            save_state(self.app.store.path, self.view, self.state_dir)
        except OSError as exc:
            self.app.call_from_thread(self.status.update_info, message=f"view state not saved: {exc}")

    def on_unmount(self) -> None:
        if self._state_timer is not None:  # quitting right after a change: write it now
            stop(self._state_timer)
            self._state_timer = None
            with contextlib.suppress(OSError):  # nowhere left to say so; the store itself is untouched
                save_state(self.app.store.path, self.view, self.state_dir)

    # -- the runs the keys act on (the app delegates here too) ----------------------------
    def current_run_id(self) -> str | None:
        """The run under the cursor of the runs table (None: empty table or not loaded yet)."""
        run = self.table.cursor_run
        return run.id if run is not None else None

    def marked_run_ids(self) -> list[str]:
        """Only the marked runs, in mark order (no fallback to the cursor run)."""
        return list(self.table.marks)

    def selected_run_ids(self) -> list[str]:
        """Marked runs in mark order; else the cursor run; else []."""
        marks = self.marked_run_ids()
        if marks:
            return marks
        current = self.current_run_id()
        return [current] if current else []

    def say_marks_out_of_view(self, doing: str) -> None:
        """Before an action on the marked runs: say so when some of them are not in the current list."""
        out = self.table.marks_out_of_view()
        if out:
            marks = len(self.table.marks)
            self.notify(f"{marks} marked, {out} not in view: {doing} all {marks}", markup=False)

    def request_refresh(self) -> None:
        """Re-read the store now (after a write by this process), keeping cursor, marks and scroll.

        The detail pane re-reads too, so a tag or note edit shows at once in both.
        """
        self.action_refresh()
        for detail in self.query(RunDetail):
            detail.refresh_run()

    def visible_run_ids(self, limit: int = 50) -> list[str]:
        rids = self.table.rids[: max(0, limit)]
        missing = [r for r in rids if self.table.loaded_run(r) is None]
        if missing:  # rare: the top rows are normally loaded; a small indexed read by rid
            self.table.update_runs(load_runs(self.app.store, missing))
        runs = [self.table.loaded_run(r) for r in rids]
        return [run.id for run in runs if run is not None]

    def cursor_run(self) -> Run | None:
        return self.table.cursor_run

    # -- the views, curation and push keys (compare_keys, curation_keys, sync_keys) ----------
    def action_compare(self) -> None:
        compare_keys.open_compare(self)

    def action_charts(self) -> None:
        compare_keys.open_charts(self)

    def action_scatter(self) -> None:
        compare_keys.open_scatter(self)

    def action_grouped(self) -> None:
        compare_keys.open_grouped(self)

    def action_images(self) -> None:
        compare_keys.open_images(self)

    def action_parcoords(self) -> None:
        compare_keys.open_parcoords(self)

    def action_tag_editor(self) -> None:
        self.curation.tag_editor()

    def action_quick_tag(self, digit: str) -> None:
        self.curation.quick_tag(digit)

    def action_repeat_tag(self) -> None:
        self.curation.repeat_tag()

    def action_edit_note(self) -> None:
        self.curation.edit_note()

    def action_rename_run(self) -> None:
        self.curation.rename_run()

    def action_delete_runs(self) -> None:
        self.curation.delete_runs()

    def action_toggle_deleted(self) -> None:
        self.curation.toggle_deleted()

    def action_undo_curation(self) -> None:
        self.curation.undo()

    def action_push_runs(self) -> None:
        self.pusher.push()

    # -- events --------------------------------------------------------------------------
    @on(ExperimentTree.ScopeChanged)
    def _scope_changed(self, event: ExperimentTree.ScopeChanged) -> None:
        if event.scope == self.scope:
            return
        self.scope = event.scope
        self.table.cursor_row = 0
        self.table.scroll_y = 0
        self._first_load = True
        self.reload()

    @on(RunsTable.CursorMoved)
    def _cursor_moved(self, event: RunsTable.CursorMoved) -> None:
        """The detail follows the cursor: at once for a single key (leading edge), debounced while keys
        repeat (the last run is loaded ``DETAIL_DEBOUNCE_S`` after the last of them), so holding j reads
        no run it skips over."""
        self._update_status()
        self._cancel_pending_open()  # enter was for the run the cursor just left
        stop(self._detail_timer)
        run_id = event.run_id
        now = time.monotonic()
        repeating, self._last_move = now - self._last_move < DETAIL_DEBOUNCE_S, now
        detail = self.query_one("#detail", RunDetail)
        if repeating:
            self._detail_timer = self.set_timer(DETAIL_DEBOUNCE_S, lambda: detail.show_run(run_id))
        else:
            # Read at once, in the detail's worker, while the frame that moves the cursor is drawn: a
            # small run's detail is in before that frame, so one frame shows both (started after the
            # frame, the screen settled a frame and a read later).
            self._detail_timer = None
            detail.show_run(run_id)

    @on(RunsTable.SortRequested)
    def _sort(self, event: RunsTable.SortRequested) -> None:
        if event.key == self.view.sort_key:
            self.view.sort_desc = not self.view.sort_desc
        else:
            self.view.sort_key, self.view.sort_desc = event.key, first_sort_descending(event.key)
        self._save_state()
        self._to_top = False  # the new order shows from its first run (set True once its first rows are in)
        self.reload()  # the header's arrow turns with the new rows

    @on(RunsTable.MarksChanged)
    @on(RunsTable.ViewportChanged)
    def _marks_or_viewport_changed(self, event: RunsTable.MarksChanged | RunsTable.ViewportChanged) -> None:
        self._update_status()  # "rows a-b" follows scrolling and resizing too

    @on(RunsTable.MarkAllRequested)
    def _mark_all(self) -> None:
        rids = self.table.rids[:MARK_ALL_CAP]
        if len(self.table.rids) > MARK_ALL_CAP:
            self.notify(f"marking the first {MARK_ALL_CAP:,} of {len(self.table.rids):,} runs", markup=False)
        self._read_marks(rids)

    @work(thread=True, group="browser-marks")
    def _read_marks(self, rids: list[int]) -> None:
        """The run ids of rows not loaded yet (``A`` on a long list), then the marks, on the event loop."""
        table = self.table
        known = [(rid, run.id) for rid in rids if (run := table.loaded_run(rid)) is not None]
        missing = [rid for rid in rids if table.loaded_run(rid) is None]
        pairs = known + [(rid, run.id) for rid, run in load_runs(self.app.store, missing)] if missing else known
        order = {rid: i for i, rid in enumerate(rids)}
        pairs.sort(key=lambda p: order[p[0]])
        self.app.call_from_thread(table.mark, pairs)

    @on(FilterBar.Previewed)
    def _filter_previewed(self, event: FilterBar.Previewed) -> None:
        """Typing paused on a valid filter: show its runs, the bar stays open (enter keeps the filter)."""
        with contextlib.suppress(FilterError):  # the bar checked it; a filter that fails here simply is not previewed
            self.apply_filter(event.filter, remember=False)

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        """Search first; hide the bar together with the first rows of the result, in one frame.

        One frame instead of two, and the search never waits behind the first.
        """
        token = self._token
        history = self.filter_history
        for text in (event.draft, event.filter):  # escape keeps what was typed in the history too
            history = remember(history, text)
        if history != self.filter_history:
            self.view.extra["filter_history"] = history
            self._save_state()
        self.apply_filter(event.filter)
        stop(self._bar_timer)  # an earlier enter or escape still waiting: this one replaces it
        self._bar_timer = None
        if self._token == token:  # same filter: nothing to wait for
            self._close_filter_bar()
        else:
            self._bar_timer = self.set_timer(OPEN_WAIT_S, self._close_filter_bar)

    def _close_filter_bar(self) -> None:
        """Hide the bar and give the table focus, in the frame that shows the new rows.

        Focusing the table at once would paint a frame of its own while the search runs; a key
        pressed until the rows arrive goes to the closing bar.
        """
        stop(self._bar_timer)
        self._bar_timer = None
        self.query_one("#filter-bar", FilterBar).close()
        if self.has_class("-detail-max"):  # filtered from the maximized detail: stay in it
            self.query_one("#detail", RunDetail).focus_content()
        else:
            self.table.focus()

    def apply_filter(self, text: str, remember: bool = True) -> None:
        """Apply a filter (validated: an invalid one raises FilterError and changes nothing).

        ``remember=False``: a preview while typing, not saved with the view until it is kept.
        """
        text = text.strip()
        compile_filter(text)
        if text != self.view.filter:
            self.view.filter = text
            self.reload()  # the status line shows the filter with its first rows
        if remember and text != self._saved_filter:
            self._saved_filter = text
            self._save_state()

    # -- actions -----------------------------------------------------------------------------
    @property
    def filter_history(self) -> list[str]:
        """Filters used (and drafts escaped from) in this store, oldest first; saved with the view."""
        saved = self.view.extra.get("filter_history")
        return [h for h in saved if isinstance(h, str)] if isinstance(saved, list) else []

    def action_filter(self) -> None:
        self._cancel_pending_open()  # enter pressed a moment ago must not pull focus from the bar
        stop(self._bar_timer)  # reopened before the last filter's rows came in: stay open
        self._bar_timer = None
        bar = self.query_one("#filter-bar", FilterBar)
        bar.history = self.filter_history
        bar.open(self.view.filter)

    def action_refresh(self) -> None:
        """``r``, and ``request_refresh`` after this process wrote: its own commits do not move
        ``data_version``, so the cached counts and tree data are dropped too."""
        self._meta = None
        self.table.forget(list(self.table._runs))
        self.reload()

    def action_back(self) -> None:
        if self._pending_open is not None:
            self._cancel_pending_open()
        elif self.has_class("-detail-max"):
            self._maximize_detail(False)
            self.table.focus()
        elif self.view.filter:
            self.apply_filter("")
        elif self.focused is not self.table:
            self.table.focus()

    @property
    def dense(self) -> bool:
        """``z``: the detail pane is hidden and the runs table takes its rows (remembered per store)."""
        return self.view.extra.get("layout") == "dense"

    def action_toggle_dense(self) -> None:
        dense = not self.dense
        self.view.extra["layout"] = "dense" if dense else "split"
        self._save_state()
        if not self.has_class("-detail-max"):  # the opened detail shows either way; escape comes back to this
            detail = self.query_one("#detail", RunDetail)
            if dense and detail.has_focus_within:
                self.table.focus()
            detail.display = not dense
        self.notify(
            "dense: the detail pane is hidden (z shows it, enter opens a run)"
            if dense
            else "the detail pane is back (z hides it)",
            markup=False,
            timeout=3,
        )

    def action_detail_tab(self, step: int) -> None:
        """]/[ from the table: the detail pane below shows its next/previous tab (focus stays)."""
        detail = self.query_one("#detail", RunDetail)
        detail.action_next_tab() if step > 0 else detail.action_previous_tab()

    def action_columns(self) -> None:
        from tuitrack.tui.browser.columns import ColumnsScreen  # opened later: not imported with the app

        current = [c.key for c in self.table.columns]
        # Each metric, then its summary columns (min, max, best, best step, mean of the last 10).
        known = [
            *BASE_KEYS,
            *(c for k in self.metrics for c in (f"metrics.{k}", *summary_keys(k))),
            *(f"params.{k}" for k in self.params),
        ]
        self.app.push_screen(
            ColumnsScreen(current, known, default_keys(self.params, self.metrics)), self._columns_chosen
        )

    def _columns_chosen(self, choice: ColumnChoice | None) -> None:
        if choice is None:
            return
        self.view.columns = choice.columns
        self._apply_columns()
        self._save_state()
