"""Sync speed against a real MLflow tracking server, each figure next to MLflow's own client on that server.

- push: R runs x K metrics x N steps from a local store vs MLflow's best client-side batching
  (``MlflowClient.log_batch`` with 1,000 metrics per call, the server's limit) of the same points.
- no-op push: a second push of 1,000 already-pushed runs (target < 2 s).
- pull: the pushed runs into an empty store vs a ``get_metric_history`` loop over every run and key.

The server is started here (sqlite backend, ``--artifacts-destination``, 127.0.0.1, a free port) unless
``--uri`` names one.  MLflow runs in the interpreter given by ``--python`` (default: this one, which has
mlflow through the test extras) as a child process; this file is that child too (``--mlflow-child``).

Run: ``python bench/bench_sync.py [--runs 100 --keys 10 --steps 10000] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

MARK = "SYNC_JSON:"
T0 = 1_700_000_000_000


def _points(run: int, key: int, steps: int) -> list[tuple[int, int, float]]:
    """(step, ts, value) of one series, the same for tuitrack and MLflow."""
    return [(s, T0 + s, ((run * 31 + key * 7 + s) % 1000) / 997.0) for s in range(steps)]


# -- the MLflow child ------------------------------------------------------------------------------
def mlflow_child(args: argparse.Namespace) -> dict[str, Any]:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=args.uri)
    if args.mlflow_child == "push":
        exp = client.create_experiment(args.experiment)
        t = time.perf_counter()
        for r in range(args.runs):
            run = client.create_run(exp, run_name=f"r{r}", start_time=T0)
            batch: list[Metric] = []
            for k in range(args.keys):
                for s, ts, v in _points(r, k, args.steps):
                    batch.append(Metric(f"m{k}", v, ts, s))
                    if len(batch) == 1000:
                        client.log_batch(run.info.run_id, metrics=batch)
                        batch = []
            if batch:
                client.log_batch(run.info.run_id, metrics=batch)
            client.set_terminated(run.info.run_id, "FINISHED", end_time=T0 + args.steps)
        return {"seconds": time.perf_counter() - t}
    # pull: every run of the experiment, every key's full history
    exp = client.get_experiment_by_name(args.experiment)
    t = time.perf_counter()
    runs = client.search_runs([exp.experiment_id], max_results=50000)
    n = 0
    for run in runs:
        for key in run.data.metrics:
            n += len(client.get_metric_history(run.info.run_id, key))
    return {"seconds": time.perf_counter() - t, "points": n}


def _child(python: str, uri: str, what: str, experiment: str, a: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        python,
        __file__,
        "--mlflow-child",
        what,
        "--uri",
        uri,
        "--experiment",
        experiment,
        "--runs",
        str(a.runs),
        "--keys",
        str(a.keys),
        "--steps",
        str(a.steps),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"mlflow child failed: {proc.stderr[-2000:]}")


# -- the server -------------------------------------------------------------------------------------------
def start_server(python: str, root: Path) -> tuple[subprocess.Popen, str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(python).with_name("mlflow")
    cli = [str(exe)] if exe.exists() else [python, "-m", "mlflow"]
    log = open(root / "server.log", "ab")  # noqa: SIM115 -- the server writes to it for its whole life
    t = time.perf_counter()
    proc = subprocess.Popen(
        [
            *cli,
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )
    uri = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t < 300:
        if proc.poll() is not None:
            raise RuntimeError((root / "server.log").read_text()[-2000:])
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2):
                return proc, uri, time.perf_counter() - t
        except OSError:
            time.sleep(0.25)
    raise RuntimeError("mlflow server did not start")


# -- tuitrack side ------------------------------------------------------------------------------------------
def make_store(path: Path, experiment: str, runs: int, keys: int, steps: int) -> None:
    from tuitrack.store.core import Store

    with Store(path, create=True) as st:
        exp = st.experiment_id(experiment)
        for r in range(runs):
            rid = st.create_run(run_id=uuid.uuid4().hex, experiment_id=exp, name=f"r{r}", start_time=T0)
            pts = [(rid, f"m{k}", v, s, ts) for k in range(keys) for s, ts, v in _points(r, k, steps)]
            for i in range(0, len(pts), 200_000):
                st.write_metrics(pts[i : i + 200_000])
            st.end_run(rid, "FINISHED", end_time=T0 + steps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=sys.executable, help="interpreter with mlflow installed")
    ap.add_argument("--uri", default=None, help="an MLflow tracking server to use instead of starting one")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--noop-runs", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="10 runs x 10 keys x 1,000 steps; 200 no-op runs")
    ap.add_argument("--serial", action="store_true", help="also push on one connection (workers=1)")
    ap.add_argument("--mlflow-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--experiment", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.mlflow_child:
        print(MARK + json.dumps(mlflow_child(a)))
        return
    if a.quick:
        a.runs, a.keys, a.steps, a.noop_runs = 10, 10, 1000, 200
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import Figure, machine, table

    from tuitrack.store.core import Store
    from tuitrack.sync.pull import pull
    from tuitrack.sync.push import push

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    proc = None
    try:
        uri = a.uri
        started = None
        if uri is None:
            proc, uri, started = start_server(a.python, tmp)
        tag = uuid.uuid4().hex[:6]
        pts = a.runs * a.keys * a.steps
        size = f"{a.runs} runs x {a.keys} metrics x {a.steps:,} steps"
        figures: list = []

        def add(fig: Any) -> None:  # each figure is printed when measured: a long run cut short keeps what it had
            figures.append(fig)
            print(f"[{time.strftime('%H:%M:%S')}] " + table([fig]).splitlines()[-1], flush=True)

        print(
            f"Machine: {machine()}; server at {uri}" + (f", started in {started:.1f} s" if started else ""), flush=True
        )
        # 1. push vs MLflow's log_batch of 1000, same points, same server (MLflow first: tuitrack gets the fuller db)
        peer = _child(a.python, uri, "push", f"bench-mlflow-{tag}", a)
        print(
            f"[{time.strftime('%H:%M:%S')}] MLflow log_batch(1000) push of {pts:,} points: {peer['seconds']:.1f} s",
            flush=True,
        )
        store_path = tmp / "store"
        make_store(store_path, f"bench-tuitrack-{tag}", a.runs, a.keys, a.steps)
        with Store(store_path) as st:
            t = time.perf_counter()
            rep = push(st, uri)
            push_s = time.perf_counter() - t
        assert rep.points == pts, rep
        add(
            Figure(
                f"push {size} ({pts:,} pts)",
                push_s,
                "s",
                "MLflow client log_batch(1000) loop",
                peer["seconds"],
                ratio_label="x MLflow's time",
                target="<= 1.5x MLflow",
                met=push_s <= 1.5 * peer["seconds"],
            )
        )
        if a.serial:  # the same push on one connection, one run at a time (as MLflow's loop sends)
            make_store(tmp / "serial", f"bench-serial-{tag}", a.runs, a.keys, a.steps)
            with Store(tmp / "serial") as st:
                t = time.perf_counter()
                rep = push(st, uri, workers=1)
                serial_s = time.perf_counter() - t
            assert rep.points == pts, rep
            add(
                Figure(
                    f"push {size}, one connection (workers=1)",
                    serial_s,
                    "s",
                    "MLflow client log_batch(1000) loop",
                    peer["seconds"],
                    ratio_label="x MLflow's time",
                    target="<= 1.5x MLflow",
                    met=serial_s <= 1.5 * peer["seconds"],
                )
            )
        # 2. pull of the same vs MLflow's get_metric_history loop
        peer_pull = _child(a.python, uri, "pull", f"bench-tuitrack-{tag}", a)
        print(f"[{time.strftime('%H:%M:%S')}] MLflow get_metric_history loop: {peer_pull['seconds']:.1f} s", flush=True)
        with Store(tmp / "pulled", create=True) as st:
            t = time.perf_counter()
            got = pull(st, uri, experiments=[f"bench-tuitrack-{tag}"])
            pull_s = time.perf_counter() - t
        assert got.points == pts == peer_pull["points"], (got, peer_pull)
        add(
            Figure(
                f"pull {size} into an empty store",
                pull_s,
                "s",
                "MLflow get_metric_history loop (no store write)",
                peer_pull["seconds"],
                ratio_label="x MLflow's time",
                target="<= 1.5x MLflow",
                met=pull_s <= 1.5 * peer_pull["seconds"],
            )
        )
        # 3. a no-op second push of many runs
        noop_path = tmp / "noop"
        make_store(noop_path, f"bench-noop-{tag}", a.noop_runs, 1, 10)
        with Store(noop_path) as st:
            t = time.perf_counter()
            push(st, uri)
            first = time.perf_counter() - t
            t = time.perf_counter()
            again = push(st, uri)
            noop_s = time.perf_counter() - t
        assert again.points == 0 and again.unchanged == a.noop_runs
        add(
            Figure(
                f"no-op second push, {a.noop_runs:,} runs",
                noop_s * 1000,
                "ms",
                "first push of them",
                first * 1000,
                ratio_label="x first push",
                target="< 2 s",
                met=noop_s < 2.0,
            )
        )
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    ver = subprocess.run(
        [a.python, "-c", "import mlflow; print(mlflow.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    print(f"Machine: {machine()}")
    print(
        f"MLflow {ver} server (sqlite backend, 2 workers) on 127.0.0.1"
        + (f", started in {started:.1f} s" if started else "")
    )
    print()
    print(table(figures))


if __name__ == "__main__":
    main()
