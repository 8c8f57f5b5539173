"""``tuitrack logs RUN [--follow]``: a run's captured console output, raw when piped, escaped on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.logs import terminal_text
from tuitrack.cli.main import main
from tuitrack.tracking import output
from tuitrack.tracking import session as tracking

HOSTILE = "step 1\n\x1b]0;pwned\x07\x1b[2Jcleared?\nbar 10%\rbar 100%\n"


@pytest.fixture(autouse=True)
def _capture_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(output.ENV_SWITCH, raising=False)
    tracking._settings["capture_output"] = None
    yield
    tracking._settings["capture_output"] = None


def _printed_run(store_path: Path, text: str) -> str:
    with tuitrack.start_run(name="printer") as run:
        sys.stdout.write(text)
    tuitrack.reset()
    return run.id


def test_piped_output_is_the_captured_bytes(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _printed_run(store_path, HOSTILE)
    capsys.readouterr()
    result = CliRunner().invoke(main, ["--store", str(store_path), "logs", run_id[:8]], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout_bytes == HOSTILE.encode()


def test_last_lines_only(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _printed_run(store_path, "".join(f"line {i}\n" for i in range(100)))
    capsys.readouterr()
    result = CliRunner().invoke(main, ["--store", str(store_path), "logs", run_id, "-n", "3"])
    assert result.stdout == "line 97\nline 98\nline 99\n"


def test_a_run_without_output_says_so(store_path: Path) -> None:
    with tuitrack.start_run(capture_output=False) as run:
        pass
    tuitrack.reset()
    result = CliRunner().invoke(main, ["--store", str(store_path), "logs", run.id])
    assert result.exit_code == 0 and result.stdout == ""
    assert "no captured output" in result.stderr


def test_terminal_text_neutralises_escapes_and_keeps_what_a_carriage_return_leaves() -> None:
    assert terminal_text(HOSTILE) == "step 1\n\\x1b]0;pwned\\x07\\x1b[2Jcleared?\nbar 100%\n"
    assert terminal_text("a\tb\r\n") == "a\tb\n"


def _tty_logs(store: Path, *args: str, timeout: float = 60) -> str:
    """Run ``tuitrack logs`` with a pseudo-terminal as stdout; returns what it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuitrack", "--store", str(store), "logs", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=timeout)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_on_a_terminal_escape_sequences_are_shown_not_obeyed(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _printed_run(store_path, HOSTILE)
    capsys.readouterr()
    shown = _tty_logs(store_path, run_id)
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown == terminal_text(HOSTILE)


def test_follow_prints_new_output_until_the_run_ends(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code = textwrap.dedent(f"""
        import sys, time, tuitrack
        tuitrack.set_store({str(store)!r})
        tuitrack.configure(capture_packages=False, flush_interval=0.05)
        with tuitrack.start_run(name="slow") as run:
            print(run.id, file=sys.stderr, flush=True)
            print("first", flush=True)
            time.sleep(1.5)
            print("second", flush=True)
            time.sleep(0.3)
    """)
    script = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    run_id = script.stderr.readline().strip()
    follow = subprocess.run(
        [sys.executable, "-m", "tuitrack", "--store", str(store), "logs", run_id, "--follow"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    script.wait(timeout=60)
    assert follow.returncode == 0, follow.stderr
    assert follow.stdout == f"{run_id}\nfirst\nsecond\n"  # stderr is captured too
