"""``mlflow.sklearn`` for tuitrack: log, save and load scikit-learn models in MLflow's format, and autolog.

``log_model(model, "model")`` writes an MLflow model folder (``MLmodel`` with the
python_function and sklearn flavors, ``model.pkl``, requirements, environment
files, signature and input example) into the run's artifacts; MLflow's own
``mlflow.sklearn.load_model`` and ``mlflow.pyfunc.load_model`` read it.
scikit-learn is imported only when a function here needs it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import platform
import shutil
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

from tuitrack.errors import MissingPackageError, ValidationError
from tuitrack.models.model import (
    Model,
    ModelInfo,
    folder_size,
    new_model_id,
    package_version,
    pinned,
    requirements_for,
    utc_time,
    write_environment,
    write_input_example,
)
from tuitrack.models.signature import ModelSignature

__all__ = [
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "autolog",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_FORMAT_SKOPS = "skops"
_FORMATS = (SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_CLOUDPICKLE, SERIALIZATION_FORMAT_SKOPS)
_FILES = {
    SERIALIZATION_FORMAT_PICKLE: "model.pkl",
    SERIALIZATION_FORMAT_CLOUDPICKLE: "model.pkl",
    SERIALIZATION_FORMAT_SKOPS: "model.skops",
}


def _need(module: str, package: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise MissingPackageError(f"this needs {package}: pip install {package}") from None


def is_sklearn_model(obj: Any) -> bool:
    """An estimator from scikit-learn (by its class's module; scikit-learn itself is not imported)."""
    return any(c.__module__.split(".")[0] == "sklearn" for c in type(obj).__mro__)


def get_default_pip_requirements(serialization_format: str = SERIALIZATION_FORMAT_PICKLE) -> list[str]:
    """scikit-learn and what it loads with (numpy, scipy, joblib...), pinned to the installed versions."""
    dists = ["scikit-learn", "numpy", "scipy"]
    if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
        dists.append("cloudpickle")
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        dists.append("skops")
    return pinned(dists)


def _dump(model: Any, dest: Path, serialization_format: str) -> None:
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        _need("skops.io", "skops").dump(model, dest)
        return
    dumper = _need("cloudpickle", "cloudpickle") if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE else pickle
    with open(dest, "wb") as fh:
        dumper.dump(model, fh, protocol=pickle.DEFAULT_PROTOCOL)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    conda_env: Any = None,
    code_paths: Any = None,
    mlflow_model: Model | None = None,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Save ``sk_model`` as an MLflow model folder at ``path`` (which must not exist yet)."""
    if serialization_format not in _FORMATS:
        raise ValidationError(
            f"serialization_format must be one of {', '.join(_FORMATS)}, got {serialization_format!r}"
        )
    if code_paths:
        raise ValidationError("code_paths is not supported by tuitrack; put the code on the loader's import path")
    folder = Path(path)
    if folder.exists():
        raise ValidationError(f"save_model: {folder} already exists")
    sklearn_version = package_version("scikit-learn")
    folder.mkdir(parents=True)
    try:
        data_file = _FILES[serialization_format]
        try:
            _dump(sk_model, folder / data_file, serialization_format)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ValidationError(f"save_model: cannot serialize {type(sk_model).__name__}: {exc}") from None
        model = mlflow_model or Model()
        model.flavors["python_function"] = {
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.sklearn",
            "model_path": data_file,
            "predict_fn": pyfunc_predict_fn,
            "python_version": platform.python_version(),
        }
        model.flavors[FLAVOR_NAME] = {
            "code": None,
            "pickled_model": data_file,
            "serialization_format": serialization_format,
            "sklearn_version": sklearn_version,
            "skops_trusted_types": None,
        }
        if signature is not None:
            if not isinstance(signature, ModelSignature):
                raise ValidationError(
                    "signature must come from tuitrack.models.infer_signature "
                    f"(a ModelSignature), got {type(signature).__name__}"
                )
            model.signature = signature
        if input_example is not None:
            model.saved_input_example_info = write_input_example(folder, input_example)
        if metadata:
            model.metadata = dict(metadata)
        if conda_env is not None and pip_requirements is None:
            pip_requirements = _pip_from_conda(conda_env)
        write_environment(
            folder,
            requirements_for(
                get_default_pip_requirements(serialization_format), pip_requirements, extra_pip_requirements
            ),
        )
        model.model_size_bytes = folder_size(folder)
        model.save(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _pip_from_conda(conda_env: Any) -> list[str]:
    if isinstance(conda_env, (str, os.PathLike)):
        from tuitrack import yaml_text

        conda_env = yaml_text.load(Path(conda_env).read_text(encoding="utf-8"))
    for dep in (conda_env or {}).get("dependencies", []):
        if isinstance(dep, dict) and "pip" in dep:
            return [str(x) for x in dep["pip"]]
    return []


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: Any = None,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    run_id: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log ``sk_model`` into the active run under ``name`` (MLflow 2's ``artifact_path`` works too)."""
    return log_flavor_model(
        lambda folder, model: save_model(
            sk_model,
            folder,
            conda_env=conda_env,
            code_paths=code_paths,
            mlflow_model=model,
            serialization_format=serialization_format,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            pyfunc_predict_fn=pyfunc_predict_fn,
            metadata=metadata,
        ),
        name=name,
        artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        run_id=run_id,
    )


def log_flavor_model(
    save: Any,
    *,
    name: str | None,
    artifact_path: str | None,
    registered_model_name: str | None = None,
    run_id: str | None = None,
) -> ModelInfo:
    """Save a model with ``save(folder, Model)`` in a temporary folder and log that folder into a run."""
    from tuitrack import validation
    from tuitrack.tracking import fluent

    if name is not None and artifact_path is not None and name != artifact_path:
        raise ValidationError("log_model: give name= or artifact_path=, not both")
    given = name if name is not None else artifact_path if artifact_path is not None else "model"
    rel = validation.artifact_path(given, "model name")
    if not rel:
        raise ValidationError("log_model: name must not be empty")
    if registered_model_name is not None:
        warnings.warn(
            f"tuitrack has no model registry: registered_model_name={registered_model_name!r} is ignored; "
            "the model is in the run's artifacts (see the returned model_uri)",
            UserWarning,
            stacklevel=3,
        )
    from tuitrack.store.core import now_ms

    run = fluent._active_for_model(run_id)
    model_id = new_model_id(run.id, rel)
    model = Model(run_id=run.id, artifact_path=rel, model_id=model_id, utc_time_created=utc_time(now_ms()))
    with tempfile.TemporaryDirectory(prefix="tuitrack-model-") as tmp:
        folder = Path(tmp) / "model"
        save(folder, model)
        run.log_artifacts(folder, rel)
    return ModelInfo(
        artifact_path=rel,
        flavors=model.flavors,
        model_uri=f"runs:/{run.id}/{rel}",
        model_id=model_id,
        run_id=run.id,
        signature=model.signature,
        saved_input_example_info=model.saved_input_example_info,
        utc_time_created=model.utc_time_created,
        metadata=model.metadata,
    )


def _load_from(folder: Path) -> Any:
    if folder.is_file():  # a model file itself
        with open(folder, "rb") as fh:
            return pickle.load(fh)
    model = Model.load(folder)
    conf = model.flavors.get(FLAVOR_NAME)
    if conf is None:
        raise ValidationError(f"{folder} holds no scikit-learn model (flavors: {', '.join(model.flavors) or 'none'})")
    fmt = conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE)
    path = folder / str(conf.get("pickled_model", _FILES.get(fmt, "model.pkl")))
    _need("sklearn", "scikit-learn")
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        return _need("skops.io", "skops").load(path, trusted=conf.get("skops_trusted_types"))
    loader = _need("cloudpickle", "cloudpickle") if fmt == SERIALIZATION_FORMAT_CLOUDPICKLE else pickle
    with open(path, "rb") as fh:
        return loader.load(fh)  # the store is the user's own: trusted like their own pickles


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """Load a scikit-learn model from ``runs:/<run_id>/<name>``, a model folder or a ``file://`` URI."""
    from tuitrack.model_uri import local_model_path

    return _load_from(local_model_path(model_uri))


