"""The kill -9 loss window (issue #15, item 6): the mechanism behind "at most 1 s", checked without a clock.

The promise rests on three things, each asserted here deterministically:

1. the background writer starts a flush every ``interval`` (0.5 s) counted from when the previous flush
   *began*, so a slow write does not push later flushes back (a fake clock drives the writer's loop);
2. a flush writes what was queued when it began, each series oldest first, in transactions of at most
   ``CHUNK_ROWS`` rows; points logged meanwhile wait for the next flush (a recording store);
3. what a flush committed survives ``kill -9`` of the logging process at a random moment: every point the
   process had seen flushed is in the store, each series a gap-free prefix, the file intact.

So a point waits at most one interval for its flush to begin plus the chunks ahead of it in that flush.
How many milliseconds that is on a given machine is measured by ``bench/bench_safety.py`` (figures in
bench/RESULTS.md), not asserted here: the guide keeps timings out of tests.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest

from tuitrack.tracking import writer as writer_mod
from tuitrack.tracking.writer import CHUNK_ROWS, DEFAULT_INTERVAL_S, MetricWriter

REPO = Path(__file__).resolve().parents[2]


class _FakeTime:
    """The writer's clock: waiting moves it on, and so does a write (``cost`` seconds each)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _FakeWake:
    """Stands in for the writer's wake-up event: nothing wakes it early, so waiting is the whole timeout."""

    def __init__(self, clock: _FakeTime) -> None:
        self.clock = clock

    def wait(self, timeout: float) -> bool:
        self.clock.now += timeout
        return False

    def set(self) -> None:
        pass

    def clear(self) -> None:
        pass


class _RecordingStore:
    """Records every write transaction (its rows, and the fake time it began); each takes ``cost`` seconds."""

    path = Path("recording-store")

    def __init__(self, clock: _FakeTime, cost: float = 0.0) -> None:
        self.clock, self.cost = clock, cost
        self.writes: list[tuple[float, list[tuple[int, str, list]]]] = []
        self.during_write: list = []  # callables run inside a write (a training loop logging meanwhile)

    def write_batches(self, batches: list[tuple[int, str, list]]) -> set[int]:
        self.writes.append((self.clock.now, [(rid, key, list(rows)) for rid, key, rows in batches]))
        for hook in self.during_write:
            hook()
        self.clock.now += self.cost
        return set()

    def heartbeat(self, rids: list[int]) -> None:
        pass


def _queue(q: deque, steps: range) -> None:
    """Append rows as ``log_metric`` does: to the series' deque, fetched once, with no lock."""
    q.extend((1, 0, step, step, float(step)) for step in steps)


@pytest.mark.parametrize("cost", [0.0, 0.3, 0.49])
def test_flushes_start_one_interval_after_the_previous_flush_began(monkeypatch, cost):
    clock = _FakeTime()
    monkeypatch.setattr(writer_mod, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    store = _RecordingStore(clock, cost)
    w = MetricWriter(store)  # type: ignore[arg-type]
    w._wake = _FakeWake(clock)  # type: ignore[assignment]
    loss = w.buffer(1, "loss")
    step = iter(range(1, 10**6))

    def keep_logging() -> None:  # a point arrives during every write, so every flush has work
        _queue(loss, range(next(step), next(step)))
        if len(store.writes) == 8:
            w._stop.set()

    store.during_write.append(keep_logging)
    _queue(loss, range(1))
    started = clock.now
    w._loop()
    begins = [t for t, _ in store.writes]
    assert len(begins) == 8
    assert begins[0] == pytest.approx(started + DEFAULT_INTERVAL_S)
    # one interval from the previous flush's *start*, whatever the write cost (below the interval)
    assert [b - a for a, b in zip(begins, begins[1:])] == pytest.approx([DEFAULT_INTERVAL_S] * 7)


def test_a_flush_writes_what_was_queued_oldest_first_in_bounded_chunks(monkeypatch):
    clock = _FakeTime()
    store = _RecordingStore(clock)
    w = MetricWriter(store)  # type: ignore[arg-type]
    a, b = w.buffer(1, "a"), w.buffer(1, "b")
    _queue(a, range(25_000))
    _queue(b, range(3))
    late = []

    def log_meanwhile() -> None:  # points logged while the flush runs belong to the next flush
        if not late:
            late.append(True)
            _queue(a, range(25_000, 25_010))

    store.during_write.append(log_meanwhile)
    assert w.flush() == 25_003
    assert all(sum(len(rows) for _, _, rows in batch) <= CHUNK_ROWS for _, batch in store.writes)
    written = {"a": [], "b": []}
    for _, batch in store.writes:
        for _, key, rows in batch:
            written[key] += [r[2] for r in rows]
    assert written == {"a": list(range(25_000)), "b": [0, 1, 2]}  # oldest first, nothing from later
    assert len(store.writes) > 1 and all(batch for _, batch in store.writes)
    assert [r[2] for r in w.buffers[(1, "a")]] == list(range(25_000, 25_010))  # waiting for the next flush


WORKER = r"""
import sys
import tuitrack
tuitrack.set_store(sys.argv[1])
tuitrack.configure(capture_env=False, capture_packages=False)
run = tuitrack.start_run(name=sys.argv[2])
print(run.id, flush=True)
n = 0
while True:
    for _ in range(500):
        tuitrack.log_metric("a", float(n), step=n)
        tuitrack.log_metric("b", float(-n), step=n)
        n += 1
    if n % 5_000 == 0:  # now and then a flush the process sees finish (the background writer runs too)
        tuitrack.flush()
        print(n, flush=True)
"""


@pytest.mark.slow
def test_sigkill_keeps_every_flushed_point_and_a_gap_free_prefix(tmp_path: Path) -> None:
    seed = int(os.environ.get("TUITRACK_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for k in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store), f"k{k}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None and proc.stderr is not None
        run_id = proc.stdout.readline().strip()
        assert len(run_id) == 32, proc.stderr.read()
        flushed = 0
        for _ in range(rng.randint(1, 4)):  # past a few flushes it saw finish, then at a random moment
            flushed = int(proc.stdout.readline())
        time.sleep(rng.uniform(0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
        conn = sqlite3.connect(store / "tuitrack.db")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            for key in ("a", "b"):
                steps = [
                    r[0]
                    for r in conn.execute(
                        "SELECT m.step FROM metrics m JOIN runs r USING (rid) JOIN metric_keys k USING (kid)"
                        " WHERE r.run_id = ? AND k.key = ? ORDER BY m.step",
                        (run_id, key),
                    )
                ]
                assert steps == list(range(len(steps))), f"seed={seed}: a gap in {key}"
                assert len(steps) >= flushed, f"seed={seed}: {key} lost flushed points ({len(steps)} < {flushed})"
            status = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
            assert status == "RUNNING"
        finally:
            conn.close()
