"""The tuitrack terminal app: a thin shell around the browser screen.

``create_app`` is the one way to build it (the CLI, tests and screenshots use
it).  The app binds only help and quit; every other key belongs to the screen
it acts on (the browser's views, curation and push keys are in
:mod:`tuitrack.tui.browser.screen`).  ``current_run_id``, ``selected_run_ids``,
``visible_run_ids``, ``request_refresh`` and ``current_filter`` ask the browser.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import textual.screen
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.filter import LineFilter
from textual.screen import Screen

from tuitrack.store.core import Store
from tuitrack.tui import startup
from tuitrack.tui.browser.screen import BrowserScreen
from tuitrack.tui.contrast import with_contrast
from tuitrack.tui.dialogs.confirm import ConfirmScreen
from tuitrack.tui.dialogs.help import HelpScreen, binding_rows

#: A full garbage collection after this many middle-generation ones (Python's default: 10).
GC_FULL_EVERY = 100
#: Screen updates per second unless ``TEXTUAL_FPS`` says otherwise (Textual's default: 60).
FRAME_RATE = 120
#: Seconds a worker thread may hold the GIL while the event loop waits for it (Python's default: 0.005).
GIL_SWITCH_S = 0.001


def tune_frame_rate() -> None:
    """Paint on a 120 Hz grid: a change made just after a 60 Hz tick would wait up to 16.7 ms to show.

    Frames still happen only when something changed, so an idle app costs the same.  Textual reads
    ``TEXTUAL_FPS`` once at import; each screen reads ``textual.screen.UPDATE_PERIOD`` when it first
    paints, so setting it here, when an app is created, still applies.  ``TEXTUAL_FPS`` in the
    environment wins.
    """
    if "TEXTUAL_FPS" not in os.environ:
        # setattr: Textual types the constant Final; overriding it before the first screen is the point
        setattr(textual.screen, "UPDATE_PERIOD", 1 / FRAME_RATE)  # noqa: B010


def _wall_clock() -> int:
    return time.time_ns() // 1_000_000


class ActionsProvider(Provider):
    """Command palette entries for every binding active on the screen it was opened from."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = []
        seen: set[tuple[int, str]] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            ident = (id(active.node), binding.action)
            if binding.system or not binding.description or ident in seen or not active.enabled:
                continue
            seen.add(ident)
            keys = binding.key_display or self.app.get_key_display(binding)
            out.append((binding.description, f"key: {keys}", partial(self.app.run_action, binding.action, active.node)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class TuitrackApp(App[None]):
    """Experiment browser.  See ``create_app``.

    Help, quit and the command palette are the app's keys; the views (c, v, p, a, i), curation
    (t, 1-9, ., n, R, d, D, u) and push (P) keys are the browser screen's.
    """

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live in other modules
    TITLE = "tuitrack"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [
        # After every screen's own keys in the footer (the focused widget's come first, the app's last).
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] | None = None,
        state_dir: Path | None = None,
        live_interval: float = 2.0,
    ) -> None:
        tune_frame_rate()
        super().__init__()
        self.store = store
        self.clock: Callable[[], int] = clock or _wall_clock
        # the environment runs are compared with: read once by the run detail (or set by screenshots)
        self.reference_environment: tuple[dict[str, str], str] | None = None
        self.browser = BrowserScreen(state_dir=state_dir, live_interval=live_interval)
        self._contrast: tuple[tuple[int, ...], list[LineFilter]] = ((), [])

    def get_default_screen(self) -> Screen[Any]:
        return self.browser

    def get_line_filters(self) -> Sequence[LineFilter]:
        """With NO_COLOR: Textual's grey conversion, keeping every text readable on its background."""
        filters = super().get_line_filters()
        if not self.no_color:
            return filters
        key = tuple(map(id, filters))
        if self._contrast[0] != key:
            self._contrast = (key, with_contrast(list(filters)))
        return self._contrast[1]

    # -- lifecycle ------------------------------------------------------------------------
    def on_ready(self) -> None:
        """Move everything alive at start (modules, classes, the widget tree) out of the collector's sight.

        A full collection walks every tracked object (tens of thousands once Textual is up) and lands
        on whichever key press triggers it; frozen, it walks only what was made since.  The third
        threshold is raised because freezing makes full passes more frequent.  A host program that
        froze objects itself is left alone (unfreezing at exit would undo it).

        And the GIL changes hands every :data:`GIL_SWITCH_S`: workers (reads, the chart panel's
        drawing) run Python in long slices, and the event loop takes the GIL back after each wait for
        input, so a key pressed while a worker draws could wait 5 ms several times over before its frame.
        """
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, GIL_SWITCH_S))
        if not gc.get_freeze_count():
            self._gc_thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(self._gc_thresholds[0], self._gc_thresholds[1], GC_FULL_EVERY)
        startup.resume_collector()  # paused by the tuitrack command while the first screen was built

    def on_unmount(self) -> None:
        # Hand everything back, so an app run inside a longer process (tests) leaks nothing.
        startup.resume_collector()  # an app that never got ready
        interval = getattr(self, "_switch_interval", None)
        if interval is not None:
            sys.setswitchinterval(interval)
        thresholds = getattr(self, "_gc_thresholds", None)
        if thresholds:
            gc.unfreeze()
            gc.set_threshold(*thresholds)

    # -- the browser's state, for the screenshot script and tests --------------------------
    def current_run_id(self) -> str | None:
        """The run under the cursor of the runs table (None: empty table or not loaded yet)."""
        return self.browser.current_run_id()

    def selected_run_ids(self) -> list[str]:
        """Marked runs in mark order; else the cursor run; else []."""
        return self.browser.selected_run_ids()

    def marked_run_ids(self) -> list[str]:
        """Only the marked runs, in mark order (no fallback to the cursor run)."""
        return self.browser.marked_run_ids()

    def visible_run_ids(self, limit: int = 50) -> list[str]:
        """The first ``limit`` runs of the current tree selection + filter + order."""
        return self.browser.visible_run_ids(limit)

    def request_refresh(self) -> None:
        """Re-read the store now (after a write by this process), keeping cursor, marks and scroll."""
        self.browser.request_refresh()

    @property
    def current_filter(self) -> str:
        """The filter in effect: the last one that compiled ("" = none)."""
        return self.browser.view.filter

    # -- actions ---------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """q: back out of a view (compare, charts, the opened detail); quit from the browser, asking
        first when marked runs would be lost.  A dialog keeps q for itself (or ignores it)."""
        screen = self.screen
        if screen.is_modal:
            return
        if screen is not self.browser:
            self.pop_screen()
            return
        if self.browser.has_class("-detail-max"):
            self.browser.action_back()
            return
        marks = len(self.browser.table.marks)
        if not marks:
            self.exit()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                f"Quit and lose {marks} mark{'s' if marks != 1 else ''}?",
                "Marks live only in this session.",
                yes_label="Quit",
            ),
            answer,
        )

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(binding_rows(self.screen.active_bindings)))


def create_app(
    store: Store,
    *,
    clock: Callable[[], int] | None = None,
    state_dir: Path | None = None,
    live_interval: float = 2.0,
    app_class: type[TuitrackApp] | None = None,
) -> TuitrackApp:
    """Build the app on an open store.

    ``clock`` (epoch ms) pins "now" for durations and crash detection (tests,
    screenshots); ``state_dir`` overrides where per-store view state is kept
    (default ``$XDG_STATE_HOME/tuitrack``); ``live_interval`` is seconds between
    "did the store change?" probes (0 turns live refresh off); ``app_class``
    runs a ``TuitrackApp`` subclass instead (tests add keys to the real app that way).
    """
    if live_interval < 0:
        raise ValueError(f"live_interval must be >= 0 seconds, got {live_interval}")
    cls = app_class or TuitrackApp
    if not issubclass(cls, TuitrackApp):
        raise TypeError(f"app_class must be a TuitrackApp subclass, got {cls!r}")
    return cls(store, clock=clock, state_dir=state_dir, live_interval=live_interval)
