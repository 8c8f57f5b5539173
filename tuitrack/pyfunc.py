"""``mlflow.pyfunc`` for tuitrack: ``load_model(uri).predict(X)`` on MLflow-format models.

Reads the model's ``MLmodel``; scikit-learn models (tuitrack's or MLflow's) and
tuitrack's generic pickled models are supported.  Records (a dict or a list of
dicts) given to ``predict`` become a pandas DataFrame with the signature's columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuitrack.errors import ValidationError
from tuitrack.models.model import Model

__all__ = ["PyFuncModel", "load_model"]


class PyFuncModel:
    """A loaded model with MLflow's pyfunc interface: ``predict``, ``metadata``, ``get_raw_model``."""

    def __init__(self, model: Any, metadata: Model, predict_fn: str = "predict"):
        self._model = model
        self.metadata = metadata
        self._predict_fn = predict_fn

    @property
    def loader_module(self) -> str | None:
        conf = self.metadata.flavors.get("python_function") or {}
        return conf.get("loader_module")

    def get_raw_model(self) -> Any:
        return self._model

    def unwrap_python_model(self) -> Any:
        return self._model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        fn = getattr(self._model, self._predict_fn, None)
        if fn is None:
            raise ValidationError(f"the model ({type(self._model).__name__}) has no {self._predict_fn}()")
        return fn(_as_input(data, self.metadata))

    def __repr__(self) -> str:
        flavor = ", ".join(k for k in self.metadata.flavors if k != "python_function") or "python_function"
        return (
            f"mlflow.pyfunc.loaded_model:\n  artifact_path: {self.metadata.artifact_path}\n  flavor: {flavor}\n"
            f"  run_id: {self.metadata.run_id}"
        )


def _as_input(data: Any, meta: Model) -> Any:
    records = [data] if isinstance(data, dict) else data
    if isinstance(records, list) and records and all(isinstance(r, dict) for r in records):
        try:
            import pandas as pd
        except ImportError:
            raise ValidationError("predict on records (dicts) needs pandas: pip install pandas") from None
        frame = pd.DataFrame(records)
        cols = [
            c.get("name")
            for c in (meta.signature.inputs if meta.signature and meta.signature.inputs else [])
            if c.get("type") != "tensor"
        ]
        if cols and all(c in frame.columns for c in cols):
            frame = frame[cols]
        return frame
    return data


def load_model(
    model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None, model_config: Any = None
) -> PyFuncModel:
    """Load a model folder (``runs:/<run_id>/<name>``, a path or ``file://`` URI) as a pyfunc model."""
    from tuitrack import sklearn as _sk
    from tuitrack.model_uri import local_model_path

    folder = local_model_path(model_uri)
    if folder.is_dir() and not (folder / "MLmodel").is_file() and (folder / "MLmodel.json").is_file():
        from tuitrack.tracking.artifacts import load_model_folder

        raw = load_model_folder(folder)
        return PyFuncModel(raw, Model(flavors={"python_function": {}}))
    meta = Model.load(folder)
    conf = meta.flavors.get("python_function")
    if conf is None:
        raise ValidationError(f"{folder} has no python_function flavor (flavors: {', '.join(meta.flavors)})")
    loader = conf.get("loader_module")
    if loader == "mlflow.sklearn" or "sklearn" in meta.flavors:
        raw = _sk._load_from(Path(folder))
    elif "tuitrack_pickle" in meta.flavors:
        from tuitrack.tracking.artifacts import load_model_folder

        raw = load_model_folder(folder)
    else:
        raise ValidationError(
            f"tuitrack cannot load models of loader_module {loader!r} (supported: mlflow.sklearn "
            "and tuitrack's pickled models); load it with MLflow"
        )
    return PyFuncModel(raw, meta, str(conf.get("predict_fn") or "predict"))


def _load_pyfunc(path: str) -> Any:
    """MLflow's loader hook: ``mlflow.pyfunc.load_model`` on a model tuitrack pickled (loader_module
    ``tuitrack.pyfunc``) calls this with the model file's path when tuitrack is installed there."""
    from tuitrack.tracking.artifacts import load_model_folder

    p = Path(path)
    return load_model_folder(p if p.is_dir() else p.parent)
