"""Reader of MLflow's file store: ``mlruns/<experiment_id>/<run_id>/{meta.yaml,params,metrics,tags,artifacts}``.

Metric files hold one point per line, ``timestamp value step`` (old MLflow wrote
no step: it is 0 then; MLflow 3 may add the model id or the dataset's name and digest
after the step).  Keys with ``/`` are nested folders.  ``.trash`` holds deleted
experiments, which are skipped like MLflow's UI skips them.  MLflow 3 also writes
``<experiment>/tags/`` (experiment tags), ``<experiment>/datasets/<id>/meta.yaml`` with
``<run>/inputs/<id>/meta.yaml`` linking a run to them, and logged models under
``<experiment>/models/<model id>/`` (named from the run by ``<run>/outputs/<model id>``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tuitrack.errors import TuitrackError
from tuitrack.importers.source import SourceExperiment, SourceInput, SourceRun

_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class ImportFormatError(TuitrackError):
    """A file of the source store that cannot be read as MLflow wrote it."""


def read_meta(path: Path) -> dict[str, Any]:
    """Parse a meta.yaml (PyYAML when installed, else tuitrack's reader of the YAML MLflow writes)."""
    from tuitrack import yaml_text

    try:
        data = yaml_text.load(path.read_text(encoding="utf-8"))
    except yaml_text.YamlError as exc:
        raise ImportFormatError(f"{path} cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ImportFormatError(f"{path} does not hold a mapping")
    return data


def _read_tree(folder: Path) -> dict[str, str]:
    """key -> file content for params/ and tags/ (nested folders make ``a/b`` keys)."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


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
            if len(parts) < 2:
                raise ImportFormatError(f"{p}:{n}: expected 'timestamp value step', got {line!r}")
            try:
                ts, value = int(parts[0]), float(parts[1])
                step = int(parts[2]) if len(parts) >= 3 else 0
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
        return [
            SourceExperiment(
                name=str(m.get("name") or d.name),
                created_at=m.get("creation_time"),
                deleted=m.get("lifecycle_stage") == "deleted",
                tags=_read_tree(d / "tags"),
            )
            for d, m in self._exp_dirs
        ]

    def runs(self) -> list[tuple[str, Callable[[], SourceRun]]]:
        out: list[tuple[str, Callable[[], SourceRun]]] = []
        for d, meta in self._exp_dirs:
            exp_name = str(meta.get("name") or d.name)
            for run_dir in sorted(p for p in d.iterdir() if p.is_dir() and (p / "meta.yaml").is_file()):
                out.append((run_dir.name, partial(self._load, run_dir, exp_name)))
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
            run_id=str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name),
            experiment=exp_name,
            name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
            status=_STATUS.get(status, str(status)) if isinstance(status, int) else str(status or "FINISHED"),
            start_time=int(start) if start is not None else 0,
            end_time=int(meta["end_time"]) if meta.get("end_time") is not None else None,
            user=meta.get("user_id") or tags.get("mlflow.user"),
            deleted=meta.get("lifecycle_stage") == "deleted",
            deleted_time=meta.get("deleted_time"),
            params=_read_tree(run_dir / "params"),
            tags=tags,
            metrics=_read_metrics(run_dir / "metrics"),
            artifact_dir=artifacts if artifacts.is_dir() else None,
            inputs=self._inputs(run_dir),
            models=self._models(run_dir),
        )

    def _inputs(self, run_dir: Path) -> list[SourceInput]:
        """The run's dataset inputs: ``inputs/<id>/meta.yaml`` pointing at ``../../datasets/<id>/meta.yaml``."""
        out: list[SourceInput] = []
        folder = run_dir / "inputs"
        if not folder.is_dir():
            return out
        for link in sorted(p / "meta.yaml" for p in folder.iterdir() if (p / "meta.yaml").is_file()):
            meta = read_meta(link)
            if meta.get("source_type") != "DATASET":
                continue
            ds_meta = run_dir.parent / "datasets" / str(meta.get("source_id")) / "meta.yaml"
            if not ds_meta.is_file():
                raise ImportFormatError(
                    f"{link} names dataset {meta.get('source_id')!r}, which {ds_meta.parent.parent} does not hold"
                )
            ds = read_meta(ds_meta)
            tags = meta.get("tags") or {}
            out.append(
                SourceInput(
                    name=str(ds.get("name") or "dataset"),
                    digest=_text(ds.get("digest")),
                    source_type=_text(ds.get("source_type")),
                    source=_text(ds.get("source")),
                    schema=_text(ds.get("schema")),
                    profile=_text(ds.get("profile")),
                    context=_text(tags.get("mlflow.data.context")) if isinstance(tags, dict) else None,
                )
            )
        return out

    def _models(self, run_dir: Path) -> list[tuple[str, str, Path]]:
        """MLflow 3 logged models of the run: ``outputs/<model id>`` names ``../../models/<model id>/``."""
        out: list[tuple[str, str, Path]] = []
        folder = run_dir / "outputs"
        if not folder.is_dir():
            return out
        for link in sorted(p for p in folder.iterdir() if (p / "meta.yaml").is_file()):
            model_dir = run_dir.parent / "models" / link.name
            if not (model_dir / "meta.yaml").is_file():
                continue  # the model was deleted; the run keeps no trace of it either in MLflow's UI
            meta = read_meta(model_dir / "meta.yaml")
            artifacts = model_dir / "artifacts"
            if not artifacts.is_dir():
                artifacts = local_dir(meta.get("artifact_location")) or artifacts
            if artifacts.is_dir():
                out.append((str(meta.get("name") or link.name), link.name, artifacts))
        return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value)
    return str(value)


def finite_or_inf(value: float) -> float:
    """MLflow's SQL store clamps +/-inf to +/-float max; give the infinity back."""
    if math.isfinite(value) and abs(value) >= 1.7976931348623157e308:
        return math.copysign(math.inf, value)
    return value
