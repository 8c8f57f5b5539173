"""A store this user may not read (issue #15, item 7): one clear error, never a traceback.

A mode-000 store folder gave a raw ``PermissionError`` traceback from the Python API and a
4-line click usage error with exit 2 from ``--store DIR``; a mode-000 ``tuitrack.db`` said
"unable to open database file".  Now the API raises ``StorePermissionError`` (a
``TuitrackError`` and a ``PermissionError``) saying "permission denied", and the CLI prints one
``Error:`` line and exits 1.

Permission bits do not stop root, and these tests run as root in CI: there every check runs in
a child process without the capabilities that bypass them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
dropped by ``setpriv``), so the kernel really denies the reads: the mode-000 store is the owner's,
and an owner without those capabilities gets exactly its permission bits.  (Running the child as
``nobody`` instead needs the interpreter, its venv and the checkout all open to ``nobody``; a clone in
a 0700 folder, such as ``mktemp -d`` or ``/root``, made every check fail with "No module named
'tuitrack'".)  As any other user they run directly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tuitrack

REPO = Path(__file__).resolve().parents[2]


def _runner() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(
            "running as root, where permission bits deny nothing, and setpriv (util-linux) is missing to "
            "run the check without the capabilities that bypass them"
        )
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    if args[:2] == ("-m", "tuitrack.cli.main"):
        pytest.importorskip("click", reason="the CLI needs the app extra (CI's logging-only venv has pytest alone)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TUITRACK_STORE", None)
    return subprocess.run([*_runner(), sys.executable, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def world(store_path: Path) -> Iterator[Path]:
    """A folder every user can enter, holding a real store ``s`` (and its copy ``t``)."""
    base = Path(tempfile.mkdtemp(prefix="tuitrack-perm-"))
    os.chmod(base, 0o755)
    tuitrack.set_store(base / "s")
    with tuitrack.start_run(name="r"):
        tuitrack.log_metric("m", 1.0)
    tuitrack.reset()
    shutil.copytree(base / "s", base / "t")
    for folder in (base / "s", base / "t"):
        os.chmod(folder, 0o755)
        os.chmod(folder / "tuitrack.db", 0o644)
    try:
        yield base
    finally:
        for folder in (base / "s", base / "t"):
            os.chmod(folder, 0o755)
            if (folder / "tuitrack.db").exists():
                os.chmod(folder / "tuitrack.db", 0o644)
        shutil.rmtree(base, ignore_errors=True)


def _check_cli(res: subprocess.CompletedProcess[str], where: Path) -> None:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: permission denied"), res.stderr
    assert str(where) in lines[0] and "Traceback" not in res.stderr and res.stdout == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["ls", "--store", "{s}"],
        ["--store", "{s}", "ls"],
        ["--store", "{s}"],
        ["show", "r", "--store", "{s}"],
        ["gc", "--yes", "--store", "{s}"],
        ["tag", "r", "a=b", "--store", "{s}"],
    ],
)
def test_cli_on_an_unreadable_store_folder(world: Path, argv: list[str]) -> None:
    os.chmod(world / "s", 0o000)
    res = _run("-m", "tuitrack.cli.main", *[a.format(s=world / "s") for a in argv])
    _check_cli(res, world / "s")


def test_cli_on_a_mode_000_database(world: Path) -> None:
    os.chmod(world / "t" / "tuitrack.db", 0o000)
    res = _run("-m", "tuitrack.cli.main", "ls", "--store", str(world / "t"))
    _check_cli(res, world / "t" / "tuitrack.db")


API = r"""
import sys, tuitrack
from tuitrack.errors import StorePermissionError, TuitrackError
for attempt in ("open", "start_run", "reads"):
    try:
        if attempt == "open":
            tuitrack.open_store(sys.argv[1])
        elif attempt == "start_run":
            tuitrack.set_store(sys.argv[1])
            tuitrack.start_run()
        else:
            tuitrack.set_store(sys.argv[1])
            tuitrack.search_runs(output_format="list")
    except StorePermissionError as exc:
        assert isinstance(exc, TuitrackError) and isinstance(exc, PermissionError)
        print(attempt, "->", exc)
    else:
        print(attempt, "-> no error")
"""


@pytest.mark.parametrize("which", ["folder", "db"])
def test_python_api_raises_a_clear_permission_error(world: Path, which: str) -> None:
    if which == "folder":
        os.chmod(world / "s", 0o000)
        target = world / "s"
    else:
        os.chmod(world / "t" / "tuitrack.db", 0o000)
        target = world / "t"
    res = _run("-c", API, str(target))
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    lines = res.stdout.strip().splitlines()
    assert [line.split(" -> ")[0] for line in lines] == ["open", "start_run", "reads"]
    for line in lines:
        assert " -> permission denied: cannot read the tuitrack store at " in line, lines


def test_readable_store_still_opens_for_that_user(world: Path) -> None:
    """The same child, same user, on the readable copy: the permission check refuses only what it must."""
    res = _run("-m", "tuitrack.cli.main", "ls", "--json", "--store", str(world / "t"))
    assert res.returncode == 0, res.stderr
    assert '"name": "r"' in res.stdout
