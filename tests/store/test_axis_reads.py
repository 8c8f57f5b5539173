"""Reads of a few keys of many runs (the parallel-coordinates view): equal to what the whole-run read gives."""

from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrack.store.core import Store

T0 = 1_750_000_000_000
KEYS = ["a", "b", "b.min", "c`d", "lr", "Loss", "val_loss", "z/1", "é"]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, -1.5, 1e-9, 1e12]),
)
RUN = st.fixed_dictionaries(
    {
        "params": st.dictionaries(st.sampled_from(KEYS), st.text(max_size=6), max_size=5),
        "tags": st.dictionaries(st.sampled_from(KEYS), st.text(max_size=4), max_size=3),
        "metrics": st.dictionaries(st.sampled_from(KEYS), st.lists(VALUES, min_size=1, max_size=4), max_size=5),
    }
)


def _build(path: Path, runs: list[dict]) -> tuple[Store, list[int]]:
    store = Store(path, create=True)
    exp = store.experiment_id("e")
    rids = []
    for n, spec in enumerate(runs):
        rid = store.create_run(
            run_id=uuid.UUID(int=n + 1).hex, experiment_id=exp, name=f"r{n}", start_time=T0, tags=spec["tags"]
        )
        if spec["params"]:
            store.log_params(rid, spec["params"])
        store.write_metrics(
            [(rid, key, v, step, T0 + step) for key, vs in spec["metrics"].items() for step, v in enumerate(vs)]
        )
        rids.append(rid)
    return store, rids


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b)))
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(RUN, min_size=1, max_size=6),
    params=st.lists(st.sampled_from([*KEYS, "absent"]), max_size=4),
    metrics=st.lists(st.sampled_from([*KEYS, "absent"]), max_size=4),
    order=st.randoms(use_true_random=False),
    limit=st.integers(1, 12),
)
def test_axis_reads_equal_the_whole_run_read(runs, params, metrics, order, limit) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, rids = _build(Path(tmp) / "store", runs)
        try:
            asked = [*rids, 10_000]  # an unknown rid is skipped, as runs_by_rids skips it
            order.shuffle(asked)
            full = store.runs_by_rids(asked)
            got = store.runs_with_keys(asked, params=params, metrics=metrics)
            assert [r.info for r in got] == [r.info for r in full]
            for part, whole in zip(got, full):
                assert part.data.tags == {}
                assert part.data.params == {k: v for k, v in whole.data.params.items() if k in params}
                assert set(part.data.metrics) == {k for k in whole.data.metrics if k in metrics}
                for key, summary in part.data.summaries.items():
                    other = whole.data.summaries[key]
                    assert _same(part.data.metrics[key], whole.data.metrics[key])
                    for attr in ("value", "min", "max", "tail_mean"):
                        assert _same(getattr(summary, attr), getattr(other, attr)), attr
                    for attr in ("step", "timestamp", "count", "min_step", "max_step"):
                        assert getattr(summary, attr) == getattr(other, attr), attr
            some = rids[: max(1, len(rids) // 2)]
            for kind in ("params", "metrics"):
                every = sorted({k for r in store.runs_by_rids(some) for k in getattr(r.data, kind)})
                assert store.keys_of_runs(some, kind, limit=100) == every
                assert store.keys_of_runs(some, kind, limit=limit) == every[:limit]
                assert store.keys_of_runs(some, kind, needle="B") == [k for k in every if "b" in k.lower()]
        finally:
            store.close()


def test_axis_reads_chunk_past_the_variable_limit(tmp_path: Path) -> None:
    """2,000 runs: more rids than one statement may bind; every run is read, in the order asked."""
    store = Store(tmp_path / "store", create=True)
    exp = store.experiment_id("e")
    rids = []
    for n in range(2000):
        rid = store.create_run(run_id=uuid.UUID(int=n + 1).hex, experiment_id=exp, name=f"r{n}", start_time=T0)
        rids.append(rid)
    store.write_metrics([(rid, "loss", float(i), 0, T0) for i, rid in enumerate(rids)])
    store.write_metrics([(rids[-1], "zz_last_run_only", 1.0, 0, T0)])
    got = store.runs_with_keys(rids[::-1], metrics=["loss"])
    assert [r.data.metrics["loss"] for r in got] == [float(i) for i in range(1999, -1, -1)]
    assert store.keys_of_runs(rids, "metrics") == ["loss", "zz_last_run_only"]
    assert store.keys_of_runs(rids[:-1], "metrics") == ["loss"]
    store.close()
