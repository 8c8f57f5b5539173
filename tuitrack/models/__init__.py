"""MLflow's ``mlflow.models``: signatures and the MLmodel format (``infer_signature``, ``ModelSignature``,
``Model``, ``ModelInfo``).  Standard library only; pandas/numpy are used only on their own objects."""

from __future__ import annotations

from tuitrack.models.model import Model, ModelInfo
from tuitrack.models.signature import ModelSignature, infer_signature

__all__ = ["Model", "ModelInfo", "ModelSignature", "infer_signature"]
