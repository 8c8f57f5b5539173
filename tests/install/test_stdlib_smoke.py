"""The standard-library smoke test (stdlib_smoke.py) in the full suite: here the app's and the test extra's
packages are installed, and a logged run still loads none of them (``python -I``: no cwd, no PYTHONPATH)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SMOKE = Path(__file__).with_name("stdlib_smoke.py")


def test_training_script_api_loads_only_the_standard_library(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-I", str(SMOKE)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Ran 4 tests" in proc.stderr and proc.stderr.rstrip().endswith("OK"), proc.stderr[-4000:]
