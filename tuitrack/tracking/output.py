"""Console capture: what a training script prints during a run, kept in the run's ``logs/output.txt``.

``sys.stdout`` and ``sys.stderr`` are replaced by tees: every write goes to the real stream first,
unchanged (the terminal sees exactly what it saw before), then its text is queued.  The metric
writer's background thread appends the queue to the run's artifact file at every flush (every
0.5 s by default), and the file is flushed to the operating system each time, so a crash or a
``kill -9`` keeps everything printed up to the last flush.  The file is capped
(``configure(capture_output_limit=...)``); past the cap one marker line says so and nothing more is
kept (the terminal still gets everything).

One capture per process: the outermost run captures, nested runs and runs started in other
threads share it.  Only what goes through ``sys.stdout``/``sys.stderr`` is seen (``print``,
``logging``'s stream handlers, tracebacks); a C extension or subprocess writing to the file
descriptors directly is not.  Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from tuitrack.tracking.run import ActiveRun

#: Where the captured output goes, inside the run's artifact folder.
OUTPUT_ARTIFACT = "logs/output.txt"
#: Default cap of the captured output in bytes.
DEFAULT_LIMIT = 10 * 2**20
ENV_SWITCH = "TUITRACK_CAPTURE_OUTPUT"


def truncation_marker(limit: int) -> str:
    return (
        f"\n[tuitrack: output capture stopped here: the {limit}-byte limit of {OUTPUT_ARTIFACT} was reached; "
        "the rest went to the terminal only]\n"
    )


def enabled_by_env() -> bool:
    """``TUITRACK_CAPTURE_OUTPUT=0`` (or false/no/off) turns capture off unless configured otherwise."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


class _Tee:
    """Stands in for ``sys.stdout``/``sys.stderr``: writes go to the real stream, then to the capture."""

    def __init__(self, real: Any, sink: Callable[[str], None]):
        self._tuitrack_real = real
        self._tuitrack_sink: Callable[[str], None] | None = sink

    def write(self, text: Any) -> int:
        n = self._tuitrack_real.write(text)
        sink = self._tuitrack_sink
        if sink is not None and isinstance(text, str):
            sink(text)
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, buffer, flush ...
        return getattr(self._tuitrack_real, name)


class OutputCapture:
    """The process's capture, owned by the run that started it."""

    def __init__(self, run: ActiveRun, limit: int = DEFAULT_LIMIT):
        self.run = run
        self.limit = int(limit)
        self._lock = threading.Lock()  # guards the queue (any thread prints)
        self._file_lock = threading.Lock()  # one drain at a time (the writer thread, or stop())
        self._queue: list[str] = []
        self._written = 0  # bytes in the file
        self._truncated = False
        self._fh: Any = None
        self._recorded = False
        self._failed = False
        self._tees: list[tuple[str, _Tee]] = []

    def _add(self, text: str) -> None:
        if text:
            with self._lock:
                self._queue.append(text)

    def start(self) -> None:
        for name in ("stdout", "stderr"):
            real = getattr(sys, name)
            if real is None:  # pythonw: nothing to tee
                continue
            tee = _Tee(real, self._add)
            setattr(sys, name, tee)
            self._tees.append((name, tee))

    def drain(self) -> None:
        """Append what was printed since the last drain to the file (the writer thread calls this)."""
        with self._file_lock:
            self._drain()

    def _drain(self) -> None:
        with self._lock:
            chunks, self._queue = self._queue, []
        if not chunks or self._truncated or self._failed:
            return
        data = "".join(chunks).encode("utf-8", errors="replace")
        try:
            if self._fh is None:
                path = self.run._dest(OUTPUT_ARTIFACT)
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(path, "ab")  # noqa: SIM115 -- held open across flushes, closed by close()
                self._written = self._fh.tell()  # a resumed run appends to what it printed before
            room = self.limit - self._written
            if len(data) > room:
                data = data[: max(0, room)] + truncation_marker(self.limit).encode()
                self._truncated = True
            self._fh.write(data)
            self._fh.flush()  # in the OS's hands now: a kill -9 of this process keeps it
            self._written += len(data)
            if not self._recorded:
                self._recorded = True
                self.run.store.record_artifacts(self.run._rid, [(OUTPUT_ARTIFACT, self._written)])
        except Exception:
            self._failed = True  # a full disk or a purged run: stop capturing, never disturb the script

    def stop(self) -> None:
        """Put the real streams back, write what is left and record the file's final size."""
        for name, tee in self._tees:
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._tuitrack_real)
            else:  # something wrapped our tee since: leave it in place, passing writes through only
                tee._tuitrack_sink = None
        self._tees = []
        with self._file_lock:
            self._drain()
            if self._fh is not None:
                try:
                    self._fh.close()
                    self.run.store.record_artifacts(self.run._rid, [(OUTPUT_ARTIFACT, self._written)])
                except Exception:
                    pass
                self._fh = None


_current: OutputCapture | None = None
_current_lock = threading.Lock()


def start(run: ActiveRun, limit: int) -> OutputCapture | None:
    """Start capturing for ``run`` unless the process already captures (nested runs, other threads)."""
    global _current
    with _current_lock:
        if _current is not None:
            return None
        cap = _current = OutputCapture(run, limit)
    cap.start()
    run._writer.drains.append(cap.drain)
    return cap


def stop(cap: OutputCapture) -> None:
    global _current
    with contextlib.suppress(ValueError):
        cap.run._writer.drains.remove(cap.drain)
    cap.stop()
    with _current_lock:
        if _current is cap:
            _current = None


def _after_fork_in_child() -> None:
    global _current, _current_lock
    if _current is not None:
        for _, tee in _current._tees:
            tee._tuitrack_sink = None  # the child's prints reach its streams, never the parent's queue
    _current_lock = threading.Lock()
    _current = None  # the parent's run owns that file; a forked worker does not write to it


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def read_tail(path: str | os.PathLike[str], lines: int, max_bytes: int = 1 << 20) -> tuple[str, int, bool]:
    """The last ``lines`` lines of a captured output file, reading at most its last ``max_bytes``.

    Returns (text, the file's size, whether earlier output was left out).  What a reader shows
    costs what its screen holds, however long the run printed.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        start = max(0, size - max_bytes)
        fh.seek(start)
        data = fh.read(size - start)
    text = data.decode("utf-8", errors="replace")
    if start > 0:  # the first line read is probably a part of one: drop it
        text = text.split("\n", 1)[1] if "\n" in text else ""
    body = text[:-1] if text.endswith("\n") else text
    kept = body.split("\n")
    clipped = start > 0 or len(kept) > lines
    return "\n".join(kept[-lines:]) if body else "", size, clipped
