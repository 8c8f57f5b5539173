"""The garbage collector while the ``tuitrack`` command starts the browser.

Importing Textual and the app and building the first screen make a few hundred thousand objects and
almost no garbage cycles, yet Python's collector keeps walking them: on the benchmark machine its passes
were about 60 ms of the first screen's ~0.5 s (bench/RESULTS.md).  :func:`pause_collector` turns it off
before the app's imports; the app resumes it once its first screen is ready, after freezing what was made
so far (``TuitrackApp.on_ready``).  Reference counting frees everything else meanwhile.

The price: the few garbage cycles start-up makes are frozen with everything else instead of collected (8,414
objects, 1.1 MB, measured on the demo store), once per process; a full collection to free them would cost
the ~30 ms pause the freeze is there to keep off the first keys.

Only a collector this module turned off is turned back on: a host program's own choice is left alone.
Standard library only (the command line calls it before importing Textual).
"""

from __future__ import annotations

import gc

_paused = False


def pause_collector() -> None:
    """Turn the collector off until :func:`resume_collector` (no-op when it is off already)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Turn the collector back on if :func:`pause_collector` turned it off (safe to call again)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def paused() -> bool:
    """Whether the collector is off because of :func:`pause_collector`."""
    return _paused
