"""The index-driven top-N search must return exactly what the plain ORDER BY returns."""

from __future__ import annotations

import random

import pytest

import tuitrack
from tuitrack.store import topn


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


ORDERS = [
    "metrics.auc DESC",
    "metrics.auc ASC",
    "metrics.auc DESC, params.p",
    "metrics.loss",
    "params.p",
    "params.p DESC",
    "params.p DESC, metrics.auc",
]
FILTERS = [
    "",
    "params.p >= 2",
    "metrics.loss < 0.5",
    "params.p = 'x'",
    "metrics.auc IS NULL",
    # bounds on the sort key itself (walked from the bound), and terms that must not become bounds
    "metrics.auc > 0.3",
    "metrics.auc <= 0.5 AND params.p >= 2",
    "metrics.auc = 0.2",
    "metrics.auc >= 0.1 AND metrics.auc < 0.6",
    "params.p > 1 AND params.p <= 3",
    "params.p = 2",
    "NOT metrics.auc > 0.3",
    "metrics.auc > 0.3 OR params.p = 'x'",
    "(metrics.auc > 0.3) AND metrics.loss < 0.5",
    "metrics.auc != 0.2",
    "params.p >= 2 AND NOT params.p = 3",
]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("flt", FILTERS)
def test_top_n_equals_full_order(mixed_store, order: str, flt: str) -> None:
    full = mixed_store.search_rids(flt, order)
    assert mixed_store._search_plan("r.rid", flt, order, None, False, None)[2]
    for limit, offset in [(10, 0), (50, 20), (200, 150), (1000, 0), (5, 155)]:
        assert mixed_store.search_rids(flt, order, max_results=limit, offset=offset) == full[offset : offset + limit]


def test_plain_orders_do_not_take_the_fast_path(mixed_store) -> None:
    assert mixed_store._search_plan("r.rid", "metrics.auc > 0.3", "run_name", None, False, None)[2] is None


@pytest.mark.parametrize(
    ("flt", "order", "walked"),
    [
        ("metrics.auc > 0.3 AND params.p >= 2", "metrics.auc DESC", ["o0.value > ?"]),
        ("metrics.auc >= 0.1 AND metrics.auc < 0.6", "metrics.auc", ["o0.value >= ?", "o0.value < ?"]),
        ("params.p > 1", "params.p DESC", ["o0.num > ?"]),
        ("metrics.loss < 0.5", "metrics.auc", []),  # another key: nothing to bound the walk with
        ("metrics.auc > 0.3 OR params.p = 'x'", "metrics.auc", []),
        ("NOT metrics.auc > 0.3", "metrics.auc", []),
    ],
)
def test_a_bound_on_the_sort_key_goes_into_the_walk(mixed_store, flt: str, order: str, walked: list[str]) -> None:
    """Only top-level AND terms on the sort key bound the walk; their values are bound parameters."""
    phases = mixed_store._search_plan("r.rid", flt, order, None, False, None)[2]
    first = phases[0]
    assert [t for t in ("o0.value > ?", "o0.value >= ?", "o0.value < ?", "o0.num > ?") if t in first.sql] == walked
    assert first.sql.count("?") == len(first.args)
    assert len(phases) == (1 if walked else (2 if order.startswith("metrics") else 3))


def test_walk_over_budget_falls_back_to_the_same_order(mixed_store, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the index walk is interrupted, the plain query answers, in exactly the same order."""
    full = mixed_store.search_rids("params.p >= 2", "metrics.auc ASC")
    monkeypatch.setattr(topn, "WALK_CHECK", 1)
    monkeypatch.setattr(topn, "WALK_BUDGET", 0)
    calls = []
    real = topn.run_phases

    def spy(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except topn.OverBudget:
            calls.append("fell back")
            raise

    monkeypatch.setattr(topn, "run_phases", spy)
    assert mixed_store.search_rids("params.p >= 2", "metrics.auc ASC", max_results=7, offset=3) == full[3:10]
    assert calls == ["fell back"]
    assert mixed_store.conn.execute("SELECT 1").fetchone() == (1,)  # the handler is gone afterwards
