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
