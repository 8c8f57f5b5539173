"""Sorting by the step fields and the tail mean walks schema 8's indexes and returns what a plain sort does.

``metrics.KEY.best_step`` / ``.min_step`` / ``.max_step`` and ``.mean_last_10`` sort by
latest_metrics.min_step / max_step / tail_mean.  Schema 8 indexes (key, column) for each, and the
top-N search walks them as it walks (key, min_value).  The order must be exactly the plain ORDER BY's
(missing values and NaN last in both directions, ties by newest start then rid), and a read-only
reader of a schema 7 store, which has no such index, sorts plainly and gets the same runs.
"""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrack.query import summaries
from tuitrack.store.core import Store

#: Sorts whose first key is a schema-8 column: (order item, directions override, latest_metrics column).
SORTS = [
    ("metrics.val_loss.best_step", None, "min_step"),  # lower is better: best_step is min_step
    ("metrics.acc.best_step", None, "max_step"),
    ("metrics.acc.best_step", {"acc": "min"}, "min_step"),  # a flipped direction flips the column
    ("metrics.acc.min_step", None, "min_step"),
    ("metrics.val_loss.max_step", None, "max_step"),
    ("metrics.acc.mean_last_10", None, "tail_mean"),
    ("metrics.val_loss.mean_last_10", None, "tail_mean"),
]
V8_INDEXES = {
    "min_step": "latest_metrics_key_min_step",
    "max_step": "latest_metrics_key_max_step",
    "tail_mean": "latest_metrics_key_tail_mean",
}
# Dyadic values sum exactly, so every mean is one rounding of its exact value; plus ties, NaN and infinities.
VALUES = st.sampled_from([0.0, 0.5, 0.25, 1.0, -2.0, 3.0, float("nan"), float("inf"), float("-inf")])
SERIES = st.lists(st.tuples(st.integers(0, 12), VALUES), max_size=14)
RUN = st.tuples(st.integers(0, 3), st.none() | SERIES, st.none() | SERIES)  # start time (ties), val_loss, acc


def _build(path: Path, runs: list[tuple[int, list | None, list | None]]) -> dict[int, int]:
    """A store with one run per entry (its series in two write batches each); returns rid -> start time."""
    store = Store(path, create=True)
    exp = store.experiment_id("e")
    starts = {}
    ts = 1_790_000_000_000
    for i, (start, loss, acc) in enumerate(runs):
        rid = store.create_run(run_id=f"{i:032x}", experiment_id=exp, name=f"r{i}", start_time=start)
        starts[rid] = start
        for key, series in (("val_loss", loss), ("acc", acc)):
            if series is None:
                continue
            kid = store.metric_kid(key)
            rows = []
            for step, value in series:
                ts += 1
                rows.append((rid, kid, step, ts, value))
            half = len(rows) // 2
            for part in (rows[:half], rows[half:]):
                if part:
                    store.write_batches([(rid, key, part)])
    store.close()
    return starts


def _python_order(store: Store, starts: dict[int, int], item: str, directions, descending: bool) -> list[int]:
    """Every run sorted in Python by the summary the store reports for it: values first (NaN and missing
    last), by value in the asked direction, then newest start, then the larger rid."""
    _, key, field = item.split(".")
    rids = sorted(starts)
    vals = {}
    for rid, run in zip(rids, store.runs_by_rids(rids), strict=True):
        v = summaries.value(run.data.summaries.get(key), field, directions)
        vals[rid] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    def sort_key(rid: int) -> tuple:
        v = vals[rid]
        missing = v is None
        return (missing, 0 if missing else (-v if descending else v), -starts[rid], -rid)

    return sorted(rids, key=sort_key)


def _downgrade_to_v7(db: Path) -> None:
    conn = sqlite3.connect(db)
    for ix in V8_INDEXES.values():
        conn.execute(f"DROP INDEX {ix}")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RUN, max_size=14), st.sampled_from(SORTS), st.booleans(), st.integers(0, 6), st.integers(1, 8))
def test_walk_equals_python_sort_and_the_unindexed_plain_sort(runs, sort, descending, offset, limit) -> None:
    item, directions, column = sort
    order = f"{item} {'DESC' if descending else 'ASC'}"
    tmp = Path(tempfile.mkdtemp(prefix="sumidx-"))
    try:
        starts = _build(tmp / "s", runs)
        with Store(tmp / "s", read_only=True) as store:
            expected = _python_order(store, starts, item, directions, descending)
            plan = store._search_plan("r.rid", "", order, None, False, None, directions=directions)[2]
            assert plan is not None and f"ORDER BY o0.{column} " in plan[0].sql  # the walk, on the right column
            assert store.search_rids("", order, directions=directions) == expected  # the plain sort
            got = store.search_rids("", order, max_results=limit, offset=offset, directions=directions)
            assert got == expected[offset : offset + limit]  # the walk
        shutil.copytree(tmp / "s", tmp / "v7")
        _downgrade_to_v7(tmp / "v7" / "tuitrack.db")
        with Store(tmp / "v7", read_only=True) as old:  # no index: sorted plainly, same runs
            assert old._search_plan("r.rid", "", order, None, False, None, directions=directions)[2] is None
            got = old.search_rids("", order, max_results=limit, offset=offset, directions=directions)
            assert got == expected[offset : offset + limit]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("sumidx")
    runs = [
        (i % 4, [(s, (i * 7 + s) % 5 * 0.25) for s in range(i % 13)] or None, [(s, float(s % 3)) for s in range(i % 9)])
        for i in range(200)
    ]
    _build(path, runs)
    with Store(path, read_only=True) as st_:
        yield st_


@pytest.mark.parametrize(("item", "directions", "column"), SORTS)
@pytest.mark.parametrize("flt", ["", "metrics.{key}.{field} >= 2", "params.p = 'x' OR metrics.acc.max > 0.5"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_the_walk_uses_the_columns_index_and_sorts_nothing_but_ties(
    store: Store, item: str, directions, column: str, flt: str, direction: str
) -> None:
    """EXPLAIN QUERY PLAN: the first phase searches the (key, column) index; SQLite sorts only the runs
    tied on the column (by start time and rid), never the whole key; a bound on the column is in the walk."""
    _, key, field = item.split(".")
    flt = flt.format(key=key, field=field)
    order = f"{item} {direction}"
    phases = store._search_plan("r.rid", flt, order, None, False, None, directions=directions)[2]
    assert phases is not None
    first = phases[0]
    rows = store.conn.execute("EXPLAIN QUERY PLAN " + first.sql + " LIMIT ?", [*first.args, 100]).fetchall()
    plan = " | ".join(str(r[-1]) for r in rows)
    assert re.search(rf"SEARCH o0 USING (COVERING )?INDEX {V8_INDEXES[column]} \(key=\?", plan), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # "... FOR RIGHT PART OF ORDER BY" is the ties
    assert (f"o0.{column} >= ?" in first.sql) == (">= 2" in flt)
    full = store.search_rids(flt, order, directions=directions)
    assert store.search_rids(flt, order, max_results=25, offset=10, directions=directions) == full[10:35]


def test_count_has_no_index_and_sorts_plainly(store: Store) -> None:
    assert store._search_plan("r.rid", "", "metrics.acc.count DESC", None, False, None)[2] is None
