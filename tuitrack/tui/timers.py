"""One-shot timers that a newer event replaces or cancels (debounces, "wait for the data" fallbacks)."""

from __future__ import annotations

from textual.timer import Timer


def stop(timer: Timer | None) -> None:
    """Stop ``timer`` if there is one (a None timer is nothing to stop)."""
    if timer is not None:
        timer.stop()
