"""Is a RUNNING run's process still there?  Asked of this machine's process table, not the heartbeat.

A run killed with ``kill -9`` stops its heartbeat, and the heartbeat rule (no beat for 2 minutes)
shows it CRASHED only then.  When the run was started on this host, the process table answers at
once: its pid is gone, or the pid now belongs to a process that started after the run's last
heartbeat (so it cannot be the one that wrote it).  Runs of other hosts keep the heartbeat rule.
"""

from __future__ import annotations

import os
import time

from tuitrack.entities import CRASHED, RUNNING, RunInfo
from tuitrack.tracking.capture import host as this_host

#: How long one answer is reused: rows repaint often, the process table changes rarely.
CACHE_S = 1.0
#: A process may start this long after the heartbeat it wrote (clock granularity of /proc's boot time).
SLACK_MS = 2_000

_host: str | None = None
_boot_s: float | None = None
_answers: dict[tuple[int, int], tuple[float, bool]] = {}


def _boot_time() -> float | None:
    global _boot_s
    if _boot_s is None:
        try:
            with open("/proc/stat", encoding="ascii") as fh:
                _boot_s = next(float(line.split()[1]) for line in fh if line.startswith("btime "))
        except (OSError, StopIteration, ValueError, IndexError):
            _boot_s = -1.0
    return _boot_s if _boot_s >= 0 else None


def process_start_ms(pid: int) -> int | None:
    """When process ``pid`` started (epoch ms, to about a second), or None where /proc cannot tell."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of the line: start time in clock ticks since boot
        return int((boot + ticks / os.sysconf("SC_CLK_TCK")) * 1000)
    except (OSError, ValueError, IndexError):
        return None


def process_gone(pid: int, last_beat_ms: int) -> bool:
    """True when no process ``pid`` runs here, or the one that does started after ``last_beat_ms``."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return False  # cannot tell: keep the heartbeat rule
    started = process_start_ms(pid)
    return started is not None and started > last_beat_ms + SLACK_MS


def run_process_gone(info: RunInfo) -> bool:
    """A RUNNING run started on this host whose process is gone (see the module docstring)."""
    global _host
    if info.status != RUNNING or info.pid is None or info.pid <= 0 or not info.host:
        return False
    if _host is None:
        _host = this_host()
    if info.host != _host:
        return False
    beat = info.heartbeat if info.heartbeat is not None else info.start_time
    key, now = (info.pid, beat), time.monotonic()
    cached = _answers.get(key)
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    if len(_answers) > 1000:
        _answers.clear()
    gone = process_gone(info.pid, beat)
    _answers[key] = (now, gone)
    return gone


def display_status(info: RunInfo, now_ms: int) -> str:
    """The status to show: the heartbeat rule of ``RunInfo.display_status``, and CRASHED at once when
    the run's process on this host is gone."""
    status = info.display_status(now_ms)
    return CRASHED if status == RUNNING and run_process_gone(info) else status
