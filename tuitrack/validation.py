"""Validation of keys, values, names and artifact paths (MLflow's rules).

Pure functions with no I/O: the logging API, the CLI and the TUI editor all call
these, so every entry point refuses the same input with the same message.
"""

from __future__ import annotations

import math
import numbers
import re
from pathlib import PurePosixPath
from typing import Any

from tuitrack.errors import ValidationError

MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_RUN_NAME = 500
MAX_NOTE = 100_000
_KEY_RE = re.compile(r"^[/\w.\- ]+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: A run id (MLflow's rule, ASCII only): a letter or digit, then letters, digits, '_' or '-'.
#: No '.', no separator, never empty: an id is also a folder name under the store's artifacts/.
MAX_RUN_ID = 256
_RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,255}")


def validate_key(key: Any, what: str = "key") -> str:
    """Return ``key`` if it is a valid MLflow-style key, else raise naming the problem."""
    if not isinstance(key, str):
        raise ValidationError(f"{what} must be a string, got {type(key).__name__}: {key!r}")
    if not key:
        raise ValidationError(f"{what} must not be empty")
    if len(key) > MAX_KEY:
        raise ValidationError(f"{what} {key[:40]!r}... is {len(key)} characters long; the limit is {MAX_KEY}")
    if not _KEY_RE.fullmatch(key):
        raise ValidationError(
            f"{what} {key!r} contains characters other than letters, digits, '_', '-', '.', '/' and space"
        )
    if key.startswith("/") or "//" in key or ".." in key.split("/"):
        raise ValidationError(f"{what} {key!r} is not a valid path-like key (leading '/', '//' or '..')")
    return key


def run_id(value: Any, what: str = "run id") -> str:
    """Return ``value`` if it is a well-formed run id, else raise naming the problem.

    Every id that comes from outside (importers, ``start_run(run_id=...)``, id factories)
    passes here before it is stored or joined to a path.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}: {value!r}")
    if not value:
        raise ValidationError(f"{what} must not be empty")
    if len(value) > MAX_RUN_ID:
        raise ValidationError(f"{what} {value[:40]!r}... is {len(value)} characters long; the limit is {MAX_RUN_ID}")
    if not _RUN_ID_RE.fullmatch(value):
        raise ValidationError(
            f"{what} {value!r} is not a valid run id (letters, digits, '_' and '-' only, starting with a letter "
            "or digit; no '.', '/', '\\' or spaces)"
        )
    return value


def param_value(key: str, value: Any) -> str:
    """Params are stored as strings, like MLflow's ``str(value)``."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE:
        raise ValidationError(f"param {key!r}: value is {len(text)} characters long; the limit is {MAX_PARAM_VALUE}")
    return text


def tag_value(key: str, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE:
        raise ValidationError(f"tag {key!r}: value is {len(text)} characters long; the limit is {MAX_TAG_VALUE}")
    return text


def metric_value(key: str, value: Any) -> float:
    """Coerce a metric value to float; bool, str and non-scalars are refused by name."""
    if type(value) is float:
        return value
    if isinstance(value, (bool, str, bytes)):
        raise ValidationError(f"metric {key!r}: value must be a real number, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(f"metric {key!r}: value {value!r} is not representable as a float ({exc})") from None
    # numpy / torch scalars and 0-d arrays expose __float__; anything bigger fails there.
    if hasattr(value, "__float__") and not isinstance(value, complex):
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"metric {key!r}: value {value!r} is not a single real number ({exc})") from None
    raise ValidationError(f"metric {key!r}: value must be a real number, got {type(value).__name__} {value!r}")


def metric_step(key: str, step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise ValidationError(f"metric {key!r}: step must be an integer, got {type(step).__name__} {step!r}")
    step = int(step)
    if not -(2**63) <= step < 2**63:
        raise ValidationError(f"metric {key!r}: step {step} is out of the 64-bit range")
    return step


def metric_timestamp(key: str, ts: Any) -> int:
    if isinstance(ts, bool) or not isinstance(ts, numbers.Real) or (isinstance(ts, float) and not math.isfinite(ts)):
        raise ValidationError(f"metric {key!r}: timestamp must be milliseconds since the epoch, got {ts!r}")
    ts = int(ts) if isinstance(ts, numbers.Integral) else int(float(ts))  # a float's fraction of a ms is dropped
    if not -(2**63) <= ts < 2**63:
        raise ValidationError(f"metric {key!r}: timestamp {ts} is out of the 64-bit range")
    return ts


def run_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationError(f"run name must be a string, got {type(name).__name__}: {name!r}")
    if len(name) > MAX_RUN_NAME:
        raise ValidationError(f"run name is {len(name)} characters long; the limit is {MAX_RUN_NAME}")
    return name


def experiment_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationError(f"experiment name must be a string, got {type(name).__name__}: {name!r}")
    if not name.strip():
        raise ValidationError("experiment name must not be empty")
    if len(name) > MAX_KEY:
        raise ValidationError(f"experiment name is {len(name)} characters long; the limit is {MAX_KEY}")
    return name


def note_text(text: Any) -> str:
    if not isinstance(text, str):
        raise ValidationError(f"note must be a string, got {type(text).__name__}")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"note is {len(text)} characters long; the limit is {MAX_NOTE}")
    return text


def artifact_path(path: Any, what: str = "artifact path") -> str:
    """Normalise a relative artifact path; refuse anything that could leave the run's folder."""
    if path is None:
        return ""
    if not isinstance(path, str):
        path = str(path)
    if path in ("", "."):
        return ""
    if _CONTROL_RE.search(path):
        raise ValidationError(f"{what} {path!r} contains control characters")
    if "\\" in path:
        raise ValidationError(f"{what} {path!r} contains a backslash; use '/' to separate folders")
    p = PurePosixPath(path)
    if p.is_absolute():
        raise ValidationError(f"{what} {path!r} is absolute; artifact paths are relative to the run")
    parts = [part for part in p.parts if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise ValidationError(f"{what} {path!r} contains '..' and would escape the run's artifact folder")
    if any(len(part) > 255 for part in parts):
        raise ValidationError(f"{what} {path!r} has a path component longer than 255 characters")
    return "/".join(parts)
