"""Where a model URI points on this machine: ``runs:/<run id or prefix>/<path>``, a folder, ``file://``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tuitrack.errors import ValidationError


def local_model_path(model_uri: str | os.PathLike[str], store: Any = None) -> Path:
    """The local folder (or file) a model URI names; ``models:/`` is refused with the alternative."""
    if isinstance(model_uri, os.PathLike):
        model_uri = os.fspath(model_uri)
    if not isinstance(model_uri, str) or not model_uri:
        raise ValidationError(
            f"model URI must look like 'runs:/<run_id>/<name>' (or be a model folder's path), got {model_uri!r}"
        )
    if model_uri.startswith("models:/"):
        raise ValidationError(
            f"model URI {model_uri!r} names MLflow's model registry, which tuitrack does not have; load the model "
            "from the run that logged it, 'runs:/<run_id>/<name>' (log_model returns it as .model_uri), or from "
            "a local model folder"
        )
    if model_uri.startswith("runs:/"):
        if store is None:
            from tuitrack.tracking.session import open_store  # the store only when a run is named

            store = open_store()
        rest = model_uri[len("runs:/") :].strip("/")
        if "/" not in rest:
            raise ValidationError(f"model URI {model_uri!r} names no model: expected 'runs:/<run_id>/<name>'")
        run_ref, rel = rest.split("/", 1)
        return store.artifact_file(run_ref, rel)
    parsed = urlparse(model_uri)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise ValidationError(
            f"model URI {model_uri!r} must look like 'runs:/<run_id>/<name>' or be a local model "
            f"folder: tuitrack does not read {parsed.scheme}: URIs"
        )
    else:
        path = Path(model_uri).expanduser()
    if not path.exists():
        raise ValidationError(
            f"model URI {model_uri!r} must look like 'runs:/<run_id>/<name>' or name an existing "
            f"model folder ({path} does not exist)"
        )
    return path