# -- autolog -------------------------------------------------------------------------------
_state: dict[str, Any] = {"patched": {}, "config": None}
_local = threading.local()


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Log params, training metrics, the model and the dataset of every scikit-learn ``fit``.

    As MLflow's: a fit with no active run gets a run of its own (ended after the fit); inside an active
    run it logs there.  Search estimators (GridSearchCV, RandomizedSearchCV) also log ``best_*`` params,
    ``best_cv_score`` and up to ``max_tuning_runs`` child runs, best first (None: all).  ``disable=True``
    undoes the patching.  Autologging never breaks training: its own failures are warnings.
    """
    if disable:
        _unpatch()
        _state["config"] = None
        return
    if max_tuning_runs is not None and (
        isinstance(max_tuning_runs, bool) or not isinstance(max_tuning_runs, int) or max_tuning_runs < 0
    ):
        raise ValidationError(f"max_tuning_runs must be None or a whole number >= 0, got {max_tuning_runs!r}")
    _need("sklearn", "scikit-learn")
    _state["config"] = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "log_datasets": log_datasets,
        "silent": silent,
        "max_tuning_runs": max_tuning_runs,
        "serialization_format": serialization_format,
        "registered_model_name": registered_model_name,
        "pos_label": pos_label,
        "extra_tags": dict(extra_tags or {}),
        "exclusive": exclusive,
    }
    _patch_all()


def _estimator_classes() -> list[type]:
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classes = [cls for _, cls in all_estimators()]
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline

    for extra in (GridSearchCV, RandomizedSearchCV, Pipeline):
        if extra not in classes:
            classes.append(extra)
    return classes


def _patch_all() -> None:
    patched = _state["patched"]
    if patched:
        return
    for cls in _estimator_classes():
        # patch the class that defines fit (often an abstract base such as BaseForest, not listed itself)
        owner: type[Any] | None = next((c for c in cls.__mro__ if "fit" in c.__dict__), None)
        if owner is None or owner in patched or owner.__module__.split(".")[0] != "sklearn":
            continue
        original = owner.__dict__["fit"]
        if not callable(original):
            continue
        patched[owner] = original
        owner.fit = _make_fit(original)


def _unpatch() -> None:
    for cls, original in _state["patched"].items():
        cls.fit = original
    _state["patched"] = {}


def _make_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = _state["config"]
        if config is None or getattr(_local, "depth", 0) > 0:
            return original(self, *args, **kwargs)
        _local.depth = 1
        try:
            return _autologged_fit(self, original, config, args, kwargs)
        finally:
            _local.depth = 0

    fit.__wrapped__ = original  # type: ignore[attr-defined]
    fit.__doc__ = getattr(original, "__doc__", None)
    fit.__name__ = "fit"
    return fit


def _warn(config: dict[str, Any], what: str, exc: BaseException) -> None:
    if not config["silent"]:
        warnings.warn(
            f"tuitrack autolog: {what} failed ({type(exc).__name__}: {exc}); training goes on",
            RuntimeWarning,
            stacklevel=4,
        )


def _autologged_fit(est: Any, original: Any, config: dict[str, Any], args: tuple, kwargs: dict) -> Any:
    from tuitrack.entities import FAILED, FINISHED
    from tuitrack.tracking import session as tracking

    own_run = None
    if tracking.active_run() is None:
        try:
            own_run = tracking.start_run()
        except Exception as exc:  # no store: train anyway
            _warn(config, "starting a run", exc)
            return original(est, *args, **kwargs)
    run = tracking.active_run()
    try:
        result = original(est, *args, **kwargs)
    except BaseException:
        if own_run is not None:
            own_run.end(FAILED)
        raise
    try:
        X = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        _log_fit(run, est, X, y, kwargs.get("sample_weight"), config)
    except Exception as exc:
        _warn(config, "logging the fit", exc)
    finally:
        if own_run is not None:
            own_run.end(FINISHED)
    return result


def _str_params(params: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v)[:6000] for k, v in params.items()}


def _is_search(est: Any) -> bool:
    """A hyperparameter search (GridSearchCV and kin): fitted, it has cv_results_ and best_params_."""
    return hasattr(est, "cv_results_") and hasattr(est, "estimator")


def _log_fit(run: Any, est: Any, X: Any, y: Any, sample_weight: Any, config: dict[str, Any]) -> None:
    search = _is_search(est)
    params = est.get_params(deep=not search)
    run.log_params(_str_params(params))
    cls = type(est)
    run.set_tags(
        {
            "estimator_name": cls.__name__,
            "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
            **{str(k): str(v) for k, v in config["extra_tags"].items()},
        }
    )
    if y is not None:
        metrics = training_metrics(est, X, y, sample_weight, config["pos_label"])
        if metrics:
            run.log_metrics(metrics, step=0)
    if config["log_datasets"] and X is not None:
        try:
            from tuitrack import data

            ds = data.dataset_of(X, y)
            if ds is not None:
                run.log_input(ds, name=ds.name, context="train")
        except Exception as exc:
            _warn(config, "logging the dataset", exc)
    if search and hasattr(est, "best_params_"):
        run.log_params(_str_params({f"best_{k}": v for k, v in est.best_params_.items()}))
        if getattr(est, "best_score_", None) is not None:
            run.log_metrics({"best_cv_score": float(est.best_score_)}, step=0)
        _log_child_runs(run, est, config)
        try:
            import pandas as pd

            run.log_text(pd.DataFrame(est.cv_results_).to_csv(index=False), "cv_results.csv")
        except ImportError:
            pass
    if config["log_models"]:
        example = _head(X) if X is not None else None
        signature = None
        if config["log_model_signatures"] and example is not None and hasattr(est, "predict"):
            try:
                from tuitrack.models.signature import infer_signature

                signature = infer_signature(example, est.predict(example))
            except Exception:
                signature = None
        input_example = example if config["log_input_examples"] else None
        log_model(
            est,
            name="model",
            signature=signature,
            input_example=input_example,
            serialization_format=config["serialization_format"],
            registered_model_name=config["registered_model_name"],
            run_id=run.id,
        )
        if search and hasattr(est, "best_estimator_"):
            log_model(
                est.best_estimator_,
                name="best_estimator",
                serialization_format=config["serialization_format"],
                run_id=run.id,
            )


def _head(X: Any, n: int = 5) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:n]
    try:
        return X[:n]
    except Exception:
        return None


def training_metrics(est: Any, X: Any, y: Any, sample_weight: Any = None, pos_label: Any = None) -> dict[str, float]:
    """The training-set metrics MLflow's sklearn autolog logs, under its names."""
    from sklearn import metrics as M
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    sw = {"sample_weight": sample_weight} if sample_weight is not None else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(est, "score"):
            with contextlib.suppress(Exception):
                out["training_score"] = float(est.score(X, y, **sw))
        if is_classifier(est) and hasattr(est, "predict"):
            pred = est.predict(X)
            import numpy as np

            labels = np.unique(np.asarray(y))
            avg = "binary" if len(labels) == 2 and pos_label is not None else "weighted"
            kw = {"average": avg, **({"pos_label": pos_label} if avg == "binary" else {})}
            out["training_accuracy_score"] = float(M.accuracy_score(y, pred, **sw))
            out["training_precision_score"] = float(M.precision_score(y, pred, zero_division=0, **kw, **sw))
            out["training_recall_score"] = float(M.recall_score(y, pred, zero_division=0, **kw, **sw))
            out["training_f1_score"] = float(M.f1_score(y, pred, zero_division=0, **kw, **sw))
            if hasattr(est, "predict_proba"):
                try:
                    proba = est.predict_proba(X)
                    out["training_log_loss"] = float(M.log_loss(y, proba, labels=getattr(est, "classes_", None), **sw))
                    if proba.shape[1] == 2:
                        out["training_roc_auc"] = float(M.roc_auc_score(y, proba[:, 1], **sw))
                    else:
                        out["training_roc_auc"] = float(
                            M.roc_auc_score(y, proba, average="weighted", multi_class="ovo", **sw)
                        )
                except Exception:
                    pass
        elif is_regressor(est) and hasattr(est, "predict"):
            pred = est.predict(X)
            mse = float(M.mean_squared_error(y, pred, **sw))
            out["training_mean_squared_error"] = mse
            out["training_root_mean_squared_error"] = mse**0.5
            out["training_mean_absolute_error"] = float(M.mean_absolute_error(y, pred, **sw))
            out["training_r2_score"] = float(M.r2_score(y, pred, **sw))
    return out


