"""Process-wide logging settings (``tuitrack.configure``), shared by the session, runs and artifacts.

A module of its own so a run and its artifacts can read them without importing the session that
creates runs (which would make the tracking modules import each other).
"""

from __future__ import annotations

from typing import Any

from tuitrack.tracking.output import DEFAULT_LIMIT as OUTPUT_LIMIT
from tuitrack.tracking.writer import DEFAULT_INTERVAL_S

DEFAULTS: dict[str, Any] = {
    "strict": False,
    "flush_interval": DEFAULT_INTERVAL_S,
    "capture_packages": True,
    "capture_env": True,
    "identity": None,
    "capture_output": None,
    "capture_output_limit": OUTPUT_LIMIT,
    "git_diff_limit": 262_144,
}

#: The settings in force; ``configure`` updates this dict in place (never rebinds it).
settings: dict[str, Any] = dict(DEFAULTS)
