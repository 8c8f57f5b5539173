"""``tuitrack import mlflow PATH``: copy an MLflow store (file store or SQLite) into a tuitrack store.

MLflow run ids are kept as tuitrack run ids, so a second import of the same
source skips every run already present and imports nothing twice.  Every run is
read (and so checked) before anything is written: a source that cannot be read
leaves the store as it was.  Each run (row, params, tags, full metric history,
dataset inputs, artifact index) is then written in one transaction, its
experiment with it: an interrupted import never leaves a half-written run or an
empty experiment behind that a re-run would then skip.  Artifact files (and
MLflow 3's logged models, kept outside the run's artifacts, which come in as the
run's model folders) are copied before that transaction and removed again if it
fails.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.entities import FAILED, FINISHED, KILLED, RUNNING
from tuitrack.errors import ValidationError
from tuitrack.importers.mlflow_files import FileStoreReader, ImportFormatError
from tuitrack.importers.mlflow_sqlite import SqliteReader
from tuitrack.importers.source import SourceExperiment, SourceRun
from tuitrack.store.core import ImportedRun, Store

_STATUS_MAP = {"FINISHED": FINISHED, "FAILED": FAILED, "KILLED": KILLED, "RUNNING": RUNNING, "SCHEDULED": RUNNING}


@dataclass
class ImportStats:
    source: str = ""
    experiments: int = 0
    runs: int = 0
    skipped: int = 0
    points: int = 0
    artifacts: int = 0


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


@contextmanager
def open_source(path: str | Path) -> Iterator[FileStoreReader | SqliteReader]:
    """A reader for ``path``: an ``mlruns`` folder (or a folder holding one), a ``.db`` file or ``sqlite:///...``."""
    text = str(path)
    if text.startswith("sqlite:///"):
        path = Path(text[len("sqlite:///") :])
        if text.startswith("sqlite:////"):
            path = Path("/" + text[len("sqlite:////") :])
    path = Path(path).expanduser()
    if not path.exists():
        raise ImportFormatError(f"no MLflow store at {path} (expected an mlruns/ folder or an mlflow.db file)")
    if path.is_dir():
        if (path / "mlflow.db").is_file():  # a SQLite store keeps its artifacts in ./mlruns beside it
            path = path / "mlflow.db"
        elif (path / "mlruns").is_dir() and not (path / "meta.yaml").is_file():
            path = path / "mlruns"
    if path.is_file():
        if not _is_sqlite(path):
            raise ImportFormatError(
                f"{path} is a file but not a SQLite database; pass an MLflow mlruns/ folder or an mlflow.db file"
            )
        reader = SqliteReader(path)
        try:
            yield reader
        finally:
            reader.close()
        return
    yield FileStoreReader(path)


def import_mlflow(
    store: Store, source: str | Path, progress: Callable[[Iterable[Any], int], Any] | None = None
) -> ImportStats:
    """Import every experiment and run of ``source`` into ``store``; runs already present are skipped.

    ``progress(iterable, length)`` may wrap the run loop in a progress bar (the CLI passes click's).
    """
    stats = ImportStats(source=str(source))
    with open_source(source) as reader:
        experiments = reader.experiments()
        runs = reader.runs()
        for run_id, _ in runs:  # before anything is written: a bad id refuses the whole source
            _check_id(run_id, source)
        existing = store.existing_run_ids([rid for rid, _ in runs])
        todo = [(rid, load) for rid, load in runs if rid not in existing]
        stats.skipped = len(runs) - len(todo)
        for _, load in todo:  # read everything first: a file that cannot be read stops the import here
            load()
        known = {e.name for e in store.list_experiments()}
        by_name = {e.name: e for e in experiments}
        loop: Iterable[tuple[str, Callable[[], SourceRun]]] = todo
        if progress is not None:
            loop = progress(todo, len(todo))
        for _, load in loop:
            run = load()
            written = write_run(store, run, by_name.get(run.experiment))
            if written is None:  # another import got there first
                stats.skipped += 1
                continue
            if run.experiment not in known:
                known.add(run.experiment)
                stats.experiments += 1
            stats.runs += 1
            stats.points += written[0]
            stats.artifacts += written[1]
        for exp in experiments:  # experiments without runs, and the tags of those that have some
            if exp.name not in known:
                stats.experiments += 1
            store.import_experiment(exp.name, tags=exp.tags, deleted=exp.deleted)
    return stats


