"""Summary fields (metrics.KEY.min/.max/.best/.best_step/.mean_last_10 ...): stored on write, read by
filter and order_by from the summary row, unambiguous for dotted keys."""

from __future__ import annotations

import math
import random

import pytest

import tuitrack
from tuitrack.query import summaries
from tuitrack.query.filter import FilterError, compile_filter, compile_order_by, parse_field
from tuitrack.store.core import Store


def _log(run, key: str, values: list[float], start: int = 0) -> None:
    for i, v in enumerate(values):
        run.log_metric(key, v, step=start + i)


@pytest.fixture
def store(store_path):
    """conftest's store_path: a fresh store made current, environment capture off, tuitrack reset after."""
    return store_path


def test_write_keeps_first_step_of_each_extreme_and_the_last_ten_mean(store) -> None:
    with tuitrack.start_run(name="a") as run:
        _log(run, "val_loss", [0.9, 0.5, 0.2, 0.7, 0.2, float("nan")])
        tuitrack.flush()
        _log(run, "val_loss", [0.3, 0.1, 0.1, 0.95], start=6)  # a second batch: new min at 7, new max at 9
        _log(run, "acc", [0.5, 0.8, 0.8])
    s = tuitrack.get_run(run.id).data.summaries
    v = s["val_loss"]
    assert (v.min, v.min_step, v.max, v.max_step, v.count) == (0.1, 7, 0.95, 9, 10)
    finite = [0.9, 0.5, 0.2, 0.7, 0.2, 0.3, 0.1, 0.1, 0.95]  # the last 10 points, NaN skipped
    assert v.tail_mean == pytest.approx(sum(finite) / len(finite))
    assert (s["acc"].max, s["acc"].max_step) == (0.8, 1)  # a tie keeps the earliest step
    assert summaries.value(v, "best") == 0.1 and summaries.value(v, "best_step") == 7
    assert summaries.value(s["acc"], "best_step") == 1
    assert summaries.value(v, "best", {"val_loss": "max"}) == 0.95


def test_out_of_order_and_tied_batches(store) -> None:
    with tuitrack.start_run(name="a") as run:
        for step, v in [(5, 1.0), (2, 1.0), (9, 3.0), (1, 3.0)]:
            run.log_metric("m", v, step=step)
        tuitrack.flush()
        run.log_metric("m", 1.0, step=0)  # ties the min earlier than any stored step
    m = tuitrack.get_run(run.id).data.summaries["m"]
    assert (m.min_step, m.max_step, m.tail_mean) == (0, 1, pytest.approx(9 / 5))


def test_all_nan_series_has_no_extreme_steps(store) -> None:
    with tuitrack.start_run(name="a") as run:
        _log(run, "m", [float("nan")] * 3)
    m = tuitrack.get_run(run.id).data.summaries["m"]
    assert math.isnan(m.min) and m.min_step is None and m.tail_mean is None
    assert tuitrack.search_runs("metrics.m.min IS NULL", output_format="list")[0].id == run.id
    assert tuitrack.search_runs("metrics.m.min IS NOT NULL", output_format="list") == []
    assert (
        tuitrack.search_runs("metrics.m IS NOT NULL", output_format="list")[0].id == run.id
    )  # NaN still counts as logged


@pytest.fixture
def three(store):
    ids = {}
    for name, losses, accs in [
        ("a", [0.9, 0.1, 0.8], [0.5, 0.6]),
        ("b", [0.5, 0.4, 0.3], [0.9, 0.2]),
        ("c", [0.2, 0.25, 0.95], [0.7]),
    ]:
        with tuitrack.start_run(name=name) as run:
            _log(run, "val.loss", losses)
            _log(run, "acc", accs)
        ids[name] = run.id
    return ids


def _names(flt: str = "", order=None) -> list[str]:
    return [r.info.run_name for r in tuitrack.search_runs(flt, order_by=order, output_format="list")]


def test_filter_and_sort_by_summary_fields(three) -> None:
    assert _names("metrics.val.loss.min < 0.25", ["metrics.val.loss.min ASC"]) == ["a", "c"]
    assert _names("", ["metrics.val.loss.min"]) == ["a", "c", "b"]
    assert _names("", ["metrics.val.loss DESC"]) == ["c", "a", "b"]  # the plain key is still the last value
    assert _names("", ["metrics.val.loss.last DESC"]) == ["c", "a", "b"]
    assert _names("metrics.val.loss.best_step = 0") == ["c"]  # lower is better for a loss
    assert _names("metrics.acc.best_step = 0", ["run_name"]) == ["b", "c"]  # higher is better for acc
    assert _names("", ["metrics.acc.best DESC"]) == ["b", "c", "a"]
    assert _names("metrics.acc.count = 2", ["run_name"]) == ["a", "b"]
    assert _names("metrics.val.loss.mean_last_10 > 0.5", ["run_name"]) == ["a"]
    assert _names("metrics.`val.loss`.max >= 0.9", ["metrics.`val.loss`.max DESC"]) == ["c", "a"]
    assert _names("NOT metrics.val.loss.max >= 0.9") == ["b"]
    runs = tuitrack.search_runs("", order_by=["metrics.val.loss.best ASC"], output_format="list")
    assert [r.info.run_name for r in runs] == ["a", "c", "b"]


