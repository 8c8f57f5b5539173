"""Load: 8 training processes log 50k points each while the app is open, live, and tags are edited.

The issue's promise: with several processes writing one store, the browser open on
it with live refresh, and a person tagging runs (in the app's tag editor and through
``tuitrack.curation.core``), every point is stored, nothing errors and the app keeps
answering keys.  Responsiveness is measured as the time from a cursor key reaching
the app to the cursor having moved; the bound asserted is deliberately generous (a
hang detector, not a benchmark) and the measured numbers are printed (``pytest -s``).

Scale with TUITRACK_LOAD_WRITERS / TUITRACK_LOAD_POINTS / TUITRACK_LOAD_SECONDS (how
long each writer spreads its points over); the defaults are the issue's numbers.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events

import tuitrack
from tuitrack.curation import core as curation
from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.dialogs.tag_editor import TagEditor

WRITERS = int(os.environ.get("TUITRACK_LOAD_WRITERS", "8"))
POINTS = int(os.environ.get("TUITRACK_LOAD_POINTS", "50000"))
SECONDS = float(os.environ.get("TUITRACK_LOAD_SECONDS", "12"))
KEYS = ("loss", "acc")  # points alternate between two keys: POINTS per run in total
HANG_BOUND_S = 2.0  # a key taking longer than this means the event loop was blocked
WAIT_S = 60.0  # upper bound for any single "eventually" condition (a hang fails, never loops forever)

# Each writer spreads its points over SECONDS (100 chunks) so the app and the editors work
# *while* the store is being written, and flushes through the background writer thread.
WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    import tuitrack
    store, index, points, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    keys = ("loss", "acc")
    tuitrack.set_store(store)
    tuitrack.configure(capture_env=False, capture_packages=False, strict=True)
    with tuitrack.start_run(experiment="load", name="writer-" + index) as run:
        print(run.id, flush=True)
        chunks = 100
        per = -(-points // chunks)
        for start in range(0, points, per):
            for i in range(start, min(points, start + per)):
                run.log_metric(keys[i % 2], 1.0 / (i + 1), step=i // 2)
            time.sleep(seconds / chunks)
""")


async def eventually(cond: Callable[[], bool], what: str, timeout: float = WAIT_S) -> float:
    """Poll ``cond`` on the app's event loop; returns seconds waited, fails naming ``what`` on timeout."""
    start = time.perf_counter()
    while not cond():
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {what}")
        await asyncio.sleep(0.002)
    return time.perf_counter() - start


def send_key(app: TuitrackApp, key: str, char: str | None = None) -> None:
    """Deliver a key the way the terminal driver does, without waiting for the app to go idle."""
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def type_text(app: TuitrackApp, text: str) -> None:
    names = {"=": "equals_sign", "_": "underscore", "-": "minus"}
    for ch in text:
        send_key(app, names.get(ch, ch), ch)


def stored_tags(db: Path) -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return {
            (rid, k): v
            for rid, k, v in conn.execute("SELECT r.run_id, t.key, t.value FROM tags t JOIN runs r ON r.rid = t.rid")
        }
    finally:
        conn.close()


class Curator(threading.Thread):
    """Tags the live runs through ``tuitrack.curation.core`` over and over, from its own store connection."""

    def __init__(self, store_path: Path, run_ids: list[str]) -> None:
        super().__init__(daemon=True)
        self.store_path, self.run_ids = store_path, run_ids
        self.stop = threading.Event()
        self.last: dict[str, str] = {}
        self.edits = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            with Store(self.store_path) as store:
                while not self.stop.is_set():
                    rid = self.run_ids[self.edits % len(self.run_ids)]
                    value = f"v{self.edits}"
                    curation.tag_runs(store, [rid], {"load": value})
                    self.last[rid] = value
                    self.edits += 1
                    self.stop.wait(0.05)
        except BaseException as exc:  # reported by the test, never swallowed
            self.errors.append(exc)


