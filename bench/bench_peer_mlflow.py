"""Optional peer figures: the same workloads through MLflow (sqlite backend) and through tuitrack.

MLflow runs in the interpreter given by ``--python`` (a scratch venv: ``python3 -m venv /tmp/mlflowenv
&& /tmp/mlflowenv/bin/pip install mlflow-skinny sqlalchemy alembic``); the bench is skipped, with a
message saying why, when that interpreter or its mlflow is missing.  Sizes are modest because MLflow
commits every call (2,000 log_metric calls, 5,000 runs for search: a few minutes in all):

* log_metric: N calls on one run, one key -> median caller cost and committed points/s;
* log_batch: 10 keys x S steps (MLflow ``log_batch`` of 1,000 metrics; tuitrack ``log_metrics`` per step);
* create R runs x 20 params x 10 metrics (tuitrack with environment capture off, as MlflowClient.create_run);
* search_runs over those runs, ``metrics.auc > 0.8 AND params.param_1 = 'adam'``
  ordered by ``metrics.auc DESC``, 100 results (a filter both syntaxes accept);
* get_metric_history: one 100k-point series read in full (and tuitrack downsampled to 200).

Run: ``python bench/bench_peer_mlflow.py [--python /tmp/mlflowenv/bin/python] [--quick]``.
This file is also the MLflow child (``--mlflow-child``), so it imports only the stdlib at the top.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PYTHON = "/tmp/mlflowenv/bin/python"
MARK = "PEER_JSON:"
FILTER = "metrics.auc > 0.8 AND params.param_1 = 'adam'"
ORDER = ["metrics.auc DESC"]
KEYS10 = [f"m{i}" for i in range(10)]


def _median(fn: Any, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _run_rows(n_runs: int, seed: int = 1) -> list[tuple[dict[str, str], dict[str, float]]]:
    """Params and metrics of ``n_runs`` runs, the same distribution as make_store.py (20 params, 10 metrics)."""
    rng = random.Random(seed)
    names = ["accuracy", "auc", "precision", "recall", "f1", "loss", "val_loss", "rmse", "mae", "lr"]
    out = []
    for _ in range(n_runs):
        params = {
            f"param_{p}": (
                str(rng.choice([10, 20, 50, 100, 200])) if p % 2 == 0 else rng.choice(["adam", "sgd", "rmsprop"])
            )
            for p in range(20)
        }
        out.append((params, {k: rng.random() for k in names}))
    return out


# -- MLflow side (runs in the --python interpreter) ----------------------------------------------
def mlflow_child(calls: int, batch_steps: int, runs: int, points: int) -> dict[str, Any]:
    import logging

    logging.disable(logging.WARNING)  # alembic's migration chatter
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    tmp = Path(tempfile.mkdtemp(prefix="peer-mlflow-"))
    try:
        mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
        client = MlflowClient()
        exp = client.create_experiment("bench")  # creates the schema: not timed
        out: dict[str, Any] = {"version": mlflow.__version__}

        run = client.create_run(exp)
        samples = []
        t0 = time.perf_counter()
        for step in range(calls):
            a = time.perf_counter_ns()
            client.log_metric(run.info.run_id, "loss", step * 0.001, step=step)
            samples.append(time.perf_counter_ns() - a)
        total = time.perf_counter() - t0
        out["log_metric_us"] = statistics.median(samples) / 1000
        out["log_metric_pts_s"] = calls / total

        run = client.create_run(exp)
        ts = int(time.time() * 1000)
        metrics = [Metric(k, s * 0.001, ts, s) for s in range(batch_steps) for k in KEYS10]
        t0 = time.perf_counter()
        for i in range(0, len(metrics), 1000):
            client.log_batch(run.info.run_id, metrics=metrics[i : i + 1000])
        out["log_batch_pts_s"] = len(metrics) / (time.perf_counter() - t0)

        sexp = client.create_experiment("search")
        t0 = time.perf_counter()
        for params, values in _run_rows(runs):
            r = client.create_run(sexp)
            client.log_batch(
                r.info.run_id,
                metrics=[Metric(k, v, ts, 0) for k, v in values.items()],
                params=[Param(k, v) for k, v in params.items()],
            )
        out["search_build_s"] = time.perf_counter() - t0
        found = client.search_runs([sexp], FILTER, order_by=ORDER, max_results=100)
        out["search_found"] = len(found)
        out["search_ms"] = _median(lambda: client.search_runs([sexp], FILTER, order_by=ORDER, max_results=100)) * 1000

        run = client.create_run(exp)
        series = [Metric("long", (s % 1000) * 0.001, ts, s) for s in range(points)]
        for i in range(0, len(series), 1000):
            client.log_batch(run.info.run_id, metrics=series[i : i + 1000])
        out["history_points"] = len(client.get_metric_history(run.info.run_id, "long"))
        out["history_ms"] = _median(lambda: client.get_metric_history(run.info.run_id, "long"), 3) * 1000
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- tuitrack side (this venv) ------------------------------------------------------------------
def tuitrack_side(calls: int, batch_steps: int, runs: int, points: int) -> dict[str, Any]:
    import tuitrack
    from tuitrack.store.core import Store
    from tuitrack.tracking import session as tracking

    tmp = Path(tempfile.mkdtemp(prefix="peer-tuitrack-"))
    out: dict[str, Any] = {}
    saved = dict(tracking._settings)
    try:
        tuitrack.set_store(tmp / "store")
        # MlflowClient.create_run records nothing about the environment: compare like with like.
        tuitrack.configure(capture_packages=False, capture_env=False)
        with tuitrack.start_run(name="calls") as run:
            samples = []
            t0 = time.perf_counter()
            for step in range(calls):
                a = time.perf_counter_ns()
                run.log_metric("loss", step * 0.001, step)
                samples.append(time.perf_counter_ns() - a)
            run.flush()
            total = time.perf_counter() - t0
        out["log_metric_us"] = statistics.median(samples) / 1000
        out["log_metric_pts_s"] = calls / total
        with tuitrack.start_run(name="batch") as run:
            t0 = time.perf_counter()
            for s in range(batch_steps):
                run.log_metrics({k: s * 0.001 for k in KEYS10}, step=s)
            run.flush()
            out["log_batch_pts_s"] = batch_steps * len(KEYS10) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        tuitrack.set_experiment("search")
        for params, values in _run_rows(runs):
            with tuitrack.start_run(params=params) as r:
                r.log_metrics(values, step=0)
        out["search_build_s"] = time.perf_counter() - t0
        with tuitrack.start_run(name="long") as run:
            for s in range(points):
                run.log_metric("long", (s % 1000) * 0.001, s)
            long_id = run.id
        tuitrack.set_store(None)
        store = Store(tmp / "store", read_only=True)
        exps = ["search"]
        out["search_found"] = len(
            store.search_runs(FILTER, ORDER, experiment_ids=store.experiment_ids(exps), max_results=100)
        )
        out["search_ms"] = (
            _median(
                lambda: store.search_runs(FILTER, ORDER, experiment_ids=store.experiment_ids(exps), max_results=100)
            )
            * 1000
        )
        out["history_points"] = len(store.get_metric_history(long_id, "long"))
        out["history_ms"] = _median(lambda: store.get_metric_history(long_id, "long"), 3) * 1000
        out["history_200_ms"] = _median(lambda: store.get_metric_history(long_id, "long", max_points=200), 3) * 1000
        store.close()
        return out
    finally:
        tuitrack.set_store(None)
        tracking._settings.update(saved)
        shutil.rmtree(tmp, ignore_errors=True)


def peer_available(python: str) -> str | None:
    """None when ``python`` can import mlflow with a sqlite backend, else why not."""
    if not Path(python).exists():
        return f"{python} does not exist"
    probe = subprocess.run(
        [python, "-c", "import mlflow, sqlalchemy, alembic; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if probe.returncode != 0:
        return f"mlflow not importable in {python}: {probe.stderr.strip().splitlines()[-1:] or '?'}"
    return None


def run(
    python: str = DEFAULT_PYTHON, calls: int = 2000, batch_steps: int = 1000, runs: int = 5000, points: int = 100_000
) -> tuple[list[Any], str | None]:
    """(figures, skip reason): MLflow is the baseline of each tuitrack figure here."""
    from common import Figure

    why = peer_available(python)
    if why:
        return [], why
    cmd = [
        python,
        __file__,
        "--mlflow-child",
        "--calls",
        str(calls),
        "--batch-steps",
        str(batch_steps),
        "--runs",
        str(runs),
        "--points",
        str(points),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        return [], f"mlflow child failed: {proc.stderr.strip()[-1500:]}"
    ml = json.loads(lines[-1][len(MARK) :])
    tt = tuitrack_side(calls, batch_steps, runs, points)
    v = ml["version"]
    if ml["search_found"] != tt["search_found"]:
        raise RuntimeError(f"search found {tt['search_found']} runs in tuitrack, {ml['search_found']} in MLflow")

    def peer(
        what: str, key: str, unit: str, higher_is_better: bool = False, ml_key: str = "", ml_what: str = ""
    ) -> Any:
        """tuitrack's ``tt[key]`` against MLflow's ``ml[ml_key or key]``, the ratio read as "x faster"."""
        ours, theirs = tt[key], ml[ml_key or key]
        ratio = ours / theirs if higher_is_better else theirs / ours
        return Figure(what, ours, unit, f"MLflow {v}{ml_what}", theirs, ratio=ratio, ratio_label="x faster")

    return [
        peer(f"peer: log_metric median caller cost, {calls:,} calls", "log_metric_us", "us"),
        peer(f"peer: log_metric committed, {calls:,} calls", "log_metric_pts_s", "pts/s", higher_is_better=True),
        peer(
            f"peer: batched logging, 10 keys x {batch_steps:,} steps",
            "log_batch_pts_s",
            "pts/s",
            higher_is_better=True,
            ml_what=" log_batch",
        ),
        peer(f"peer: create {runs:,} runs x 20 params x 10 metrics", "search_build_s", "s"),
        peer(f"peer: search_runs {runs:,} runs, 2 clauses + order_by, 100 results", "search_ms", "ms"),
        peer(f"peer: get_metric_history {points:,} pts, full", "history_ms", "ms"),
        peer(
            f"peer: get_metric_history {points:,} pts, tuitrack max_points=200",
            "history_200_ms",
            "ms",
            ml_key="history_ms",
            ml_what=" (full read)",
        ),
    ], None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter with mlflow installed")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--batch-steps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    ap.add_argument("--mlflow-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.calls, args.batch_steps, args.runs, args.points = 200, 100, 200, 5000
    if min(args.calls, args.batch_steps, args.runs, args.points) < 1:
        ap.error("sizes must be positive")
    if args.mlflow_child:
        print(MARK + json.dumps(mlflow_child(args.calls, args.batch_steps, args.runs, args.points)))
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import table

    figures, why = run(args.python, args.calls, args.batch_steps, args.runs, args.points)
    if why:
        print(f"peer bench skipped: {why}")
        return
    print(table(figures))


if __name__ == "__main__":
    main()
