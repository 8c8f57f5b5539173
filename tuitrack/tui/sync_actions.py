"""``P``: push the store to its MLflow tracking server from the app, in a worker, with progress.

A mixin for the App (``class TuitrackApp(SyncActions, ...)``) plus ``SYNC_BINDINGS``; the command
palette lists it like every binding.  The server is ``$MLFLOW_TRACKING_URI``, else the one this
store pushed to or pulled from last.  Progress and the outcome show in the status line (server text
literally); the status line's "↑ N unpushed" count comes from the browser's reads.
"""

from __future__ import annotations

import os
import time
from typing import Any

from textual.binding import Binding

from tuitrack.errors import TuitrackError
from tuitrack.store import sync as sync_state

SYNC_BINDINGS = [Binding("P", "push_runs", "Push to the tracking server", show=False, id="sync.push")]


class SyncActions:
    """Needs the App contract: ``store``, ``browser`` (its ``status``), ``request_refresh()``."""

    _pushing: bool = False

    def action_push_runs(self) -> None:
        app: Any = self
        if self._pushing:
            app.notify("a push is already running", severity="warning", markup=False)
            return
        if app.store.read_only:
            app.notify("the store is read-only: nothing to record a push in", severity="error", markup=False)
            return
        uri = os.environ.get("MLFLOW_TRACKING_URI") or None
        if uri is None:
            found = sync_state.find_remote(app.store)
            uri = found[1] if found else None
        if uri is None:
            app.notify(
                "no tracking server: set MLFLOW_TRACKING_URI or run `tuitrack push URI` once",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return
        self._pushing = True
        status = app.browser.status
        last = [0.0]

        def progress(done: int, total: int, points: int, points_total: int) -> None:
            now = time.monotonic()
            if now - last[0] < 0.2 and done < total:
                return
            last[0] = now
            text = f"pushing: runs {done}/{total}, points {points:,}/{points_total:,}"
            app.call_from_thread(status.update_info, message=text)

        def work() -> None:
            from tuitrack.sync.push import push  # the sync layer loads only when used

            try:
                rep = push(app.store, uri, progress=progress)
                text = f"pushed {rep.created + rep.updated} runs, {rep.points:,} points to {rep.uri}" + (
                    f"; {len(rep.problems)} problems (see tuitrack push)" if rep.problems else ""
                )
                app.call_from_thread(self._push_done, text, None)
            except (TuitrackError, LookupError, OSError, ValueError) as exc:
                app.call_from_thread(self._push_done, "push failed", str(exc))

        app.run_worker(work, thread=True, group="sync", exit_on_error=False)

    def _push_done(self, text: str, error: str | None) -> None:
        app: Any = self
        self._pushing = False
        app.browser.status.update_info(message=text)
        if error:
            app.notify(error, title="push failed", severity="error", markup=False, timeout=10)
        app.request_refresh()
