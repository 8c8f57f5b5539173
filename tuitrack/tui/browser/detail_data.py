"""Everything the run detail pane shows, read from the store in one go.

``load_detail`` runs in a worker thread (never on the event loop) and returns a
plain dataclass, so rendering is a pure function of it and tests can check the
loading without a UI.  Params, tags and metrics are read as one window of rows per
section (:data:`WINDOW` rows around what is on screen, see ``KeyWindow``), never the
whole run: a run may carry 100,000 tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from tuitrack.entities import Artifact, DatasetInput, MetricSummary, Run, RunData
from tuitrack.store import sync as sync_state
from tuitrack.store.core import Store
from tuitrack.store.reads import KeyWindow
from tuitrack.tui.liveness import display_status

#: Sparklines are drawn for at most this many metric keys (each one is a history query).
MAX_SPARK_KEYS = 30
#: Points asked from SQL per sparkline; the store keeps each bucket's min and max.
SPARK_POINTS = 40
SYSTEM_TAG_PREFIX = "tuitrack."
#: Rows of a section read at once: a screenful and more on each side.
WINDOW = 120
#: The sections read as windows, by the store's kind name.
SECTIONS = ("params", "metrics", "tags")
#: The system tags the overview and environment show (the only tags read with the run itself).
OVERVIEW_TAGS = (
    "tuitrack.git.commit",
    "tuitrack.git.branch",
    "tuitrack.git.dirty",
    "tuitrack.python",
    "tuitrack.platform",
    "tuitrack.cwd",
    "tuitrack.git.diff",
    "tuitrack.pulled_from",
    "tuitrack.sync.conflict",
)  # git.diff: the Env tab's reproduce view; pulled_from/sync.conflict: where a pulled run came from, a conflict


@dataclass(frozen=True)
class SectionView:
    """Where a section is looked at: its first row on screen and its key filter."""

    top: int = 0
    needle: str = ""

    @property
    def offset(self) -> int:
        """Where the window read for this view starts: a quarter window above the screen."""
        return max(0, self.top - WINDOW // 4)


def empty_window(kind: str) -> KeyWindow:
    return KeyWindow(kind, 0, 0, 0, 0, [])


@dataclass
class DetailData:
    """A run plus the extra reads the detail pane needs (windows of keys, inputs, histories, artifacts, packages).

    ``run`` holds the run's info and only the :data:`OVERVIEW_TAGS`; its params, tags and metric
    summaries are in ``sections`` as windows.
    """

    run: Run
    now_ms: int
    status: str
    parent_name: str | None = None
    child_count: int = 0
    inputs: list[DatasetInput] = field(default_factory=list)
    histories: dict[str, list[float]] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)
    sections: dict[str, KeyWindow] = field(default_factory=dict)
    #: a pulled run's files still on the tracking server (a pull without --artifacts): (server, [Artifact])
    server_artifacts: tuple[str, list[Artifact]] | None = None
    #: the metric keys that get a sparkline (the rows from the top of the screen, capped)
    spark_keys: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run.info.run_id

    def window(self, name: str) -> KeyWindow:
        return self.sections.get(name) or empty_window(name)

    @property
    def summaries(self) -> dict[str, MetricSummary]:
        """The metric summaries of the metrics window, by key."""
        return {s.key: s for s in self.window("metrics").rows}

    def fingerprint(self, histories: bool = True) -> str:
        """Equal for equal content (NaN-safe, unlike ``==``): lets a refresh skip re-rendering.

        ``histories=False`` leaves the sparkline histories out: equal then means only the
        metrics section can differ (the second phase of a load).
        """
        return repr(
            (
                self.run,
                self.status,
                self.parent_name,
                self.child_count,
                self.inputs,
                self.histories if histories else None,
                self.artifacts,
                self.server_artifacts,
                self.packages,
                self.sections,
            )
        )


def spark_keys(keys: list[str]) -> list[str]:
    """Which metric keys get a sparkline: user metrics before ``system/`` ones, alphabetical, capped."""
    ordered = sorted(keys, key=lambda k: (k.startswith("system/"), k))
    return ordered[:MAX_SPARK_KEYS]


def window_spark_keys(window: KeyWindow, top: int) -> list[str]:
    """Sparkline keys of a metrics window: its rows from ``top`` (the first on screen), capped."""
    start = max(0, top - window.offset)
    return [s.key for s in window.rows[start : start + MAX_SPARK_KEYS]]


#: What identifies a metric's history without reading it: (count, last step, last timestamp).
Signature = tuple[int, int, int]
#: Histories already read for a run: key -> (signature when read, values).
HistoryCache = dict[str, tuple[Signature, list[float]]]


def signatures(data: DetailData) -> dict[str, Signature]:
    return {k: (s.count, s.step, s.timestamp) for k, s in data.summaries.items()}


def read_windows(store: Store, rid: int, views: dict[str, SectionView]) -> dict[str, KeyWindow]:
    """One window of rows per section, around each view's first row on screen."""
    return {
        name: store.key_window(rid, name, offset=view.offset, limit=WINDOW, needle=view.needle)
        for name in SECTIONS
        for view in [views.get(name, SectionView())]
    }


