"""Machine-readable output never lets stored text act on a terminal (issue #15, item 4).

``ls --csv`` and ``export --format csv`` printed run names, params and tags raw, so a name holding
ESC, BEL, CR... could retitle or clear the terminal it was printed on; ``--json`` left DEL and C1
raw.  Now: CSV and markdown on a terminal show control characters as ``\\xNN`` like the text
views; redirected to a file or pipe (or ``-o FILE``) CSV is exact; JSON always writes them as
``\\uXXXX`` escapes, which parse back to the exact data.  Checked on a real pseudo-terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import tuitrack

REPO = Path(__file__).resolve().parents[2]
NASTY = "evil\x1b]0;pwned\x07\x1b[2J\rX\x00\x7f\x85\x9b\u202etxt"
ACTIVE = ("\x1b", "\x07", "\x00", "\r", "\x7f", "\x85", "\x9b", "\u202e")


@pytest.fixture
def nasty_store(store_path: Path) -> Path:
    with tuitrack.start_run(name=NASTY, params={"p": NASTY}, tags={"t": NASTY}):
        tuitrack.log_metric("m", 1.0)
    tuitrack.flush()
    return store_path


def _cli(args: list[str], *, tty: bool) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "tuitrack.cli.main", *args]
    if not tty:
        return subprocess.run(cmd, capture_output=True, env=env, timeout=60, check=True).stdout
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(60) == 0, proc.stderr.read() if proc.stderr else ""
        proc.stderr.close()
    finally:
        os.close(master)
    return out.replace(b"\r\n", b"\n")  # the terminal's own line discipline, not the data


def _text(out: bytes) -> str:
    return out.decode("utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--csv"],
        ["export", "--format", "csv", "--tags"],
        ["export", "--format", "md", "--tags"],
        ["ls", "--json"],
        ["export", "--format", "json", "--tags"],
        ["show", "--json", "{id}"],
        ["ls"],
        ["show", "{id}"],
    ],
)
def test_nothing_active_reaches_a_terminal(nasty_store: Path, args: list[str]) -> None:
    run_id = tuitrack.search_runs(output_format="list", search_all_experiments=True)[0].id
    text = _text(_cli([a.format(id=run_id) for a in args] + ["--store", str(nasty_store)], tty=True))
    assert "evil" in text
    for ch in ACTIVE:
        assert ch not in text, (repr(ch), text)


def test_csv_to_a_pipe_or_file_is_exact(nasty_store: Path, tmp_path: Path) -> None:
    for args in (["ls", "--csv"], ["export", "--format", "csv", "--tags"]):
        rows = list(
            csv.DictReader(io.StringIO(_text(_cli([*args, "--store", str(nasty_store)], tty=False)), newline=""))
        )
        assert rows[0]["name"] == NASTY
    out = tmp_path / "runs.csv"
    _cli(["export", "--format", "csv", "--tags", "-o", str(out), "--store", str(nasty_store)], tty=True)
    row = next(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8"), newline="")))
    assert row["name"] == row["params.p"] == row["tags.t"] == NASTY


def test_json_escapes_parse_back_to_the_exact_data(nasty_store: Path) -> None:
    for tty in (True, False):
        raw = _text(_cli(["ls", "--json", "--store", str(nasty_store)], tty=tty))
        assert not any(ch in raw for ch in ACTIVE)
        assert json.loads(raw)[0]["name"] == NASTY
