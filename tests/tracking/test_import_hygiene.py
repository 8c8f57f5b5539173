"""``import tuitrack`` must stay light: a training script loads none of the app's packages.

Every package in ``HEAVY`` is checked, after the import and after a whole logged run.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "rich", "textual_plotext", "plotext", "sqlite_utils", "click")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return {m.split(".")[0] for m in out.stdout.split()}


def test_import_tuitrack_loads_none_of_the_app_packages() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import tuitrack, sys; "
         f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_logging_a_run_stays_light(tmp_path) -> None:
    """Not just the import: a whole logged run (metrics, params, artifacts, a model) loads none of them."""
    code = (
        "import tuitrack\n"
        f"tuitrack.set_store({str(tmp_path / 's')!r}); tuitrack.configure(capture_env=False)\n"
        "with tuitrack.start_run(params={'a': 1}) as r:\n"
        "    tuitrack.log_metric('m', 1.0); tuitrack.log_text('x', 'x.txt'); tuitrack.log_model([1], 'model')\n"
        "tuitrack.search_runs('metrics.m > 0'); tuitrack.get_metric_history(r.id, 'm', max_points=10)\n"
    )
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