def _check_id(run_id: str, source: str | Path) -> None:
    """An id from the source becomes a folder name under the store: only well-formed ids pass."""
    try:
        validation.run_id(run_id, "MLflow run id")
    except ValidationError as exc:
        raise ImportFormatError(
            f"{source}: {exc}; the source store is damaged or was edited by hand, nothing of that run was imported"
        ) from None


def _copy_artifacts(src: Path | None, dest: Path) -> list[tuple[str, int]]:
    if src is None:
        return []
    entries = []
    for f in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = f.relative_to(src).as_posix()
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
        entries.append((rel, f.stat().st_size))
    return entries


def write_run(store: Store, run: SourceRun, experiment: SourceExperiment | None = None) -> tuple[int, int] | None:
    """Write one run in one transaction; returns (metric points, artifact files).

    None when the run id is already in the store: checked again inside the transaction, so two
    imports of the same source at once skip each other's runs instead of failing on the unique id.
    """
    _check_id(run.run_id, run.artifact_dir or run.experiment)
    status = _STATUS_MAP.get(run.status.upper(), FINISHED)
    last_ts = max((p[3] for p in run.metrics), default=run.start_time)
    heartbeat = max(run.start_time, last_ts) if status == RUNNING else (run.end_time or run.start_time)
    end_time = (
        None if status == RUNNING else (run.end_time if run.end_time is not None else max(run.start_time, last_ts))
    )
    deleted_at = (run.deleted_time or end_time or run.start_time) if run.deleted else None
    dest = store.run_artifact_dir(run.run_id)
    if store.has_run(run.run_id):
        return None
    fresh_dir = not dest.exists()
    artifacts = _copy_artifacts(run.artifact_dir, dest)
    taken = {p.split("/", 1)[0] for p, _ in artifacts}
    for name, model_id, folder in run.models:
        # a logged model becomes the run's model folder, as log_model writes it here
        rel = name if name not in taken else f"{name}-{model_id}"
        taken.add(rel)
        artifacts += [(f"{rel}/{p}", size) for p, size in _copy_artifacts(folder, dest / rel)]
    record = ImportedRun(
        run_id=run.run_id,
        experiment=run.experiment,
        name=run.name,
        status=status,
        start_time=run.start_time,
        end_time=end_time,
        heartbeat=heartbeat,
        deleted_at=deleted_at,
        parent_id=run.tags.get("mlflow.parentRunId"),
        user=run.user,
        source=run.tags.get("mlflow.source.name"),
        note=run.tags.get("mlflow.note.content"),
        params=run.params,
        tags=run.tags,
        metrics=run.metrics,
        artifacts=[(p, size, run.end_time or run.start_time) for p, size in artifacts],
        inputs=[
            (
                i.name,
                _source_uri(i.source),
                i.digest,
                _rows(i.profile),
                i.context,
                run.start_time,
                i.source_type,
                i.schema,
                i.profile,
            )
            for i in run.inputs
        ],
        experiment_created=experiment.created_at if experiment is not None else None,
        experiment_deleted=experiment is not None and experiment.deleted,
        experiment_tags=experiment.tags if experiment is not None else {},
    )
    try:
        if store.import_run(record) is None:
            return None
    except BaseException:
        if fresh_dir:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    return len(run.metrics), len(artifacts)


def _source_uri(source: str | None) -> str | None:
    """MLflow's source JSON (``{"uri": ...}``) as the path or URI tuitrack shows; other sources as they are."""
    if not source:
        return None
    try:
        data = json.loads(source)
    except ValueError:
        return source
    if isinstance(data, dict) and isinstance(data.get("uri"), str):
        return data["uri"]
    return source


def _rows(profile: str | None) -> int | None:
    try:
        data = json.loads(profile) if profile else None
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("num_rows", "features_shape"):
            value = data.get(key)
            if isinstance(value, int):
                return value
            if isinstance(value, list) and value and isinstance(value[0], int):
                return value[0]
    return None
