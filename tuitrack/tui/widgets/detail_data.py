"""Everything the run detail pane shows, read from the store in one go.

``load_detail`` runs in a worker thread (never on the event loop) and returns a
plain dataclass, so rendering is a pure function of it and tests can check the
loading without a UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...models import Artifact, DatasetInput, Run
from ...store import Store

#: Sparklines are drawn for at most this many metric keys (each one is a history query).
MAX_SPARK_KEYS = 30
#: Points asked from SQL per sparkline; the store keeps each bucket's min and max.
SPARK_POINTS = 40
SYSTEM_TAG_PREFIX = "tuitrack."


@dataclass
class DetailData:
    """A run plus the extra reads the detail pane needs (inputs, histories, artifacts, packages)."""

    run: Run
    now_ms: int
    status: str
    parent_name: str | None = None
    child_count: int = 0
    inputs: list[DatasetInput] = field(default_factory=list)
    histories: dict[str, list[float]] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.run.info.run_id

    @property
    def user_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.run.data.tags.items()) if not k.startswith(SYSTEM_TAG_PREFIX)}

    @property
    def system_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.run.data.tags.items()) if k.startswith(SYSTEM_TAG_PREFIX)}

    def fingerprint(self) -> str:
        """Equal for equal content (NaN-safe, unlike ``==``): lets a refresh skip re-rendering."""
        return repr((self.run, self.status, self.parent_name, self.child_count, self.inputs, self.histories,
                     self.artifacts, self.packages))


def spark_keys(keys: list[str]) -> list[str]:
    """Which metric keys get a sparkline: user metrics before ``system/`` ones, alphabetical, capped."""
    ordered = sorted(keys, key=lambda k: (k.startswith("system/"), k))
    return ordered[:MAX_SPARK_KEYS]


def load_detail(store: Store, run_id: str, now_ms: int) -> DetailData:
    """Read one run and everything its detail pane shows.  Raises RunNotFoundError if it is gone."""
    run = store.get_run(run_id)
    rid = run.info.run_id
    parent_name = None
    if run.info.parent_id:
        row = store.conn_fetchone("SELECT name FROM runs WHERE run_id = ?", (run.info.parent_id,))
        parent_name = row[0] if row else None
    row = store.conn_fetchone("SELECT count(*) FROM runs WHERE parent_id = ? AND deleted_at IS NULL", (rid,))
    histories = {
        key: [p.value for p in store.get_metric_history(rid, key, max_points=SPARK_POINTS)]
        for key in spark_keys(list(run.data.summaries))
    }
    return DetailData(
        run=run,
        now_ms=now_ms,
        status=run.info.display_status(now_ms),
        parent_name=parent_name,
        child_count=int(row[0]) if row else 0,
        inputs=store.list_inputs(rid),
        histories=histories,
        artifacts=store.list_artifacts(rid),
        packages=store.get_packages(rid),
    )
