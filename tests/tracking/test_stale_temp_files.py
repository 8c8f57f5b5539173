"""Temporary files of a killed ``log_artifact`` are cleaned up (issue #15, item 8).

An artifact is copied to a ``.tmp-*`` name and renamed into place; a kill in between left the
temporary file (74-328 MB in the report) until the run was purged.  Resuming the run and
``tuitrack gc`` now remove them, never in a run a process is still writing to, and never a
file the run recorded as an artifact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main
from tuitrack.store.core import Store

REPO = Path(__file__).resolve().parents[2]

KILLED_COPY = r"""
import sys, tuitrack
tuitrack.set_store(sys.argv[1])
tuitrack.configure(capture_env=False, capture_packages=False)
run = tuitrack.start_run(name="copying")
print(run.id, flush=True)
sys.stdin.readline()
while True:
    tuitrack.log_artifact(sys.argv[2])
"""


def _killed_mid_copy(store: Path, big: Path) -> tuple[str, list[Path]]:
    """A process killed with SIGKILL while log_artifact copies ``big``: its run id and the leftovers."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_COPY, str(store), str(big)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        run_id = proc.stdout.readline().strip()
        folder = store / "artifacts" / run_id
        proc.stdin.write("go\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        temps: list[Path] = []
        while time.monotonic() < deadline and not temps:
            temps = list(folder.glob(".tmp-*")) if folder.is_dir() else []
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()
        temps = list(folder.glob(".tmp-*")) if folder.is_dir() else []
        if temps:
            return run_id, temps
    raise AssertionError("could not kill a process in the middle of an artifact copy")


def _big_file(tmp_path: Path) -> Path:
    big = tmp_path / "weights.bin"
    with open(big, "wb") as fh:
        for _ in range(64):
            fh.write(os.urandom(1 << 20))  # 64 MB: a copy takes long enough to be caught
    return big


def test_resuming_the_run_removes_its_leftover_temp_files(store_path: Path, tmp_path: Path) -> None:
    run_id, temps = _killed_mid_copy(store_path, _big_file(tmp_path))
    assert temps and all(t.exists() for t in temps)
    with tuitrack.start_run(run_id=run_id):
        tuitrack.log_text("resumed", "note.txt")
    folder = store_path / "artifacts" / run_id
    assert list(folder.glob(".tmp-*")) == []
    assert (folder / "note.txt").read_text() == "resumed"


def test_gc_removes_leftovers_of_dead_runs_only(store_path: Path, tmp_path: Path) -> None:
    dead_id, temps = _killed_mid_copy(store_path, _big_file(tmp_path))
    # the killed run's heartbeat goes stale (2 minutes): it is CRASHED
    with Store(store_path) as st, st.transaction() as conn:
        conn.execute("UPDATE runs SET heartbeat = 1 WHERE run_id = ?", (dead_id,))
    size = sum(t.stat().st_size for t in temps)
    with tuitrack.start_run(name="finished") as kept:
        tuitrack.log_text("a user's file that happens to start with .tmp-", ".tmp-mine.txt")
    live = tuitrack.start_run(name="live")  # copying right now, as far as gc can tell
    live_dir = store_path / "artifacts" / live.id
    live_dir.mkdir(parents=True)
    (live_dir / ".tmp-inflight").write_bytes(b"x" * 10)
    tuitrack.flush()

    res = CliRunner().invoke(main, ["gc", "--dry-run", "--store", str(store_path)])
    assert res.exit_code == 0 and f"would remove {len(temps)} temporary file" in res.output, res.output
    assert all(t.exists() for t in temps)
    res = CliRunner().invoke(main, ["gc", "--yes", "--store", str(store_path)])
    assert res.exit_code == 0, res.output
    assert f"removed {len(temps)} temporary file{'s' if len(temps) != 1 else ''} ({size} bytes)" in res.output
    assert not any(t.exists() for t in temps)
    assert (live_dir / ".tmp-inflight").exists()  # a live run's copy in progress is left alone
    assert (store_path / "artifacts" / kept.id / ".tmp-mine.txt").exists()  # a recorded artifact is kept
    live.end()
