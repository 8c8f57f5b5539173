"""MLflow's model format, written and read without MLflow.

A model folder holds ``MLmodel`` (YAML: flavors, signature, input example info,
ids), the serialized model, ``requirements.txt``, ``python_env.yaml`` and
``conda.yaml`` with the versions of the packages the model needs, and the input
example when one is given.  That is what ``mlflow.pyfunc.load_model`` and
``mlflow.sklearn.load_model`` read, so a model logged by tuitrack loads in MLflow,
and one logged by MLflow (and imported) loads here.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tuitrack import yaml_text
from tuitrack.errors import ValidationError
from tuitrack.models.signature import ModelSignature

__all__ = ["MLMODEL", "Model", "ModelInfo", "package_version", "write_environment", "write_input_example"]

MLMODEL = "MLmodel"


def package_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def new_model_id(run_id: str | None = None, name: str | None = None) -> str:
    """MLflow 3's form of a logged model's id; a model logged into a run gets one derived from the run id
    and the model's name (so a deterministic run, like the demo's, logs a deterministic model)."""
    if run_id is None:
        return f"m-{uuid.uuid4().hex}"
    return f"m-{uuid.uuid5(uuid.NAMESPACE_URL, f'tuitrack:{run_id}/{name}').hex}"


def utc_time(ms: int) -> str:
    """MLmodel's ``utc_time_created`` form of epoch milliseconds."""
    return str(_dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).replace(tzinfo=None))


