"""Reproduce: the dirty-tree diff stored at start_run, ``tuitrack reproduce``, and the Env tab's view."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click_compat import CliRunner
from helpers import recorded_run

import tuitrack
from tuitrack.analysis import reproduce as rp
from tuitrack.cli.main import main

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x", *args], check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "proj"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("lr = 0.1\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def store(tmp_path: Path):
    tuitrack.set_store(tmp_path / "store")
    tuitrack.configure(capture_packages=False, identity={"source": "python train.py --lr 0.2"})
    try:
        yield tmp_path / "store"
    finally:
        tuitrack.configure(capture_packages=True, git_diff_limit=262_144)
        tuitrack.reset()


@needs_git
def test_a_dirty_tree_stores_its_diff_and_reproduce_applies_it(repo: Path, store: Path) -> None:
    (repo / "train.py").write_text("lr = 0.2  # tried\n")
    with tuitrack.start_run(name="dirty") as run:
        tuitrack.log_input([1, 2, 3], name="train", context="training")
        tuitrack.log_model({"w": 1}, "model")
    tags = tuitrack.get_run(run.id).data.tags
    assert tags["tuitrack.git.dirty"] == "true" and tags["tuitrack.git.diff"] == rp.GIT_DIFF_ARTIFACT
    patch = tuitrack.read_artifact(run.id, rp.GIT_DIFF_ARTIFACT).decode()
    assert "-lr = 0.1" in patch and "+lr = 0.2  # tried" in patch
    out = CliRunner().invoke(main, ["--store", str(store), "reproduce", "dirty", "--shell"]).output
    lines = out.splitlines()
    assert f"cd {repo}" in lines
    assert any(line.startswith("git checkout ") and "# was on branch main" in line for line in lines)
    apply = [line for line in lines if line.startswith("git apply ")]
    assert apply and apply[0].split()[2].endswith(f"{run.id}/{rp.GIT_DIFF_ARTIFACT}")
    assert "python train.py --lr 0.2" in lines
    assert f"""# python -c 'import tuitrack; model = tuitrack.load_model("runs:/{run.id}/model")'""" in lines
    # The snippet really reruns: a clean checkout of that commit plus the stored patch is the dirty tree.
    _git(repo, "stash", "-q")
    subprocess.run(["git", "-C", str(repo), "apply", apply[0].split()[2]], check=True)
    assert (repo / "train.py").read_text() == "lr = 0.2  # tried\n"


@needs_git
def test_a_diff_over_the_limit_is_named_not_stored(repo: Path, store: Path) -> None:
    tuitrack.configure(git_diff_limit=10)
    (repo / "train.py").write_text("lr = 0.3\n" * 50)
    with tuitrack.start_run(name="big") as run:
        pass
    r = tuitrack.get_run(run.id)
    note = r.data.tags["tuitrack.git.diff"]
    assert note.startswith("not stored: ") and "over git_diff_limit (10)" in note
    assert [a.path for a in tuitrack.list_artifacts(run.id)] == []
    out = CliRunner().invoke(main, ["--store", str(store), "reproduce", "big", "--shell"]).output
    assert "# the tree was dirty and its diff was not stored (not stored: " in out


@needs_git
def test_a_clean_tree_stores_nothing(repo: Path, store: Path) -> None:
    with tuitrack.start_run(name="clean") as run:
        pass
    tags = tuitrack.get_run(run.id).data.tags
    assert tags["tuitrack.git.dirty"] == "false" and "tuitrack.git.diff" not in tags


def test_bad_git_diff_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="git_diff_limit"):
        tuitrack.configure(git_diff_limit=-1)


def test_packages_and_python_against_another_run_and_json(tmp_path: Path) -> None:
    a = recorded_run(tmp_path, {"numpy": "1.26.0", "torch": "2.1.0", "old": "1"}, "3.11.4", "a")
    recorded_run(tmp_path, {"numpy": "2.0.0", "torch": "2.1.0", "new": "3"}, "3.12.1", "b")
    out = CliRunner().invoke(main, ["--store", str(tmp_path), "reproduce", "a", "--against", "b"]).output
    assert "python    3.11.4 (run " in out and ": 3.12.1)" in out
    assert "~ numpy 1.26.0 -> 2.0.0" in out and "- old 1 (missing from run " in out and "+ new 3 (only in run " in out
    assert "python -m pip install numpy==1.26.0 old==1  # 2 differ from run " in out
    assert "cd '/w d'" in out  # shell-quoted
    data = json.loads(
        CliRunner().invoke(main, ["--store", str(tmp_path), "reproduce", a, "--against", "b", "--json"]).output
    )
    assert data["git"] == {"commit": "abc123", "branch": None, "dirty": False, "diff_artifact": None, "diff_note": None}
    assert {c["path"] for c in data["package_changes"]} == {"numpy", "old", "new"}


def test_against_this_environment_by_default(tmp_path: Path) -> None:
    import platform

    recorded_run(tmp_path, {"surely-not-installed-pkg": "0.1"}, "2.7.18", "a")
    out = CliRunner().invoke(main, ["--store", str(tmp_path), "reproduce", "a"]).output
    assert f"2.7.18 (this environment: {platform.python_version()})" in out
    assert "- surely-not-installed-pkg 0.1 (missing from this environment)" in out
    assert "python -m pip install surely-not-installed-pkg==0.1" in out


def test_recorded_text_cannot_inject_into_the_snippet_or_the_terminal(tmp_path: Path) -> None:
    from tuitrack.store.core import Store

    s = Store(tmp_path, create=True)
    s.create_run(
        run_id="f" * 32,
        experiment_id=s.experiment_id("e"),
        name="x\nrm -rf ~",
        start_time=0,
        source="python t.py \x1b[2J",
        tags={
            "tuitrack.git.branch": "b\ntouch /tmp/pwn",
            "tuitrack.git.commit": "c",
            "tuitrack.cwd": "/a'; rm -rf ~; '",
        },
    )
    s.close()
    out = CliRunner().invoke(main, ["--store", str(tmp_path), "reproduce", "f" * 8, "--shell"]).output
    lines = out.splitlines()
    assert "rm -rf ~" not in [line.strip() for line in lines] and "touch /tmp/pwn" not in lines
    assert "cd '/a'\"'\"'; rm -rf ~; '\"'\"''" in lines  # quoted: one argument to cd
    assert "\x1b" not in out and "python t.py \\x1b[2J" in out