def _log_child_runs(parent: Any, est: Any, config: dict[str, Any]) -> None:
    from tuitrack.tracking import session as tracking

    cap = config["max_tuning_runs"]
    results = est.cv_results_
    n = len(results["params"])
    order = sorted(range(n), key=lambda i: (results.get("rank_test_score", list(range(n)))[i], i))
    if cap is not None:
        order = order[:cap]
    base = getattr(est, "estimator", None)
    base_params = base.get_params(deep=True) if base is not None and hasattr(base, "get_params") else {}
    metric_keys = [k for k in results if k.startswith(("mean_", "std_", "rank_")) and k != "params"]
    for i in order:
        with tracking.start_run(
            nested=True,
            run_name=f"{parent.info.run_name}-candidate-{i}",
            tags={
                "mlflow.autologging": "sklearn",
                "estimator_name": type(base).__name__,
                "estimator_class": f"{type(base).__module__}.{type(base).__qualname__}",
            }
            if base is not None
            else {"mlflow.autologging": "sklearn"},
        ) as child:
            child.log_params(_str_params({**base_params, **results["params"][i]}))
            values = {}
            for k in metric_keys:
                try:
                    values[k] = float(results[k][i])
                except (TypeError, ValueError):
                    continue
            if values:
                child.log_metrics(values, step=0)
    skipped = n - len(order)
    if skipped and not config["silent"]:
        print(
            f"tuitrack autolog: logged the {len(order)} best of {n} candidates as child runs (max_tuning_runs={cap})",
            file=sys.stderr,
        )
