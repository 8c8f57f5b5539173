"""The ``tuitrack`` command without the app's packages: one line saying how to get them, never a traceback.

``pip install tuitrack`` installs the console script but not click or textual (the "app" extra).  A package
set to None in ``sys.modules`` makes its import fail exactly as an absent package does
(ModuleNotFoundError naming it), so these tests run the real entry points in a child interpreter with
click or textual made absent.  CI also runs the installed console script in a venv that has no
third-party package at all (.ci/run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tuitrack


def _run(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


WITHOUT = "import sys\nfor name in {names!r}: sys.modules[name] = None\nsys.argv[1:] = {argv!r}\n"


def test_console_script_without_click_prints_one_line_naming_the_extra() -> None:
    proc = _run(WITHOUT.format(names=["click"], argv=["ls"]) + "from tuitrack.cli.launch import main\nmain()")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "click is not installed" in lines[0]
    assert "pip install 'tuitrack[app]'" in lines[0] and "pipx install 'tuitrack[app]'" in lines[0]


def test_python_dash_m_tuitrack_is_the_same_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "tuitrack", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"tuitrack, version {tuitrack.__version__}"
    blocked = _run(
        WITHOUT.format(names=["click"], argv=["--version"]) + "import runpy\n"
        "runpy.run_module('tuitrack', run_name='__main__')"
    )
    assert blocked.returncode == 1 and len(blocked.stderr.splitlines()) == 1
    assert "tuitrack[app]" in blocked.stderr


def test_scripting_commands_need_only_click_and_the_browser_says_what_it_needs(tmp_path: Path) -> None:
    """click without textual (a conda env that has click for other reasons): ls works, the browser says why not."""
    store = tmp_path / "store"
    build = (
        f"import tuitrack\ntuitrack.set_store({str(store)!r}); tuitrack.configure(capture_env=False)\n"
        "with tuitrack.start_run(name='r1'): tuitrack.log_metric('m', 1.0)\n"
    )
    assert _run(build).returncode == 0
    no_tui = ["textual", "rich", "plotext", "textual_plotext"]
    ls = _run(
        WITHOUT.format(names=no_tui, argv=["--store", str(store), "ls"])
        + "from tuitrack.cli.launch import main\nmain()"
    )
    assert ls.returncode == 0, ls.stderr
    assert "r1" in ls.stdout
    browse = _run(
        WITHOUT.format(names=no_tui, argv=["--store", str(store)]) + "from tuitrack.cli.launch import main\nmain()"
    )
    assert browse.returncode == 1
    lines = browse.stderr.splitlines()
    assert len(lines) == 1, browse.stderr
    assert lines[0].startswith("tuitrack: the browser needs the app's packages (")
    assert "pip install 'tuitrack[app]'" in lines[0]


def test_an_unrelated_import_error_is_not_disguised_as_a_missing_extra() -> None:
    from tuitrack.cli.launch import missing_app_module

    assert missing_app_module(ModuleNotFoundError("No module named 'click'", name="click")) == "click"
    assert missing_app_module(ModuleNotFoundError("x", name="textual.widgets")) == "textual"
    assert missing_app_module(ModuleNotFoundError("x", name="tuitrack.nothing")) is None
    assert missing_app_module(ImportError("cannot import name 'x' from 'click'", name="click")) is None
