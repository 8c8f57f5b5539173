"""``P``: push the store to its MLflow tracking server from the browser, in a worker, with progress.

``SYNC_BINDINGS`` are the browser screen's; its ``action_push_runs`` calls :meth:`PushKey.push`.  The
server is ``$MLFLOW_TRACKING_URI``, else the one this store pushed to or pulled from last.  Progress and
the outcome show in the status line (server text literally); the status line's "↑ N unpushed" count
comes from the browser's reads.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from textual.binding import Binding

from tuitrack.errors import TuitrackError
from tuitrack.store import sync as sync_state

if TYPE_CHECKING:
    from tuitrack.tui.browser.screen import BrowserScreen

SYNC_BINDINGS = [Binding("P", "push_runs", "Push to the tracking server", show=False, id="sync.push")]


class PushKey:
    """The push of one browser screen: at most one at a time."""

    def __init__(self, browser: BrowserScreen) -> None:
        self.browser = browser
        self.pushing = False

    def push(self) -> None:
        browser = self.browser
        store = browser.store
        if self.pushing:
            browser.notify("a push is already running", severity="warning", markup=False)
            return
        if store.read_only:
            browser.notify("the store is read-only: nothing to record a push in", severity="error", markup=False)
            return
        uri = os.environ.get("MLFLOW_TRACKING_URI") or None
        if uri is None:
            found = sync_state.find_remote(store)
            uri = found[1] if found else None
        if uri is None:
            browser.notify(
                "no tracking server: set MLFLOW_TRACKING_URI or run `tuitrack push URI` once",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return
        self.pushing = True
        status = browser.status
        app = browser.app
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
                rep = push(store, uri, progress=progress)
                text = f"pushed {rep.created + rep.updated} runs, {rep.points:,} points to {rep.uri}" + (
                    f"; {len(rep.problems)} problems (see tuitrack push)" if rep.problems else ""
                )
                app.call_from_thread(self._done, text, None)
            except (TuitrackError, LookupError, OSError, ValueError) as exc:
                app.call_from_thread(self._done, "push failed", str(exc))

        browser.run_worker(work, thread=True, group="sync", exit_on_error=False)

    def _done(self, text: str, error: str | None) -> None:
        browser = self.browser
        self.pushing = False
        browser.status.update_info(message=text)
        if error:
            browser.notify(error, title="push failed", severity="error", markup=False, timeout=10)
        browser.request_refresh()
