"""Model signatures in MLflow's format: what a model takes and returns, inferred from examples.

``infer_signature(X, model.predict(X))`` gives a :class:`ModelSignature` whose
``to_dict()`` is what an ``MLmodel`` file stores: the input and output schemas as
JSON strings (columns with MLflow's type names for tables, tensor specs with numpy
dtypes and shapes for arrays), so MLflow's own loader reads it.  pandas and numpy
are only touched when the example is one of theirs.
"""

from __future__ import annotations

import json
from typing import Any

from tuitrack.errors import ValidationError

__all__ = ["ModelSignature", "infer_signature"]

# numpy dtype kind/size -> MLflow column type
_NUMPY_COLUMN = {
    ("f", 8): "double",
    ("f", 4): "float",
    ("f", 2): "float",
    ("i", 8): "long",
    ("i", 4): "integer",
    ("i", 2): "integer",
    ("i", 1): "integer",
    ("u", 4): "long",
    ("u", 2): "integer",
    ("u", 1): "integer",
    ("u", 8): "double",
}


class ModelSignature:
    """Input and output schemas (each a list of MLflow column or tensor specs), plus optional params."""

    def __init__(
        self,
        inputs: list[dict[str, Any]] | None = None,
        outputs: list[dict[str, Any]] | None = None,
        params: list[dict[str, Any]] | None = None,
    ):
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, str | None]:
        """The form an MLmodel file holds: each schema as a JSON string."""

        def enc(schema: list[dict[str, Any]] | None) -> str | None:
            return json.dumps(schema) if schema is not None else None

        return {"inputs": enc(self.inputs), "outputs": enc(self.outputs), "params": enc(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        def dec(text: Any) -> list[dict[str, Any]] | None:
            if text is None:
                return None
            return json.loads(text) if isinstance(text, str) else list(text)

        return cls(dec(data.get("inputs")), dec(data.get("outputs")), dec(data.get("params")))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSignature) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        def names(schema: list[dict[str, Any]] | None) -> str:
            if schema is None:
                return "None"
            return "[" + ", ".join(f"{s.get('name', '')}: {s.get('type')}".lstrip(": ") for s in schema) + "]"

        return f"<ModelSignature inputs={names(self.inputs)} outputs={names(self.outputs)}>"


def _dtype_column(dtype: Any, values: Any = None) -> str:
    kind, size = getattr(dtype, "kind", "O"), getattr(dtype, "itemsize", 0)
    if kind == "b":
        return "boolean"
    if kind in "fiu":
        return _NUMPY_COLUMN.get((kind, size), "double")
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    if kind == "U":
        return "string"
    # object / pandas extension dtypes: look at the values
    name = str(dtype).lower()
    if name in ("string", "str") or name.startswith("string"):
        return "string"
    if name.startswith("int") or name.startswith("uint"):
        return "long" if "64" in name else "integer"
    if name.startswith("float"):
        return "double" if "64" in name else "float"
    if name == "boolean":
        return "boolean"
    if values is not None:
        return _python_column(values)
    return "string"


def _python_column(values: Any) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string"
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "long"
    if kinds <= {int, float}:
        return "double"
    if kinds <= {bytes, bytearray}:
        return "binary"
    if all(k.__name__ in ("str", "str_") for k in kinds):
        return "string"
    if all(k.__name__ in ("Timestamp", "datetime", "datetime64") for k in kinds):
        return "datetime"
    return "string"


def _tensor(array: Any, name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "tensor",
        "tensor-spec": {"dtype": str(array.dtype), "shape": [-1, *list(array.shape[1:])]},
    }
    if name is not None:
        spec["name"] = name
    return spec


def infer_schema(data: Any) -> list[dict[str, Any]] | None:
    """MLflow's schema of an example: columns for tables and records, tensor specs for arrays."""
    if data is None:
        return None
    mod = type(data).__module__.split(".")[0]
    if mod == "pandas":
        if hasattr(data, "columns"):  # DataFrame
            return [
                {"type": _dtype_column(data[c].dtype, data[c].tolist()), "name": str(c), "required": True}
                for c in data.columns
            ]
        if hasattr(data, "dtype"):  # Series
            spec: dict[str, Any] = {"type": _dtype_column(data.dtype, data.tolist()), "required": True}
            if data.name is not None:
                spec = {"type": spec["type"], "name": str(data.name), "required": True}
            return [spec]
    if mod == "numpy" and hasattr(data, "dtype"):
        if getattr(data, "ndim", 0) == 0:
            return [{"type": _dtype_column(data.dtype), "required": True}]
        return [_tensor(data)]
    if isinstance(data, dict):
        if data and all(type(v).__module__.split(".")[0] == "numpy" and hasattr(v, "shape") for v in data.values()):
            return [_tensor(v, str(k)) for k, v in data.items()]
        return [{"type": _python_column([v]), "name": str(k), "required": True} for k, v in data.items()]
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(r, dict) for r in data):
            keys: list[str] = []
            for r in data:
                keys.extend(k for k in r if k not in keys)
            return [
                {
                    "type": _python_column([r.get(k) for r in data]),
                    "name": str(k),
                    "required": all(k in r for r in data),
                }
                for k in keys
            ]
        if data and all(isinstance(r, (list, tuple)) for r in data):
            width = max(len(r) for r in data)
            return [{"type": "tensor", "tensor-spec": {"dtype": _list_dtype(data), "shape": [-1, width]}}]
        return [{"type": _python_column(list(data)), "required": True}]
    if isinstance(data, (str, bytes, bool, int, float)):
        return [{"type": _python_column([data]), "required": True}]
    raise ValidationError(
        f"infer_signature: cannot describe a {type(data).__name__}; pass a DataFrame, Series, numpy array, dict or list"
    )


def _list_dtype(rows: Any) -> str:
    col = _python_column([v for r in rows for v in r])
    return {"double": "float64", "long": "int64", "boolean": "bool", "string": "object"}.get(col, "object")


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """The signature of a model from an example input and (optionally) its output, as MLflow infers it."""
    param_schema = None
    if params:
        param_schema = [
            {
                "name": str(k),
                "type": _python_column([v]) if not isinstance(v, (list, tuple)) else _python_column(list(v)),
                "default": v,
                "shape": None if not isinstance(v, (list, tuple)) else [-1],
            }
            for k, v in params.items()
        ]
    return ModelSignature(infer_schema(model_input), infer_schema(model_output), param_schema)
