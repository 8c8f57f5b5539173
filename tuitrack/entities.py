"""Plain dataclasses returned by the reading API.

Shaped like MLflow's entities (``run.info.run_id``, ``run.data.params``) so code
written against MLflow reads a tuitrack run without changes.  No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

RUNNING = "RUNNING"
FINISHED = "FINISHED"
FAILED = "FAILED"
KILLED = "KILLED"
CRASHED = "CRASHED"  # never stored: a RUNNING run whose heartbeat stopped
STATUSES = (RUNNING, FINISHED, FAILED, KILLED)

#: A RUNNING run that has not sent a heartbeat for this long is shown as crashed.
HEARTBEAT_TIMEOUT_MS = 120_000
#: How often a live run refreshes its heartbeat.
HEARTBEAT_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Experiment:
    experiment_id: int | str  # the store's integer; the MLflow-shaped API hands out str, as MLflow does
    name: str
    created_at: int
    run_count: int = 0
    deleted_at: int | None = None
    tags: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def lifecycle_stage(self) -> str:
        return "deleted" if self.deleted_at is not None else "active"

    @property
    def creation_time(self) -> int:  # MLflow spelling
        return self.created_at


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_name: str
    experiment_id: int | str  # as Experiment.experiment_id
    experiment: str
    status: str
    start_time: int
    end_time: int | None
    heartbeat: int | None = None
    parent_id: str | None = None
    user: str | None = None
    host: str | None = None
    pid: int | None = None
    source: str | None = None
    note: str | None = None
    error: str | None = None
    deleted_at: int | None = None
    updated_at: int | None = None
    artifact_uri: str | None = None  # file:// URI of the run's artifact folder

    @property
    def run_uuid(self) -> str:  # MLflow spelling
        return self.run_id

    @property
    def user_id(self) -> str | None:  # MLflow spelling
        return self.user

    @property
    def experiment_name(self) -> str:
        return self.experiment

    @property
    def duration(self) -> int | None:
        """Milliseconds from start to end; ``None`` while the run has no end."""
        if self.end_time is None:
            return None
        return self.end_time - self.start_time

    @property
    def lifecycle_stage(self) -> str:
        return "deleted" if self.deleted_at is not None else "active"

    def display_status(self, now_ms: int, timeout_ms: int = HEARTBEAT_TIMEOUT_MS) -> str:
        """The status a reader should show: RUNNING turns CRASHED once the heartbeat is stale."""
        if self.status == RUNNING:
            beat = self.heartbeat if self.heartbeat is not None else self.start_time
            if now_ms - beat > timeout_ms:
                return CRASHED
        return self.status


@dataclass(frozen=True)
class MetricSummary:
    key: str
    value: float  # latest value (largest step, then timestamp); NaN round-trips as NaN
    step: int
    timestamp: int
    min: float
    max: float
    count: int
    min_step: int | None = None  # first step holding the min (None: no finite value, or an old summary)
    max_step: int | None = None
    tail_mean: float | None = None  # mean of the last summaries.TAIL_N points (NaN skipped)


@dataclass(frozen=True)
class RunData:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, MetricSummary] = field(default_factory=dict)


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True)
class Dataset:
    """MLflow's dataset entity: every field as text (source, schema and profile are JSON)."""

    name: str
    digest: str | None
    source_type: str | None
    source: str | None
    schema: str | None
    profile: str | None


@dataclass(frozen=True)
class DatasetInput:
    """A dataset a run read (``log_input``): where from, its digest, row count, context, schema and profile.

    ``.dataset`` and ``.tags`` give MLflow's shape of the same record.
    """

    name: str
    source: str | None
    digest: str | None
    rows: int | None
    context: str | None
    created_at: int
    source_type: str | None = None
    schema: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None

    @property
    def dataset(self) -> Dataset:
        import json

        source = json.dumps({"uri": self.source}) if self.source is not None else json.dumps({})
        return Dataset(
            self.name,
            self.digest,
            self.source_type,
            source,
            json.dumps(self.schema) if self.schema is not None else None,
            json.dumps(self.profile) if self.profile is not None else None,
        )

    @property
    def tags(self) -> list[InputTag]:
        return [InputTag("mlflow.data.context", self.context)] if self.context is not None else []


@dataclass(frozen=True)
class RunInputs:
    dataset_inputs: list[DatasetInput] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData
    #: Datasets the run read; filled by get_run (search results leave it empty).
    inputs: RunInputs = field(default_factory=RunInputs, compare=False, hash=False)

    @property
    def id(self) -> str:
        return self.info.run_id


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True)
class Artifact:
    path: str
    size: int
    created_at: int


# -- MLflow's mlflow.entities names, for MlflowClient.log_batch and search_runs ----------------
@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int | None = None
    step: int | None = None
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None


@dataclass(frozen=True)
class Param:
    key: str
    value: Any


@dataclass(frozen=True)
class RunTag:
    key: str
    value: Any


class ViewType:
    """Which runs a search returns: ACTIVE_ONLY (default), DELETED_ONLY or ALL."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_string(cls, text: str) -> int:
        return {"active_only": 1, "deleted_only": 2, "all": 3}[text.lower()]


def from_db_float(value: Any) -> float:
    """SQLite stores NaN as NULL; our columns are NULL only for NaN."""
    return math.nan if value is None else float(value)


def data_keys(runs: Iterable[Run], kind: str) -> list[str]:
    """Sorted keys any of ``runs`` has in ``kind``: "params", "metrics", "tags" or "summaries"."""
    return sorted({k for r in runs for k in getattr(r.data, kind)})