@dataclass
class Model:
    """The content of an ``MLmodel`` file."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_id: str | None = None
    artifact_path: str | None = None
    model_id: str | None = None
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    utc_time_created: str = field(default_factory=lambda: str(_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)))
    model_size_bytes: int | None = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.artifact_path is not None:
            out["artifact_path"] = self.artifact_path
        out["flavors"] = self.flavors
        out["is_signature_from_type_hint"] = False
        out["mlflow_version"] = None  # written by tuitrack, not by an MLflow version
        out["model_id"] = self.model_id
        if self.model_size_bytes is not None:
            out["model_size_bytes"] = self.model_size_bytes
        out["model_uuid"] = self.model_id or uuid.uuid4().hex
        if self.metadata:
            out["metadata"] = self.metadata
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        out["type_hint_from_example"] = False
        out["utc_time_created"] = self.utc_time_created
        out.update(self.extra)
        return out

    def save(self, folder: str | os.PathLike[str]) -> None:
        Path(folder, MLMODEL).write_text(yaml_text.dump(self.to_dict()), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read ``MLmodel`` from a model folder (or the file itself)."""
        p = Path(path)
        if p.is_dir():
            p = p / MLMODEL
        if not p.is_file():
            raise ValidationError(f"{p.parent} is not an MLflow model folder (no MLmodel file)")
        try:
            data = yaml_text.load(p.read_text(encoding="utf-8"))
        except yaml_text.YamlError as exc:
            raise ValidationError(f"{p} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise ValidationError(f"{p} does not hold a mapping")
        sig = data.get("signature")
        known = {
            "flavors",
            "run_id",
            "artifact_path",
            "model_id",
            "signature",
            "saved_input_example_info",
            "utc_time_created",
            "model_size_bytes",
            "metadata",
        }
        return cls(
            flavors=dict(data.get("flavors") or {}),
            run_id=data.get("run_id"),
            artifact_path=data.get("artifact_path"),
            model_id=data.get("model_id"),
            signature=ModelSignature.from_dict(sig) if isinstance(sig, dict) else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            utc_time_created=str(data.get("utc_time_created") or ""),
            model_size_bytes=data.get("model_size_bytes"),
            metadata=data.get("metadata"),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class ModelInfo:
    """What ``log_model`` returns, as MLflow 3's ``ModelInfo``: ``model_uri`` loads the model back."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_id: str
    run_id: str | None
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    utc_time_created: str = ""
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None

    @property
    def name(self) -> str:
        return self.artifact_path

    def __str__(self) -> str:  # code that used the old string return value keeps working in f-strings
        return self.model_uri


def write_environment(folder: Path, requirements: list[str]) -> None:
    """requirements.txt, python_env.yaml and conda.yaml for ``requirements`` (pip lines) on this Python.

    The build tools (pip, setuptools, wheel) are left unpinned: they do not change what the model loads with.
    """
    py = platform.python_version()
    # never an empty file: a model that needs nothing beyond Python says so (pip reads the comment as nothing)
    lines = requirements or ["# this model needs only the Python standard library"]
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "python_env.yaml").write_text(
        yaml_text.dump(
            {
                "python": py,
                "build_dependencies": ["pip", "setuptools", "wheel"],
                "dependencies": ["-r requirements.txt"],
            }
        ),
        encoding="utf-8",
    )
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={py}", "pip", {"pip": list(requirements)}],
        "name": "mlflow-env",
    }
    (folder / "conda.yaml").write_text(yaml_text.dump(conda), encoding="utf-8")


def pinned(dists: list[str]) -> list[str]:
    """``name==version`` for each installed distribution (uninstalled ones are left out)."""
    out = []
    for d in dists:
        v = package_version(d)
        if v is not None:
            out.append(f"{d}=={v}")
    return out


def requirements_for(default: list[str], pip_requirements: Any = None, extra_pip_requirements: Any = None) -> list[str]:
    """The model's pip lines: the given ``pip_requirements`` (a list or a requirements file path) or the
    defaults, plus ``extra_pip_requirements``."""

    def read(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, (str, os.PathLike)):
            text = Path(value).read_text(encoding="utf-8")
            return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        raise ValidationError(f"pip_requirements must be a list of strings or a file path, got {type(value).__name__}")

    reqs = read(pip_requirements) if pip_requirements is not None else list(default)
    for line in read(extra_pip_requirements):
        if line not in reqs:
            reqs.append(line)
    return reqs


def write_input_example(folder: Path, example: Any) -> dict[str, Any] | None:
    """Save an input example as MLflow does (input_example.json + serving_input_example.json); returns
    the ``saved_input_example_info`` for MLmodel."""
    if example is None:
        return None
    mod = type(example).__module__.split(".")[0]
    if mod == "pandas" and hasattr(example, "columns"):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        split.pop("index", None)
        return _save_example(folder, split, "dataframe")
    if mod == "numpy" and hasattr(example, "tolist"):
        return _save_example(folder, example.tolist(), "ndarray")
    if isinstance(example, dict) or (isinstance(example, list) and all(isinstance(r, dict) for r in example)):
        records = [example] if isinstance(example, dict) else example
        columns: list[str] = []
        for r in records:
            columns.extend(k for k in r if k not in columns)
        split = {"columns": columns, "data": [[r.get(c) for c in columns] for r in records]}
        return _save_example(folder, split, "dataframe", default=str)
    if isinstance(example, list):
        return _save_example(folder, example, "ndarray", default=str)
    raise ValidationError(
        f"input_example: cannot save a {type(example).__name__}; pass a DataFrame, numpy array, dict or list"
    )


def _save_example(folder: Path, data: Any, kind: str, default: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """``data`` as input_example.json, and as the request body MLflow's scoring server takes
    (``dataframe_split`` for a ``kind="dataframe"``, else ``inputs``) as serving_input_example.json;
    returns the ``saved_input_example_info``.  ``default``: json's, for values JSON has no type for."""
    serving = {"dataframe_split": data} if kind == "dataframe" else {"inputs": data}
    (folder / "input_example.json").write_text(json.dumps(data, default=default), encoding="utf-8")
    (folder / "serving_input_example.json").write_text(json.dumps(serving, indent=2, default=default), encoding="utf-8")
    info: dict[str, Any] = {"artifact_path": "input_example.json"}
    if kind == "dataframe":
        info["pandas_orient"] = "split"
    info["serving_input_path"] = "serving_input_example.json"
    info["type"] = kind
    return info


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
