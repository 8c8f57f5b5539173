"""Reader of an MLflow SQLite tracking database (``mlflow.db``), opened read-only.

The database is read through sqlite-utils on a read-only connection: its table and
column introspection picks columns by name, so databases of older MLflow versions
(without ``deleted_time`` or ``creation_time``) read as well.
NaN is stored as ``is_nan = 1``; +/-inf as +/-float max, which we turn back into
infinities.  Artifacts live wherever ``artifact_uri`` points; when that folder
is gone (the store was moved), the reader looks beside the database for
``mlruns/`` or ``mlartifacts/<experiment_id>/<run_id>/artifacts``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path

import sqlite_utils

from tuitrack.importers.mlflow_files import ImportFormatError, finite_or_inf, local_dir
from tuitrack.importers.source import SourceExperiment, SourceInput, SourceRun


class SqliteReader:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        try:
            self.conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
            self.db = sqlite_utils.Database(self.conn)
            tables = set(self.db.table_names())
        except sqlite3.DatabaseError as exc:
            raise ImportFormatError(f"{db_path} is not a readable SQLite database ({exc})") from None
        missing = {"experiments", "runs", "metrics", "params", "tags"} - tables
        if missing:
            raise ImportFormatError(
                f"{db_path} is not an MLflow tracking database (no table {', '.join(sorted(missing))})"
            )
        self._tables = tables
        self._run_cols = self._columns("runs")
        self._exp_cols = self._columns("experiments")
        self._metric_cols = self._columns("metrics")

    def _columns(self, table: str) -> set[str]:
        return set(self.db[table].columns_dict)

    def _col(self, cols: set[str], name: str, alias: str = "") -> str:
        return f"{alias}{name}" if name in cols else "NULL"

    def close(self) -> None:
        self.conn.close()

    def experiments(self) -> list[SourceExperiment]:
        rows = self.conn.execute(
            f"SELECT experiment_id, name, {self._col(self._exp_cols, 'creation_time')}, lifecycle_stage"
            " FROM experiments ORDER BY experiment_id"
        ).fetchall()
        tags: dict[object, dict[str, str]] = {}
        if "experiment_tags" in self._tables:
            for k, v, exp_id in self.conn.execute("SELECT key, value, experiment_id FROM experiment_tags"):
                tags.setdefault(exp_id, {})[k] = "" if v is None else str(v)
        return [
            SourceExperiment(name=n, created_at=c, deleted=stage == "deleted", tags=tags.get(exp_id, {}))
            for exp_id, n, c, stage in rows
        ]

    def _inputs(self, run_uuid: str) -> list[SourceInput]:
        if not {"inputs", "datasets"} <= self._tables:
            return []
        has_tags = "input_tags" in self._tables
        context = (
            ("(SELECT value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')")
            if has_tags
            else "NULL"
        )
        rows = self.conn.execute(
            f"SELECT d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema,"
            f" d.dataset_profile, {context} FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id"
            " WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = ?"
            " ORDER BY d.name",
            (run_uuid,),
        ).fetchall()
        return [SourceInput(*row) for row in rows]

    def _models(self, run_uuid: str) -> list[tuple[str, str, Path]]:
        if "logged_models" not in self._tables:
            return []
        out = []
        for model_id, name, location, exp_id in self.conn.execute(
            "SELECT model_id, name, artifact_location, experiment_id FROM logged_models"
            " WHERE source_run_id = ? AND lifecycle_stage != 'deleted' ORDER BY creation_timestamp_ms",
            (run_uuid,),
        ):
            folder = local_dir(location)
            if folder is None or not folder.is_dir():
                folder = None
                base = self.db_path.resolve().parent
                for root in ("mlruns", "mlartifacts"):
                    candidate = base / root / str(exp_id) / "models" / model_id / "artifacts"
                    if candidate.is_dir():
                        folder = candidate
                        break
            if folder is not None:
                out.append((str(name or model_id), str(model_id), folder))
        return out

    def runs(self) -> list[tuple[str, Callable[[], SourceRun]]]:
        rows = self.conn.execute(
            "SELECT r.run_uuid, r.experiment_id FROM runs r ORDER BY r.start_time, r.run_uuid"
        ).fetchall()
        return [(rid, partial(self._load, rid)) for rid, _ in rows]

    def _load(self, run_uuid: str) -> SourceRun:
        c = self._run_cols
        row = self.conn.execute(
            f"SELECT r.run_uuid, e.name, {self._col(c, 'name', 'r.')}, r.status, r.start_time, r.end_time, r.user_id,"
            f" r.lifecycle_stage, {self._col(c, 'deleted_time', 'r.')}, r.artifact_uri, r.experiment_id"
            " FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_uuid = ?",
            (run_uuid,),
        ).fetchone()
        (run_id, exp_name, name, status, start, end, user, stage, deleted_time, artifact_uri, exp_id) = row
        params = {
            r["key"]: r["value"] for r in self.db["params"].rows_where("run_uuid = ?", [run_uuid], select="key, value")
        }
        # MLflow's schema lets a tag value be NULL; tuitrack stores text, so it becomes "".
        tags = {
            r["key"]: "" if r["value"] is None else str(r["value"])
            for r in self.db["tags"].rows_where("run_uuid = ?", [run_uuid], select="key, value")
        }
        is_nan = self._col(self._metric_cols, "is_nan")
        step = self._col(self._metric_cols, "step")
        metrics = [
            (k, math.nan if nan else finite_or_inf(float(v)), int(s or 0), int(ts))
            for k, v, ts, s, nan in self.conn.execute(
                f"SELECT key, value, timestamp, {step}, {is_nan} FROM metrics WHERE run_uuid = ?", (run_uuid,)
            )
        ]
        return SourceRun(
            run_id=run_id,
            experiment=exp_name,
            name=name or tags.get("mlflow.runName") or "",
            status=status or "FINISHED",
            start_time=int(start or 0),
            end_time=int(end) if end is not None else None,
            user=user or tags.get("mlflow.user"),
            deleted=stage == "deleted",
            deleted_time=deleted_time,
            params=params,
            tags=tags,
            metrics=metrics,
            artifact_dir=self._artifacts(artifact_uri, exp_id, run_id),
            inputs=self._inputs(run_uuid),
            models=self._models(run_uuid),
        )

    def _artifacts(self, uri: str | None, exp_id: object, run_id: str) -> Path | None:
        here = local_dir(uri)
        if here is not None and here.is_dir():
            return here
        base = self.db_path.resolve().parent
        for root in ("mlruns", "mlartifacts"):
            candidate = base / root / str(exp_id) / run_id / "artifacts"
            if candidate.is_dir():
                return candidate
        if uri and uri.startswith("mlflow-artifacts:"):
            rest = uri.split(":", 1)[1].lstrip("/")
            candidate = base / "mlartifacts" / rest
            if candidate.is_dir():
                return candidate
        return None
