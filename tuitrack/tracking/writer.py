"""The buffered metric writer: the hot path of every training loop.

``log_metric`` only appends a ready row to a per-(run, key) deque (thread-safe,
no lock, about a microsecond).  A daemon thread starts a flush every ``interval``
seconds counted from when the previous flush *began* (and at once when a buffer
passes ``max_buffer`` points); ``flush()``/``end_run``/interpreter exit flush
synchronously.  A flush writes what was queued when it began, oldest first, in
transactions of at most ``CHUNK_ROWS`` rows, so

- a ``kill -9`` loses at most the points of the last interval plus one chunk's
  commit time (default 0.5 s + ~50 ms: the README's "at most 1 s"), never an
  earlier point and never a point in the middle of a series;
- a backlog bigger than the free disk keeps what fits: chunks shrink on a full
  disk and each committed chunk stays, the rest waits in memory for space.

SQLite commits are atomic, so the store is never corrupt.  The same thread sends
run heartbeats.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from typing import TYPE_CHECKING, Callable

from tuitrack.entities import HEARTBEAT_INTERVAL_S
from tuitrack.errors import RunGoneError, StorageFullError

if TYPE_CHECKING:
    from tuitrack.store.core import Row, Store

DEFAULT_INTERVAL_S = 0.5
DEFAULT_MAX_BUFFER = 100_000
#: Rows per write transaction: bounds how long the oldest waiting point waits once its flush began.
CHUNK_ROWS = 10_000
#: The smallest chunk tried on a full disk before the flush gives up until space returns.
MIN_CHUNK_ROWS = 256


class _Series:
    """One series' share of a flush: its queue and how many of its rows the flush still takes."""

    __slots__ = ("key", "left", "q", "rid")

    def __init__(self, rid: int, key: str, q: deque[Row], left: int) -> None:
        self.rid, self.key, self.q, self.left = rid, key, q, left


class MetricWriter:
    def __init__(
        self,
        store: Store,
        *,
        interval: float = DEFAULT_INTERVAL_S,
        max_buffer: int = DEFAULT_MAX_BUFFER,
        strict: bool = False,
    ):
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
        self._chunk = CHUNK_ROWS
        self.last_error: BaseException | None = None
        #: Called at every flush (console capture appends what was printed; see tracking/output.py).
        self.drains: list[Callable[[], None]] = []

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
        next_at = time.monotonic() + self.interval
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_at - time.monotonic()))
            self._wake.clear()
            # The next flush is due one interval after this one *began*: a slow write does not
            # push every later flush back (the loss window stays interval + one chunk).
            next_at = time.monotonic() + self.interval
            try:
                self.flush()
                if time.monotonic() - self._last_beat >= HEARTBEAT_INTERVAL_S and self.live_rids:
                    self.store.heartbeat(list(self.live_rids))
                    self._last_beat = time.monotonic()
            except Exception as exc:  # the background thread must never die silently
                self.last_error = exc
                if not self.strict:
                    warnings.warn(f"tuitrack: background flush failed, will retry: {exc}", RuntimeWarning, stacklevel=1)
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
        for drain in list(self.drains):
            drain()  # never raises: a capture that cannot write stops itself
        with self._flush_lock:
            n = self._flush_points()
        if self.pending_ends:
            self._write_ends()
        return n

    def _flush_points(self) -> int:
        """Write the rows queued when this flush began, oldest first, in chunks of at most ``self._chunk``.

        Each chunk takes the oldest rows of every series (an equal share each), so a kill or a
        full disk can only leave each series a committed prefix.  Rows logged meanwhile wait for
        the next flush, which keeps one flush bounded.
        """
        todo = [_Series(rid, key, q, len(q)) for (rid, key), q in list(self.buffers.items()) if q]
        written = 0
        while todo:
            budget = self._chunk
            share = max(64, budget // len(todo))
            taken: list[tuple[_Series, list[Row]]] = []
            try:
                for item in todo:
                    if budget <= 0:
                        break
                    n = min(item.left, share, budget)
                    pop = item.q.popleft
                    rows = [pop() for _ in range(n)]
                    item.left -= n
                    budget -= n
                    taken.append((item, rows))
                    if rows[0][1] < 0 or rows[-1][1] < 0:  # key not interned yet (the store refused earlier)
                        kid = self.store.metric_kid(item.key)
                        taken[-1] = (item, [(r[0], kid, r[2], r[3], r[4]) for r in rows])
                gone = self.store.write_batches([(item.rid, item.key, rows) for item, rows in taken])
            except Exception as exc:
                # Put the rows back in front so a transient failure (disk full, lock) loses nothing.
                for item, rows in taken:
                    item.q.extendleft(reversed(rows))
                    item.left += len(rows)
                if isinstance(exc, StorageFullError) and self._chunk > MIN_CHUNK_ROWS:
                    self._chunk = max(MIN_CHUNK_ROWS, self._chunk // 4)  # keep what fits: smaller chunks
                    continue
                raise
            self._chunk = min(CHUNK_ROWS, self._chunk * 2)
            written += sum(len(rows) for item, rows in taken if item.rid not in gone)
            if gone:
                self._runs_gone(gone)
            todo = [item for item in todo if item.left > 0 and item.rid not in self.gone_rids]
        return written

    def _runs_gone(self, gone: set[int]) -> None:
        """Points for runs that were purged while logging: dropped (never stored elsewhere), reported loudly."""
        fresh = gone - self.gone_rids
        self.gone_rids |= gone
        self.live_rids -= gone
        for key in [k for k in self.buffers if k[0] in gone]:
            self.buffers[key].clear()
        if not fresh:
            return
        err = RunGoneError(
            f"tuitrack: {len(fresh)} run(s) (internal ids {sorted(fresh)}) were purged from the "
            f"store at {self.store.path} while still being logged to; their new points are dropped"
        )
        if self.strict:
            raise err
        warnings.warn(str(err), RuntimeWarning, stacklevel=3)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
