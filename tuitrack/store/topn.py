"""Top-N searches sorted by a metric or param, without sorting every run.

``ORDER BY o0.value IS NULL, o0.value DESC, ...`` makes SQLite sort every matching
run.  Split into phases (runs that have a value, in the (key, value) index's order;
then the rest), the first phase walks the index and stops after N rows.  The phases,
concatenated, give exactly the plain query's order (checked by tests against it).

A walk in sort order pays for every run the filter rejects.  When the filter bounds
the sort key itself (``metrics.auc > 0.8`` while sorted by ``metrics.auc``), the
bound goes into the walk (``o0.value > ?``), so the walk starts where matches do
instead of stepping over every run below 0.8.  A
walk that still rejects too much stops at a VM-step budget; the caller then runs
the plain query.  Pure string building over the SQL ``Store._search_plan`` makes:
no I/O here except :func:`run_phases`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from tuitrack.query.filter import Bound

# About 400k VM steps (~30-50 ms): an index walk in sort order is only worth it while the filter
# keeps most rows; when it rejects long stretches the plain query, which sorts only the matches, wins.
WALK_BUDGET = 40
WALK_CHECK = 10_000  # VM steps between budget checks

#: latest_metrics columns with a (key, column) index a walk can follow, by index name (schema.py); a store
#: lacking one (a read-only reader of an older schema) sorts that column plainly: see ``indexed`` below.
METRIC_COLUMN_INDEXES = {
    "value": "latest_metrics_key_value",
    "min_value": "latest_metrics_key_min",
    "max_value": "latest_metrics_key_max",
    "min_step": "latest_metrics_key_min_step",
    "max_step": "latest_metrics_key_max_step",
    "tail_mean": "latest_metrics_key_tail_mean",
}
INDEXED_METRIC_COLUMNS = tuple(METRIC_COLUMN_INDEXES)
_PARAM_HEAD = "ORDER BY o0.value IS NULL, o0.num IS NULL, o0.num "
_METRIC_JOIN = "FROM runs r LEFT JOIN latest_metrics o0 ON "
_PARAM_JOIN = "FROM runs r LEFT JOIN params o0 ON "


class OverBudget(Exception):
    """The index walk of a top-N search ran past its budget."""


@dataclass(frozen=True)
class Phase:
    sql: str
    args: list[Any]


def phases(
    sql: str,
    args: Sequence[Any],
    order_params: int = 0,
    bounds: Sequence[Bound] = (),
    column: str = "value",
    indexed: Collection[str] = INDEXED_METRIC_COLUMNS,
) -> list[Phase] | None:
    """The ordered phases of a search whose first sort key is a metric or param (else None).

    ``bounds``: the filter's top-level numeric terms on that same key (``query.Bound``); they
    are added to the phases that walk the key, and phases of runs lacking a value are dropped
    (a bound never matches them).  Their parameters go after the ``order_params`` parameters
    of the joins, before the WHERE's.  ``column``: the ``latest_metrics`` column a metric sort
    uses (a summary field's, such as ``min_value``); only columns in ``indexed`` (those whose index the
    store has) get phases: without the index the walk would sort the key's every row itself.
    """
    if " WHERE " not in sql:
        return None
    where_at = sql.index(" WHERE ") + len(" WHERE ")
    head, rest = sql[:where_at], sql[where_at:]
    metric_head = f"ORDER BY o0.{column} IS NULL, o0.{column} "
    if _METRIC_JOIN in head and column not in indexed:
        return None
    column = column if _METRIC_JOIN in head else "num"
    bound_sql = "".join(f"o0.{column} {b.op} ? AND " for b in bounds)
    plain = list(args)
    bounded = [*plain[:order_params], *(b.value for b in bounds), *plain[order_params:]]
    # Phases over rows that have the key drive from the key's index (CROSS JOIN fixes the loop
    # order: otherwise SQLite may prefer scanning runs through a partial index and sort them all).
    if _METRIC_JOIN in head and metric_head in rest:
        walk = head.replace(_METRIC_JOIN, "FROM latest_metrics o0 CROSS JOIN runs r ON ", 1)
        cond, tail = rest.split(metric_head, 1)
        direction, _, tail_order = tail.partition(",")
        out = [
            Phase(
                f"{walk}o0.{column} IS NOT NULL AND {bound_sql}{cond}ORDER BY o0.{column} {direction},{tail_order}",
                bounded,
            )
        ]
        if not bounds:
            out.append(Phase(f"{head}o0.{column} IS NULL AND {cond}ORDER BY{tail_order}", plain))
        return out
    if _PARAM_JOIN in head and _PARAM_HEAD in rest:
        walk = head.replace(_PARAM_JOIN, "FROM params o0 CROSS JOIN runs r ON ", 1)
        cond, tail = rest.split(_PARAM_HEAD, 1)
        num_dir, _, tail = tail.partition(",")
        value_term, _, tail_order = tail.partition(",")
        out = [
            Phase(
                f"{walk}o0.num IS NOT NULL AND {bound_sql}{cond}ORDER BY o0.num {num_dir},{value_term},{tail_order}",
                bounded,
            )
        ]
        if not bounds:
            out += [
                Phase(
                    f"{walk}o0.num IS NULL AND o0.value IS NOT NULL AND {cond}ORDER BY{value_term},{tail_order}", plain
                ),
                Phase(f"{head}o0.value IS NULL AND {cond}ORDER BY{tail_order}", plain),
            ]
        return out
    return None


def run_phases(
    conn: sqlite3.Connection, lock: threading.RLock, todo: Sequence[Phase], limit: int, offset: int
) -> list[int]:
    """Rids ``offset .. offset + limit`` of the phases' concatenation; raises OverBudget past the walk budget."""
    out: list[int] = []
    need = offset + limit
    steps = [0]

    def budget() -> int:  # called every WALK_CHECK SQLite VM steps; non-zero interrupts the walk
        steps[0] += 1
        return 1 if steps[0] > WALK_BUDGET else 0

    with lock:
        conn.set_progress_handler(budget, WALK_CHECK)
        try:
            for phase in todo:
                out += [r[0] for r in conn.execute(phase.sql + " LIMIT ?", [*phase.args, need - len(out)])]
                if len(out) >= need:
                    break
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc).lower() and steps[0] > WALK_BUDGET:
                raise OverBudget from None
            raise
        finally:
            conn.set_progress_handler(None, 0)
    return out[offset : offset + limit]
