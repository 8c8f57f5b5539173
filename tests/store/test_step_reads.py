"""Reads that pair metrics by step: a metric's points around given steps, and every metric at one step."""

from __future__ import annotations

import math

from tuitrack.store.core import Store


def _run(store: Store, name: str, series: dict[str, list[tuple[int, float]]]) -> tuple[int, str]:
    exp = store.experiment_id("e")
    run_id = name.encode().hex().rjust(32, "0")
    rid = store.create_run(run_id=run_id, experiment_id=exp, name=name, start_time=0)
    for key, points in series.items():
        store.metric_kid(key)
        rows = [(rid, store.metric_kid(key), s, 1_000 + i, v) for i, (s, v) in enumerate(points)]
        store.write_batches([(rid, key, rows)])
    return rid, run_id


def test_points_around_steps(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    tokens = [(s, float(s * 100)) for s in range(0, 1000, 10)]  # every 10 steps
    tokens.append((500, 123.0))  # a second point at step 500
    _, run_id = _run(store, "r", {"tokens": tokens, "loss": [(s, 1.0) for s in range(1000)]})
    pts = store.metric_points_around(run_id, "tokens", [0, 5, 500, 995, 2000])
    got = [(p.step, p.value) for p in pts]
    # 0: exact; 5: steps 0 and 10; 500: both points there; 995: 990 and nothing after; 2000: 990
    assert got == [(0, 0.0), (10, 1000.0), (500, 50000.0), (500, 123.0), (990, 99000.0)]
    assert store.metric_points_around(run_id, "tokens", []) == []
    assert store.metric_points_around(run_id, "nope", [1]) == []
    assert [(p.step, p.value) for p in store.metric_points_around(run_id, "loss", [-5])] == [(0, 1.0)]


def test_points_around_cost_follows_the_steps_not_the_history(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    _, run_id = _run(store, "long", {"x": [(s, float(s)) for s in range(200_000)]})
    reads = []
    store.conn.set_progress_handler(lambda: reads.append(1), 1000)
    try:
        pts = store.metric_points_around(run_id, "x", range(0, 200_000, 1000))
    finally:
        store.conn.set_progress_handler(None, 1000)
    assert [p.step for p in pts] == list(range(0, 200_000, 1000))
    assert len(reads) < 200  # ~ a few VM instructions per seek: far below a scan of 200,000 rows


def test_values_at_step(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    a, _ = _run(store, "a", {"loss": [(s, 10.0 - s) for s in range(10)], "val": [(0, 1.0), (5, 0.5), (9, 0.2)]})
    b, _ = _run(store, "b", {"loss": [(s, 20.0 - s) for s in range(3, 6)], "nan": [(1, math.nan), (7, 2.0)]})
    rows = {(rid, key): rest for rid, key, *rest in store.metric_values_at([a, b], 4)}
    assert rows[(a, "loss")] == [4, 6.0, 0, 9]
    assert rows[(a, "val")] == [0, 1.0, 0, 9]  # the last point at or before step 4
    assert rows[(b, "loss")] == [4, 16.0, 3, 5]
    assert rows[(b, "nan")] == [1, None, 1, 7]  # a NaN point reads as None, as stored
    early = {(rid, key): rest for rid, key, *rest in store.metric_values_at([b], 2)}
    assert early[(b, "loss")] == [None, None, 3, 5]  # nothing at or before step 2
    assert store.metric_values_at([], 3) == []


def test_values_at_step_uses_the_primary_key(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    a, _ = _run(store, "a", {"loss": [(s, float(s)) for s in range(50_000)]})
    reads = []
    store.conn.set_progress_handler(lambda: reads.append(1), 1000)
    try:
        assert store.metric_values_at([a], 25_000)[0][2:4] == (25_000, 25_000.0)
    finally:
        store.conn.set_progress_handler(None, 1000)
    assert len(reads) < 50
