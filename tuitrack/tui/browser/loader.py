"""Everything the browser reads from the store for one refresh, as pure functions.

The browser calls these inside a worker thread and applies the returned
:class:`ViewData` on the event loop.  Keeping the reads here (not in widgets)
means tests can check them without a UI.

A reload (start, sort, filter, scope) reads in two phases so the first rows
paint at once on a 100k-run store: :func:`read_window` takes the top rows of
the new order (a LIMIT query, well under a millisecond) and their runs; then
:func:`read_rest` reads the whole ordered rid list (ints, the slow part on a big store)
and the tree's counts.  What only changes with the data (experiments, sweep
parents, counts, column keys) is kept in a :class:`ViewMeta` and reused until
``PRAGMA data_version`` moves.  Live refresh (:func:`read_view`) reads in one
go, only ``changed_since`` rows plus the ordered rid list.

Nested runs list under their parent, whatever the sort (as MLflow's UI does): the sort orders
the top-level runs, and each parent's children follow it, in the same sort, indented
(:func:`nest`).  A run whose parent is not in the list (filtered out, deleted) is top-level.
The window phase builds the first rows of that order from the top of the flat one with a few
indexed reads per parent on screen (:func:`_nest_window`); the whole list is nested with the
child -> parent links of the store (one row per child run, cached in the ``ViewMeta``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Optional

from tuitrack.entities import Experiment, Run
from tuitrack.store import sync as sync_state
from tuitrack.store.core import Store
from tuitrack.tui.browser.experiment_tree import ParentGroup, Scope
from tuitrack.tui.browser.runs_table import load_runs, load_sync

#: Live refresh re-reads at most this many changed runs one by one; beyond it the view reloads its window.
MAX_CHANGED = 2000
#: A writer's transaction can commit a little after its ``updated_at`` clock read.
CHANGE_SLACK_MS = 2000
KeysByScope = dict[Optional[tuple[int, ...]], tuple[list[str], list[str]]]  # Optional: 3.9 evaluates this line


@dataclass(frozen=True)
class ViewMeta:
    """Reads that change only with the data, so a sort or filter change reuses them.

    Valid while the connection's ``data_version`` equals ``version`` (another process
    committed otherwise); the browser drops it after its own writes (``request_refresh``).
    ``experiments`` is None until the tree data has been read once for this version.
    """

    version: int
    include_deleted: bool
    keys: KeysByScope = field(default_factory=dict)
    experiments: list[Experiment] | None = None
    parents: list[ParentGroup] = field(default_factory=list)
    all_total: int = 0
    totals: dict[Scope, int] = field(default_factory=dict)
    #: Live runs not yet pushed to the last-used tracking server (None: the store never synced).
    unpushed: int | None = None
    #: child rid -> parent rid of every child run (None: not read yet for this version)
    links: dict[int, int] | None = None

    def valid_for(self, version: int, include_deleted: bool) -> bool:
        return self.version == version and self.include_deleted == include_deleted


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
    meta: ViewMeta | None = None


@dataclass
class ViewData:
    """One phase's result.  ``phase`` is "window" (top rows only) or "full" (the whole rid list).

    ``final``: nothing more follows for this request (a window that held every match and
    found the tree data cached is final on its own).  ``complete``: ``rids`` is the whole list.
    """

    request: ViewRequest
    changed: bool = True
    version: int = 0
    high_water: int | None = None
    phase: str = "full"
    final: bool = True
    complete: bool = True
    rids: list[int] = field(default_factory=list)
    #: rid -> nesting level of the rows listed under a parent (top-level rows are not in it)
    depth: dict[int, int] = field(default_factory=dict)
    total: int = 0
    runs: list[tuple[int, Run]] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    parents: list[ParentGroup] = field(default_factory=list)
    all_total: int = 0
    meta: ViewMeta | None = None
    error: str = ""
    #: push state of ``runs`` (rid -> not pushed complete yet); None: the store never synced
    sync: dict[int, bool] | None = None


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


def _search(
    store: Store,
    req: ViewRequest,
    limit: int | None,
    extra: str = "",
    parent_id: str | None = None,
    ordered: bool = True,
    offset: int = 0,
) -> list[int]:
    text = combined_filter(req.scope, req.filter)
    if extra:
        text = f"({text}) AND ({extra})" if text else extra
    return store.search_rids(
        text,
        req.order_by if ordered else None,
        experiment_ids=experiment_ids(req.scope),
        include_deleted=req.include_deleted,
        max_results=limit,
        offset=offset,
        now_ms=req.now_ms,
        parent_id=parent_id,
    )


def nest(rids: Sequence[int], links: Mapping[int, int]) -> tuple[list[int], dict[int, int]]:
    """``rids`` (one sort order) with each run's children right after it, in the same order, at any depth.

    ``links``: child rid -> parent rid (more than the list's is fine).  A run whose parent is not
    in ``rids`` stays where the sort put it.  Returns the order and the depth of each nested row.
    One pass over the list, nothing read: a store without child runs pays a dict lookup per row.
    """
    if not links:
        return list(rids), {}
    present = set(rids)
    kids: dict[int, list[int]] = {}
    roots: list[int] = []
    parent_of = links.get
    for rid in rids:
        parent = parent_of(rid)
        if parent is None or parent not in present or parent == rid:
            roots.append(rid)
        elif parent in kids:
            kids[parent].append(rid)
        else:
            kids[parent] = [rid]
    if not kids:
        return list(rids), {}
    out: list[int] = []
    depth: dict[int, int] = {}
    for root in roots:
        out.append(root)
        if root not in kids:
            continue
        stack = [iter(kids[root])]  # depth first without recursion: a chain of any length
        while stack:
            for child in stack[-1]:
                out.append(child)
                depth[child] = len(stack)
                if child in kids:
                    stack.append(iter(kids[child]))
                    break
            else:
                stack.pop()
    if len(out) < len(present):  # a parent loop (a -> b -> a) has no top: its runs stay in sort order
        placed = set(out)
        out.extend(rid for rid in rids if rid not in placed)
    return out, depth


#: The window phase walks at most this many rows of the flat order (or 4 windows) looking for top-level runs.
SCAN_ROWS = 200


def _roots(store: Store, req: ViewRequest, flat: list[int]) -> Iterator[tuple[int, set[int]]]:
    """The top-level runs of the list in sort order, each with the rids known to have children.

    Exact over the first ``max(SCAN_ROWS, 4 * window)`` rows of the flat order: page by page,
    a child whose parent matches too is skipped (it lists under its parent).  Past that, the
    runs without a parent in the sort follow; a run whose parent is filtered out that ranks
    there is placed by the whole list's read (:func:`read_rest`), a moment later.
    """
    size, offset, seen = req.window, 0, set()
    has_kids: set[int] = set()
    page = flat
    while page:
        links = store.parent_links(page)
        has_kids |= store.with_children(page, include_deleted=req.include_deleted)
        outside = {p for p in links.values() if p not in seen and p not in page}
        matching: set[int] = set()
        if outside:  # a child whose parent ranks further down lists under it there
            ids = store.run_ids_of(sorted(outside))
            if ids:
                listed = "attributes.run_id IN (" + ", ".join(quote(i) for i in ids.values()) + ")"
                matching = set(_search(store, req, len(ids), extra=listed, ordered=False))  # by the id index
        seen.update(page)
        for rid in page:
            parent = links.get(rid)
            if parent is None or (parent not in seen and parent not in matching) or parent == rid:
                yield rid, has_kids
        offset += len(page)
        if len(page) < size:
            return  # the whole list was walked
        if offset >= max(SCAN_ROWS, 4 * size):
            break
        page = _search(store, req, size, offset=offset)
    top_level, offset = "attributes.parent_id IS NULL", 0
    while True:
        more = _search(store, req, size, extra=top_level, offset=offset)
        tail = [r for r in more if r not in seen]
        has_kids |= store.with_children(tail, include_deleted=req.include_deleted)
        for rid in tail:
            seen.add(rid)
            yield rid, has_kids
        offset += len(more)
        if len(more) < size:
            return


def _nest_window(store: Store, req: ViewRequest, flat: list[int]) -> tuple[list[int], dict[int, int]]:
    """The first ``req.window`` rows of the nested order, from the top ``req.window`` of the flat one.

    Bounded by the screen, not the store: the top-level runs come from a few pages of the flat
    order (:func:`_roots`), then per parent on screen its children in the sort (LIMIT).
    """
    if len(flat) < req.window:  # every match is here
        return nest(flat, store.parent_links(flat))
    out: list[int] = []
    depth: dict[int, int] = {}
    placed: set[int] = set()
    for root, has_kids in _roots(store, req, flat):
        if len(out) >= req.window:
            break
        stack = [(root, 0)]
        while stack and len(out) < req.window:
            rid, level = stack.pop()
            if rid in placed:
                continue
            placed.add(rid)
            out.append(rid)
            if level:
                depth[rid] = level
            if rid in has_kids:
                run_id = store.run_ids_of([rid]).get(rid)
                kids = _search(store, req, req.window - len(out), parent_id=run_id) if run_id else []
                has_kids |= store.with_children(kids, include_deleted=req.include_deleted)
                stack.extend((k, level + 1) for k in reversed(kids))
    return out, depth


def _links(store: Store, meta: ViewMeta) -> tuple[dict[int, int], ViewMeta]:
    if meta.links is None:
        meta = replace(meta, links=store.parent_links())
    assert meta.links is not None
    return meta.links, meta


def _start(store: Store, req: ViewRequest, phase: str) -> tuple[ViewData, ViewMeta]:
    """Version, high water mark and the (cached) column keys of the scope."""
    out = ViewData(request=req, phase=phase)
    out.version = store.data_version()
    out.high_water = store.last_update_ms()
    meta = req.meta
    if meta is None or not meta.valid_for(out.version, req.include_deleted):
        meta = ViewMeta(version=out.version, include_deleted=req.include_deleted)
    exp_ids = experiment_ids(req.scope)
    key = tuple(exp_ids) if exp_ids is not None else None
    if key not in meta.keys:
        keys = (store.distinct_keys("params", exp_ids), store.distinct_keys("metrics", exp_ids))
        meta = replace(meta, keys={**meta.keys, key: keys})
    out.params, out.metrics = meta.keys[key]
    return out, meta


def _finish(store: Store, out: ViewData, meta: ViewMeta) -> ViewData:
    """Fill the tree data and the scope's total (from ``meta`` when it has them); ``out.rids`` is complete."""
    req = out.request
    if meta.experiments is None:
        parents = [
            ParentGroup(run_id=run_id, name=name, experiment_id=exp_id, children=n)
            for run_id, name, exp_id, n in store.sweep_parents(include_deleted=req.include_deleted)
        ]
        meta = replace(
            meta,
            experiments=store.list_experiments(include_deleted_runs=req.include_deleted),
            parents=parents,
            all_total=store.count_runs(include_deleted=req.include_deleted, now_ms=req.now_ms),
            unpushed=sync_state.unpushed_count(store),
        )
    total = meta.totals.get(req.scope)
    if total is None:
        if req.scope.kind == "all":
            total = meta.all_total
        elif not req.filter.strip():  # no user filter: the list is exactly the scope
            total = len(out.rids)
        else:
            total = store.count_runs(
                scope_filter(req.scope) or None,
                experiment_ids=experiment_ids(req.scope),
                include_deleted=req.include_deleted,
                now_ms=req.now_ms,
            )
        meta = replace(meta, totals={**meta.totals, req.scope: total})
    assert meta.experiments is not None
    out.total, out.experiments, out.parents, out.all_total = total, meta.experiments, meta.parents, meta.all_total
    out.meta, out.final, out.complete = meta, True, True
    return out


def read_window(store: Store, req: ViewRequest) -> ViewData:
    """Phase one of a reload: the top ``req.window`` rids of the new order and their runs.

    When fewer rids than the window match, the list is complete; with the tree data cached
    too, the result is final and :func:`read_rest` is not needed.
    """
    out, meta = _start(store, req, "window")
    flat = _search(store, req, req.window)
    out.rids, out.depth = _nest_window(store, req, flat)
    out.runs = load_runs(store, out.rids)
    out.sync = load_sync(store, out.rids)
    out.meta = meta
    out.complete = len(flat) < req.window
    out.final = False
    if out.complete and meta.experiments is not None:
        return _finish(store, out, meta)
    return out


def read_rest(store: Store, first: ViewData) -> ViewData:
    """Phase two: the whole ordered rid list, the runs around the anchor not read yet, the tree data."""
    req = first.request
    meta = first.meta
    assert meta is not None
    out = replace(first, phase="full", runs=[])
    if not first.complete:
        links, meta = _links(store, meta)
        out.rids, out.depth = nest(_search(store, req, None), links)
        have = {rid for rid, _ in first.runs}
        out.runs = load_runs(store, [r for r in _window(out.rids, req.anchor_rid, req.window) if r not in have])
        out.sync = load_sync(store, [rid for rid, _ in out.runs])
    return _finish(store, out, meta)


def read_view(store: Store, req: ViewRequest) -> ViewData:
    """One consistent read of what the browser shows, in one phase (live refresh; call from a worker)."""
    out, meta = _start(store, req, "full")
    if req.live and req.last_version is not None and out.version == req.last_version:
        out.changed = False
        return out
    links, meta = _links(store, meta)
    out.rids, out.depth = nest(_search(store, req, None), links)
    wanted = _window(out.rids, req.anchor_rid, req.window)
    if req.live and req.since_ms is not None:
        changed = store.changed_since(req.since_ms - CHANGE_SLACK_MS)
        if len(changed) <= MAX_CHANGED:
            wanted = list(dict.fromkeys([*changed, *wanted]))
    out.runs = load_runs(store, wanted)
    out.sync = load_sync(store, wanted)
    return _finish(store, out, meta)


def _window(rids: Sequence[int], anchor: int | None, size: int) -> list[int]:
    """The rids around the anchor (or the top): what the table shows first."""
    index = 0
    if anchor is not None:
        try:
            index = rids.index(anchor)
        except ValueError:
            index = 0
    lo = max(0, index - size)
    return list(rids[lo : index + size])
