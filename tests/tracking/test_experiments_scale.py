"""set_experiment at scale (issue #15, item 9): one indexed lookup per call, never a scan of every experiment.

It used to list every experiment (with a run count each) on every call: 51 ms per call at 7,000
experiments, minutes to create 10,000.  The figures live in bench/RESULTS.md (bench_safety.py).
"""

from __future__ import annotations

from pathlib import Path

import tuitrack
from tuitrack.tracking import session as tracking


def _plans(store, statements: list[str]) -> list[str]:
    out = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            out += [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return out


def test_set_experiment_reads_one_experiment_by_index(store_path: Path) -> None:
    store = tracking._writable_store()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO experiments(name, created_at) VALUES (?, 0)", [(f"exp-{i:04d}",) for i in range(2000)]
        )
    for call in (
        lambda: tuitrack.set_experiment("exp-1500"),
        lambda: tuitrack.set_experiment("brand-new"),
        lambda: tuitrack.set_experiment(experiment_id=7),
        lambda: tuitrack.start_run(experiment_id=8).end(),
        lambda: tuitrack.get_experiment_by_name("exp-0003"),
        lambda: tuitrack.get_experiment(9),
    ):
        seen: list[str] = []
        store.conn.set_trace_callback(seen.append)
        try:
            call()
        finally:
            store.conn.set_trace_callback(None)
        plans = _plans(store, [s for s in seen if "experiments" in s])
        assert plans, seen
        assert not [p for p in plans if p.startswith("SCAN")], (seen, plans)


def test_ten_thousand_experiments(store_path: Path) -> None:
    """10,000 set_experiment calls work and list back (~1.3 s on a 2-core machine, the old full listing took
    minutes: bench/RESULTS.md, bench_safety.py; the test above asserts the reason, no timing here)."""
    for i in range(10_000):
        exp = tuitrack.set_experiment(f"exp-{i}")
    assert exp.name == "exp-9999" and exp.run_count == 0
    assert len(tuitrack.list_experiments()) == 10_000
