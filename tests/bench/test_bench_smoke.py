"""The bench scripts must keep running as the code moves: run the suite at tiny sizes.

Only that it runs and prints its table is checked (timings on a shared machine say nothing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run_all.py"


def _run(tmp_path: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUITRACK_BENCH_CACHE": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.run(
        [sys.executable, str(BENCH), "--smoke", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )


def test_every_local_bench_runs_and_prints_the_table(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--only", "install,logging,search,chart,tui,safety")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert out.startswith("machine: ")
    assert "| what | tuitrack | baseline (same run) | ratio | target | |" in out
    for row in (
        "import tuitrack",
        "start_run, median",
        "start_run, first",
        "log_metric caller cost",
        "committed throughput",
        "parallel logging",
        "store size",
        "search_runs",
        "get_metric_history",
        "chart: history",
        "TUI first paint, 300 runs",
        "TUI key cursor down",
        "TUI key filter apply",
        "TUI key sort (s)",
        "TUI key open detail",
        "TUI RSS",
        "set_experiment: create",
        "kill -9 loss window",
    ):
        assert row in out, f"missing row {row!r} in:\n{out}"
    assert "targets: " in out


@pytest.mark.slow
def test_wide_run_bench_runs_and_prints_its_rows(tmp_path: Path) -> None:
    """Apart: the wide-run part drives the app through ~100 steps (about a minute, more on a busy box)."""
    proc = _run(tmp_path, "--only", "wide", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for row in (
        "no-op key while the wide run loads",
        "tags tab rows (wide)",
        "tags tab end, rows drawn",
        "tags filter, matching rows",
        "compare table drawn (wide)",
        "tag editor drawn (wide)",
        "groups chart drawn (12 runs)",
        "chart screen preselects ['loss']",
        "TUI RSS after all",
    ):
        assert row in proc.stdout, f"missing row {row!r} in:\n{proc.stdout}"


def test_peer_part_is_skipped_with_the_reason_when_mlflow_is_absent(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--only", "peer", "--python", str(tmp_path / "no-such-python"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "peer (MLflow) skipped:" in proc.stdout and "no-such-python does not exist" in proc.stdout


def test_unknown_part_is_refused(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--only", "logging,nope")
    assert proc.returncode == 2 and "--only takes parts from" in proc.stderr


def test_parcoords_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    """bench/bench_parcoords.py (not part of run_all: it builds its own 1,000-run store) at 30 runs."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_parcoords.py")), "--runs", "30", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "parallel coordinates first paint: 30 runs, 120x36" in proc.stdout
    assert "parallel coordinates brush key to redrawn picture, p95: 30 runs, 80x24" in proc.stdout
