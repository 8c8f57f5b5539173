"""Metric history downsampling: spikes survive, points are real, both paths agree."""

from __future__ import annotations

import math
import random

import pytest

from tuitrack.store.core import Store
from tuitrack.tracking.writer import DEFAULT_INTERVAL_S


def _series(store: Store, n: int, seed: int, nan_every: int = 0, step_gap: int = 1) -> tuple[str, list[tuple]]:
    exp = store.experiment_id("h")
    run_id = f"{seed:032x}"
    rid = store.create_run(run_id=run_id, experiment_id=exp, name=f"s{seed}", start_time=0)
    kid = store.metric_kid("m")
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        v = math.sin(i / 300) + rng.gauss(0, 0.1)
        if nan_every and i % nan_every == 0:
            v = math.nan
        rows.append((rid, kid, i * step_gap, 1_000 + i, v))
    spike_at = rng.randrange(n)
    rows[spike_at] = (*rows[spike_at][:4], 50.0)
    dip_at = (spike_at + n // 2) % n
    rows[dip_at] = (*rows[dip_at][:4], -50.0)
    for i in range(0, n, 7_000):  # several flushes, like the writer does
        store.write_batches([(rid, "m", rows[i : i + 7_000])])
    return run_id, rows


@pytest.mark.parametrize("n,max_points,gap", [(300_000, 200, 1), (50_000, 100, 1), (3_000, 60, 1), (5_000, 40, 997)])
def test_downsampled_keeps_extremes_and_only_real_points(tmp_path, n: int, max_points: int, gap: int) -> None:
    store = Store(tmp_path, create=True)
    run_id, rows = _series(store, n, seed=n + max_points, step_gap=gap)
    pts = store.get_metric_history(run_id, "m", max_points=max_points)
    assert 2 <= len(pts) <= max_points
    values = [p.value for p in pts]
    assert 50.0 in values and -50.0 in values
    real = {(r[2], r[3]): r[4] for r in rows}
    for p in pts:
        assert real[(p.step, p.timestamp)] == p.value
    assert [p.step for p in pts] == sorted(p.step for p in pts)


def test_block_path_matches_direct_bucket_extremes(tmp_path) -> None:
    """The block summary (long series) and the direct scan (short) find the same global extremes."""
    store = Store(tmp_path, create=True)
    run_id, rows = _series(store, 400_000, seed=5, nan_every=1000)
    fast = store.get_metric_history(run_id, "m", max_points=100)
    finite = [r[4] for r in rows if not math.isnan(r[4])]
    assert max(p.value for p in fast if not math.isnan(p.value)) == max(finite)
    assert min(p.value for p in fast if not math.isnan(p.value)) == min(finite)
    full = store.get_metric_history(run_id, "m")
    assert len(full) == 400_000
    assert sum(math.isnan(p.value) for p in full) == 400


def test_all_nan_series_downsamples_to_nan_points(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    exp = store.experiment_id("h")
    rid = store.create_run(run_id="a" * 32, experiment_id=exp, name="nan", start_time=0)
    store.write_metrics([(rid, "m", math.nan, i, i) for i in range(40_000)])
    pts = store.get_metric_history("a" * 32, "m", max_points=20)
    assert pts and all(math.isnan(p.value) for p in pts)
    run = store.get_run("a" * 32)
    assert math.isnan(run.data.metrics["m"]) and run.data.summaries["m"].count == 40_000


def test_write_metrics_importer_path_updates_summary(tmp_path) -> None:
    store = Store(tmp_path, create=True)
    exp = store.experiment_id("h")
    rid = store.create_run(run_id="b" * 32, experiment_id=exp, name="imp", start_time=0)
    store.write_metrics(
        [(rid, "loss", 3.0, 2, 10), (rid, "loss", 1.0, 5, 11), (rid, "loss", math.inf, 0, 9), (rid, "acc", 0.5, 0, 9)]
    )
    s = store.get_run("b" * 32).data.summaries
    assert (s["loss"].value, s["loss"].step, s["loss"].min, s["loss"].max, s["loss"].count) == (
        1.0,
        5,
        1.0,
        math.inf,
        3,
    )
    assert s["acc"].value == 0.5


def test_nested_run_inherits_parent_experiment(tmp_path) -> None:
    import tuitrack

    tuitrack.set_store(tmp_path)
    try:
        with tuitrack.start_run(experiment="sweep-x") as parent:
            with tuitrack.start_run(nested=True) as child:
                pass
            with tuitrack.start_run(nested=True, experiment="elsewhere") as other:
                pass
        assert tuitrack.get_run(child.id).info.experiment == "sweep-x"
        assert tuitrack.get_run(child.id).info.parent_id == parent.id
        assert tuitrack.get_run(other.id).info.experiment == "elsewhere"
    finally:
        tuitrack.set_store(None)


@pytest.mark.parametrize("pattern", ["append", "shuffled", "overlapping", "nan-and-collisions"])
def test_summary_blocks_match_a_recount_from_rows(tmp_path, pattern: str) -> None:
    """Blocks built incrementally (Python fast path or SQL) equal a from-scratch recount."""
    from tuitrack.store import core as store_mod

    store = Store(tmp_path, create=True)
    exp = store.experiment_id("h")
    rid = store.create_run(run_id="c" * 32, experiment_id=exp, name="b", start_time=0)
    kid = store.metric_kid("m")
    rng = random.Random(pattern)
    steps = list(range(6_000))
    if pattern == "shuffled":
        rng.shuffle(steps)
    rows = [(rid, kid, s, 10 + s, rng.random()) for s in steps]
    if pattern == "overlapping":  # a resumed run writing into blocks that already hold rows
        rows += [(rid, kid, s, 99_999, rng.random()) for s in range(1_500, 2_600)]
    if pattern == "nan-and-collisions":
        rows = [(r[0], r[1], r[2], r[3], math.nan if r[2] % 7 == 0 else r[4]) for r in rows]
        rows += [(rid, kid, s, 10 + s, rng.random()) for s in range(3_000, 3_100)]  # same step and ms
        rows += [(rid, kid, s, 0, math.nan) for s in range(5_120, 6_144)]  # a block's worth of NaN
    for i in range(0, len(rows), 777):
        store.write_batches([(rid, "m", rows[i : i + 777])])
    got = {
        r[0]: r[1:]
        for r in store.conn.execute(
            "SELECT block, n, lo, hi, first_step FROM metric_blocks WHERE rid=? AND kid=?", (rid, kid)
        )
    }
    with store.transaction() as conn:
        conn.execute("DELETE FROM metric_blocks")
        for block in range(0, 7):
            store_mod._recompute_block(conn, rid, kid, block)
    want = {
        r[0]: r[1:]
        for r in store.conn.execute(
            "SELECT block, n, lo, hi, first_step FROM metric_blocks WHERE rid=? AND kid=?", (rid, kid)
        )
    }
    assert got == want
    assert sum(v[0] for v in got.values()) == store.conn.execute("SELECT count(*) FROM metrics").fetchone()[0]


def test_reset_and_close_store_release_everything(tmp_path) -> None:
    import tuitrack
    from tuitrack.tracking import session as tracking

    tuitrack.set_store(tmp_path / "a")
    tuitrack.configure(flush_interval=30)
    run = tuitrack.start_run(name="left-open")
    tuitrack.log_metric("x", 1.0)
    with pytest.raises(tuitrack.ActiveRunError):
        tuitrack.close_store()
    tuitrack.reset()
    assert tuitrack.active_run() is None and not tracking._writers and not tracking._stores
    assert tracking._settings["flush_interval"] == DEFAULT_INTERVAL_S and tuitrack.get_store_path() != tmp_path / "a"
    got = tuitrack.open_store(tmp_path / "a").get_run(run.id)
    assert got.info.status == "KILLED" and got.data.metrics == {"x": 1.0}
    with pytest.raises(tuitrack.ValidationError, match="flush_interval"):
        tuitrack.configure(flush_interval=0)
