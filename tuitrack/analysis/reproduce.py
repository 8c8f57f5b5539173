"""What reruns a run: command, working directory, git state, Python and packages, data, models.

``build`` gathers it from what start_run recorded (the command line, the ``tuitrack.*``
tags, the package list, ``log_input`` records, artifacts); ``shell`` prints it as a shell
snippet; ``report`` as readable lines.  Packages and the Python version are compared with a
reference: the current environment (the default of ``tuitrack reproduce``) or another run.
Pure, except :func:`gather` (reads a store through its public methods) and
:func:`current_environment`.
"""

from __future__ import annotations

import platform
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tuitrack.analysis.diff import ADDED, CHANGED, REMOVED, Change, diff_mappings

GIT_DIFF_ARTIFACT = "tuitrack/git-diff.patch"
_MODEL_FILES = ("MLmodel.json", "MLmodel")


@dataclass
class Recipe:
    run_id: str
    run_name: str
    start_time: int
    command: str | None
    cwd: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    git_diff: str | None  # the artifact holding the dirty tree's diff
    git_diff_note: str | None  # why it was not stored
    python: str | None
    platform: str | None
    artifact_dir: Path | None
    packages: dict[str, str] = field(default_factory=dict)
    inputs: list[Any] = field(default_factory=list)  # DatasetInput
    models: list[str] = field(default_factory=list)
    reference: str = ""  # "this environment" or "run abc12345 (name)"
    reference_python: str | None = None
    package_changes: list[Change] = field(default_factory=list)  # run (a) -> reference (b)

    @property
    def to_install(self) -> list[Change]:
        """Packages the reference lacks or has at another version: what ``pip install`` must fix."""
        return [c for c in self.package_changes if c.kind in (REMOVED, CHANGED)]

    @property
    def extra(self) -> list[Change]:
        """Packages only the reference has."""
        return [c for c in self.package_changes if c.kind == ADDED]

    def load_model_line(self, path: str) -> str:
        return f'model = tuitrack.load_model("runs:/{self.run_id}/{path}")'


def model_paths(artifact_paths: Sequence[str]) -> list[str]:
    """Artifact folders holding a logged model (an ``MLmodel.json``, or MLflow's ``MLmodel``)."""
    out = set()
    for path in artifact_paths:
        folder, _, name = path.rpartition("/")
        if name in _MODEL_FILES:
            out.add(folder or ".")
    return sorted(out)


def _artifact_dir(uri: str | None) -> Path | None:
    if not uri or not uri.startswith("file:"):
        return None
    return Path(unquote(urlparse(uri).path))


def build(
    run: Any,
    inputs: Sequence[Any],
    artifact_paths: Sequence[str],
    packages: Mapping[str, str],
    *,
    reference_packages: Mapping[str, str] | None = None,
    reference_python: str | None = None,
    reference: str = "",
) -> Recipe:
    """A :class:`Recipe` from a ``Run`` and its reads; packages compared with ``reference_packages`` if given."""
    tags = run.data.tags
    dirty = tags.get("tuitrack.git.dirty")
    diff_tag = tags.get("tuitrack.git.diff")
    has_diff = GIT_DIFF_ARTIFACT in artifact_paths
    recipe = Recipe(
        run_id=run.info.run_id,
        run_name=run.info.run_name,
        start_time=run.info.start_time,
        command=run.info.source,
        cwd=tags.get("tuitrack.cwd"),
        git_commit=tags.get("tuitrack.git.commit"),
        git_branch=tags.get("tuitrack.git.branch"),
        git_dirty=None if dirty is None else dirty == "true",
        git_diff=GIT_DIFF_ARTIFACT if has_diff else None,
        git_diff_note=None if has_diff else diff_tag,
        python=tags.get("tuitrack.python"),
        platform=tags.get("tuitrack.platform"),
        artifact_dir=_artifact_dir(run.info.artifact_uri),
        packages=dict(packages),
        inputs=list(inputs),
        models=model_paths(artifact_paths),
        reference=reference,
        reference_python=reference_python,
    )
    if reference_packages is not None and packages:
        recipe.package_changes = [c for c in diff_mappings(packages, reference_packages) if c.kind != "same"]
    return recipe


def current_environment() -> tuple[dict[str, str], str]:
    """(installed packages, Python version) of this process: the default reference."""
    from tuitrack.tracking.capture import installed_packages

    return installed_packages(), platform.python_version()