def test_directions_override_flips_best(three) -> None:
    store = tuitrack.open_store()
    by_max = store.search_runs("", ["metrics.val.loss.best DESC"], directions={"val.loss": "max"})
    assert [r.info.run_name for r in by_max] == ["c", "a", "b"]
    assert store.count_runs("metrics.val.loss.best > 0.85", directions={"val.loss": "max"}) == 2


def test_an_existing_key_wins_over_the_summary_reading(store) -> None:
    with tuitrack.start_run(name="keyed") as run:
        _log(run, "reward", [1.0, 5.0, 2.0])
        run.log_metric("reward.max", 7.0)
    assert _names("metrics.reward.max = 7") == ["keyed"]  # the key "reward.max"
    assert _names("metrics.`reward`.max = 5") == ["keyed"]  # quoted key + field: the summary
    assert _names("metrics.`reward.max` = 7") == ["keyed"]
    assert _names("metrics.reward.min = 1") == ["keyed"]  # no key "reward.min": the summary
    # Without a store (the app's keystroke check) the summary reading is taken.
    assert parse_field("metrics.reward.max") == ("metrics", "reward", "max")
    assert parse_field("metrics.reward.max", {"reward.max"}.__contains__) == ("metrics", "reward.max", None)
    assert parse_field("metrics.`a.b`.best_step") == ("metrics", "a.b", "best_step")
    assert parse_field("metrics.`a.b.min`") == ("metrics", "a.b.min", None)
    assert parse_field("params.data.min") == ("params", "data.min", None)  # fields are for metrics only


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.loss.mean_last_5 > 1", "only mean_last_10 is kept"),
        ("metrics.`loss`.median > 1", "unknown summary 'median'"),
        ("params.`lr`.min > 1", "for metrics only"),
        ("metrics.loss.min LIKE 'x'", "LIKE is not supported"),
        ("metrics.loss.min > 'x'", "a number for metrics.loss.min"),
    ],
)
def test_bad_summary_fields_are_explained(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        compile_filter(text)


def test_summary_sql_uses_only_fixed_column_names_and_bound_keys() -> None:
    evil = "x`); DROP TABLE runs; --"
    key = summaries.field_key(evil, "min")
    c = compile_filter(f"{key} < 1")
    assert "DROP" not in c.sql and evil in c.params
    o = compile_order_by([f"{key} DESC"])
    assert "DROP" not in o.order_sql + o.joins and o.params == (evil,) and o.first_column == "min_value"


def test_unstored_fields_are_summary_columns_in_sql() -> None:
    c = compile_filter("metrics.loss.best_step = 3 AND metrics.acc.best > 0.5 AND metrics.f1.mean_last_10 > 0")
    assert "m.min_step = ?" in c.sql and "m.max_value > ?" in c.sql and "m.tail_mean > ?" in c.sql
    assert [b.column for b in c.bounds] == ["min_step", "max_value", "tail_mean"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("summaries")
    tuitrack.set_store(path)
    tuitrack.configure(capture_packages=False, capture_env=False)
    rng = random.Random(5)
    try:
        for i in range(120):
            with tuitrack.start_run(name=f"r{i % 5}") as run:
                c = rng.random()
                if c < 0.8:  # some runs lack it; values tie often; some series hold NaN
                    n = rng.randint(1, 14)
                    _log(run, "auc", [rng.choice([0.1, 0.5, float("nan"), round(rng.random(), 2)]) for _ in range(n)])
        yield Store(path, read_only=True)
    finally:
        tuitrack.configure(capture_packages=True, capture_env=True)
        tuitrack.set_store(None)


@pytest.mark.parametrize(
    "order",
    [
        "metrics.auc.min DESC",
        "metrics.auc.max",
        "metrics.auc.best_step DESC",
        "metrics.auc.mean_last_10",
        "metrics.auc.count DESC, run_name",
    ],
)
@pytest.mark.parametrize(
    "flt",
    [
        "",
        "metrics.auc.max > 0.3",
        "metrics.auc.min <= 0.5 AND metrics.auc.max >= 0.1",
        "metrics.auc.min = 0.1",
        "NOT metrics.auc.min > 0.3",
        "run_name = 'r1'",
        "metrics.auc.best_step >= 3",  # bounds on the step and tail-mean sorts go into their walks
        "metrics.auc.max_step < 5 AND metrics.auc.max_step >= 1",
        "metrics.auc.mean_last_10 > 0.3",
    ],
)
def test_top_n_of_summary_sorts_equals_full_order(mixed, order: str, flt: str) -> None:
    """The index walks over (key, min_value), (key, max_value), (key, max_step) and (key, tail_mean)
    (schema 8) return what the plain sort does; count has no index and sorts plainly."""
    full = mixed.search_rids(flt, order)
    plan = mixed._search_plan("r.rid", flt, order, None, False, None)[2]
    assert (plan is not None) == (not order.startswith("metrics.auc.count"))
    for limit, offset in [(10, 0), (30, 20), (200, 100), (5, 115)]:
        assert mixed.search_rids(flt, order, max_results=limit, offset=offset) == full[offset : offset + limit]
    # And the plain sort agrees with the summaries the runs carry.
    field = order.split()[0].split(".")[2]
    vals = [summaries.value(r.data.summaries.get("auc"), field) for r in mixed.runs_by_rids(full)]
    present = [v for v in vals if v is not None and not (isinstance(v, float) and math.isnan(v))]
    assert present == vals[: len(present)]
    descending = "DESC" in order.split(",")[0]
    assert present == sorted(present, reverse=descending)