@pytest.mark.slow
async def test_eight_writers_live_app_and_tag_edits(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with tuitrack.start_run(experiment="load", name="baseline") as base:
        base.log_metric("loss", 1.0)
    tuitrack.flush()
    db = store_path / "tuitrack.db"

    app = create_app(Store(store_path), live_interval=0.5, state_dir=tmp_path / "state")
    notified: list[tuple[str, str]] = []
    real_notify = app.notify

    def recording_notify(message: str, *args: object, **kwargs: object) -> None:
        notified.append((str(kwargs.get("severity", "information")), str(message)))
        real_notify(message, *args, **kwargs)  # type: ignore[arg-type]

    app.notify = recording_notify  # type: ignore[method-assign]
    latencies: list[float] = []
    editor_rounds: list[float] = []
    expected_editor: dict[str, str] = {}
    status_messages: set[str] = set()
    procs: list[subprocess.Popen[str]] = []
    curator: Curator | None = None
    started = time.perf_counter()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await eventually(lambda: app.current_run_id() is not None, "the app to show the baseline run")
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", WRITER_SCRIPT, str(store_path), str(i), str(POINTS), str(SECONDS)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(WRITERS)
            ]
            live = [p.stdout.readline().strip() for p in procs]  # type: ignore[union-attr]
            assert all(len(rid) == 32 for rid in live), live
            table = app.browser.table
            await eventually(lambda: len(table.rids) == WRITERS + 1, "live refresh to list every writer's run")
            curator = Curator(store_path, live)
            curator.start()

            round_no = 0
            while any(p.poll() is None for p in procs) or round_no < 2:
                # Responsiveness: cursor keys while everything else runs.
                for _ in range(6):
                    before = table.cursor_row
                    key = "down" if before < len(table.rids) - 1 else "up"
                    send_key(app, key)
                    latencies.append(
                        await eventually(lambda before=before: table.cursor_row != before, f"cursor {key}")
                    )
                    status_messages.add(app.browser.status.info.message)
                    await asyncio.sleep(0.05)
                # The tag editor on a live run: move off the baseline run if the cursor is on it.
                while app.current_run_id() not in live:
                    before = table.cursor_row
                    send_key(app, "down" if before < len(table.rids) - 1 else "up")
                    await eventually(lambda before=before: table.cursor_row != before, "cursor to a live run")
                rid = app.current_run_id()
                assert rid is not None
                value = "round" + chr(ord("a") + round_no % 26)
                t0 = time.perf_counter()
                send_key(app, "t")
                await eventually(
                    lambda: isinstance(app.screen, TagEditor) and getattr(app.focused, "id", None) == "tag-key",
                    "the tag editor to open",
                )
                type_text(app, f"reviewed={value}")
                await asyncio.sleep(0.6)  # a person typing: live refresh ticks while the editor is open
                send_key(app, "enter", "\r")
                editor = app.screen
                await eventually(
                    lambda editor=editor, value=value: editor.staged == {"reviewed": value},
                    "the typed tag to be staged",
                    timeout=10,
                )
                send_key(app, "ctrl+s")
                await eventually(lambda: not isinstance(app.screen, TagEditor), "the tag editor to close")
                expected_editor[rid] = value
                await eventually(
                    lambda rid=rid, value=value: stored_tags(db).get((rid, "reviewed")) == value,
                    "the editor's tag to be stored",
                )
                editor_rounds.append(time.perf_counter() - t0)
                round_no += 1

            outputs = [p.communicate(timeout=WAIT_S) for p in procs]
            curator.stop.set()
            curator.join(timeout=WAIT_S)
            # Live refresh (no key pressed) shows every writer's run as finished.

            def statuses() -> dict[str, str]:
                runs = [table.loaded_run(r) for r in table.rids]
                return {run.id: run.info.status for run in runs if run is not None}

            await eventually(
                lambda: all(statuses().get(rid) == "FINISHED" for rid in live), "live refresh to show all runs FINISHED"
            )
            await pilot.pause()
            status_messages.add(app.browser.status.info.message)
    finally:
        if curator is not None:
            curator.stop.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    elapsed = time.perf_counter() - started

    # Every writer exited cleanly and quietly.
    for i, (p, (_, err)) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"writer {i} exited {p.returncode}: {err}"
        assert err == "", f"writer {i} wrote to stderr: {err}"
    # Every point is stored (counted with plain sqlite3), and the summaries agree.
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for rid in live:
            n = conn.execute(
                "SELECT count(*) FROM metrics m JOIN runs r ON r.rid = m.rid WHERE r.run_id = ?", (rid,)
            ).fetchone()[0]
            assert n == POINTS, f"run {rid}: {n} of {POINTS} points stored"
            counts = dict(
                conn.execute(
                    "SELECT l.key, l.count FROM latest_metrics l JOIN runs r ON r.rid = l.rid WHERE r.run_id = ?",
                    (rid,),
                ).fetchall()
            )
            assert counts == {k: POINTS // 2 + (POINTS % 2 if k == KEYS[0] else 0) for k in KEYS}
            assert conn.execute("SELECT status FROM runs WHERE run_id = ?", (rid,)).fetchone() == ("FINISHED",)
    finally:
        conn.close()
    # Every edit landed: the editor's last value per run and the curator's last value per run.
    assert curator.errors == []
    assert curator.edits > 0
    tags = stored_tags(db)
    for rid, value in expected_editor.items():
        assert tags.get((rid, "reviewed")) == value
    for rid, value in curator.last.items():
        assert tags.get((rid, "load")) == value
    # Nothing went wrong in the app.
    assert app._exception is None
    assert [m for severity, m in notified if severity in ("error", "warning")] == []
    assert sum(1 for _, m in notified if m.startswith("tagged ")) == len(editor_rounds)
    assert not any(m.startswith("read failed") for m in status_messages), status_messages
    assert latencies and editor_rounds
    print(
        f"\nload: {WRITERS} writers x {POINTS} points in {elapsed:.1f} s; cursor key latency "
        f"n={len(latencies)} median={statistics.median(latencies) * 1000:.0f} ms "
        f"max={max(latencies) * 1000:.0f} ms; tag editor round trips n={len(editor_rounds)} "
        f"median={statistics.median(editor_rounds) * 1000:.0f} ms max={max(editor_rounds) * 1000:.0f} ms; "
        f"curation edits={curator.edits}"
    )
    assert max(latencies) < HANG_BOUND_S, f"a cursor key took {max(latencies):.2f} s (event loop blocked?)"