def gather(store: Any, ref: str, *, against: str | None = None) -> Recipe:
    """The recipe of run ``ref``; packages compared with run ``against``, else with this environment."""
    run = store.get_run(ref)
    packages = store.get_packages(run.id)
    if against is not None:
        other = store.get_run(against)
        ref_packages, ref_python = store.get_packages(other.id), other.data.tags.get("tuitrack.python")
        label = f"run {other.id[:8]} ({other.info.run_name})"
    else:
        ref_packages, ref_python = current_environment()
        label = "this environment"
    paths = [a.path for a in store.list_artifacts(run.id)]
    return build(
        run,
        store.list_inputs(run.id),
        paths,
        packages,
        reference_packages=ref_packages,
        reference_python=ref_python,
        reference=label,
    )


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def report(r: Recipe) -> list[tuple[str, str]]:
    """(label, value) lines for people: what ran, where, with what, and how it differs from the reference."""
    out: list[tuple[str, str]] = [
        ("run", f"{r.run_id}  {r.run_name}"),
        ("started", _when(r.start_time)),
        ("command", r.command or "not recorded"),
        ("cwd", r.cwd or "not recorded"),
    ]
    if r.git_commit:
        git = r.git_commit + (f" on {r.git_branch}" if r.git_branch else "")
        if r.git_dirty:
            git += ", dirty: " + (
                f"diff stored as artifact {r.git_diff}" if r.git_diff else r.git_diff_note or "its diff was not stored"
            )
        elif r.git_dirty is False:
            git += ", clean"
        out.append(("git", git))
    else:
        out.append(("git", "not a git checkout (or not recorded)"))
    py = r.python or "not recorded"
    if r.reference and r.reference_python and r.python and r.reference_python != r.python:
        py += f" ({r.reference}: {r.reference_python})"
    out.append(("python", py + (f" on {r.platform}" if r.platform else "")))
    if not r.packages:
        out.append(("packages", "not recorded"))
    elif r.reference:
        if not r.package_changes:
            out.append(("packages", f"{len(r.packages)}, the same as {r.reference}"))
        else:
            out.append(("packages", f"{len(r.packages)}; {len(r.package_changes)} differ from {r.reference}:"))
            for c in r.package_changes:
                if c.kind == CHANGED:
                    out.append(
                        (
                            "",
                            f"~ {c.path} {c.a} (here {c.b})"
                            if r.reference == "this environment"
                            else f"~ {c.path} {c.a} -> {c.b}",
                        )
                    )
                elif c.kind == REMOVED:
                    out.append(("", f"- {c.path} {c.a} (missing from {r.reference})"))
                else:
                    out.append(("", f"+ {c.path} {c.b} (only in {r.reference})"))
    for i in r.inputs:
        detail = " ".join(
            x
            for x in (
                i.source or "",
                f"sha256 {i.digest}" if i.digest else "",
                f"{i.rows} rows" if i.rows is not None else "",
                f"[{i.context}]" if i.context else "",
            )
            if x
        )
        out.append(("data", f"{i.name}: {detail or 'no details recorded'}"))
    if not r.inputs:
        out.append(("data", "no inputs logged (log_input records them)"))
    for path in r.models:
        out.append(("model", r.load_model_line(path)))
    return out


def shell(r: Recipe) -> str:
    """A shell snippet that sets up and reruns the run (comments say what could not be recorded)."""
    q = shlex.quote
    lines = [
        "#!/bin/sh",
        f"# Reproduce run {r.run_id} ({_oneline(r.run_name)}), started {_when(r.start_time)}",
        "set -e",
    ]
    if r.python:
        note = (
            f"; {r.reference} has {r.reference_python}" if r.reference_python and r.reference_python != r.python else ""
        )
        lines.append(f"# python {r.python}{note}")
    lines.append(f"cd {q(r.cwd)}" if r.cwd else "# working directory not recorded")
    if r.git_commit:
        lines.append(
            f"git checkout {q(r.git_commit)}" + (f"  # was on branch {_oneline(r.git_branch)}" if r.git_branch else "")
        )
        if r.git_dirty and r.git_diff and r.artifact_dir is not None:
            lines.append(f"git apply {q(str(r.artifact_dir / r.git_diff))}  # the tree was dirty")
        elif r.git_dirty:
            lines.append(f"# the tree was dirty and its diff was not stored ({_oneline(r.git_diff_note or 'unknown')})")
    else:
        lines.append("# no git commit recorded")
    if r.to_install:
        pins = " ".join(q(f"{c.path}=={c.a}") for c in r.to_install)
        lines.append(f"python -m pip install {pins}  # {len(r.to_install)} differ from {r.reference}")
    elif r.packages and r.reference:
        lines.append(f"# packages: the same as {r.reference}")
    if r.extra:
        lines.append(
            f"# also in {r.reference}, not in the run: "
            + ", ".join(_oneline(c.path) for c in r.extra[:20])
            + (" ..." if len(r.extra) > 20 else "")
        )
    for i in r.inputs:
        lines.append(
            f"# data {_oneline(i.name)}: {_oneline(i.source or '(in memory)')} sha256 {i.digest or '-'}"
            + (f" ({i.rows} rows)" if i.rows is not None else "")
        )
    lines.append(r.command if r.command else "# command line not recorded")
    for path in r.models:
        lines.append(f"# python -c {q('import tuitrack; ' + r.load_model_line(path))}")
    return "\n".join(lines) + "\n"


def _oneline(text: str) -> str:
    """A value safe inside a shell comment: no newline can end the comment and start a command."""
    return text.replace("\r", " ").replace("\n", " ")
