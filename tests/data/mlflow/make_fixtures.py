"""Generate the MLflow import fixtures with the real MLflow library (run by hand, never by the tests).

    python3 -m venv /tmp/mlflowenv && /tmp/mlflowenv/bin/pip install mlflow-skinny sqlalchemy alembic \
        scikit-learn pandas
    /tmp/mlflowenv/bin/python tests/data/mlflow/make_fixtures.py tests/data/mlflow [--only mlflow3]

Writes ``<out>/mlruns`` (file store) and ``<out>/sqlite/mlflow.db`` (+ ``<out>/sqlite/mlartifacts``) with the
same logical content: an experiment with a parent run and two nested children, NaN/inf metrics, histories
at step 0, unicode keys, tags, a note, artifacts, a FAILED run, a run left RUNNING and a deleted run.
Metric timestamps are explicit so tests can assert exact values; run start/end times come from MLflow.

``<out>/mlflow3/{mlruns,sqlite}`` hold what MLflow 3 adds: experiment tags, dataset inputs
(``mlflow.data.from_pandas``/``from_numpy`` + ``log_input``), a logged model (MLflow 3 keeps it outside the
run's artifacts, under ``<experiment>/models/<model id>/``) and metric lines carrying a dataset.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_TRACKING_INSECURE_TLS", "false")

import mlflow  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

T0 = 1_700_000_000_000


def populate(uri: str) -> None:
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("fixture-exp", tags={"team": "churn"})
    client.create_experiment("empty-exp")

    parent = client.create_run(exp_id, run_name="parent", tags={"purpose": "sweep", "mlflow.note.content": "Parent of a small sweep ✓"})
    pid = parent.info.run_id
    client.log_batch(pid, params=[Param("sweep", "lr"), Param("optimizér", "adam")],
                     metrics=[Metric("best_auc", 0.91, T0 + 500, 0)])
    client.log_text(pid, "sweep over learning rates\n", "notes/readme.txt")
    client.log_dict(pid, {"lrs": [0.1, 0.01], "name": "sweep"}, "config.json")
    client.log_text(pid, "ünïcode ✓ text\n", "日本語.txt")
    client.set_terminated(pid, "FINISHED")

    for i, lr in enumerate((0.1, 0.01)):
        child = client.create_run(exp_id, run_name=f"child-{i}",
                                  tags={"mlflow.parentRunId": pid, "seed": str(i), "model_type": "xgboost"})
        cid = child.info.run_id
        client.log_batch(cid, params=[Param("lr", str(lr)), Param("seed", str(i))], metrics=[
            *[Metric("loss", 1.0 / (s + 1) + i, T0 + 1000 * s, s) for s in range(5)],
            Metric("acc", 0.5 + 0.1 * i, T0, 0),
        ])
        client.set_terminated(cid, "FINISHED")

    odd = client.create_run(exp_id, run_name="odd-values", tags={"data.version": "v2"})
    oid = odd.info.run_id
    client.log_batch(oid, metrics=[
        Metric("nan_metric", math.nan, T0, 0), Metric("nan_metric", 1.5, T0 + 1, 1), Metric("nan_metric", math.nan, T0 + 2, 2),
        Metric("pos_inf", math.inf, T0, 0), Metric("neg_inf", -math.inf, T0, 0),
        Metric("step0", 3.0, T0, 0), Metric("step0", 2.0, T0 + 10, 0), Metric("step0", 1.0, T0 + 20, 0),
        Metric("précision", 0.75, T0, 0), Metric("损失", 0.25, T0, 0), Metric("val/acc", 0.8, T0, 7),
    ], params=[Param("long_param", "x" * 300), Param("température", "0.7")])
    with open(Path(os.environ.get("TMPDIR", "/tmp")) / "blob.bin", "wb") as fh:
        fh.write(bytes(range(256)))
    client.log_artifact(oid, str(Path(os.environ.get("TMPDIR", "/tmp")) / "blob.bin"), "data")
    client.set_terminated(oid, "FINISHED")

    failed = client.create_run(exp_id, run_name="failed-run")
    client.log_metric(failed.info.run_id, "loss", 0.9, timestamp=T0, step=0)
    client.set_terminated(failed.info.run_id, "FAILED")

    running = client.create_run(exp_id, run_name="still-running")
    client.log_metric(running.info.run_id, "loss", 0.7, timestamp=T0, step=0)

    deleted = client.create_run(exp_id, run_name="deleted-run")
    client.log_param(deleted.info.run_id, "p", "1")
    client.set_terminated(deleted.info.run_id, "KILLED")
    client.delete_run(deleted.info.run_id)

    default = client.create_run("0", run_name="default-exp-run")
    client.log_metric(default.info.run_id, "m", 42.0, timestamp=T0, step=3)
    client.set_terminated(default.info.run_id, "FINISHED")


def populate_mlflow3(uri: str) -> None:
    """MLflow 3's additions: experiment tags, dataset inputs, a logged model and dataset-carrying metric lines."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("mlflow3-exp", tags={"team": "churn", "stage": "dev"})
    client.set_experiment_tag(exp_id, "owner", "alice")
    X = pd.DataFrame({"x1": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "x2": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
    y = pd.Series([0, 0, 0, 1, 1, 1], name="label")
    train = mlflow.data.from_pandas(pd.concat([X, y], axis=1), source="data/train.csv", name="train",
                                    targets="label")
    evald = mlflow.data.from_numpy(X.to_numpy(), targets=y.to_numpy(), source="data/eval.npy", name="eval")
    with mlflow.start_run(experiment_id=exp_id, run_name="with-model"):
        mlflow.log_input(train, context="training")
        mlflow.log_input(evald, context="eval")
        mlflow.log_param("C", "1.0")
        model = LogisticRegression(C=1.0).fit(X, y)
        # pickle, so that loading needs nothing beyond scikit-learn (MLflow 3 defaults to skops)
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="pickle", input_example=X.head(2))
        mlflow.log_metric("accuracy", 1.0, step=0, timestamp=T0, model_id=info.model_id, dataset=train)
        mlflow.log_metric("accuracy", 0.5, step=1, timestamp=T0 + 1, model_id=info.model_id, dataset=evald)
        mlflow.log_metric("plain", 2.0, step=0, timestamp=T0)
        mlflow.log_text("notes\n", "notes.txt")


def _both(out: Path, fill) -> None:
    for name in ("mlruns", "sqlite"):
        shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    fill((out / "mlruns").as_uri())
    sqlite_dir = out / "sqlite"
    sqlite_dir.mkdir()
    cwd = os.getcwd()
    os.chdir(sqlite_dir)  # MLflow puts the sqlite store's artifacts under ./mlartifacts or ./mlruns of the cwd
    try:
        fill(f"sqlite:///{sqlite_dir / 'mlflow.db'}")
    finally:
        os.chdir(cwd)


def main(out: Path, only: str | None = None) -> None:
    out = out.resolve()
    if only in (None, "classic"):
        _both(out, populate)
    if only in (None, "mlflow3"):
        _both(out / "mlflow3", populate_mlflow3)
    print("mlflow", mlflow.__version__, "->", out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--only")]
    only = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--only=")), None)
    if "--only" in sys.argv[1:]:
        only = sys.argv[sys.argv.index("--only") + 1]
        args = [a for a in args if a != only]
    main(Path(args[0] if args else Path(__file__).parent), only)
