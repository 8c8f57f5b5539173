"""The run detail pane: overview, params, metrics, tags, artifacts, logs, environment.

``show_run`` is called on every cursor move and refresh, so loading happens in
one exclusive worker thread; the old content stays until the new arrives (no
flicker), a refresh that changed nothing re-renders nothing, and a run that
vanished or a store error shows as a message in the pane instead of a crash.

Params, metrics and tags are :class:`KeyRows`: they draw only the lines on screen and
read the rows they lack (a window around the screen) in a worker as they scroll, and
``f`` filters them by key, so a run with 100,000 tags costs what a screenful costs.

The Logs tab shows the tail of what the run's script printed (``logs/output.txt``, see
tuitrack/tracking/output.py): a worker reads only the last screenful of lines, the text is shown
literally (no markup, control characters as visible stand-ins), and while the run is running and
the tab is on screen it is read again every :data:`LOG_POLL_S` seconds when the file grew.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Input, Static
from textual.worker import Worker, get_current_worker

from tuitrack.errors import RunNotFoundError
from tuitrack.tui.browser import detail_render as render
from tuitrack.tui.browser import system_charts as system
from tuitrack.tui.browser.artifact_preview import ArtifactPreview, ArtifactRow, artifact_rows
from tuitrack.tui.browser.detail_data import (
    SECTIONS as KEY_SECTIONS,
)
from tuitrack.tui.browser.detail_data import (
    WINDOW,
    DetailData,
    HistoryCache,
    SectionView,
    load_detail,
    load_histories,
    stale_keys,
    window_spark_keys,
)
from tuitrack.tui.browser.system_charts import SystemData
from tuitrack.tui.paint import wait_for_paint
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.chart_grid import ChartGrid
from tuitrack.tui.widgets.key_rows import KeyRows, Lines
from tuitrack.tui.widgets.lists import KeyTable
from tuitrack.tui.widgets.quiet import update_static
from tuitrack.tui.widgets.tab_strip import TabStrip

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

#: (pane id, title, id of the widget that takes focus when the tab is entered by key)
TABS = (
    ("overview", "Overview", "overview-scroll"),
    ("params", "Params", "params-body"),
    ("metrics", "Metrics", "metrics-body"),
    ("tags", "Tags", "tags-body"),
    ("artifacts", "Artifacts", "artifact-list"),
    ("logs", "Logs", "logs-scroll"),
    ("system", "System", "system-pane"),
    ("environment", "Env", "package-list"),
)
SECTIONS = ("overview", "params", "metrics", "tags")
#: the ContentSwitcher child that holds each tab (KeyRows scroll themselves: the overview's Static is in a scroll)
_PANE = {
    "overview": "overview-scroll",
    **{name: f"{name}-pane" for name in KEY_SECTIONS},
    "artifacts": "artifacts-pane",
    "logs": "logs-pane",
    "system": "system-pane",
    "environment": "environment-pane",
}
#: Seconds between looks at a running run's output while the Logs tab is shown.
LOG_POLL_S = 1.0
#: The Logs tab reads at most this many bytes from the end of the output file.
LOG_MAX_BYTES = 1 << 20
#: Seconds a key filter waits for the next keystroke before reading.
FILTER_DELAY = 0.15
#: Up to this many changed sparkline histories are read with the run, shown in the same frame; more
#: are read after the frame that shows the rest (each is one query).
ONE_PHASE_KEYS = 12
#: [ and ] share one footer entry ("[ ] Tabs").
_TABS_GROUP = Binding.Group("Tabs", compact=True)


class RunDetail(Widget):
    """Tabs describing one run; the app calls :meth:`show_run` when its cursor moves."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    RunDetail { height: 1fr; }
    RunDetail > #detail-header { height: 1; padding: 0 1; background: $boost; }
    RunDetail > ContentSwitcher { height: 1fr; }
    RunDetail > ContentSwitcher > * { height: 1fr; padding: 0 1; }
    RunDetail .section { height: auto; }
    RunDetail #artifact-list { height: auto; max-height: 40%; }
    RunDetail #env-scroll { height: auto; max-height: 60%; }
    RunDetail #env-summary { height: auto; }
    RunDetail #package-filter { height: 3; }
    RunDetail #package-count { height: 1; }
    RunDetail #package-list { height: 1fr; }
    RunDetail #logs-status { height: 1; }
    RunDetail #logs-scroll { height: 1fr; }
    RunDetail #logs-body { height: auto; }
    RunDetail #system-status { height: auto; }
    RunDetail .key-filter { height: 1; border: none; padding: 0 1; display: none; }
    RunDetail .key-filter.-shown { display: block; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="run_detail.back"),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Previous tab",
            key_display="[",
            id="run_detail.previous_tab",
            group=_TABS_GROUP,
        ),
        Binding(
            "right_square_bracket", "next_tab", "Next tab", key_display="]", id="run_detail.next_tab", group=_TABS_GROUP
        ),
        Binding("f", "filter_packages", "Filter keys", id="run_detail.filter_packages"),
        Binding("y", "copy_rerun", "Copy rerun script", id="run_detail.copy_rerun"),
    ]

    @dataclass
    class Loaded(Message):
        """The pane now shows ``run_id`` (None: nothing, or an error message)."""

        run_id: str | None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: DetailData | None = None
        self.message: str | None = "no run selected"
        self._wanted: str | None = None
        self._fingerprint: str | None = None
        self._base_fingerprint: str | None = None  # without histories
        self._rows: list[ArtifactRow] = []
        self._packages_shown: tuple[dict[str, str], str] | None = None  # what the package table holds
        self._history_run: str | None = None
        self._history_cache: HistoryCache = {}
        self._then: Callable[[], None] | None = None  # called once the wanted run is shown (or failed)
        self._fills: dict[str, Callable[[], None]] = {}  # hidden tabs' content for the run shown, not built yet
        self._needles: dict[str, str] = {}  # key filters of params/metrics/tags (kept from run to run)
        self._filter_timers: dict[str, Timer] = {}
        self._window_busy: set[str] = set()  # sections with a window read in flight
        self._window_wish: dict[str, SectionView] = {}  # the latest window each section asked for
        #: what the Logs tab shows: (run id, file size read, text, clipped); None before the first read
        self.logs: tuple[str, int, str, bool] | None = None
        self._logs_busy = False
        self._logs_timer: Timer | None = None
        #: what the System tab shows (None before its first read for the run shown)
        self.system: SystemData | None = None
        self._system_busy = False

    @property
    def run_id(self) -> str | None:
        """The run the pane currently shows."""
        return self.data.run_id if self.data is not None else None

    @property
    def filled(self) -> bool:
        """Every tab shows the run last asked for, or its error (hidden tabs are built just after a frame)."""
        return not self._fills and (self._wanted == self.run_id or self.message is not None)

    @property
    def wanted(self) -> str | None:
        """The run last asked for (shown, or still loading)."""
        return self._wanted

    def compose(self) -> ComposeResult:
        yield Static(Text("no run selected", style="dim"), id="detail-header")
        yield TabStrip([(pane_id, title) for pane_id, title, _ in TABS], "overview", id="detail-tabs")
        with ContentSwitcher(initial=_PANE["overview"]):
            with VerticalScroll(id=_PANE["overview"], classes="section-scroll"):
                yield Static(Text(""), id="overview-body", classes="section")
            for name in KEY_SECTIONS:
                with Vertical(id=_PANE[name]):
                    yield Input(
                        placeholder=f"filter {name} by key (f) · enter: to the list",
                        id=f"{name}-filter",
                        classes="key-filter",
                        disabled=True,
                    )  # shown and enabled by f
                    yield KeyRows(id=f"{name}-body")
            with Vertical(id=_PANE["artifacts"]):
                table: DataTable[Text] = KeyTable(id="artifact-list", cursor_type="row", zebra_stripes=True)
                yield table
                yield ArtifactPreview(id="artifact-preview")
            with Vertical(id=_PANE["logs"]):
                yield Static(Text(""), id="logs-status")
                with VerticalScroll(id="logs-scroll"):
                    yield Static(Text(""), id="logs-body")
            with VerticalScroll(id=_PANE["system"]):
                yield Static(Text(""), id="system-status")
                yield ChartGrid(id="system-grid")
            with Vertical(id=_PANE["environment"]):
                with VerticalScroll(id="env-scroll"):
                    yield Static(Text(""), id="env-summary")
                yield Input(placeholder="filter packages (f)", id="package-filter")
                yield Static(Text(""), id="package-count")
                yield KeyTable(id="package-list", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#artifact-list", DataTable).add_columns("artifact", "size")
        self.query_one("#package-list", DataTable).add_columns("package", "version")
        self._show_message("no run selected")
        self._logs_timer = self.set_interval(LOG_POLL_S, self._poll_logs)
        self.query_one("#logs-scroll", VerticalScroll).anchor()

    # -- loading ------------------------------------------------------------------
    def show_run(self, run_id: str | None, then: Callable[[], None] | None = None) -> None:
        """Show ``run_id`` (None clears the pane).  Cheap to call often: the read runs in a worker.

        ``then`` runs right after the run's content is in place (or its error is shown), in the same
        event-loop turn, so a caller can change the layout in the same frame (enter maximizes); the
        visible sections then ask for that layout instead of measuring themselves first.
        A newer ``show_run`` drops it.
        """
        self._then = then if run_id is not None else None
        self._wanted = run_id
        if run_id is None:
            self.workers.cancel_group(self, "detail")
            self._show_message("no run selected")
            return
        cache = dict(self._history_cache) if self._history_run == run_id else {}
        self._load(run_id, cache, self.views(run_id))

    def views(self, run_id: str | None = None) -> dict[str, SectionView]:
        """Where params/metrics/tags are scrolled and filtered (scrolls start at the top for another run)."""
        same = run_id is None or run_id == self.run_id
        return {
            name: SectionView(
                self.query_one(f"#{name}-body", KeyRows).first_row() if same else 0, self._needles.get(name, "")
            )
            for name in KEY_SECTIONS
        }

    def refresh_run(self) -> None:
        """Re-read the shown run (after a write); keeps tab, scroll, cursor and filter."""
        if self._wanted is not None:
            self.show_run(self._wanted, then=self._then)  # a pending enter still opens when it lands

    @work(thread=True, exclusive=True, group="detail")
    def _load(self, run_id: str, cache: HistoryCache, views: dict[str, SectionView]) -> None:
        """Two phases: everything but changed histories first, then those (skipped if superseded)."""
        worker = get_current_worker()
        store = self.app.store
        try:
            data = load_detail(store, run_id, self.app.clock(), histories=False, cache=cache, views=views)
            stale = stale_keys(data, cache)
            if stale and len(stale) <= ONE_PHASE_KEYS:  # a few histories (~0.1 ms each): one read, one frame
                fresh = load_histories(store, data, cache, cancelled=lambda: worker.is_cancelled)
                if fresh is None:
                    return
                data = replace(data, histories={k: v for k, (_, v) in fresh.items()})
                cache, stale = fresh, []
            if stale:
                self._deliver(worker, run_id, data, None, None)
                wait_for_paint(self)  # the sparklines wait for the frame that shows the rest
                fresh = load_histories(store, data, cache, cancelled=lambda: worker.is_cancelled)
                if fresh is None:
                    return
                data = replace(data, histories={k: v for k, (_, v) in fresh.items()})
                cache = fresh
        except RunNotFoundError:
            self._deliver(
                worker,
                run_id,
                None,
                None,
                f"run {run_id} is no longer in the store (deleted or the store was replaced)",
            )
            return
        except Exception as exc:  # store errors must show in the pane, not kill the app
            self._deliver(worker, run_id, None, None, f"could not read run {run_id}: {type(exc).__name__}: {exc}")
            return
        self._deliver(worker, run_id, data, cache, None)

    def _deliver(
        self, worker: Worker[None], run_id: str, data: DetailData | None, cache: HistoryCache | None, error: str | None
    ) -> None:
        if worker.is_cancelled:
            return
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._apply, run_id, data, cache, error)

    def _run_then(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()

    def _apply(self, run_id: str, data: DetailData | None, cache: HistoryCache | None, error: str | None) -> None:
        if run_id != self._wanted or not self.is_mounted or not self.app.is_running:
            return  # a newer request is on its way (keep what is shown), or the app is shutting down
        if data is None:
            self._show_message(error or "unknown error")
            self._run_then()
            return
        if cache is not None:
            self._history_run, self._history_cache = run_id, cache
        fingerprint = data.fingerprint()
        if fingerprint == self._fingerprint:
            self._run_then()
            return
        same_run = self.data is not None and self.data.run_id == data.run_id
        base = data.fingerprint(histories=False)
        only_histories = same_run and base == self._base_fingerprint
        self.data, self.message, self._fingerprint, self._base_fingerprint = data, None, fingerprint, base
        relayout = self._then is not None  # enter: the pane opens in this frame, laid out anew anyway
        fills: dict[str, Callable[[], None]] = {"metrics": lambda: self._set_keys("metrics", not same_run)}
        if only_histories:  # the second phase of a load only brings sparklines
            fills = {**self._fills, **fills}  # the first phase's hidden tabs may still be waiting
        else:
            update_static(self.query_one("#detail-header", Static), render.header(data))
            fills |= {
                "overview": lambda: self._set_section("overview", render.overview(data), relayout),
                "params": lambda: self._set_keys("params", not same_run),
                "tags": lambda: self._set_keys("tags", not same_run),
                "environment": partial(self._fill_environment_tab, data, same_run),
                "artifacts": lambda: self._fill_artifacts(data, same_run),
                "logs": lambda: self._logs_changed(data.run_id, not same_run),
                "system": lambda: self._system_changed(data.run_id, not same_run),
            }
        # The tab on screen now, the hidden ones after this frame (or when opened): keys paint sooner.
        shown = fills.pop(self.active_tab, None)
        if shown is not None:
            shown()
        self._fills = fills
        if fills:
            self.call_after_refresh(self._flush_fills)
        self.post_message(self.Loaded(data.run_id))
        self._run_then()

    def _flush_fills(self) -> None:
        """Fill the hidden tabs for the run shown (see ``_apply``)."""
        fills, self._fills = self._fills, {}
        for fill in fills.values():
            fill()

    def _content_width(self) -> int:
        """Columns a section has: the pane minus its padding and a scrollbar (100 before the first layout)."""
        return self.size.width - 4 if self.size.width > 10 else 100

    def on_resize(self) -> None:
        if self.data is not None:  # the metrics table picks its columns by width
            self._set_keys("metrics")
        if self.system is not None:
            self._draw_system()

    def _set_section(self, name: str, renderable: RenderableType, relayout: bool = False) -> None:
        update_static(self.query_one(f"#{name}-body", Static), renderable, relayout)

    def _set_keys(self, name: str, top: bool = False) -> None:
        """Draw params/metrics/tags from the data's window (``top``: a new run, scrolled to the start)."""
        data = self.data
        if data is None:
            return
        if name == "metrics":
            section = render.metrics(data, self._content_width())
        else:
            section = render.params(data) if name == "params" else render.tags(data)
        self.query_one(f"#{name}-body", KeyRows).set_content(
            section.blocks, data.window(name).get, section.draw, keep_scroll=not top
        )

    # -- params, metrics and tags: windows read as they scroll, filters by key --------------------------
    @on(KeyRows.WantRows)
    def _want_rows(self, event: KeyRows.WantRows) -> None:
        event.stop()
        name = (event.widget.id or "").removesuffix("-body")
        if name in KEY_SECTIONS:
            self._want_window(name, SectionView(event.index, self._needles.get(name, "")))

    def _want_window(self, name: str, view: SectionView) -> None:
        """Read ``view``'s window of a section; while one read is in flight only the latest wish waits."""
        self._window_wish[name] = view
        if self.data is None or name in self._window_busy:
            return
        self._window_busy.add(name)
        window = self.data.window(name)
        counts = (window.total, window.tail, window.unfiltered) if window.needle == view.needle else None
        self._read_window(
            self.data.run_id,
            name,
            view,
            counts,
            window.unfiltered if window.total else None,
            dict(self._history_cache) if name == "metrics" else {},
        )

    @work(thread=True, exclusive=False, group="detail-window")
    def _read_window(
        self,
        run_id: str,
        name: str,
        view: SectionView,
        counts: tuple[int, int, int] | None,
        unfiltered: int | None,
        cache: HistoryCache,
    ) -> None:
        """One section's rows around ``view.top`` (and, for metrics, the sparklines of the rows on screen)."""
        store = self.app.store
        window: Any = None
        histories: HistoryCache | None = None
        try:
            rid, _ = store.resolve_run(run_id)
            window = store.key_window(
                rid, name, offset=view.offset, limit=WINDOW, needle=view.needle, counts=counts, unfiltered=unfiltered
            )
            if name == "metrics" and self.data is not None:
                probe = replace(
                    self.data,
                    sections={**self.data.sections, "metrics": window},
                    spark_keys=window_spark_keys(window, view.top),
                )
                histories = load_histories(store, probe, cache)
        except Exception:  # the run vanished or the store failed: the next refresh says so
            window = None
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._window_read, run_id, name, view, window, histories)

    def _window_read(
        self, run_id: str, name: str, view: SectionView, window: Any, histories: HistoryCache | None
    ) -> None:
        self._window_busy.discard(name)
        if not self.app.is_running:
            return  # the app is shutting down: its widgets may already be gone
        data = self.data
        wish = self._window_wish.pop(name, view)
        if data is None or data.run_id != run_id:
            return  # another run by now (its own load brings its windows)
        if window is not None and wish.needle == view.needle:
            spark = window_spark_keys(window, view.top) if name == "metrics" else data.spark_keys
            self.data = data = replace(data, sections={**data.sections, name: window}, spark_keys=spark)
            if histories is not None:
                self._history_run, self._history_cache = run_id, {**self._history_cache, **histories}
                data.histories = {k: v for k, (_, v) in histories.items()}
            self._fingerprint = data.fingerprint()
            self._base_fingerprint = data.fingerprint(histories=False)
            self._fills.pop(name, None)
            self._set_keys(name)
        end = window.offset + len(window.rows) if window is not None else 0
        covered = (
            window is not None
            and wish.needle == view.needle
            and window.offset <= wish.top
            and (wish.top + WINDOW // 2 <= end or end >= window.total)
        )
        if wish != view and not covered:
            self._want_window(name, wish)

    @on(Input.Changed, ".key-filter")
    def _key_filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = (event.input.id or "").removesuffix("-filter")
        self._needles[name] = event.value.strip()
        timer = self._filter_timers.pop(name, None)
        if timer is not None:
            timer.stop()
        self._filter_timers[name] = self.set_timer(FILTER_DELAY, lambda: self._apply_filter(name))

    def _apply_filter(self, name: str) -> None:
        self._filter_timers.pop(name, None)
        self.query_one(f"#{name}-body", KeyRows).scroll_home(animate=False, immediate=True)
        self._want_window(name, SectionView(0, self._needles.get(name, "")))

    @on(Input.Submitted, ".key-filter")
    def _key_filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = (event.input.id or "").removesuffix("-filter")
        self.query_one(f"#{name}-body", KeyRows).focus()
        if not event.value.strip():  # an empty filter goes away again
            event.input.remove_class("-shown")
            event.input.disabled = True

    def _show_message(self, message: str) -> None:
        """Replace every section with one message (nothing selected, run gone, store error)."""
        self.data, self.message, self._fingerprint, self._rows = None, message, None, []
        self._base_fingerprint, self._packages_shown, self._fills = None, None, {}
        style = "dim" if message == "no run selected" else "red"
        self.query_one("#detail-header", Static).update(safe(message, style))
        self._set_section("overview", safe(message, style, single_line=False))
        for name in KEY_SECTIONS:
            self.query_one(f"#{name}-body", KeyRows).set_content(
                [Lines((safe(message, style, single_line=False),))], keep_scroll=False
            )
        self.query_one("#env-summary", Static).update(safe(message, style))
        self.query_one("#artifact-list", DataTable).clear()
        self.query_one("#package-list", DataTable).clear()
        self.query_one(ArtifactPreview).clear(message)
        self.logs = None
        update_static(self.query_one("#logs-status", Static), Text(""))
        update_static(self.query_one("#logs-body", Static), safe(message, style, single_line=False))
        self.system = None
        update_static(self.query_one("#system-status", Static), safe(message, style, single_line=False))
        self.query_one("#system-grid", ChartGrid).show([], 1)
        self.post_message(self.Loaded(None))

    # -- artifacts ------------------------------------------------------------------
    def _fill_artifacts(self, data: DetailData, same_run: bool) -> None:
        table = self.query_one("#artifact-list", DataTable)
        preview = self.query_one(ArtifactPreview)
        old_key = self._rows[table.cursor_row].key if same_run and 0 <= table.cursor_row < len(self._rows) else None
        rows = artifact_rows(data.artifacts, data.server_artifacts[1] if data.server_artifacts else [])
        if rows != self._rows or table.row_count != len(rows):  # refilling relayouts the screen: only on change
            self._rows = rows
            table.clear()
            for row in self._rows:
                label = safe(row.label, "bold cyan" if row.is_model else ("dim" if row.on_server else ""))
                if row.on_server:  # a pulled run's file left on the server: enter fetches it
                    label.append("  ↓ on server", "italic")
                size = Text(render.human_size(row.size), style="dim", justify="right")
                table.add_row(label, size, key=row.key)
        keys = [r.key for r in self._rows]
        if old_key in keys and table.cursor_row != keys.index(old_key):
            table.move_cursor(row=keys.index(old_key), animate=False)
        if not self._rows:
            preview.clear("no artifacts logged")
        elif not same_run or (preview.shown is not None and preview.shown.key not in keys):
            preview.clear()

    @on(ArtifactPreview.Fetched)
    def _artifact_fetched(self) -> None:
        self.refresh_run()  # the file is the store's now: its row loses "on server"

    @on(DataTable.RowSelected, "#artifact-list")
    def _preview_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.data is not None and 0 <= event.cursor_row < len(self._rows):
            self.query_one(ArtifactPreview).show(self.data.run_id, self._rows[event.cursor_row])

    # -- logs --------------------------------------------------------------------------
    def _log_lines(self) -> int:
        """Lines the Logs tab reads: a terminal's height (the most it can show), at least 10."""
        return max(10, self.app.size.height)

    def _logs_changed(self, run_id: str, new_run: bool) -> None:
        """The run shown changed or was re-read: read its output now if the Logs tab is on screen,
        else when the tab is opened (a cursor move costs no file read)."""
        if new_run:
            self.logs = None
        if self.active_tab == "logs":
            self._read_logs_now(run_id)

    def _read_logs_now(self, run_id: str, new_run: bool = False) -> None:
        if new_run:
            self.logs = None
        if not self._logs_busy:
            self._logs_busy = True
            self._read_logs(run_id, self._log_lines(), self.logs[1] if self.logs and self.logs[0] == run_id else -1)

    def _poll_logs(self) -> None:
        """Tail a running run's output while the Logs tab is on screen."""
        data = self.data
        if data is not None and data.status == "RUNNING" and self.active_tab == "logs" and self.display:
            self._read_logs_now(data.run_id)

    @work(thread=True, exclusive=False, group="detail-logs")
    def _read_logs(self, run_id: str, lines: int, known_size: int) -> None:
        from tuitrack.tracking.output import OUTPUT_ARTIFACT, read_tail

        result: tuple[str, int, str, bool] | None
        try:
            path = self.app.store.artifact_file(run_id, OUTPUT_ARTIFACT)
            if path.stat().st_size == known_size:
                result = None  # nothing new
            else:
                text, size, clipped = read_tail(path, lines, LOG_MAX_BYTES)
                result = (run_id, size, text, clipped)
        except FileNotFoundError:
            result = (run_id, 0, "", False)
        except Exception as exc:  # the run vanished or the store failed
            result = (run_id, 0, f"could not read the output: {type(exc).__name__}: {exc}", False)
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._logs_read, run_id, result)

    def _logs_read(self, run_id: str, result: tuple[str, int, str, bool] | None) -> None:
        self._logs_busy = False
        if not self.app.is_running:
            return  # the app is shutting down: its widgets may already be gone
        if self.data is None or self.data.run_id != run_id or not self.is_mounted:
            if self.data is not None and self.data.run_id != run_id:
                self._read_logs_now(self.data.run_id, True)  # the cursor moved on during the read
            return
        if result is None:
            return
        new_run = self.logs is None or self.logs[0] != run_id
        self.logs = result
        _, size, text, clipped = result
        status = self.query_one("#logs-status", Static)
        body = self.query_one("#logs-body", Static)
        if size == 0 and not text:
            update_static(status, Text(""))
            update_static(
                body, Text("no console output captured (nothing printed yet, or capture was off)", style="dim")
            )
            return
        live = "  · live" if self.data.status == "RUNNING" else ""
        more = f"last {text.count(chr(10)) + 1 if text else 0} lines of " if clipped else ""
        update_static(status, Text(f"{more}logs/output.txt, {render.human_size(size)}{live}", style="dim"))
        update_static(body, safe(text, single_line=False))
        # anchored: the view follows the tail unless the user scrolled up to read (a new run re-anchors)
        if new_run:
            self.query_one("#logs-scroll", VerticalScroll).anchor()

    # -- system metrics ------------------------------------------------------------------
    def _system_changed(self, run_id: str, new_run: bool) -> None:
        """Like the Logs tab: read the run's system metrics now if the tab is on screen, else when opened."""
        if new_run:
            self.system = None
        if self.active_tab == "system":
            self._read_system_now(run_id)

    def _read_system_now(self, run_id: str) -> None:
        if not self._system_busy:
            self._system_busy = True
            width = self._content_width()
            self._read_system(run_id, max(40, 2 * (width // system.grid_columns(width, 3) - 8)))

    @work(thread=True, exclusive=False, group="detail-system")
    def _read_system(self, run_id: str, max_points: int) -> None:
        try:
            result = system.read_system(self.app.store, run_id, max_points)
        except Exception as exc:  # the run vanished or the store failed
            result = SystemData(run_id, 0, error=f"could not read the system metrics: {type(exc).__name__}: {exc}")
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._system_read, run_id, result)

    def _system_read(self, run_id: str, result: SystemData) -> None:
        self._system_busy = False
        if not self.app.is_running or not self.is_mounted:
            return
        if self.data is None or self.data.run_id != run_id:
            if self.data is not None and self.active_tab == "system":
                self._read_system_now(self.data.run_id)  # the cursor moved on during the read
            return
        self.system = result
        self._draw_system()

    def _draw_system(self) -> None:
        data = self.system
        if data is None:
            return
        grid = self.query_one("#system-grid", ChartGrid)
        if not data.summaries and not data.error:
            update_static(self.query_one("#system-status", Static), Text(system.NO_SYSTEM, style="dim"))
            grid.show([], 1)
            return
        update_static(self.query_one("#system-status", Static), system.status(data))
        charts = system.specs(data, no_color=self.app.no_color)
        columns = system.grid_columns(self._content_width(), len(charts))
        # the pane's height from the detail's own (header and tab strip above it, the status line in it): the
        # pane itself may not be laid out yet when the data arrives
        grid.styles.height = system.grid_height(max(1, self.size.height - 4), len(charts), columns)
        grid.show(charts, columns)

    # -- environment: the reproduce view ------------------------------------------------
    def _fill_environment_tab(self, data: DetailData, same_run: bool) -> None:
        self._fill_environment(data)
        self._fill_packages(same_run)

    def _fill_environment(self, data: DetailData) -> None:
        """The reproduce summary; packages are compared with this environment once it is read (a worker)."""
        reference = _reference_environment(self.app)
        update_static(self.query_one("#env-summary", Static), render.environment(data, reference))
        if reference is None and data.packages:
            self._read_reference()

    @work(thread=True, exclusive=True, group="detail-reference")
    def _read_reference(self) -> None:
        """This process's installed packages (a metadata scan: tens of ms, once per app)."""
        from tuitrack.analysis import reproduce as rp

        self.app.reference_environment = rp.current_environment()
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._reference_read)

    def _reference_read(self) -> None:
        if self.data is not None and self.is_mounted:
            update_static(
                self.query_one("#env-summary", Static), render.environment(self.data, _reference_environment(self.app))
            )

    def action_copy_rerun(self) -> None:
        """``y`` in the Env tab: the shell snippet that reruns the run, to the clipboard."""
        from tuitrack.analysis import reproduce as rp

        if self.data is None:
            return
        self.app.copy_to_clipboard(rp.shell(render.recipe(self.data, _reference_environment(self.app))))
        self.notify("copied the rerun script (tuitrack reproduce RUN --shell prints it)")

    # -- packages ---------------------------------------------------------------------
    def _fill_packages(self, same_run: bool = True) -> None:
        table = self.query_one("#package-list", DataTable)
        packages = self.data.packages if self.data is not None else {}
        needle = self.query_one("#package-filter", Input).value.strip().lower()
        if self._packages_shown == (packages, needle):
            return  # refilling relayouts the screen; most runs share one environment
        self._packages_shown = (packages, needle)
        table.clear()
        count = self.query_one("#package-count", Static)
        if not packages:
            table.add_row(Text("no packages recorded", style="dim"), Text(""))
            update_static(count, Text(""))
            return
        shown = [(n, v) for n, v in packages.items() if needle in n.lower()] if needle else list(packages.items())
        for name, version in sorted(shown, key=lambda kv: kv[0].lower()):
            table.add_row(safe(name), safe(version), key=name)
        if not shown:
            table.add_row(safe(f"no package matches {needle!r}", "dim"), Text(""))
        update_static(count, Text(f"{len(shown)} of {len(packages)} packages", style="dim"))

    @on(Input.Changed, "#package-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_packages()

    @on(Input.Submitted, "#package-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#package-list", DataTable).focus()

    # -- actions ----------------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return self.query_one(TabStrip).active

    def _activate(self, pane_id: str) -> None:
        self._flush_fills()
        self.query_one(TabStrip).active = pane_id
        self.query_one(ContentSwitcher).current = _PANE[pane_id]
        if pane_id == "logs" and self.data is not None:
            self._read_logs_now(self.data.run_id)  # a stat when the file did not change
        if pane_id == "system" and self.data is not None:
            self._read_system_now(self.data.run_id)
        # A hidden tab's text was replaced without a layout; the switch lays the pane out anyway, and this
        # makes that layout measure it again (else it keeps the old run's height: a traceback or a new
        # note below it stayed cut off).
        body = (
            f"#{pane_id}-body"
            if pane_id in SECTIONS or pane_id == "logs"
            else "#env-summary"
            if pane_id == "environment"
            else None
        )
        if body is not None:
            self.query_one(body).refresh(layout=True)

    def select_tab(self, pane_id: str) -> None:
        """Activate a tab and move focus into it (so the keys keep working there)."""
        if pane_id not in [t[0] for t in TABS]:
            raise ValueError(f"unknown detail tab {pane_id!r} (known: {', '.join(t[0] for t in TABS)})")
        self._activate(pane_id)
        if self.has_focus_within or self.has_focus:
            focus_id = {t[0]: t[2] for t in TABS}[pane_id]
            self.query_one(f"#{focus_id}").focus()

    def _step_tab(self, delta: int) -> None:
        ids = [t[0] for t in TABS]
        self.select_tab(ids[(ids.index(self.active_tab) + delta) % len(ids)])

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    @on(TabStrip.Chosen)
    def _tab_clicked(self, event: TabStrip.Chosen) -> None:
        """A click on a title opens that tab and moves focus into it (keys then act there)."""
        event.stop()
        self.select_tab(event.tab_id)
        self.query_one(f"#{dict((t[0], t[2]) for t in TABS)[event.tab_id]}").focus()

    def action_filter_packages(self) -> None:
        """``f``: filter the packages (Env) or the keys of params, metrics or tags."""
        if self.active_tab in KEY_SECTIONS:
            box = self.query_one(f"#{self.active_tab}-filter", Input)
            box.disabled = False
            box.add_class("-shown")
            box.focus()
            return
        self._activate("environment")
        self.query_one("#package-filter", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter_packages":
            return self.active_tab in ("environment", *KEY_SECTIONS)
        if action == "copy_rerun":
            return self.active_tab == "environment"
        if action == "back":  # the browser's escape (un-maximize, back to the table); shown while in the pane
            return hasattr(self.screen, "action_back")
        return True

    def action_back(self) -> None:
        back = getattr(self.screen, "action_back", None)
        if back is not None:
            back()

    def focus_content(self) -> None:
        """Focus the active tab's main widget (the app calls this when enter opens the detail)."""
        focus_id = {t[0]: t[2] for t in TABS}[self.active_tab]
        self.query_one(f"#{focus_id}").focus()


def _reference_environment(app: object) -> tuple[dict[str, str], str] | None:
    """The environment runs are compared with: this process's (read once), or one a test or screenshot set."""
    return getattr(app, "reference_environment", None)


__all__ = ["TABS", "RunDetail"]
