"""Reader of MLflow's file store: ``mlruns/<experiment_id>/<run_id>/{meta.yaml,params,metrics,tags,artifacts}``.

Metric files hold one point per line, ``timestamp value step`` (old MLflow wrote
no step: it is 0 then).  Keys with ``/`` are nested folders.  ``.trash`` holds
deleted experiments, which are skipped like MLflow's UI skips them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tuitrack.errors import TuitrackError
from tuitrack.importers.source import SourceExperiment, SourceRun

_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class ImportFormatError(TuitrackError):
    """A file of the source store that cannot be read as MLflow wrote it."""


def _scalar(text: str) -> Any:
    """One YAML scalar as MLflow's meta.yaml writes it (quoted string, int, null, bool or plain text)."""
    text = text.strip()
    if text in ("null", "~", ""):
        return None
    if text == "[]":
        return []
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        import json

        return json.loads(text)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def read_meta(path: Path) -> dict[str, Any]:
    """Parse a flat meta.yaml; uses PyYAML when installed (multi-line values), else a strict flat reader."""
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ImportFormatError(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ImportFormatError(f"{path} does not hold a mapping")
        return data
    out: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith((" ", "-")) or ":" not in line:
            raise ImportFormatError(f"{path}:{n}: cannot read {line!r} without PyYAML (pip install pyyaml)")
        key, _, value = line.partition(":")
        out[key.strip()] = _scalar(value)
    return out


def _read_tree(folder: Path) -> dict[str, str]:
    """key -> file content for params/ and tags/ (nested folders make ``a/b`` keys)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _read_metrics(folder: Path) -> list[tuple[str, float, int, int]]:
    points: list[tuple[str, float, int, int]] = []
    if not folder.is_dir():
        return points
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        key = p.relative_to(folder).as_posix()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise ImportFormatError(f"{p}:{n}: expected 'timestamp value step', got {line!r}")
            try:
                ts, value = int(parts[0]), float(parts[1])
                step = int(parts[2]) if len(parts) == 3 else 0
            except ValueError:
                raise ImportFormatError(f"{p}:{n}: expected 'timestamp value step', got {line!r}") from None
            points.append((key, value, step, ts))
    return points


def local_dir(uri: str | None) -> Path | None:
    """The local folder of a ``file://`` URI or plain path; None for remote URIs."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # a plain path (or a Windows drive letter)
        return Path(uri)
    return None


class FileStoreReader:
    """Lists the experiments and runs of an ``mlruns`` folder; each run is read only when loaded."""

    def __init__(self, root: Path):
        self.root = root
        self._exp_dirs: list[tuple[Path, dict[str, Any]]] = []
        for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            meta_path = d / "meta.yaml"
            if meta_path.is_file():
                self._exp_dirs.append((d, read_meta(meta_path)))
        if not self._exp_dirs:
            raise ImportFormatError(f"{root} holds no MLflow experiments (no <id>/meta.yaml folders)")

    def experiments(self) -> list[SourceExperiment]:
        return [SourceExperiment(name=str(m.get("name") or d.name), created_at=m.get("creation_time"),
                                 deleted=m.get("lifecycle_stage") == "deleted") for d, m in self._exp_dirs]

    def runs(self) -> list[tuple[str, Callable[[], SourceRun]]]:
        out = []
        for d, meta in self._exp_dirs:
            exp_name = str(meta.get("name") or d.name)
            for run_dir in sorted(p for p in d.iterdir() if p.is_dir() and (p / "meta.yaml").is_file()):
                out.append((run_dir.name, lambda run_dir=run_dir, exp_name=exp_name: self._load(run_dir, exp_name)))
        return out

    def _load(self, run_dir: Path, exp_name: str) -> SourceRun:
        meta = read_meta(run_dir / "meta.yaml")
        tags = _read_tree(run_dir / "tags")
        status = meta.get("status")
        artifacts = run_dir / "artifacts"
        if not artifacts.is_dir():
            artifacts = local_dir(meta.get("artifact_uri")) or artifacts
        start = meta.get("start_time")
        return SourceRun(
            run_id=str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name), experiment=exp_name,
            name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
            status=_STATUS.get(status, str(status)) if isinstance(status, int) else str(status or "FINISHED"),
            start_time=int(start) if start is not None else 0,
            end_time=int(meta["end_time"]) if meta.get("end_time") is not None else None,
            user=meta.get("user_id") or tags.get("mlflow.user"),
            deleted=meta.get("lifecycle_stage") == "deleted",
            deleted_time=meta.get("deleted_time"),
            params=_read_tree(run_dir / "params"), tags=tags, metrics=_read_metrics(run_dir / "metrics"),
            artifact_dir=artifacts if artifacts.is_dir() else None,
        )


def finite_or_inf(value: float) -> float:
    """MLflow's SQL store clamps +/-inf to +/-float max; give the infinity back."""
    if math.isfinite(value) and abs(value) >= 1.7976931348623157e308:
        return math.copysign(math.inf, value)
    return value
