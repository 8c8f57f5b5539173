"""The checks CI runs before the tests, the pre-commit hooks and the pinned tools cannot drift apart.

``.ci/run`` runs lint-imports, ruff format --check, ruff check and mypy; ``.pre-commit-config.yaml`` runs
the same four (local hooks: this venv's tools); constraints.txt pins the versions of the dev extra's tools.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = {"lint-imports": "lint-imports", "ruff format": "ruff-format", "ruff check": "ruff", "mypy": "mypy"}


def test_ci_runs_every_check_before_the_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.split("#", 1)[0].strip() for line in ci.splitlines()]
    tests_at = next(i for i, c in enumerate(commands) if "python -m pytest" in c)
    for check in ("lint-imports", "ruff format --check .", "ruff check .", "mypy"):
        assert check in commands, f".ci/run does not run {check!r}"
        assert commands.index(check) < tests_at, f".ci/run runs {check!r} after the tests"


def test_pre_commit_hooks_run_the_same_checks_with_this_venvs_tools() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    for command, hook_id in CHECKS.items():
        assert hook_id in hooks, f"no pre-commit hook {hook_id!r}"
        hook = hooks[hook_id]
        assert hook["entry"].startswith(command), hook
        assert hook["language"] == "system", f"{hook_id}: a hook with its own environment could differ from CI"


def test_the_dev_tools_are_pinned() -> None:
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    for tool in ("ruff", "mypy", "import-linter"):
        assert re.search(rf"^{re.escape(tool)}==\S+", pins, re.M), f"constraints.txt does not pin {tool}"
