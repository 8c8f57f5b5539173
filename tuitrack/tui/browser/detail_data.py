"""Everything the run detail pane shows, read from the store in one go.

``load_detail`` runs in a worker thread (never on the event loop) and returns a
plain dataclass, so rendering is a pure function of it and tests can check the
loading without a UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tuitrack.entities import Artifact, DatasetInput, Run
from tuitrack.store.core import Store

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

    def fingerprint(self, histories: bool = True) -> str:
        """Equal for equal content (NaN-safe, unlike ``==``): lets a refresh skip re-rendering.

        ``histories=False`` leaves the sparkline histories out: equal then means only the
        metrics section can differ (the second phase of a load).
        """
        return repr((self.run, self.status, self.parent_name, self.child_count, self.inputs,
                     self.histories if histories else None, self.artifacts, self.packages))


def spark_keys(keys: list[str]) -> list[str]:
    """Which metric keys get a sparkline: user metrics before ``system/`` ones, alphabetical, capped."""
    ordered = sorted(keys, key=lambda k: (k.startswith("system/"), k))
    return ordered[:MAX_SPARK_KEYS]


#: What identifies a metric's history without reading it: (count, last step, last timestamp).
Signature = tuple[int, int, int]
#: Histories already read for a run: key -> (signature when read, values).
HistoryCache = dict[str, tuple[Signature, list[float]]]


def signatures(run: Run) -> dict[str, Signature]:
    return {k: (s.count, s.step, s.timestamp) for k, s in run.data.summaries.items()}


def load_detail(store: Store, run_id: str, now_ms: int, *, histories: bool = True,
                cache: HistoryCache | None = None) -> DetailData:
    """Read one run and everything its detail pane shows.  Raises RunNotFoundError if it is gone.

    With ``histories=False`` the sparkline histories are not read; those in ``cache`` are
    reused (possibly stale) so a refresh never blanks them while :func:`load_histories` runs.
    """
    run = store.get_run(run_id)
    rid = run.info.run_id
    parent_name = None
    if run.info.parent_id:
        row = store.conn_fetchone("SELECT name FROM runs WHERE run_id = ?", (run.info.parent_id,))
        parent_name = row[0] if row else None
    data = DetailData(
        run=run,
        now_ms=now_ms,
        status=run.info.display_status(now_ms),
        parent_name=parent_name,
        child_count=store.count_children(rid),
        inputs=store.list_inputs(rid),
        artifacts=store.list_artifacts(rid),
        packages=store.get_packages(rid),
    )
    keys = spark_keys(list(run.data.summaries))
    cache = cache or {}
    data.histories = {k: cache[k][1] for k in keys if k in cache}
    if histories:
        fresh = load_histories(store, data, cache)
        if fresh is not None:
            data.histories = {k: v for k, (_, v) in fresh.items()}
    return data


def stale_keys(data: DetailData, cache: HistoryCache) -> list[str]:
    """Sparkline keys whose history is missing from ``cache`` or changed since it was read."""
    sigs = signatures(data.run)
    return [k for k in spark_keys(list(sigs)) if k not in cache or cache[k][0] != sigs[k]]


def load_histories(store: Store, data: DetailData, cache: HistoryCache,
                   cancelled: Callable[[], bool] = lambda: False) -> HistoryCache | None:
    """The run's sparkline histories, reading only keys that changed; None if ``cancelled`` turned true."""
    sigs = signatures(data.run)
    out: HistoryCache = {}
    for key in spark_keys(list(sigs)):
        if key in cache and cache[key][0] == sigs[key]:
            out[key] = cache[key]
            continue
        if cancelled():
            return None
        points = store.get_metric_history(data.run_id, key, max_points=SPARK_POINTS)
        out[key] = (sigs[key], [p.value for p in points])
    return out
