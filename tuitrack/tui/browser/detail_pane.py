"""How the browser opens the run detail: enter, the pending open, maximizing, the focus border.

A mixin of :class:`~tuitrack.tui.browser.screen.BrowserScreen` (handlers by name, since ``@on``
needs a Textual class): kept apart because each piece exists to make enter and escape cost
one frame on a 100k-run store, and reads best together.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.color import Color
from textual.timer import Timer

from tuitrack.tui.browser.experiment_tree import ExperimentTree
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.browser.runs_table import RunsTable
from tuitrack.tui.timers import stop

#: enter waits at most this long for the run's detail before maximizing the pane anyway.
OPEN_WAIT_S = 0.15


class DetailPane:
    """Opening, closing and marking the detail pane (mixed into the browser screen)."""

    _detail_timer: Timer | None
    _pending_open: Timer | None
    query_one: Any
    set_timer: Any
    is_current: bool
    has_class: Any
    set_class: Any
    app: Any

    @property
    def table(self) -> RunsTable:
        return self.query_one("#runs", RunsTable)

    @property
    def experiment_tree(self) -> ExperimentTree:
        return self.query_one("#tree", ExperimentTree)

    def on_runs_table_open_requested(self, event: RunsTable.OpenRequested) -> None:
        """enter: show the run's detail maximized, in one frame once its data is in.

        Waiting for the data avoids a frame of the previous run's detail; a slow read still opens
        after ``OPEN_WAIT_S`` so the key never looks ignored.
        """
        detail = self.query_one("#detail", RunDetail)
        stop(self._detail_timer)  # the debounced load would restart the one started here
        self._cancel_pending_open()
        if detail.run_id == event.run_id and detail.wanted == event.run_id:
            self._open_detail()
            return
        self._pending_open = self.set_timer(OPEN_WAIT_S, self._open_if_pending)
        detail.show_run(event.run_id, then=self._open_if_pending)

    def _cancel_pending_open(self) -> None:
        stop(self._pending_open)
        self._pending_open = None

    def _open_if_pending(self) -> None:
        """The run's data came in (or the wait ran out): open, unless the user went elsewhere since.

        escape, a cursor move or ``/`` cancel the pending open; a modal pushed on top, or focus that
        left the table, make it moot (opening would pull focus from where the user now is).
        """
        pending = self._pending_open is not None
        self._cancel_pending_open()
        if pending and self.is_current and self.table.has_focus:
            self._open_detail()

    def _open_detail(self) -> None:
        self._cancel_pending_open()
        self._maximize_detail(True)
        self.query_one("#detail", RunDetail).focus_content()

    def _maximize_detail(self, on: bool) -> None:
        """enter: the detail takes the table's place too; escape gives the table back.

        The experiment tree stays (context, and the detail keeps its width, so nothing re-renders)
        but stops taking focus, so tab cycles inside the detail.  Inline styles on the widgets
        involved, because a screen-wide class restyles every node; ``-detail-max`` stays on the
        screen only as a marker (no CSS uses it).
        """
        if self.has_class("-detail-max") == on:
            return
        self.set_class(on, "-detail-max", update=False)
        self.experiment_tree.can_focus = not on
        self.table.display = not on
        detail = self.query_one("#detail", RunDetail)
        if on:
            detail.styles.height = "1fr"
            detail.display = True
        else:
            detail.styles.clear_rule("height")
            detail.display = not getattr(self, "dense", False)  # z hid it: hidden again
            detail.refresh(layout=True)
        self._style_detail_border()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._style_detail_border()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._style_detail_border()

    def _style_detail_border(self, *_: object) -> None:
        """The detail's top border: accent while focus is inside it, none while maximized.

        Set inline on the one widget: a ``:focus-within`` rule would restyle every node of the pane.
        """
        detail = self.query_one("#detail", RunDetail)
        if self.has_class("-detail-max"):
            border: tuple[str, Color | str] = ("none", "transparent")
        else:
            variable = "accent" if detail.has_focus_within else "panel-lighten-2"
            border = ("hkey", Color.parse(self.app.theme_variables.get(variable, "grey")))
        if detail.styles.border_top != border:
            detail.styles.border_top = border
