"""What a training script pays before its first metric: ``import tuitrack`` and ``start_run``.

Each figure is measured in fresh interpreters (a training script starts once), with bytecode caching on
as an installed wheel has it (PYTHONDONTWRITEBYTECODE is dropped for the children):

- import cost: ``python -X importtime -c "import tuitrack"``, the cumulative time of the ``tuitrack``
  line; baseline the same for ``import sqlite3``, the one module the store cannot do without.  The
  minimum over the runs is the figure (a shared machine only ever adds time), the median is noted.
- start_run: in one fresh process, the first start_run (reads installed packages and git state), then
  the median of the next ones (what a sweep of many short runs pays each time), run from this checkout
  (a git repository, so git state is captured); baseline: start_run with environment capture off.

Run: ``python bench/bench_install.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Figure, table

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, statistics, sys, tempfile, time
import tuitrack
runs, capture = int(sys.argv[1]), sys.argv[2] == "on"
tuitrack.set_store(tempfile.mkdtemp(prefix="tuitrack-bench-start-"))
tuitrack.configure(capture_env=capture, capture_packages=capture)
times = []
for i in range(runs + 1):
    t = time.perf_counter()
    tuitrack.start_run()
    times.append(time.perf_counter() - t)
    tuitrack.end_run()
from tuitrack.tracking import capture as cap
print(json.dumps({"first": times[0], "rest": statistics.median(times[1:]), "packages": len(cap.installed_packages())}))
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_ms(module: str, repeat: int) -> tuple[float, float, int]:
    """(min, median) cumulative -X importtime of ``import module`` in ms, and the modules it loaded."""
    subprocess.run([sys.executable, "-c", f"import {module}"], env=_env(), check=True)  # write the bytecode
    cums = []
    loaded = 0
    for _ in range(repeat):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
            cwd=tempfile.gettempdir(),
        ).stderr
        lines = [ln for ln in err.splitlines() if ln.startswith("import time:") and "self [us]" not in ln]
        cums.append(int(lines[-1].split("|")[1]) / 1000)
        loaded = len(lines)
    return min(cums), statistics.median(cums), loaded


def third_party_after_import() -> list[str]:
    code = (
        "import sys; before = set(sys.modules); import tuitrack; sys.path.insert(0, {!r}); "
        "import stdlib_smoke; print(' '.join(stdlib_smoke.third_party_modules()))".format(
            str(ROOT / "tests" / "install")
        )
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def start_run_ms(runs: int, capture: bool) -> dict[str, float]:
    import json

    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(runs), "on" if capture else "off"],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


def run(repeat: int = 15, runs: int = 200) -> list[Figure]:
    tt_min, tt_med, tt_loaded = import_ms("tuitrack", repeat)
    sq_min, _sq_med, _ = import_ms("sqlite3", repeat)
    extra = third_party_after_import()
    on = start_run_ms(runs, True)
    off = start_run_ms(runs, False)
    return [
        Figure(
            f"import tuitrack, min of {repeat} fresh interpreters (median {tt_med:.1f} ms; {tt_loaded} modules, "
            f"third-party: {len(extra)})",
            tt_min,
            "ms",
            "import sqlite3",
            sq_min,
            target="<= 50 ms",
            met=tt_min <= 50 and not extra,
        ),
        Figure(
            f"start_run, median of {runs} after the first in one process ({on['packages']} packages "
            f"installed, git checkout)",
            on["rest"] * 1000,
            "ms",
            "capture off",
            off["rest"] * 1000,
            target="<= 2 ms",
            met=on["rest"] * 1000 <= 2,
        ),
        Figure(
            "start_run, first of the process (reads packages and git state)",
            on["first"] * 1000,
            "ms",
            "capture off",
            off["first"] * 1000,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    print(table(run(args.repeat, args.runs)))


if __name__ == "__main__":
    main()
