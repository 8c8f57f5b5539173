"""Everything the browser reads from the store for one refresh, as a pure function.

The browser calls :func:`read_view` inside a worker thread and applies the
returned :class:`ViewData` on the event loop.  Keeping the reads here (not in
widgets) means a refresh is one consistent snapshot, tests can check it
without a UI, and live refresh can read only what changed: ``changed_since``
rows plus the ordered rid list (ints), never every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Experiment, Run
from ..store import Store
from .widgets.experiment_tree import ParentGroup, Scope
from .widgets.runs_table import load_runs

#: Live refresh re-reads at most this many changed runs one by one; beyond it the view reloads its window.
MAX_CHANGED = 2000
#: A writer's transaction can commit a little after its ``updated_at`` clock read.
CHANGE_SLACK_MS = 2000
_PARENTS_SQL = (
    "SELECT p.run_id, p.name, p.experiment_id, count(*) FROM runs c JOIN runs p ON p.run_id = c.parent_id"
    " WHERE c.parent_id IS NOT NULL AND (? OR (c.deleted_at IS NULL AND p.deleted_at IS NULL))"
    " GROUP BY p.run_id ORDER BY p.start_time DESC LIMIT 500"
)


@dataclass
class ViewRequest:
    """What to read.  ``live`` requests read only rows changed since ``since_ms``."""

    scope: Scope
    filter: str
    order_by: str
    include_deleted: bool
    now_ms: int
    live: bool = False
    since_ms: int | None = None
    last_version: int | None = None
    anchor_rid: int | None = None
    window: int = 60
    token: int = 0


@dataclass
class ViewData:
    request: ViewRequest
    changed: bool = True
    version: int = 0
    high_water: int | None = None
    rids: list[int] = field(default_factory=list)
    total: int = 0
    runs: list[tuple[int, Run]] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    parents: list[ParentGroup] = field(default_factory=list)
    all_total: int = 0
    error: str = ""


def quote(value: str) -> str:
    """A filter-language string literal (doubled quotes escape)."""
    return "'" + value.replace("'", "''") + "'"


def scope_filter(scope: Scope) -> str:
    if scope.kind == "parent" and scope.run_id:
        return f"attributes.run_id = {quote(scope.run_id)} OR attributes.parent_id = {quote(scope.run_id)}"
    return ""


def combined_filter(scope: Scope, user_filter: str) -> str:
    parts = [p for p in (scope_filter(scope), user_filter.strip()) if p]
    return " AND ".join(f"({p})" for p in parts) if len(parts) > 1 else (parts[0] if parts else "")


def experiment_ids(scope: Scope) -> list[int] | None:
    return [scope.experiment_id] if scope.kind == "experiment" and scope.experiment_id is not None else None


def read_view(store: Store, req: ViewRequest) -> ViewData:
    """One consistent read of what the browser shows (call from a worker thread)."""
    out = ViewData(request=req)
    out.version = store.data_version()
    if req.live and req.last_version is not None and out.version == req.last_version:
        out.changed = False
        return out
    row = store.conn_fetchone("SELECT max(updated_at) FROM runs")
    out.high_water = row[0] if row else None
    exp_ids = experiment_ids(req.scope)
    out.rids = store.search_rids(combined_filter(req.scope, req.filter), req.order_by, experiment_ids=exp_ids,
                                 include_deleted=req.include_deleted, now_ms=req.now_ms)
    out.total = store.count_runs(scope_filter(req.scope) or None, experiment_ids=exp_ids,
                                 include_deleted=req.include_deleted, now_ms=req.now_ms)
    wanted = _window(out.rids, req.anchor_rid, req.window)
    if req.live and req.since_ms is not None:
        changed = store.changed_since(req.since_ms - CHANGE_SLACK_MS)
        if len(changed) <= MAX_CHANGED:
            wanted = list(dict.fromkeys([*changed, *wanted]))
    out.runs = load_runs(store, wanted)
    out.params = store.distinct_keys("params", exp_ids)
    out.metrics = store.distinct_keys("metrics", exp_ids)
    out.experiments = store.list_experiments(include_deleted_runs=req.include_deleted)
    out.parents = [ParentGroup(run_id=r[0], name=r[1], experiment_id=r[2], children=r[3])
                   for r in store.conn_fetchall(_PARENTS_SQL, (1 if req.include_deleted else 0,))]
    out.all_total = store.count_runs(include_deleted=req.include_deleted, now_ms=req.now_ms)
    return out


def _window(rids: Sequence[int], anchor: int | None, size: int) -> list[int]:
    """The rids around the anchor (or the top): what the table shows first."""
    index = 0
    if anchor is not None:
        try:
            index = rids.index(anchor)
        except ValueError:
            index = 0
    lo = max(0, index - size)
    return list(rids[lo:index + size])
