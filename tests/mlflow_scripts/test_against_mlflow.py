"""The same scripts run under the real MLflow and under tuitrack store the same params, metrics and tags.

Each script of the corpus is run twice in fresh interpreters: as written (``import tuitrack as mlflow``) and
with MLflow's import put back (``import mlflow``, on a file store in a temporary folder); what each stored is
read back through its own API and compared run by run (paired by run name, else by order).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

HERE = Path(__file__).parent
REPO = HERE.parents[1]
PAIRED = ["10_autolog_no_active_run.py", "22_nested_runs_parent.py", "26_metric_steps_history.py"]

DUMP_MLFLOW = """
import json, sys, mlflow
from mlflow import MlflowClient
c = MlflowClient()
out = []
for exp in c.search_experiments():
    for r in c.search_runs([exp.experiment_id]):
        tags = {k: v for k, v in r.data.tags.items() if not k.startswith("mlflow.")}
        out.append({"name": r.info.run_name, "params": r.data.params, "metrics": r.data.metrics, "tags": tags,
                    "start": r.info.start_time})
print(json.dumps(out))
"""

DUMP_TUITRACK = """
import json, sys, tuitrack
out = []
for r in tuitrack.search_runs(output_format="list", search_all_experiments=True):
    tags = {k: v for k, v in r.data.tags.items() if not k.startswith(("tuitrack.", "mlflow."))}
    out.append({"name": r.info.run_name, "params": r.data.params, "metrics": r.data.metrics, "tags": tags,
                "start": r.info.start_time})
print(json.dumps(out))
"""


def _run(code: str, cwd: Path, env: dict) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _as_mlflow(text: str) -> str:
    return (
        text.replace("import tuitrack as mlflow", "import mlflow")
        .replace("from tuitrack.", "from mlflow.")
        .replace("from tuitrack import", "from mlflow import")
        .replace("import tuitrack.tracking", "import mlflow.tracking")
        .replace("tuitrack.tracking.", "mlflow.tracking.")
    )


def _stored(dump: str) -> list[dict]:
    runs = json.loads(dump.strip().splitlines()[-1])
    return sorted(runs, key=lambda r: (r["start"], r["name"]))


@pytest.mark.slow
@pytest.mark.parametrize("name", PAIRED)
def test_same_data_as_mlflow(name: str, tmp_path: Path) -> None:
    script = (HERE / name).read_text()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TUITRACK_"))}
    base["PYTHONPATH"] = os.pathsep.join([str(REPO), base.get("PYTHONPATH", "")])
    base["PYTHONWARNINGS"] = "ignore"
    ml_dir, tt_dir = tmp_path / "mlflow", tmp_path / "tuitrack"
    ml_dir.mkdir(), tt_dir.mkdir()
    ml_env = {**base, "MLFLOW_TRACKING_URI": (ml_dir / "mlruns").as_uri(), "MLFLOW_ALLOW_FILE_STORE": "true"}
    tt_env = {**base, "TUITRACK_STORE": str(tt_dir / "store")}
    _run(_as_mlflow(script), ml_dir, ml_env)
    _run(script, tt_dir, tt_env)
    theirs = _stored(_run(DUMP_MLFLOW, ml_dir, ml_env))
    ours = _stored(_run(DUMP_TUITRACK, tt_dir, tt_env))
    assert len(ours) == len(theirs)
    by_name = {r["name"]: r for r in theirs}
    for mine in ours:
        other = (
            by_name.get(mine["name"])
            if len(by_name) == len(theirs) and mine["name"] in by_name
            else theirs[ours.index(mine)]
        )
        assert mine["params"] == other["params"], mine["name"]
        assert mine["tags"] == other["tags"], mine["name"]
        assert mine["metrics"].keys() == other["metrics"].keys(), mine["name"]
        for key, value in mine["metrics"].items():
            assert math.isclose(value, other["metrics"][key], rel_tol=1e-9, abs_tol=1e-12), (mine["name"], key)
