"""Build large synthetic stores fast, for benchmarks (not through the logging API).

100k runs through ``start_run`` would take minutes of fsyncs; here rows go in
with executemany in a few transactions, in exactly the layout the store uses
(the store is opened first through ``Store`` so the schema is the real one).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sys
import time
import uuid
from pathlib import Path

from tuitrack.store import schema
from tuitrack.store.core import Store

#: Built stores are kept here between bench runs (a 100k-run store takes a while to build).
CACHE_DIR = Path(os.environ.get("TUITRACK_BENCH_CACHE", "/tmp/tuitrack-bench-cache"))

METRICS = ["accuracy", "auc", "precision", "recall", "f1", "loss", "val_loss", "rmse", "mae", "lr"]


def build(path: Path, n_runs: int, n_params: int = 20, n_metrics: int = 10, seed: int = 1) -> Path:
    rng = random.Random(seed)
    store = Store(path, create=True)
    exps = [store.experiment_id(f"experiment-{i}") for i in range(10)]
    t0 = 1_790_000_000_000
    metric_keys = (METRICS * ((n_metrics // len(METRICS)) + 1))[:n_metrics]
    metric_keys = [k if i < len(METRICS) else f"{k}_{i}" for i, k in enumerate(metric_keys)]
    with store.transaction() as conn:
        runs, params, tags, latest = [], [], [], []
        for i in range(n_runs):
            rid = i + 1
            start = t0 + i * 60_000
            status = rng.choice(["FINISHED"] * 8 + ["FAILED", "KILLED"])
            runs.append(
                (
                    rid,
                    uuid.UUID(int=rng.getrandbits(128)).hex,
                    exps[i % len(exps)],
                    f"run-{i:06d}",
                    status,
                    start,
                    start + rng.randint(1_000, 3_600_000),
                    start,
                    "bench",
                    "box",
                    start,
                )
            )
            for p in range(n_params):
                v = str(rng.choice([10, 20, 50, 100, 200])) if p % 2 == 0 else rng.choice(["adam", "sgd", "rmsprop"])
                params.append((rid, f"param_{p}", v, float(v) if p % 2 == 0 else None))
            tags.append((rid, "model_type", rng.choice(["rf", "xgb", "mlp"])))
            tags.append((rid, "author", rng.choice(["alice", "bob", "carol"])))
            for key in metric_keys:
                v = rng.random()
                lo_step, hi_step = rng.randrange(100), rng.randrange(100)
                latest.append(
                    (rid, key, v, 99, start, v * 0.5, v * 1.5, 100, lo_step, hi_step, v * rng.uniform(0.9, 1.1))
                )
        conn.executemany(
            "INSERT INTO runs(rid, run_id, experiment_id, name, status, start_time, end_time,"
            " heartbeat, user, host, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            runs,
        )
        conn.executemany("INSERT INTO params(rid, key, value, num) VALUES (?,?,?,?)", params)
        conn.executemany("INSERT INTO tags(rid, key, value) VALUES (?,?,?)", tags)
        conn.executemany(
            "INSERT INTO latest_metrics(rid, key, value, step, ts, min_value, max_value, count,"
            " min_step, max_step, tail_mean) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            latest,
        )
    store.conn.execute("ANALYZE")
    store.close()
    return path


def cached(n_runs: int, n_params: int = 20, n_metrics: int = 10, seed: int = 1) -> Path:
    """A store of ``n_runs`` runs from the cache, built on first use.

    The cache key covers the sizes and the source of this file and of the schema, so a
    changed layout never reuses a stale store.  Built in a temp folder, then renamed, so an
    interrupted build is never picked up.  Treat the result as read-only (copy it to write).
    """
    src = Path(__file__).read_bytes() + Path(schema.__file__).read_bytes()
    key = hashlib.sha1(src).hexdigest()[:10]
    target = CACHE_DIR / f"runs-{n_runs}-p{n_params}-m{n_metrics}-s{seed}-{key}"
    if (target / "tuitrack.db").exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = CACHE_DIR / f".building-{os.getpid()}-{target.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    build(tmp, n_runs, n_params, n_metrics, seed)
    try:
        tmp.rename(target)
    except OSError:  # another bench built it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return target


if __name__ == "__main__":
    target = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    t = time.perf_counter()
    build(target, n)
    print(f"built {n} runs in {target} in {time.perf_counter() - t:.1f} s")
