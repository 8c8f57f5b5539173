"""Sequencing background reads behind the frame that shows the previous result.

A worker that delivered something to show and then goes on reading (the whole rid list
after the top rows, sparkline histories after the run's detail) competes with Textual
for the GIL while that frame renders (JSON decoding and row building hold it in slices),
which pushes the frame back.  Waiting for the paint first costs the follow-up read one frame.
"""

from __future__ import annotations

import threading

from textual.widget import Widget

#: Longest a worker waits (a screen that is not shown never paints).
PAINT_WAIT_S = 0.2


def wait_for_paint(widget: Widget, timeout: float = PAINT_WAIT_S) -> None:
    """From a worker thread: block until ``widget``'s screen has refreshed once (or ``timeout``)."""
    painted = threading.Event()
    try:
        widget.app.call_from_thread(widget.call_after_refresh, painted.set)
    except RuntimeError:  # the app is shutting down
        return
    painted.wait(timeout)
