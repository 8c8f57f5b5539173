"""Store reads for wide runs: a window of one run's keys, and many runs' histories in one read."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

from tuitrack.entities import MetricSummary
from tuitrack.store import reads
from tuitrack.store.core import Store

T0 = 1_750_000_000_000


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store(tmp_path / "store", create=True)
    yield st
    st.close()


def _run(st: Store, n: int, **kw: object) -> int:
    return st.create_run(
        run_id=uuid.UUID(int=n).hex, experiment_id=st.experiment_id("e"), name=f"r{n}", start_time=T0, **kw
    )  # type: ignore[arg-type]


def test_key_window_orders_system_keys_last_and_filters_and_pages(store: Store) -> None:
    tags = {
        "zeta": "1",
        "alpha": "2",
        "tuitrack.git.commit": "abc",
        "tuitrack.python": "3.11",
        "u/x": "3",
        "Tuitrack.Upper": "4",
        "tuitrack/slash": "5",
    }
    rid = _run(store, 1, tags=tags)
    w = store.key_window(rid, "tags")
    # keys below "tuitrack.", then above "tuitrack/", then the tuitrack.* range (binary order)
    assert [k for k, _ in w.rows] == [
        "Tuitrack.Upper",
        "alpha",
        "tuitrack/slash",
        "u/x",
        "zeta",
        "tuitrack.git.commit",
        "tuitrack.python",
    ]
    assert (w.total, w.tail, w.unfiltered, w.offset) == (7, 2, 7, 0)
    page = store.key_window(rid, "tags", offset=4, limit=2)
    assert [k for k, _ in page.rows] == ["zeta", "tuitrack.git.commit"] and page.get(5) == (
        "tuitrack.git.commit",
        "abc",
    )
    assert page.get(3) is None and page.get(6) is None
    hit = store.key_window(rid, "tags", needle="TUITRACK")  # any case
    assert [k for k, _ in hit.rows] == ["Tuitrack.Upper", "tuitrack/slash", "tuitrack.git.commit", "tuitrack.python"]
    assert (hit.total, hit.tail, hit.unfiltered, hit.needle) == (4, 2, 7, "TUITRACK")
    assert store.key_window(rid, "tags", needle="%").total == 0  # literal, not a LIKE pattern
    # counts given (scrolling the same filter): not counted again, used as given
    assert store.key_window(rid, "tags", offset=1, limit=1, counts=(99, 9, 100)).total == 99


def test_key_window_of_params_and_metric_summaries(store: Store) -> None:
    rid = _run(store, 2, params={"b": "2", "a": "1"})
    store.write_metrics(
        [
            (rid, "system/cpu", 50.0, 0, T0),
            (rid, "loss", 1.0, 0, T0),
            (rid, "loss", 0.5, 1, T0 + 1),
            (rid, "acc", math.nan, 0, T0),
        ]
    )
    assert store.key_window(rid, "params").rows == [("a", "1"), ("b", "2")]
    w = store.key_window(rid, "metrics")
    assert [s.key for s in w.rows] == ["acc", "loss", "system/cpu"] and w.tail == 1
    loss = w.rows[1]
    assert isinstance(loss, MetricSummary) and (loss.value, loss.min, loss.max, loss.count, loss.step) == (
        0.5,
        0.5,
        1.0,
        2,
        1,
    )
    assert math.isnan(w.rows[0].value)


def test_run_tags_reads_only_the_keys_asked(store: Store) -> None:
    rid = _run(store, 3, tags={"a": "1", "b": "2"})
    assert store.run_tags(rid, ["a", "missing"]) == {"a": "1"} and store.run_tags(rid, []) == {}


def test_binned_histories_average_shared_step_buckets_in_one_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for n in range(3):
        rid = _run(store, 10 + n)
        ids.append(uuid.UUID(int=10 + n).hex)
        store.write_metrics([(rid, "loss", float(s + n), s, T0 + s) for s in range(100) if not (n == 2 and s >= 50)])
    store.write_metrics([(store.rid(ids[0]), "loss", math.nan, 100, T0 + 100)])  # NaN: left out
    statements: list[str] = []
    real = store._all
    monkeypatch.setattr(store, "_all", lambda sql, params=(): statements.append(sql) or real(sql, params))
    out = store.binned_histories([*ids, "f" * 32], "loss", 10)
    assert len(statements) == 3  # key id, step range, the averages: not one read per run
    assert set(out) == set(ids)
    # 101 steps (0..100) in 10 buckets: the first bucket holds steps 0..10
    assert out[ids[0]][0] == (0, pytest.approx(sum(range(11)) / 11))
    assert out[ids[1]][0] == (0, pytest.approx(sum(range(11)) / 11 + 1))
    assert [s for s, _ in out[ids[0]]] == [s for s, _ in out[ids[1]]]  # the same x for every run
    assert len(out[ids[2]]) == 5  # a run that stopped early has no value in later buckets
    assert store.binned_histories(ids, "nope", 10) == {} and store.binned_histories([], "loss", 10) == {}


def test_binned_histories_use_the_summary_blocks_for_long_histories(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _run(store, 20)
    rows = [(rid, store.metric_kid("x"), s, T0 + s, float(s % 1024)) for s in range(20 * 1024)]
    store.write_batches([(rid, "x", rows)])
    exact = store.binned_histories([uuid.UUID(int=20).hex], "x", 4)[uuid.UUID(int=20).hex]
    monkeypatch.setattr(reads, "_BLOCKS_ABOVE", 100)
    blocks = store.binned_histories([uuid.UUID(int=20).hex], "x", 4)[uuid.UUID(int=20).hex]
    assert [s for s, _ in blocks] == [s for s, _ in exact] == [0, 5120, 10240, 15360]
    assert [v for _, v in blocks] == pytest.approx([v for _, v in exact], rel=0.01)  # each block: (min+max)/2
