"""The buffered metric writer: the hot path of every training loop.

``log_metric`` only appends a ready row to a per-(run, key) deque (thread-safe,
no lock, about a microsecond).  A daemon thread drains the deques into the store
in one transaction when a buffer passes ``max_buffer`` points or every
``interval`` seconds, and ``flush()``/``end_run``/interpreter exit drain them
synchronously.  A ``kill -9`` therefore loses at most the last interval of points
and never corrupts the store (SQLite commits are atomic).  The same thread sends
run heartbeats.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from typing import TYPE_CHECKING

from tuitrack.entities import HEARTBEAT_INTERVAL_S
from tuitrack.errors import RunGoneError

if TYPE_CHECKING:
    from tuitrack.store.core import Row, Store

DEFAULT_INTERVAL_S = 1.0
DEFAULT_MAX_BUFFER = 100_000


class MetricWriter:
    def __init__(self, store: Store, *, interval: float = DEFAULT_INTERVAL_S, max_buffer: int = DEFAULT_MAX_BUFFER,
                 strict: bool = False):
        self.store = store
        self.interval = interval
        self.max_buffer = max_buffer
        self.strict = strict
        self.buffers: dict[tuple[int, str], deque[Row]] = {}
        self.live_rids: set[int] = set()
        self.pending_ends: dict[int, tuple[str, int, str | None]] = {}
        self.gone_rids: set[int] = set()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        self.last_error: BaseException | None = None

    def buffer(self, rid: int, key: str) -> deque[Row]:
        """The deque a run appends ``key``'s rows to (created once per run and key)."""
        with self._flush_lock:
            q = self.buffers.get((rid, key))
            if q is None:
                q = self.buffers[(rid, key)] = deque()
            return q

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="tuitrack-writer", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
                if time.monotonic() - self._last_beat >= HEARTBEAT_INTERVAL_S and self.live_rids:
                    self.store.heartbeat(list(self.live_rids))
                    self._last_beat = time.monotonic()
            except Exception as exc:  # the background thread must never die silently
                self.last_error = exc
                if not self.strict:
                    warnings.warn(f"tuitrack: background flush failed, will retry: {exc}", RuntimeWarning,
                                  stacklevel=1)
                time.sleep(min(self.interval, 1.0))

    def pending(self) -> int:
        return sum(len(q) for q in list(self.buffers.values()))

    def end_run(self, rid: int, status: str, end_time: int, error: str | None) -> None:
        """Record a run's end; if the store refuses, keep it queued for the next flush."""
        self.pending_ends[rid] = (status, end_time, error)
        self._write_ends()

    def _write_ends(self) -> None:
        for rid, (status, end_time, error) in list(self.pending_ends.items()):
            try:
                self.store.end_run(rid, status, end_time=end_time, error=error)
            except RunGoneError:
                self.pending_ends.pop(rid, None)  # nothing to retry: the run was purged
                raise
            self.pending_ends.pop(rid, None)

    def flush(self) -> int:
        """Write everything queued so far; returns the number of points written."""
        with self._flush_lock:
            n = self._flush_points()
        if self.pending_ends:
            self._write_ends()
        return n

    def _flush_points(self) -> int:
        batches = []
        try:
            for (rid, key), q in self.buffers.items():
                n = len(q)
                if n:
                    pop = q.popleft
                    rows = [pop() for _ in range(n)]
                    batches.append((rid, key, rows, q))
                    if rows[0][1] < 0 or rows[-1][1] < 0:  # key not interned yet (the store refused earlier)
                        kid = self.store.metric_kid(key)
                        batches[-1] = (rid, key, [(r[0], kid, r[2], r[3], r[4]) for r in rows], q)
            gone = self.store.write_batches([(rid, key, rows) for rid, key, rows, _ in batches]) if batches else set()
        except Exception:
            # Put the rows back in front so a transient failure (disk full, lock) loses nothing.
            for _, _, rows, q in batches:
                q.extendleft(reversed(rows))
            raise
        if gone:
            self._runs_gone(gone)
        return sum(len(b[2]) for b in batches if b[0] not in gone)

    def _runs_gone(self, gone: set[int]) -> None:
        """Points for runs that were purged while logging: dropped (never stored elsewhere), reported loudly."""
        fresh = gone - self.gone_rids
        self.gone_rids |= gone
        self.live_rids -= gone
        for key in [k for k in self.buffers if k[0] in gone]:
            self.buffers[key].clear()
        if not fresh:
            return
        err = RunGoneError(f"tuitrack: {len(fresh)} run(s) (internal ids {sorted(fresh)}) were purged from the "
                           f"store at {self.store.path} while still being logged to; their new points are dropped")
        if self.strict:
            raise err
        warnings.warn(str(err), RuntimeWarning, stacklevel=3)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