def load_detail(
    store: Store,
    run_id: str,
    now_ms: int,
    *,
    histories: bool = True,
    cache: HistoryCache | None = None,
    views: dict[str, SectionView] | None = None,
) -> DetailData:
    """Read one run and everything its detail pane shows.  Raises RunNotFoundError if it is gone.

    With ``histories=False`` the sparkline histories are not read; those in ``cache`` are
    reused (possibly stale) so a refresh never blanks them while :func:`load_histories` runs.
    ``views`` say where each section is scrolled and filtered (default: top, no filter).
    """
    rid_int, _ = store.resolve_run(run_id)
    run = store.runs_by_rids([rid_int], with_data=False)[0]
    run = replace(run, data=RunData(tags=store.run_tags(rid_int, OVERVIEW_TAGS)))
    rid = run.info.run_id
    views = views or {}
    parent_name = None
    if run.info.parent_id:
        parent_name = store.run_name(run.info.parent_id)
    data = DetailData(
        run=run,
        now_ms=now_ms,
        status=display_status(run.info, now_ms),
        parent_name=parent_name,
        child_count=store.count_children(rid),
        inputs=store.list_inputs(rid),
        artifacts=store.list_artifacts(rid),
        server_artifacts=_server_artifacts(store, rid_int),
        packages=store.get_packages(rid),
        sections=read_windows(store, rid_int, views),
    )
    keys = data.spark_keys = window_spark_keys(data.window("metrics"), views.get("metrics", SectionView()).top)
    cache = cache or {}
    data.histories = {k: cache[k][1] for k in keys if k in cache}
    if histories:
        fresh = load_histories(store, data, cache)
        if fresh is not None:
            data.histories = {k: v for k, (_, v) in fresh.items()}
    return data


def stale_keys(data: DetailData, cache: HistoryCache) -> list[str]:
    """Sparkline keys whose history is missing from ``cache`` or changed since it was read."""
    sigs = signatures(data)
    return [k for k in data.spark_keys if k not in cache or cache[k][0] != sigs[k]]


def load_histories(
    store: Store, data: DetailData, cache: HistoryCache, cancelled: Callable[[], bool] = lambda: False
) -> HistoryCache | None:
    """The run's sparkline histories, reading only keys that changed; None if ``cancelled`` turned true."""
    sigs = signatures(data)
    out: HistoryCache = {}
    for key in data.spark_keys:
        if key in cache and cache[key][0] == sigs[key]:
            out[key] = cache[key]
            continue
        if cancelled():
            return None
        points = store.get_metric_history(data.run_id, key, max_points=SPARK_POINTS)
        out[key] = (sigs[key], [p.value for p in points])
    return out


def _server_artifacts(store: Store, rid: int) -> tuple[str, list[Artifact]] | None:
    """The files a pull listed on the server but did not download (selecting one fetches it)."""
    found = sync_state.server_only_artifacts(store, rid)
    if found is None:
        return None
    return found[0], [Artifact(path=p, size=size, created_at=0) for p, size in found[1]]
