"""What maps to what between a tuitrack run and an MLflow run, the server's limits, and the checks
applied to everything a server sends before it touches the store.

A run's *server view* is the tag dict it has (or should have) on the server: its own tags plus the
columns MLflow keeps as tags (name, note, parent, user, source) and tuitrack's own (host, error,
``tuitrack.run_id``).  Curation (tag, note, rename) is a change of that view, so one three-way
comparison (last agreed view, local view, server view) carries tags, notes and names both ways.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from tuitrack import validation
from tuitrack.sync.http import SyncError, one_line

# The server's limits (MLflow's validation; tag values: 5000, what older servers take).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_BATCH_BYTES = 1_000_000
BATCH_BYTES_BUDGET = 900_000  # JSON overhead and escaping leave a margin under the 1 MB limit
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 5000

RUN_ID_TAG = "tuitrack.run_id"
HOST_TAG = "tuitrack.host"
ERROR_TAG = "tuitrack.error"
EDITED_TAG = "tuitrack.edited_at"
PULLED_FROM_TAG = "tuitrack.pulled_from"
CONFLICT_TAG = "tuitrack.sync.conflict"
NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
PARENT_TAG = "mlflow.parentRunId"
USER_TAG = "mlflow.user"
SOURCE_TAG = "mlflow.source.name"

#: Server tags that become run columns locally (not kept as local tags).
COLUMN_TAGS = {NAME_TAG, NOTE_TAG, PARENT_TAG, USER_TAG, SOURCE_TAG, HOST_TAG, ERROR_TAG, RUN_ID_TAG, EDITED_TAG}
#: Local tags that never go to a server.
LOCAL_ONLY_TAGS = {PULLED_FROM_TAG, CONFLICT_TAG}
#: Tags left out of the three-way curation merge (identity and bookkeeping).
NOT_CURATED = {RUN_ID_TAG, EDITED_TAG}

STATUSES = {"RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"}
_RUN_ID_RE = re.compile(r"^[0-9a-zA-Z][0-9a-zA-Z_-]{0,63}$")
_MAX = 1.7976931348623157e308


def server_view(run: Any, parent_remote_id: str | None, *, with_identity: bool) -> dict[str, str]:
    """The tags ``run`` (a store.sync.LocalRun) has on a server."""
    tags = {k: v for k, v in run.tags.items() if k not in LOCAL_ONLY_TAGS and k not in COLUMN_TAGS}
    if run.name:
        tags[NAME_TAG] = run.name
    if run.note:
        tags[NOTE_TAG] = run.note
    if parent_remote_id:
        tags[PARENT_TAG] = parent_remote_id
    if run.user:
        tags[USER_TAG] = run.user
    if run.source:
        tags[SOURCE_TAG] = run.source
    if run.host:
        tags[HOST_TAG] = run.host
    if run.error:
        tags[ERROR_TAG] = run.error
    if with_identity:
        tags[RUN_ID_TAG] = run.run_id
    return tags


def encode_value(value: float) -> float | str:
    """A metric value as MLflow's JSON takes it (NaN and infinities as the strings protobuf reads)."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def decode_value(value: Any) -> float:
    """A metric value from the server: strings NaN/Infinity, and the largest double a SQL-backed server
    stores for an infinity read back as that infinity."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("nan", "-nan"):
            return math.nan
        if text in ("infinity", "inf", "+infinity"):
            return math.inf
        if text in ("-infinity", "-inf"):
            return -math.inf
        try:
            return float(value)
        except ValueError:
            raise SyncError(f"the server sent a metric value that is not a number: {one_line(value)!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SyncError(f"the server sent a metric value that is not a number: {one_line(repr(value))}")
    value = float(value)
    if value == _MAX:
        return math.inf
    if value == -_MAX:
        return -math.inf
    return value


def point_key(step: int, ts: int, value: float) -> tuple[int, int, Any]:
    """A point's identity for comparing histories (NaN equal to NaN)."""
    return (step, ts, "nan" if value != value else value)


def valid_run_id(run_id: Any) -> str:
    """A server's run id, refused unless it is a plain id (it becomes a local id and a folder name)."""
    if not isinstance(run_id, str) or not _RUN_ID_RE.match(run_id):
        raise SyncError(f"the server sent an unusable run id {one_line(repr(run_id))}")
    return run_id


def safe_relpath(path: Any) -> str:
    """An artifact path from the server, refused when it could leave the run's folder."""
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise SyncError(f"the server listed an unsafe artifact path {one_line(repr(path))}")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or re.match(r"^[A-Za-z]:", path):
        raise SyncError(f"the server listed an unsafe artifact path {one_line(repr(path))}")
    return path


def int_field(doc: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    """An int64 field of MLflow's JSON (sent as a number or a string)."""
    value = doc.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SyncError(f"the server sent a bad {key}: {one_line(repr(value))}") from None


def kv_list(items: Any) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` as a dict, keeping only string keys and values that are valid keys."""
    out: dict[str, str] = {}
    for item in items or []:
        if not isinstance(item, dict):
            continue
        k, v = item.get("key"), item.get("value", "")
        if isinstance(k, str) and isinstance(v, str) and k:
            out[k] = v
    return out


def experiment_name(name: Any) -> str:
    try:
        return validation.experiment_name(name)
    except Exception as exc:  # a name the local store refuses: say which, literally
        raise SyncError(f"the server's experiment name {one_line(repr(name))} cannot be stored here: {exc}") from None


def conflict_text(key: str, winner: str, kept: str | None, lost: str | None) -> str:
    """What a run's ``tuitrack.sync.conflict`` tag says after both sides changed ``key``."""
    what = {NOTE_TAG: "note", NAME_TAG: "name"}.get(key, f"tag {key}")
    return (
        f"{what}: changed here and on the server; the {winner} change was later and was kept "
        f"({kept!r}; the other side had {lost!r})"
    )
