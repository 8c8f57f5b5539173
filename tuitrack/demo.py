"""A realistic demo store, written through the public logging API.

``tuitrack demo`` and the TUI tests/screenshots use it, so it exercises what a
real training script does: params, per-epoch histories, tags, artifacts, a
model, a dataset, nested sweep runs, one FAILED run and one run whose process
died while RUNNING.  With ``now_ms`` it is fully deterministic (fixed clock,
seeded ids, fixed identity), which snapshot tests need.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tuitrack
from tuitrack.store import core as _store_mod
from tuitrack.tracking import session as tracking

V1 = "churn-prediction-v1"
V2 = "churn-prediction-v2"
IDENTITY = {"user": "alice", "host": "gpu-box-01", "source": "python train.py --config configs/churn.yaml"}
EPOCHS = 120
N_ROWS = 5000
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
REQUIREMENTS = "numpy==1.26.4\npandas==2.2.2\nscikit-learn==1.5.1\nxgboost==2.1.1\n"


class DemoChurnModel:
    """A tiny picklable "model": a logistic score over two features, enough to load back and predict."""

    def __init__(self, weights: Sequence[float], bias: float, threshold: float = 0.5):
        self.weights = list(weights)
        self.bias = bias
        self.threshold = threshold

    def predict_proba(self, rows: Sequence[Sequence[float]]) -> list[float]:
        return [1 / (1 + math.exp(-(sum(w * x for w, x in zip(self.weights, row)) + self.bias))) for row in rows]

    def predict(self, rows: Sequence[Sequence[float]]) -> list[int]:
        """1 = the customer churns."""
        return [int(p >= self.threshold) for p in self.predict_proba(rows)]


class _Clock:
    """A clock the demo moves by hand, so runs get distinct, plausible start times and durations."""

    def __init__(self, t: int):
        self.t = t

    def __call__(self) -> int:
        return self.t


@contextmanager
def _isolated(path: Path, clock: _Clock, ids: Callable[[], str] | None) -> Iterator[None]:
    """Point the logging API at ``path`` with a fake clock/ids/identity; restore everything afterwards.

    The tracking module exposes setters but no getters, so the previous settings are read from its
    module state here (a wished-for public getter is listed in the reviewer's report); the demo
    store itself is closed through the public ``close_store``.
    """
    saved = (
        tracking._store_path,
        tracking._experiment,
        dict(tracking._settings),
        _store_mod._clock,
        tracking._new_run_id,
    )
    tuitrack.set_store(path)
    _store_mod.set_clock(clock)
    if ids is not None:
        tracking.set_id_factory(ids)
    tuitrack.configure(capture_env=False, identity=IDENTITY, flush_interval=3600.0)
    try:
        yield
    finally:
        try:
            tracking.close_store(path)  # writes what is buffered, stops the writer, closes the connection
        finally:
            tracking._store_path, tracking._experiment = saved[0], saved[1]
            tracking._settings.clear()
            tracking._settings.update(saved[2])
            _store_mod.set_clock(saved[3])
            tracking.set_id_factory(saved[4])


# -- plausible numbers --------------------------------------------------------------------
def _history(
    rng: random.Random, quality: float, overfit: float, epochs: int = EPOCHS
) -> list[tuple[float, float, float]]:
    """(loss, val_loss, accuracy) per epoch: decaying noisy curves; ``overfit`` bends val_loss up late."""
    floor = 0.55 - 0.45 * quality
    out = []
    for e in range(epochs):
        x = e / epochs
        loss = floor + 0.6 * math.exp(-6 * x) + rng.gauss(0, 0.012)
        val = floor + 0.04 + 0.6 * math.exp(-5 * x) + overfit * max(0.0, x - 0.55) ** 2 + rng.gauss(0, 0.018)
        acc = 0.62 + (quality * 0.3) * (1 - math.exp(-5 * x)) + rng.gauss(0, 0.006)
        out.append((max(loss, 0.01), max(val, 0.01), min(acc, 0.995)))
    return out


def _final_metrics(rng: random.Random, accuracy: float) -> dict[str, float]:
    precision = min(0.99, accuracy - 0.05 + rng.uniform(-0.02, 0.03))
    recall = min(0.99, accuracy - 0.09 + rng.uniform(-0.03, 0.03))
    f1 = 2 * precision * recall / (precision + recall)
    auc = min(0.995, accuracy + 0.04 + rng.uniform(-0.01, 0.015))
    return {"auc": round(auc, 4), "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _confusion(rng: random.Random, accuracy: float, recall: float) -> str:
    positives = 1000
    tp = round(positives * recall)
    fn = positives - tp
    negatives = 4000
    correct = round(accuracy * (positives + negatives)) - tp
    tn = max(0, min(negatives, correct))
    fp = negatives - tn
    return (
        "              predicted\n"
        "              stay   churn\n"
        f"actual stay   {tn:5d}  {fp:5d}\n"
        f"actual churn  {fn:5d}  {tp:5d}\n"
    )


# -- one training run ------------------------------------------------------------------------
def _train(
    clock: _Clock,
    rng: random.Random,
    dataset: list[tuple[float, float, int]],
    *,
    experiment: str,
    name: str,
    params: dict[str, Any],
    tags: dict[str, str],
    quality: float,
    overfit: float = 0.0,
    epoch_ms: int = 12_000,
    nested: bool = False,
    note: str | None = None,
    artifacts: bool = True,
    fail_at: int | None = None,
) -> str:
    """Log one run like a training script would; ``fail_at`` raises at that epoch (inside the run)."""
    data_version = "v1" if experiment == V1 else "v2"
    all_params = {
        "data_path": f"s3://acme-ml/churn/{data_version}/train.csv",
        "data_version": data_version,
        "n_rows": N_ROWS,
        **params,
    }
    with tuitrack.start_run(experiment=experiment, name=name, nested=nested, description=note) as run:
        run.log_params(all_params)
        run.set_tags({"purpose": "baseline", "author": "alice", **tags})
        run.log_input(dataset, name="churn-train", context="training")
        hist = _history(rng, quality, overfit)
        for epoch, (loss, val, acc) in enumerate(hist):
            clock.t += epoch_ms + rng.randint(0, epoch_ms // 10)
            if fail_at is not None and epoch == fail_at:
                run.flush()
                raise RuntimeError(
                    f"CUDA out of memory: tried to allocate 2.50 GiB at epoch {epoch} (batch_size too large)"
                )
            run.log_metrics({"loss": round(loss, 5), "val_loss": round(val, 5), "accuracy": round(acc, 5)}, step=epoch)
        final_acc = round(hist[-1][2], 4)
        finals = _final_metrics(rng, final_acc)
        run.log_metrics(finals, step=EPOCHS - 1)
        if artifacts:
            run.log_dict(
                {
                    "experiment": experiment,
                    "run_name": name,
                    "params": all_params,
                    "features": ["tenure", "monthly_charges", "contract", "support_calls"],
                },
                "config.json",
            )
            run.log_text(_confusion(rng, final_acc, finals["recall"]), "confusion_matrix.txt")
            with tempfile.TemporaryDirectory() as tmp:
                req = Path(tmp) / "requirements.txt"
                req.write_text(REQUIREMENTS, encoding="utf-8")
                run.log_artifact(req)
            model = DemoChurnModel([round(-0.04 * quality, 4), round(0.03 + 0.02 * quality, 4)], -1.0)
            run.log_model(model, "model")
        clock.t += rng.randint(5_000, 30_000)
        return run.id


def _dataset(rng: random.Random) -> list[tuple[float, float, int]]:
    return [
        (round(rng.uniform(0, 72), 1), round(rng.uniform(20, 120), 2), int(rng.random() < 0.2)) for _ in range(N_ROWS)
    ]


# -- the run whose process died --------------------------------------------------------------
def _dying_child(spec_json: str) -> None:
    """Body of the subprocess: start a run, log some epochs, flush, and die without ending it."""
    spec = json.loads(spec_json)
    clock = _Clock(spec["start"])
    tuitrack.set_store(spec["path"])
    _store_mod.set_clock(clock)
    tracking.set_id_factory(lambda: spec["run_id"])
    tuitrack.configure(capture_env=False, identity=IDENTITY, flush_interval=3600.0)
    rng = random.Random(spec["seed"])
    run = tuitrack.start_run(
        experiment=V2,
        name=spec["name"],
        params=spec["params"],
        tags={"purpose": "overnight", "author": "alice", "model_type": "xgboost"},
    )
    for epoch, (loss, val, acc) in enumerate(_history(rng, 0.8, 0.0)[: spec["epochs"]]):
        clock.t += 60_000
        run.log_metrics({"loss": round(loss, 5), "val_loss": round(val, 5), "accuracy": round(acc, 5)}, step=epoch)
    tuitrack.flush()  # the heartbeat is now the clock's time: the last sign of life
    sys.stdout.flush()
    os._exit(0)  # the process "dies": no atexit handler ends the run


def _spawn_dying_run(path: Path, run_id: str, start: int, seed: int) -> None:
    spec = {
        "path": str(path),
        "run_id": run_id,
        "start": start,
        "seed": seed,
        "epochs": 40,
        "name": "xgboost_overnight",
        "params": {
            "data_path": "s3://acme-ml/churn/v2/train.csv",
            "data_version": "v2",
            "n_rows": N_ROWS,
            "n_estimators": 2000,
            "max_depth": 8,
            "learning_rate": 0.01,
        },
    }
    env = dict(os.environ)
    pkg_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "import sys; from tuitrack.demo import _dying_child; _dying_child(sys.argv[1])"
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(spec)], env=env, capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        raise tuitrack.TuitrackError(f"demo: the simulated training process failed:\n{proc.stderr.strip()}")


# -- the whole store -------------------------------------------------------------------------
def build_demo_store(path: Path, *, seed: int = 7, now_ms: int | None = None) -> Path:
    """Write the demo store into ``path`` (a missing or empty folder) and return it.

    Deterministic when ``now_ms`` is given; otherwise ids are random and "now" is the real time.
    Refuses a folder that already holds anything, so it can never write into a real store.
    """
    path = Path(path).expanduser()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise tuitrack.TuitrackError(f"demo: {path} is not an empty folder; the demo only writes a fresh store")
    now = now_ms if now_ms is not None else _store_mod.now_ms()
    rng = random.Random(seed)
    id_rng = random.Random(seed * 7919 + 1)
    ids = (lambda: f"{id_rng.getrandbits(128):032x}") if now_ms is not None else None
    clock = _Clock(now - 6 * DAY)
    dataset = _dataset(rng)
    with _isolated(path, clock, ids):
        tuitrack.set_experiment(V1)
        rf = {"model_type": "random_forest"}
        _train(
            clock,
            rng,
            dataset,
            experiment=V1,
            name="baseline_rf",
            quality=0.55,
            tags=rf,
            params={"model": "random_forest", "n_estimators": 100, "max_depth": 8, "min_samples_leaf": 1},
            note="First baseline: default random forest on the v1 features.",
        )
        clock.t += 3 * HOUR
        _train(
            clock,
            rng,
            dataset,
            experiment=V1,
            name="deeper_trees",
            quality=0.62,
            overfit=2.5,
            tags={**rf, "purpose": "depth"},
            params={"model": "random_forest", "n_estimators": 100, "max_depth": 30, "min_samples_leaf": 1},
        )
        clock.t += 2 * HOUR
        _train(
            clock,
            rng,
            dataset,
            experiment=V1,
            name="more_features",
            quality=0.68,
            tags={**rf, "purpose": "features"},
            params={
                "model": "random_forest",
                "n_estimators": 150,
                "max_depth": 12,
                "min_samples_leaf": 2,
                "features": "tenure,monthly_charges,contract,support_calls",
            },
        )
        clock.t = max(clock.t, now - 5 * DAY)
        for n_est in (100, 200):
            for depth in (10, 20):
                q = 0.58 + 0.05 * (n_est == 200) + 0.04 * (depth == 20)
                _train(
                    clock,
                    rng,
                    dataset,
                    experiment=V1,
                    name=f"grid_n{n_est}_d{depth}",
                    quality=q,
                    overfit=1.0 if depth == 20 else 0.0,
                    tags={**rf, "purpose": "grid-search"},
                    params={"model": "random_forest", "n_estimators": n_est, "max_depth": depth, "min_samples_leaf": 1},
                    artifacts=False,
                )
                clock.t += 20 * MINUTE
        clock.t = max(clock.t, now - 3 * DAY)
        tuitrack.set_experiment(V2)
        xgb = {"model_type": "xgboost"}
        _train(
            clock,
            rng,
            dataset,
            experiment=V2,
            name="xgboost_baseline",
            quality=0.72,
            tags=xgb,
            params={"model": "xgboost", "n_estimators": 300, "max_depth": 6, "learning_rate": 0.1},
        )
        clock.t += 4 * HOUR
        _train(
            clock,
            rng,
            dataset,
            experiment=V2,
            name="xgboost_tuned",
            quality=0.8,
            tags={**xgb, "purpose": "tuning"},
            params={"model": "xgboost", "n_estimators": 600, "max_depth": 5, "learning_rate": 0.05, "subsample": 0.8},
            note="Best so far: lower learning rate, more trees, subsampling.",
        )
        clock.t = max(clock.t, now - 2 * DAY)
        _sweep(clock, rng, dataset)
        clock.t = max(clock.t, now - 1 * DAY)
        with contextlib.suppress(RuntimeError):  # the run is recorded as FAILED with its traceback; the demo goes on
            _train(
                clock,
                rng,
                dataset,
                experiment=V2,
                name="xgboost_big_batch",
                quality=0.7,
                fail_at=17,
                tags={**xgb, "purpose": "tuning"},
                params={
                    "model": "xgboost",
                    "n_estimators": 600,
                    "max_depth": 10,
                    "learning_rate": 0.05,
                    "batch_size": 4096,
                },
            )
        tuitrack.flush()
        dying_id = ids() if ids is not None else tracking._new_run_id()
        _spawn_dying_run(path, dying_id, now - 3 * HOUR, seed)
        if now_ms is not None:
            _pin_for_snapshots(tracking._writable_store())
    return path


def _pin_for_snapshots(store: _store_mod.Store) -> None:
    """Pin what no logging setting fixes: process ids, and the checkout folder inside the recorded traceback."""
    store.pin_for_snapshots(pid_base=40000, strip_prefix=str(Path(__file__).resolve().parent.parent) + os.sep)


def _sweep(clock: _Clock, rng: random.Random, dataset: list[tuple[float, float, int]]) -> None:
    """A parent run with 3 learning rates x 3 seeds nested under it, so grouping by seed is meaningful."""
    with tuitrack.start_run(experiment=V2, name="xgb_lr_sweep") as parent:
        parent.log_params({"sweep": "learning_rate", "seeds": "0,1,2", "data_version": "v2"})
        parent.set_tags({"model_type": "xgboost", "author": "alice", "purpose": "sweep"})
        clock.t += 2_000
        best = 0.0
        for lr, q in ((0.03, 0.74), (0.1, 0.78), (0.3, 0.7)):
            for s in (0, 1, 2):
                child_id = _train(
                    clock,
                    rng,
                    dataset,
                    experiment=V2,
                    name=f"lr{lr}_seed{s}",
                    nested=True,
                    quality=q + rng.uniform(-0.02, 0.02),
                    epoch_ms=4_000,
                    artifacts=False,
                    tags={"model_type": "xgboost", "purpose": "sweep"},
                    params={"model": "xgboost", "learning_rate": lr, "seed": s, "n_estimators": 400, "max_depth": 6},
                )
                best = max(best, tuitrack.get_run(child_id).data.metrics["auc"])
        parent.log_metric("best_auc", best)
