"""Environment capture: read once per process, read again when what it was read from changes.

start_run used to re-read every installed package's metadata and run git three times per run; these tests
check the cache against the real things it stands for (a folder on sys.path with .dist-info folders, a
real git repository) and that the fast metadata reader agrees with importlib.metadata.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tuitrack
from tuitrack.tracking import capture


@pytest.fixture(autouse=True)
def _fresh_cache():
    capture.clear_cache()
    yield
    capture.clear_cache()


def _dist(folder: Path, name: str, version: str) -> Path:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\nName: x\n")
    return info


def _tick() -> None:
    time.sleep(0.05)  # folder mtimes move in kernel ticks (up to 10 ms); a pip install takes far longer


def test_fast_reader_lists_what_importlib_metadata_lists() -> None:
    from importlib import metadata

    expected: dict[str, str] = {}
    for dist in metadata.distributions():  # the first of a name on sys.path is the one imports see
        name = dist.metadata.get("Name") if dist.metadata else None
        if name and name not in expected:
            expected[name] = dist.version
    got = capture.installed_packages()
    assert got == dict(sorted(expected.items(), key=lambda kv: kv[0].lower()))
    assert "pytest" in got


def test_packages_are_read_once_and_again_after_an_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    info = _dist(site, "demo_pkg", "1.0")
    (site / "old_style-0.5.egg-info").write_text("Metadata-Version: 1.0\nName: old-style\nVersion: 0.5\n")
    monkeypatch.syspath_prepend(str(site))
    first = capture.installed_packages()
    assert first["demo_pkg"] == "1.0" and first["old-style"] == "0.5"

    # Rewriting a METADATA file in place changes no folder on sys.path: the cached read is used.
    (info / "METADATA").write_text("Name: demo_pkg\nVersion: 9.9\n")
    assert capture.installed_packages()["demo_pkg"] == "1.0"

    # An upgrade as pip does it (old .dist-info removed, new one added) changes the folder: read again.
    _tick()
    (info / "METADATA").unlink()
    info.rmdir()
    _dist(site, "demo_pkg", "2.0")
    assert capture.installed_packages()["demo_pkg"] == "2.0"

    # A folder added to sys.path is read too.
    more = tmp_path / "more"
    more.mkdir()
    _dist(more, "late_pkg", "0.1")
    monkeypatch.syspath_prepend(str(more))
    assert capture.installed_packages()["late_pkg"] == "0.1"


def test_the_first_distribution_of_a_name_on_sys_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _dist(a, "twice", "1.0")
    _dist(b, "twice", "2.0")
    monkeypatch.syspath_prepend(str(b))
    monkeypatch.syspath_prepend(str(a))
    assert capture.installed_packages()["twice"] == "1.0"


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print(1)\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    monkeypatch.chdir(repo)
    return repo


def test_git_state_is_read_once_and_again_after_git_changes_it(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tags = capture.environment_tags()
    assert tags["tuitrack.git.commit"] == _git(repo, "rev-parse", "HEAD")
    assert (tags["tuitrack.git.branch"], tags["tuitrack.git.dirty"]) == ("main", "false")
    assert tags["tuitrack.cwd"] == str(repo)

    # Read once: with git gone from PATH the tags are still there (no git process runs).
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", "")
    assert capture.environment_tags() == tags
    monkeypatch.setenv("PATH", path)

    # git add rewrites the index: read again.
    _tick()
    (repo / "train.py").write_text("print(2)\n")
    _git(repo, "add", "train.py")
    assert capture.environment_tags()["tuitrack.git.dirty"] == "true"

    # A commit moves HEAD: read again.
    _tick()
    _git(repo, "commit", "-q", "-m", "second")
    after = capture.environment_tags()
    assert after["tuitrack.git.commit"] == _git(repo, "rev-parse", "HEAD") != tags["tuitrack.git.commit"]
    assert after["tuitrack.git.dirty"] == "false"

    # Another working directory is another repository (or none).
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo.parent))
    assert "tuitrack.git.commit" not in capture.environment_tags()


def test_linked_worktree_reads_its_own_head(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wt = repo.parent / "wt"
    _git(repo, "worktree", "add", "-q", "-b", "side", str(wt))
    monkeypatch.chdir(wt)
    assert capture.environment_tags()["tuitrack.git.branch"] == "side"
    _tick()
    (wt / "train.py").write_text("print(3)\n")
    _git(wt, "commit", "-q", "-am", "on side")
    assert capture.environment_tags()["tuitrack.git.commit"] == _git(wt, "rev-parse", "HEAD")


def test_runs_of_one_process_record_the_same_environment(store_path: Path, repo: Path) -> None:
    tuitrack.configure(capture_env=True, capture_packages=True)
    runs = []
    for _ in range(3):
        with tuitrack.start_run() as run:
            pass
        runs.append(run.id)
    store = tuitrack.open_store()
    tags = [tuitrack.get_run(r).data.tags for r in runs]
    assert all(t["tuitrack.git.commit"] == _git(repo, "rev-parse", "HEAD") for t in tags)
    packages = [store.get_packages(r) for r in runs]
    assert packages[0] == packages[1] == packages[2] == capture.installed_packages()
    assert packages[0].get("pytest") == sys.modules["pytest"].__version__
