"""Logging from worker threads (issue #15, item 5): each thread has its own active run, as in MLflow.

MLflow's documented pattern, a thread pool whose workers each do ``with start_run(): log_metric(...)``,
crashed in 9 of 20 repeats and mixed runs' metrics, because the active-run stack was one list for
the whole process.  Every point, param and tag is counted per run here, repeated under a writer
flushing every 10 ms and a main-thread run logging meanwhile.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tuitrack
from tuitrack.errors import ActiveRunError

WORKERS = 8
RUNS = 40
POINTS = 400


def _worker(i: int, barrier: threading.Barrier | None) -> str:
    if barrier is not None:
        barrier.wait()  # every worker inside its run at once: the worst interleaving
    with tuitrack.start_run(name=f"w{i}") as run:
        tuitrack.log_param("worker", i)
        tuitrack.set_tag("worker", str(i))
        for step in range(POINTS):
            tuitrack.log_metric("value", float(i), step=step)
            tuitrack.log_metric("auto", float(i))  # no step: numbered per run, not per process
        assert tuitrack.active_run() is run
        return run.id


@pytest.mark.parametrize("repeat", range(5))
def test_thread_pool_of_runs_keeps_every_point_in_its_own_run(store_path: Path, repeat: int) -> None:
    tuitrack.configure(flush_interval=0.01)
    with tuitrack.start_run(name="main") as main:
        barrier = threading.Barrier(WORKERS)
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [pool.submit(_worker, i, barrier if i < WORKERS else None) for i in range(RUNS)]
            for step in range(POINTS):
                tuitrack.log_metric("main", 1.0, step=step)  # the main thread's run meanwhile
            ids = [f.result() for f in futures]  # no worker raised
        assert tuitrack.active_run() is main
    tuitrack.flush()
    store = tuitrack.open_store(store_path)
    assert len(set(ids)) == RUNS
    for i, run_id in enumerate(ids):
        run = store.get_run(run_id)
        assert run.info.run_name == f"w{i}" and run.info.status == "FINISHED"
        assert run.info.parent_id is None  # a worker's run is not the main run's child
        assert run.data.params == {"worker": str(i)} and run.data.tags == {"worker": str(i)}
        for key in ("value", "auto"):
            history = store.get_metric_history(run_id, key)
            assert len(history) == POINTS, (i, key, len(history))
            assert {p.value for p in history} == {float(i)}, (i, key)
            assert [p.step for p in history] == list(range(POINTS))
    main_run = store.get_run(main.id)
    assert set(main_run.data.metrics) == {"main"} and main_run.data.summaries["main"].count == POINTS


def test_nested_true_in_a_worker_makes_a_child_of_the_main_run(store_path: Path) -> None:
    with tuitrack.start_run(name="sweep") as parent:

        def child(i: int) -> str:
            with tuitrack.start_run(name=f"trial{i}", nested=True) as run:
                tuitrack.log_metric("score", float(i))
                return run.id

        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(child, range(8)))
    store = tuitrack.open_store(store_path)
    assert {store.get_run(i).info.parent_id for i in ids} == {parent.id}
    assert sorted(c[0] for c in store.child_runs(parent.id)) == sorted(ids)


def test_each_thread_refuses_a_second_run_of_its_own_only(store_path: Path) -> None:
    with tuitrack.start_run(name="main"):
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                with tuitrack.start_run(name="w"), pytest.raises(ActiveRunError, match="already active"):
                    tuitrack.start_run(name="w2")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert errors == []
        with pytest.raises(ActiveRunError, match="already active"):
            tuitrack.start_run(name="main2")
