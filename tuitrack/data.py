"""``mlflow.data`` for tuitrack: describe a DataFrame or array as a dataset and log it with ``log_input``.

``from_pandas(df, source="data/train.csv", name="train", targets="label")`` gives a
dataset with a name, a sha256 digest of its content, its source, its schema (MLflow's
column or tensor specs) and a profile (row and element counts, shapes), which
``log_input(dataset, context="training")`` records; ``get_run(id).inputs`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import urlparse

from tuitrack.errors import ValidationError
from tuitrack.models.signature import infer_schema

__all__ = ["Dataset", "DatasetSource", "NumpyDataset", "PandasDataset", "from_numpy", "from_pandas"]


class DatasetSource:
    """Where a dataset came from: a path or URI, or (no source given) the code that built it."""

    def __init__(self, uri: str | None):
        self.uri = uri

    @property
    def source_type(self) -> str:
        if self.uri is None:
            return "code"
        scheme = urlparse(self.uri).scheme
        return "local" if scheme in ("", "file") or len(scheme) == 1 else scheme

    def to_dict(self) -> dict[str, Any]:
        return {"uri": self.uri} if self.uri is not None else {}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"<DatasetSource {self.source_type} {self.uri!r}>"


def _source(source: Any) -> DatasetSource:
    if source is None or isinstance(source, DatasetSource):
        return source or DatasetSource(None)
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, str):
        return DatasetSource(source)
    uri = getattr(source, "uri", None)
    if isinstance(uri, str):
        return DatasetSource(uri)
    raise ValidationError(f"dataset source must be a path, URI or DatasetSource, got {type(source).__name__}")


class Dataset:
    """A described dataset: ``name``, ``digest``, ``source``, ``schema`` and ``profile``."""

    def __init__(
        self,
        name: str,
        digest: str,
        source: DatasetSource,
        schema: dict[str, Any] | None,
        profile: dict[str, Any] | None,
        rows: int | None,
    ):
        self.name = name
        self.digest = digest
        self.source = source
        self.schema = schema
        self.profile = profile
        self.rows = rows

    @property
    def source_type(self) -> str:
        return self.source.source_type

    def to_dict(self) -> dict[str, str]:
        """MLflow's string form (source, schema and profile as JSON text)."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self.source.to_json(),
            "source_type": self.source_type,
            "schema": json.dumps(self.schema) if self.schema else "",
            "profile": json.dumps(self.profile) if self.profile else "",
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest[:8]!r} rows={self.rows}>"


class PandasDataset(Dataset):
    def __init__(
        self, df: Any, name: str, digest: str, source: DatasetSource, targets: str | None, predictions: str | None
    ):
        schema = {"mlflow_colspec": infer_schema(df)}
        profile = {"num_rows": int(df.shape[0]), "num_elements": int(df.size)}
        super().__init__(name, digest, source, schema, profile, int(df.shape[0]))
        self.df = df
        self.targets = targets
        self.predictions = predictions


class NumpyDataset(Dataset):
    def __init__(self, features: Any, targets: Any, name: str, digest: str, source: DatasetSource):
        schema: dict[str, Any] = {"mlflow_tensorspec": {"features": json.dumps(infer_schema(features))}}
        profile: dict[str, Any] = {
            "features_shape": list(features.shape),
            "features_size": int(features.size),
            "features_nbytes": int(features.nbytes),
        }
        if targets is not None:
            schema["mlflow_tensorspec"]["targets"] = json.dumps(infer_schema(targets))
            profile.update(
                {
                    "targets_shape": list(targets.shape),
                    "targets_size": int(targets.size),
                    "targets_nbytes": int(targets.nbytes),
                }
            )
        rows = int(features.shape[0]) if features.shape else 1
        super().__init__(name, digest, source, schema, profile, rows)
        self.features = features
        self.targets = targets


def _frame_digest(df: Any) -> str:
    try:
        from pandas.util import hash_pandas_object

        return hashlib.sha256(hash_pandas_object(df, index=True).values.tobytes()).hexdigest()
    except Exception:
        return hashlib.sha256(df.to_csv().encode()).hexdigest()


def from_pandas(
    df: Any,
    source: Any = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> PandasDataset:
    """Describe a pandas DataFrame (``targets``: the label column, which must exist)."""
    if not (hasattr(df, "columns") and hasattr(df, "iloc")):
        raise ValidationError(f"from_pandas takes a pandas DataFrame, got {type(df).__name__}")
    for col, what in ((targets, "targets"), (predictions, "predictions")):
        if col is not None and col not in df.columns:
            raise ValidationError(f"from_pandas: {what} column {col!r} is not in the DataFrame")
    return PandasDataset(df, name or "dataset", digest or _frame_digest(df), _source(source), targets, predictions)


def from_numpy(
    features: Any, source: Any = None, targets: Any = None, name: str | None = None, digest: str | None = None
) -> NumpyDataset:
    """Describe a numpy array of features (and optionally targets)."""
    if not (hasattr(features, "shape") and hasattr(features, "tobytes")):
        raise ValidationError(f"from_numpy takes a numpy array, got {type(features).__name__}")
    if digest is None:
        h = hashlib.sha256(features.tobytes())
        if targets is not None:
            h.update(targets.tobytes())
        digest = h.hexdigest()
    return NumpyDataset(features, targets, name or "dataset", digest, _source(source))


def dataset_of(X: Any, y: Any = None) -> Dataset | None:
    """The dataset autologging records for ``fit(X, y)``: pandas or numpy inputs, else None."""
    mod = type(X).__module__.split(".")[0]
    if mod == "pandas" and hasattr(X, "columns"):
        return from_pandas(X)
    if mod == "numpy" and hasattr(X, "tobytes"):
        targets = y if type(y).__module__.split(".")[0] == "numpy" else None
        return from_numpy(X, targets=targets)
    return None
