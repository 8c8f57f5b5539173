"""The index-driven top-N search must return exactly what the plain ORDER BY returns."""

from __future__ import annotations

import random

import pytest

import tuitrack
from tuitrack import store_reads


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("fastpath")
    tuitrack.set_store(path)
    tuitrack.configure(capture_packages=False, capture_env=False)
    rng = random.Random(3)
    try:
        for i in range(160):
            with tuitrack.start_run(name=f"r{i % 7}", params={"p": rng.choice([1, 2, 3, "x", "10"])}) as run:
                c = rng.random()
                if c < 0.7:  # some runs lack the metric, some have NaN, many tie
                    run.log_metric("auc", rng.choice([0.1, 0.2, 0.5, float("nan"), rng.random()]))
                if c < 0.4:
                    run.log_metric("loss", rng.random())
        yield tuitrack.open_store(path)
    finally:
        tuitrack.configure(capture_packages=True, capture_env=True)
        tuitrack.set_store(None)


ORDERS = ["metrics.auc DESC", "metrics.auc ASC", "metrics.auc DESC, params.p", "metrics.loss", "params.p",
          "params.p DESC", "params.p DESC, metrics.auc"]
FILTERS = ["", "params.p >= 2", "metrics.loss < 0.5", "params.p = 'x'", "metrics.auc IS NULL"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("flt", FILTERS)
def test_top_n_equals_full_order(mixed_store, order: str, flt: str) -> None:
    full = mixed_store.search_rids(flt, order)
    assert store_reads._top_n_phases(mixed_store._search_sql("r.rid", flt, order, None, False, None)[0])
    for limit, offset in [(10, 0), (50, 20), (200, 150), (1000, 0), (5, 155)]:
        assert mixed_store.search_rids(flt, order, max_results=limit, offset=offset) == full[offset:offset + limit]


def test_plain_orders_do_not_take_the_fast_path(mixed_store) -> None:
    sql, _ = mixed_store._search_sql("r.rid", "", "run_name", None, False, None)
    assert store_reads._top_n_phases(sql) is None


def test_walk_over_budget_falls_back_to_the_same_order(mixed_store, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the index walk is interrupted, the plain query answers, in exactly the same order."""
    full = mixed_store.search_rids("params.p >= 2", "metrics.auc ASC")
    monkeypatch.setattr(store_reads, "_WALK_CHECK", 1)
    monkeypatch.setattr(store_reads, "_WALK_BUDGET", 0)
    calls = []
    real = mixed_store._search_in_phases

    def spy(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except store_reads._OverBudget:
            calls.append("fell back")
            raise

    monkeypatch.setattr(mixed_store, "_search_in_phases", spy)
    assert mixed_store.search_rids("params.p >= 2", "metrics.auc ASC", max_results=7, offset=3) == full[3:10]
    assert calls == ["fell back"]
    assert mixed_store.conn.execute("SELECT 1").fetchone() == (1,)  # the handler is gone afterwards
