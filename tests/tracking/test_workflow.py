"""The whole flow of a typical sklearn-style training script, end to end, in separate processes.

Process 1 trains and logs (params, per-epoch metrics, dataset, model); process 2 is
a fresh interpreter that finds the best run with search_runs, reloads the model by
its ``runs:/`` URI and predicts.  sklearn is not needed: the model is a tiny
least-squares regressor with fit/predict defined in an importable module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

MODEL_MODULE = '''
class TinyRegressor:
    """y = a*x + b fitted by gradient descent, sklearn-style (fit returns self, predict takes a list)."""

    def __init__(self, lr=0.05, epochs=30):
        self.lr, self.epochs, self.a, self.b = lr, epochs, 0.0, 0.0

    def get_params(self):
        return {"lr": self.lr, "epochs": self.epochs}

    def fit(self, xs, ys, on_epoch=None):
        n = len(xs)
        for epoch in range(self.epochs):
            err = [self.a * x + self.b - y for x, y in zip(xs, ys)]
            self.a -= self.lr * 2 * sum(e * x for e, x in zip(err, xs)) / n
            self.b -= self.lr * 2 * sum(err) / n
            if on_epoch:
                on_epoch(epoch, sum(e * e for e in err) / n)
        return self

    def predict(self, xs):
        return [self.a * x + self.b for x in xs]
'''

TRAIN = """
import sys, tuitrack
from tinymodel import TinyRegressor
store, data = sys.argv[1], sys.argv[2]
tuitrack.set_store(store)
tuitrack.set_experiment("regression")
xs, ys = [], []
for line in open(data).read().splitlines()[1:]:
    x, y = line.split(",")
    xs.append(float(x)); ys.append(float(y))
for lr in (0.02, 0.1):
    with tuitrack.start_run(name=f"lr={lr}", tags={"model": "tiny"}) as run:
        model = TinyRegressor(lr=lr, epochs=300)
        tuitrack.log_params(model.get_params())
        tuitrack.log_input(data, "train", context="training")
        model.fit(xs, ys, on_epoch=lambda e, mse: tuitrack.log_metric("mse", mse, step=e))
        final = sum((p - y) ** 2 for p, y in zip(model.predict(xs), ys)) / len(xs)
        tuitrack.log_metric("final_mse", final)
        tuitrack.log_dict({"a": model.a, "b": model.b}, "coefficients.json")
        tuitrack.log_model(model, "model")
        print(run.id, final)
"""

PREDICT = """
import json, sys, tuitrack
tuitrack.set_store(sys.argv[1])
best = tuitrack.search_runs("tags.model = 'tiny' AND metrics.final_mse < 1", order_by=["metrics.final_mse ASC"],
                            experiment_names=["regression"], max_results=1, output_format="list")[0]
model = tuitrack.load_model(f"runs:/{best.info.run_id}/model")
print(json.dumps({"run_id": best.info.run_id, "pred": model.predict([0.0, 10.0]),
                  "params": best.data.params, "mse": best.data.metrics["final_mse"]}))
"""


def _run(code: str, *args: str, cwd: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(cwd)},
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Warning" not in out.stderr, out.stderr
    return out.stdout


def test_sklearn_style_script_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "tinymodel.py").write_text(MODEL_MODULE)
    data = tmp_path / "train.csv"
    data.write_text("x,y\n" + "".join(f"{x / 10},{3 * x / 10 + 1}\n" for x in range(20)))  # y = 3x + 1
    store = tmp_path / "store"

    lines = _run(TRAIN, str(store), str(data), cwd=tmp_path).split()
    trained = {lines[0]: float(lines[1]), lines[2]: float(lines[3])}
    best_id = min(trained, key=trained.get)

    got = json.loads(_run(PREDICT, str(store), cwd=tmp_path))
    assert got["run_id"] == best_id
    assert got["params"] == {"lr": "0.1", "epochs": "300"}
    assert abs(got["mse"] - trained[best_id]) < 1e-12
    # the reloaded model is the trained one: its predictions follow the learned line closely
    assert abs(got["pred"][0] - 1.0) < 0.1 and abs(got["pred"][1] - 31.0) < 0.3

    # the same store, read back in this process: history, dataset, artifacts, statuses
    st = __import__("tuitrack").open_store(store)
    run = st.get_run(best_id)
    assert run.info.status == "FINISHED" and run.info.experiment == "regression"
    hist = st.get_metric_history(best_id, "mse")
    assert [p.step for p in hist] == list(range(300))
    assert hist[-1].value < hist[0].value  # it learned
    (inp,) = st.list_inputs(best_id)
    assert (inp.name, inp.rows, inp.context) == ("train", 20, "training")
    assert {a.path for a in st.list_artifacts(best_id)} == {
        "coefficients.json",
        "model/model.pkl",
        "model/MLmodel",
        "model/requirements.txt",
        "model/python_env.yaml",
        "model/conda.yaml",
        "logs/output.txt",
    }
    # what the script printed inside the run was kept as its console output
    assert st.read_artifact_text(best_id, "logs/output.txt") == f"{best_id} {lines[lines.index(best_id) + 1]}\n"
    coef = json.loads(st.read_artifact_text(best_id, "coefficients.json"))
    assert abs(got["pred"][1] - (coef["a"] * 10 + coef["b"])) < 1e-9
    st.close()
