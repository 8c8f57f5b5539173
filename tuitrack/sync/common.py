"""What push, pull and an artifact fetch share: the report's common fields, the job's setup (the server,
its client, a lock over the report, progress, workers) and how a failure that stopped the workers ends.

One place, so the three entry points open and close a server alike and say "run it again to resume"
in the same words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tuitrack.store.core import Store
from tuitrack.sync.http import Client, SyncError, TransientError
from tuitrack.sync.remote import Remote

#: runs (or files) done, their total, points (or bytes) so far, their total (0: not known ahead)
Progress = Callable[[int, int, int, int], None]


@dataclass
class Report:
    """What every sync job reports: the server, the points and files moved, conflicts, per-run problems."""

    uri: str = ""
    points: int = 0
    artifacts: int = 0
    conflicts: int = 0
    problems: list[str] = field(default_factory=list)


@contextmanager
def opened(store: Store, uri: str | None, client: Client | None, *, write: bool = True) -> Iterator[Remote]:
    """The server at ``uri`` (see :meth:`Remote.open`); a client made here is closed on the way out."""
    remote = Remote.open(store, uri, client=client, write=write)
    try:
        yield remote
    finally:
        if client is None:
            remote.client.close()


R = TypeVar("R", bound=Report)


class Job(Generic[R]):
    """The state push and pull keep while their workers run."""

    def __init__(self, store: Store, remote: Remote, progress: Progress | None, workers: int, report: R):
        self.store, self.remote, self.client = store, remote, remote.client
        self.progress = progress
        self.workers = max(1, workers)
        self.lock = threading.Lock()
        self.done = 0
        self.total = 0
        self.points_total = 0
        report.uri = remote.uri
        self.report = report

    def _tick(self, points: int) -> None:
        with self.lock:
            self.report.points += points
            if self.progress is not None:
                self.progress(self.done, self.total, self.report.points, self.points_total)

    def _finished_one(self) -> None:
        with self.lock:
            self.done += 1
        self._tick(0)


def raise_first(errors: list[BaseException], what: str, kept: str) -> None:
    """Raise the first error a worker hit; a connection or server failure says what was already ``kept``
    (confirmed and recorded), so running ``what`` again resumes from there."""
    err = errors[0]
    if kept and type(err) in (SyncError, TransientError):
        raise type(err)(f"{err} ({what} stopped: {kept}; run {what} again to resume)") from None
    raise err
