"""What an importer reads from another tracker, before it is written to the store.

Readers (``mlflow_files``, ``mlflow_sqlite``) produce these plain records; the
writer (``mlflow.write_run``) turns one into rows in a single transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SourceExperiment:
    name: str
    created_at: int | None = None
    deleted: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceInput:
    """A dataset a run read (MLflow's dataset inputs): what ``log_input`` records."""

    name: str
    digest: str | None
    source_type: str | None
    source: str | None  # MLflow's source JSON, e.g. '{"uri": "data/train.csv"}'
    schema: str | None  # JSON text
    profile: str | None  # JSON text
    context: str | None


@dataclass
class SourceRun:
    run_id: str
    experiment: str
    name: str
    status: str  # MLflow's word: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
    start_time: int
    end_time: int | None
    user: str | None = None
    deleted_time: int | None = None
    deleted: bool = False
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: (key, value, step, timestamp_ms), the full history in any order.
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    artifact_dir: Path | None = None
    inputs: list[SourceInput] = field(default_factory=list)
    #: MLflow 3 logged models of this run, kept outside its artifacts: (name, model id, folder).
    models: list[tuple[str, str, Path]] = field(default_factory=list)
