"""How runs end when the process does: SIGTERM, uncaught exceptions, normal exit; system metrics; figures."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tuitrack
from tuitrack.tracking import capture


def _script(store: Path, body: str) -> list[str]:
    code = textwrap.dedent(f"""
        import sys, time, tuitrack
        tuitrack.set_store({str(store)!r})
        tuitrack.configure(capture_packages=False)
    """) + textwrap.dedent(body)
    return [sys.executable, "-c", code]


def _only_run(store: Path) -> tuitrack.Run:
    [run] = tuitrack.open_store(store).search_runs()
    return run


def test_sigterm_marks_the_run_killed_and_keeps_its_points(tmp_path: Path) -> None:
    store = tmp_path / "s"
    proc = subprocess.Popen(
        _script(
            store,
            """
        run = tuitrack.start_run(name="victim")
        for i in range(100):
            tuitrack.log_metric("loss", 1.0 / (i + 1))
        print("ready", flush=True)
        time.sleep(60)
    """,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    assert proc.returncode == -signal.SIGTERM  # the default action still happens after tuitrack's cleanup
    run = _only_run(store)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert run.data.summaries["loss"].count == 100


def test_uncaught_exception_without_with_marks_failed_with_traceback(tmp_path: Path) -> None:
    store = tmp_path / "s"
    out = subprocess.run(
        _script(
            store,
            """
        tuitrack.start_run(name="crashes")
        tuitrack.log_metric("x", 1.0)
        raise ValueError("diverged at epoch 3")
    """,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "diverged at epoch 3" in out.stderr
    run = _only_run(store)
    assert run.info.status == "FAILED" and "ValueError: diverged at epoch 3" in run.info.error
    assert run.data.metrics == {"x": 1.0}


def test_normal_exit_finishes_an_unended_run(tmp_path: Path) -> None:
    store = tmp_path / "s"
    out = subprocess.run(
        _script(
            store,
            """
        tuitrack.start_run(name="forgot-to-end")
        for i in range(10):
            tuitrack.log_metric("x", float(i))
    """,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    run = _only_run(store)
    assert run.info.status == "FINISHED" and run.data.summaries["x"].count == 10


def test_system_sampler_logs_cpu_and_memory(store_path: Path) -> None:
    pytest.importorskip("psutil")
    seen: list[dict[str, float]] = []
    sampler = capture.SystemSampler(seen.append, interval=0.05)
    sampler.start()
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    assert len(seen) >= 2
    assert set(seen[0]) == {"system/cpu_percent", "system/memory_percent", "system/process_rss_mb"}
    assert all(v >= 0 for v in seen[0].values())
    with tuitrack.start_run(system_metrics=True) as run:
        assert run._sampler is not None
        run._sampler.sample()  # one sample by hand: the thread's first one comes after 10 s
    assert run._sampler._stop.is_set()


def test_log_figure_saves_what_savefig_writes(store_path: Path) -> None:
    class Figure:  # matplotlib is not a dependency: anything with savefig(path) works
        def savefig(self, path: Path) -> None:
            Path(path).write_bytes(b"\x89PNG fake image")

    with tuitrack.start_run() as run:
        assert tuitrack.log_figure(Figure(), "plots/roc.png") == "plots/roc.png"
        with pytest.raises(tuitrack.ValidationError, match="matplotlib figure"):
            tuitrack.log_figure(object(), "x.png")
    assert tuitrack.read_artifact(run.id, "plots/roc.png") == b"\x89PNG fake image"
