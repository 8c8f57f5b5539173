"""Models in MLflow's format: tuitrack writes what MLflow reads, and reads what MLflow writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tuitrack as mlflow
from tuitrack import ValidationError, yaml_text
from tuitrack.models import ModelSignature, infer_signature

sklearn = pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

load_iris = pytest.importorskip("sklearn.datasets").load_iris
LogisticRegression = pytest.importorskip("sklearn.linear_model").LogisticRegression


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, LogisticRegression(max_iter=500).fit(X, y)


def test_log_model_writes_mlflow_model_folder(store_path: Path, iris) -> None:
    X, _y, model = iris
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="model", signature=infer_signature(X, model.predict(X)), input_example=X.head(3)
        )
    assert info.model_uri == f"runs:/{run.info.run_id}/model" and info.model_id.startswith("m-")
    assert info.run_id == run.info.run_id and info.artifact_path == "model"
    folder = mlflow.artifact_path(run.info.run_id, "model")
    assert {p.name for p in folder.iterdir()} == {
        "MLmodel",
        "model.pkl",
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
        "input_example.json",
        "serving_input_example.json",
    }
    meta = yaml_text.load((folder / "MLmodel").read_text())
    assert meta["flavors"]["sklearn"] == {
        "code": None,
        "pickled_model": "model.pkl",
        "serialization_format": "pickle",
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": None,
    }
    assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert meta["model_id"] == info.model_id and meta["run_id"] == run.info.run_id
    inputs = json.loads(meta["signature"]["inputs"])
    assert inputs[0] == {"type": "double", "name": "sepal length (cm)", "required": True}
    assert json.loads(meta["signature"]["outputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}
    ]
    reqs = (folder / "requirements.txt").read_text().split()
    assert f"scikit-learn=={sklearn.__version__}" in reqs and f"numpy=={np.__version__}" in reqs
    conda = yaml_text.load((folder / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": reqs}
    assert yaml_text.load((folder / "python_env.yaml").read_text())["dependencies"] == ["-r requirements.txt"]
    example = json.loads((folder / "input_example.json").read_text())
    assert example["columns"][0] == "sepal length (cm)" and len(example["data"]) == 3
    # the same model back, through each loader and each URI form
    for uri in (info.model_uri, f"runs:/{run.info.run_id[:8]}/model", str(folder), folder.as_uri()):
        assert (mlflow.sklearn.load_model(uri).predict(X) == model.predict(X)).all()
        assert (mlflow.pyfunc.load_model(uri).predict(X) == model.predict(X)).all()
    assert (mlflow.load_model(info.model_uri).predict(X) == model.predict(X)).all()


def test_real_mlflow_loads_a_tuitrack_model(store_path: Path, iris, tmp_path: Path) -> None:
    """MLflow's own loaders on the artifact folder, in a fresh interpreter (MLflow only in the test extras)."""
    pytest.importorskip("mlflow")
    X, _y, model = iris
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(
            model, "model", signature=infer_signature(X, model.predict(X)), input_example=X.head(2)
        )
    folder = mlflow.artifact_path(run.info.run_id, "model")
    X.head(5).to_csv(tmp_path / "x.csv", index=False)
    code = f"""
import json, pandas as pd, mlflow, mlflow.sklearn, mlflow.pyfunc
from mlflow.models import Model
X = pd.read_csv({str(tmp_path / "x.csv")!r})
sk = mlflow.sklearn.load_model({str(folder)!r})
py = mlflow.pyfunc.load_model({str(folder)!r})
meta = Model.load({str(folder)!r})
example = meta.load_input_example({str(folder)!r})
print(json.dumps({{"sk": sk.predict(X).tolist(), "py": [int(v) for v in py.predict(X)],
                  "inputs": meta.signature.inputs.input_names(), "example_rows": len(example),
                  "run_id": meta.run_id}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = model.predict(X.head(5)).tolist()
    assert got["sk"] == expected and got["py"] == expected
    assert got["inputs"] == list(X.columns) and got["example_rows"] == 2 and got["run_id"] == run.info.run_id


def test_save_model_refuses_existing_folder_and_models_uri(tmp_path: Path, iris, store_path: Path) -> None:
    _X, _y, model = iris
    mlflow.sklearn.save_model(model, tmp_path / "m")
    with pytest.raises(ValidationError, match="already exists"):
        mlflow.sklearn.save_model(model, tmp_path / "m")
    with pytest.raises(ValidationError, match=r"model registry.*runs:/<run_id>/<name>"):
        mlflow.sklearn.load_model("models:/churn/1")
    with pytest.raises(ValidationError, match="does not read s3: URIs"):
        mlflow.pyfunc.load_model("s3://bucket/model")


def test_registered_model_name_warns_and_pip_requirements(store_path: Path, iris, tmp_path: Path) -> None:
    _X, _y, model = iris
    req = tmp_path / "req.txt"
    req.write_text("scikit-learn>=1.0\n# comment\nnumpy\n")
    with mlflow.start_run() as run, pytest.warns(UserWarning, match="no model registry"):
        mlflow.sklearn.log_model(
            model,
            artifact_path="m",
            registered_model_name="churn",
            pip_requirements=str(req),
            extra_pip_requirements=["pandas"],
        )
    assert mlflow.read_artifact(run.info.run_id, "m/requirements.txt").decode().split() == [
        "scikit-learn>=1.0",
        "numpy",
        "pandas",
    ]
    with mlflow.start_run(), pytest.raises(ValidationError, match="name= or artifact_path="):
        mlflow.sklearn.log_model(model, artifact_path="a", name="b")


def test_generic_log_model_returns_model_info_and_loads(store_path: Path) -> None:
    with mlflow.start_run() as run:
        info = mlflow.log_model({"weights": [1, 2]}, "obj")
    assert info.model_uri == f"runs:/{run.info.run_id}/obj" and str(info) == info.model_uri
    assert mlflow.load_model(info.model_uri) == {"weights": [1, 2]}
    assert mlflow.pyfunc.load_model(info.model_uri).get_raw_model() == {"weights": [1, 2]}


def test_infer_signature_shapes() -> None:
    sig = infer_signature(
        pd.DataFrame(
            {
                "a": [1, 2],
                "b": ["x", "y"],
                "c": [True, False],
                "d": np.array([1.0, 2.0], dtype="float32"),
                "e": np.array([1, 2], dtype="int32"),
            }
        ),
        pd.Series([1.0, 2.0]),
    )
    assert [(c["name"], c["type"]) for c in sig.inputs] == [
        ("a", "long"),
        ("b", "string"),
        ("c", "boolean"),
        ("d", "float"),
        ("e", "integer"),
    ]
    assert sig.outputs == [{"type": "double", "required": True}]
    arr = infer_signature(np.zeros((4, 3)), np.zeros(4))
    assert arr.inputs == [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]
    assert infer_signature([{"a": 1, "b": "x"}], [0.5]).to_dict() == {
        "inputs": '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "string", "name": "b", "required": true}]',
        "outputs": '[{"type": "double", "required": true}]',
        "params": None,
    }
    assert ModelSignature.from_dict(arr.to_dict()) == arr


def test_flavor_without_sklearn_says_which_package(tmp_path: Path) -> None:
    """In an interpreter where scikit-learn cannot be imported, the error is one line naming it."""
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import tuitrack\n"
        "try:\n    tuitrack.sklearn.autolog()\nexcept ImportError as e:\n    print('ERR', e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ERR this needs scikit-learn: pip install scikit-learn", proc.stderr


def test_generic_autolog_passes_its_arguments_to_the_sklearn_flavor(store_path: Path) -> None:
    """``tuitrack.autolog`` (MLflow's ``mlflow.autolog``) takes ``tuitrack.sklearn.autolog``'s arguments, by
    name and in its order, and ``disable=True`` turns it off again."""
    X, y = load_iris(return_X_y=True)
    try:
        for on in ({"log_models": False, "max_tuning_runs": 2}, {"args": (False, True, False)}):
            mlflow.autolog(*on.pop("args", ()), **on)
            with mlflow.start_run() as run:
                LogisticRegression(max_iter=300).fit(X, y)
            logged = mlflow.get_run(run.info.run_id)
            assert logged.data.params["max_iter"] == "300" and "training_score" in logged.data.metrics
            assert not [a for a in mlflow.list_artifacts(run.info.run_id) if a.path.startswith("model")]
        with pytest.raises(ValidationError, match="max_tuning_runs"):
            mlflow.autolog(max_tuning_runs=-1)
    finally:
        mlflow.autolog(disable=True)
    with mlflow.start_run() as run:
        LogisticRegression(max_iter=300).fit(X, y)
    assert mlflow.get_run(run.info.run_id).data.params == {}
