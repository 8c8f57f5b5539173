"""``tuitrack logs RUN [--follow]``: what a run's script printed (its captured ``logs/output.txt``).

On a terminal the text is made safe first: control characters (escape sequences a script printed,
or planted in it) are shown as ``\\xNN`` instead of acting, and a carriage return keeps what a
terminal would have left on the line (the last state of a progress bar).  Piped, the bytes are
written as they were captured.
"""

from __future__ import annotations

import codecs
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO

import click

from tuitrack.cli.common import note, open_store, store_option
from tuitrack.entities import RUNNING
from tuitrack.formatting import visible
from tuitrack.store.core import Store
from tuitrack.tracking.output import OUTPUT_ARTIFACT

#: Seconds between looks at the file and the run's status while following.
POLL_S = 0.5


def terminal_text(text: str) -> str:
    """Captured output made safe for a terminal, newlines and tabs kept (see the module docstring)."""
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r") if p]
            line = parts[-1] if parts else ""
        lines.append("\t".join(visible(part) for part in line.split("\t")))
    return "\n".join(lines)


def tail_start(fh: BinaryIO, size: int, lines: int) -> int:
    """The offset where the last ``lines`` lines of the open file begin (reads backwards in blocks)."""
    pos, found, block = size, 0, 1 << 16
    while pos > 0:
        step = min(block, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step)
        if pos + step == size and data.endswith(b"\n"):
            data = data[:-1]  # the final newline ends the last line, it does not start a new one
        idx = len(data)
        while True:
            idx = data.rfind(b"\n", 0, idx)
            if idx < 0:
                break
            found += 1
            if found == lines:
                return pos + idx + 1
    return 0


def _output_file(store: Store, run: str) -> Path | None:
    try:
        return store.artifact_file(run, OUTPUT_ARTIFACT)
    except FileNotFoundError:
        return None


@click.command("logs")
@click.argument("run")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output while the run is running.")
@click.option("-n", "--lines", type=click.IntRange(min=1), default=None, help="Only the last N lines.")
@store_option
def logs(run: str, follow: bool, lines: int | None, store_path: Path | None) -> None:
    """Print what RUN's script wrote to stdout/stderr while it ran (kept in logs/output.txt).

    Output capture is on by default; start_run(capture_output=False),
    configure(capture_output=False) or TUITRACK_CAPTURE_OUTPUT=0 turn it off.

    \b
    Examples:
      tuitrack logs xgboost_tuned
      tuitrack logs 3fa2 -n 50 --follow
    """
    store: Store = open_store(store_path)
    _, run_id = store.resolve_run(run)
    tty = sys.stdout.isatty()
    out = sys.stdout.buffer
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def emit(data: bytes, final: bool = False) -> None:
        if tty:
            text = decoder.decode(data, final)
            out.write(terminal_text(text).encode("utf-8", errors="replace"))
        else:
            out.write(data)
        out.flush()

    file = _output_file(store, run_id)
    if file is None and not follow:
        note(f"run {run_id[:8]} has no captured output (nothing printed, or capture was off)")
        return
    offset = 0
    try:
        while True:
            # the status is read before the file: output written up to the run's end is always printed
            running = follow and store.get_run(run_id).info.status == RUNNING
            if file is None:
                file = _output_file(store, run_id)
            if file is not None:
                with open(file, "rb") as fh:
                    size = os.fstat(fh.fileno()).st_size
                    if offset == 0 and lines is not None:
                        offset = tail_start(fh, size, lines)
                    fh.seek(offset)
                    while block := fh.read(1 << 16):
                        offset += len(block)
                        emit(block)
            if not running:
                break
            time.sleep(POLL_S)
        emit(b"", final=True)
    except KeyboardInterrupt:
        pass
