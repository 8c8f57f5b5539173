"""Console capture: what a script prints during a run lands in the run's logs/output.txt as it goes.

The terminal must see exactly what it saw without tuitrack, a kill -9 must keep what was printed up to
the last flush, the file is capped with a marker, and capture can be turned off three ways.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tuitrack
from tuitrack.tracking import output
from tuitrack.tracking import session as tracking

LOG = output.OUTPUT_ARTIFACT


@pytest.fixture(autouse=True)
def _capture_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(output.ENV_SWITCH, raising=False)
    tracking._settings["capture_output"] = None
    yield
    tracking._settings["capture_output"] = None
    tracking._settings["capture_output_limit"] = output.DEFAULT_LIMIT
    assert output._current is None, "a capture outlived its run"


def _log_text(store: Path, run_id: str) -> str:
    return tuitrack.open_store(store).artifact_file(run_id, LOG).read_text(encoding="utf-8")


def _script(store: Path, body: str) -> list[str]:
    code = textwrap.dedent(f"""
        import os, signal, sys, time, tuitrack
        tuitrack.set_store({str(store)!r})
        tuitrack.configure(capture_packages=False, flush_interval=0.05)
    """) + textwrap.dedent(body)
    return [sys.executable, "-c", code]


def test_sigkilled_script_keeps_what_it_printed_and_the_terminal_saw_it_unchanged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc = subprocess.run(
        _script(
            store,
            """
        run = tuitrack.start_run(name="crashy")
        print("epoch 1 loss=0.5")
        print("warn: lr high", file=sys.stderr)
        sys.stdout.write("héllo \\x1b[31mred\\x1b[0m no newline")
        sys.stdout.flush()
        time.sleep(0.6)  # a dozen flush intervals
        os.kill(os.getpid(), signal.SIGKILL)
        print("never")
    """,
        ),
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL
    # the real streams got exactly what the script wrote
    assert proc.stdout.decode() == "epoch 1 loss=0.5\nhéllo \x1b[31mred\x1b[0m no newline"
    assert proc.stderr.decode() == "warn: lr high\n"
    [run] = tuitrack.open_store(store).search_runs()
    text = _log_text(store, run.id)
    assert text == "epoch 1 loss=0.5\nwarn: lr high\nhéllo \x1b[31mred\x1b[0m no newline"
    assert LOG in [a.path for a in tuitrack.open_store(store).list_artifacts(run.id)]


def test_output_is_capped_with_a_marker_and_the_terminal_still_gets_everything(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tuitrack.configure(capture_output_limit=100)
    with tuitrack.start_run() as run:
        for i in range(50):
            print(f"line {i:03d}")  # 9 bytes each: 450 bytes
    out = capsys.readouterr().out
    assert out == "".join(f"line {i:03d}\n" for i in range(50))
    text = _log_text(store_path, run.id)
    assert text == out[:100] + output.truncation_marker(100)
    assert "limit" in text.splitlines()[-1]
    [art] = [a for a in tuitrack.open_store(store_path).list_artifacts(run.id) if a.path == LOG]
    assert art.size == len(text.encode())


def test_capture_restores_the_real_streams_and_nested_runs_share_the_outer_capture(store_path: Path) -> None:
    real_out, real_err = sys.stdout, sys.stderr
    with tuitrack.start_run() as outer:
        assert sys.stdout is not real_out
        print("outer before")
        with tuitrack.start_run(nested=True) as inner:
            print("inside the child")
        assert sys.stdout is not real_out  # the child's end leaves the outer capture on
        print("outer after")
    assert sys.stdout is real_out and sys.stderr is real_err
    assert _log_text(store_path, outer.id) == "outer before\ninside the child\nouter after\n"
    assert LOG not in [a.path for a in tuitrack.open_store(store_path).list_artifacts(inner.id)]


@pytest.mark.parametrize("how", ["start_run", "configure", "env"])
def test_capture_can_be_turned_off(store_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    real_out = sys.stdout
    kwargs = {}
    if how == "start_run":
        kwargs = {"capture_output": False}
    elif how == "configure":
        tuitrack.configure(capture_output=False)
    else:
        monkeypatch.setenv(output.ENV_SWITCH, "0")
    with tuitrack.start_run(**kwargs) as run:
        assert sys.stdout is real_out
        print("not kept")
    assert LOG not in [a.path for a in tuitrack.open_store(store_path).list_artifacts(run.id)]
    assert not (store_path / "artifacts" / run.id / "logs").exists()


def test_explicit_start_run_argument_wins_over_the_environment(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(output.ENV_SWITCH, "0")
    with tuitrack.start_run(capture_output=True) as run:
        print("kept anyway")
    assert _log_text(store_path, run.id) == "kept anyway\n"


def test_prints_from_other_threads_land_in_the_one_capture(store_path: Path) -> None:
    import threading

    with tuitrack.start_run() as run:

        def work(n: int) -> None:
            with tuitrack.start_run(name=f"worker-{n}") as wrun:  # a worker's own top-level run
                assert wrun._output is None  # one capture per process
                # One write per line: print() writes the text and its newline apart, and three threads printing
                # at once may interleave those writes in any terminal or file, capture or not.
                print(f"worker {n}\n", end="")

        threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lines = sorted(_log_text(store_path, run.id).splitlines())
    assert lines == ["worker 0", "worker 1", "worker 2"]


def test_a_resumed_run_appends_to_its_output(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        print("first session")
    with tuitrack.start_run(run_id=run.id):
        print("second session")
    assert _log_text(store_path, run.id) == "first session\nsecond session\n"
