"""Artifact logging (files, text, dicts, figures, models, datasets) for a run handle.

Files are copied to ``<store>/artifacts/<run_id>/<path>`` through a temporary
name and an atomic rename, and indexed in the ``artifacts`` table.  Paths are
validated so nothing can be written outside the run's folder.  Storage faults
(disk full, a file that vanished) warn and keep training by default; with
``tuitrack.configure(strict=True)`` they raise.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuitrack import validation
from tuitrack.errors import RunGoneError, StorageFullError, TuitrackError, ValidationError
from tuitrack.store.gc import TEMP_PREFIX
from tuitrack.tracking import capture
from tuitrack.tracking.settings import settings

if TYPE_CHECKING:
    from tuitrack.store.core import Store

MODEL_FILE = "model.pkl"
MODEL_META = "MLmodel"
LEGACY_MODEL_META = "MLmodel.json"  # what tuitrack wrote before models took MLflow's format


class ArtifactMixin:
    store: Store
    _rid: int
    _run_id: str

    def _check_open(self) -> None: ...

    def _dest(self, rel: str) -> Path:
        if not self.store.run_exists(self._rid):  # purged while running: never re-create its folder
            raise RunGoneError(f"run {self._run_id[:8]} was purged from the store while running; artifact not saved")
        root = self.store.run_artifact_dir(self._run_id)
        return root / rel if rel else root

    def _fault(self, what: str, exc: BaseException) -> None:
        if isinstance(exc, OSError) and exc.errno == 28:
            err: TuitrackError = StorageFullError(f"{what}: the disk is full ({exc.strerror}); artifact not saved")
        elif isinstance(exc, TuitrackError):
            err = exc
        else:
            err = TuitrackError(f"{what}: {exc}")
        if settings["strict"]:
            raise err from exc
        warnings.warn(
            f"tuitrack: {err} (training continues; configure(strict=True) to raise)", RuntimeWarning, stacklevel=3
        )

    def _write_bytes(self, rel: str, data: bytes) -> None:
        dest = self._dest(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _copy(self, src: Path, rel: str) -> None:
        dest = self._dest(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=TEMP_PREFIX)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def log_artifact(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str | None:
        """Copy one file into the run; returns its artifact path (None if a storage fault was only warned)."""
        self._check_open()
        src = Path(local_path)
        folder = validation.artifact_path(artifact_path, "artifact_path")
        name = validation.artifact_path(src.name, "artifact file name")
        rel = f"{folder}/{name}" if folder else name
        try:
            if src.is_dir():
                raise ValidationError(f"log_artifact: {str(src)!r} is a folder; use log_artifacts for folders")
            size = src.stat().st_size
            self._copy(src, rel)
            self.store.record_artifacts(self._rid, [(rel, size)])
        except ValidationError:
            raise
        except (OSError, TuitrackError) as exc:
            if isinstance(exc, FileNotFoundError):
                exc = TuitrackError(f"log_artifact: the file {str(src)!r} does not exist (vanished or never written)")
            self._fault(f"log_artifact({str(src)!r})", exc)
            return None
        return rel

    def log_artifacts(self, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
        """Copy a folder's files (recursively) into the run."""
        self._check_open()
        src = Path(local_dir)
        folder = validation.artifact_path(artifact_path, "artifact_path")
        if not src.is_dir():
            self._fault("log_artifacts", TuitrackError(f"{str(src)!r} is not an existing folder"))
            return []
        entries = []
        try:
            for f in sorted(p for p in src.rglob("*") if p.is_file()):
                rel_in = validation.artifact_path(f.relative_to(src).as_posix())
                rel = f"{folder}/{rel_in}" if folder else rel_in
                self._copy(f, rel)
                entries.append((rel, f.stat().st_size))
        except ValidationError:
            raise
        except OSError as exc:
            self._fault("log_artifacts", exc)
        if entries:
            self.store.record_artifacts(self._rid, entries)
        return [e[0] for e in entries]

    def _log_bytes(self, data: bytes, artifact_file: str, what: str) -> str | None:
        self._check_open()
        rel = validation.artifact_path(artifact_file, "artifact_file")
        if not rel:
            raise ValidationError(f"{what}: artifact_file must name a file")
        try:
            self._write_bytes(rel, data)
            self.store.record_artifacts(self._rid, [(rel, len(data))])
        except (OSError, TuitrackError) as exc:
            self._fault(what, exc)
            return None
        return rel

    def log_text(self, text: str, artifact_file: str) -> str | None:
        if not isinstance(text, str):
            raise ValidationError(f"log_text takes a str, got {type(text).__name__}")
        return self._log_bytes(text.encode("utf-8"), artifact_file, "log_text")

    def log_dict(self, dictionary: Any, artifact_file: str) -> str | None:
        """Write JSON, or YAML when the name ends in .yaml/.yml."""
        if str(artifact_file).lower().endswith((".yaml", ".yml")):
            from tuitrack import yaml_text

            text = yaml_text.dump(dictionary)  # block style, loads back with any YAML reader; no PyYAML needed
        else:
            text = json.dumps(dictionary, indent=2, default=str)
        return self._log_bytes(text.encode("utf-8"), artifact_file, "log_dict")

    def log_figure(self, figure: Any, artifact_file: str) -> str | None:
        """Save a matplotlib figure (anything with ``savefig``) as an artifact."""
        if not hasattr(figure, "savefig"):
            raise ValidationError(f"log_figure takes a matplotlib figure, got {type(figure).__name__}")
        suffix = Path(str(artifact_file)).suffix or ".png"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"figure{suffix}"
            figure.savefig(path)
            return self._log_bytes(path.read_bytes(), artifact_file, "log_figure")

    def log_image(
        self,
        image: Any,
        key: str | None = None,
        step: int | None = None,
        artifact_file: str | None = None,
        timestamp: int | None = None,
    ) -> str | None:
        """Store an image (numpy array, PIL image or matplotlib figure), as MLflow's ``log_image``.

        With ``key`` (and ``step``, default 0) it joins the run's image series ``key``, stored as
        ``images/<key>/step_<step>.png``, which the app's image view steps through; with
        ``artifact_file`` (``.png``/``.jpg``) it is a plain artifact.  ``timestamp`` is accepted
        for MLflow compatibility (the artifact's own time is recorded).
        """
        from tuitrack.tracking import images

        if (key is None) == (artifact_file is None):
            raise ValidationError("log_image needs exactly one of key= (an image series) or artifact_file=")
        if key is not None:
            validation.validate_key(key, "image key")
            if step is None:
                step = 0
            if isinstance(step, bool) or not isinstance(step, int) or not -(2**63) <= step < 2**63:
                raise ValidationError(f"log_image: step must be a whole number, got {step!r}")
            rel = images.image_path(key, step)
            data = images.to_image_bytes(image, ".png")
        else:
            rel = validation.artifact_path(str(artifact_file), "artifact_file")
            data = images.to_image_bytes(image, Path(rel).suffix or ".png")
        return self._log_bytes(data, rel, "log_image")

    def log_model(
        self,
        model: Any,
        name: str | None = None,
        *,
        artifact_path: str | None = None,
        signature: Any = None,
        input_example: Any = None,
        registered_model_name: str | None = None,
        pip_requirements: Any = None,
        extra_pip_requirements: Any = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Log ``model`` as an MLflow model folder under ``name``; returns a model info (``.model_uri``).

        scikit-learn estimators get MLflow's sklearn flavor (``tuitrack.sklearn.log_model``); anything
        else is pickled under tuitrack's own flavor and loads with ``load_model``/``pyfunc.load_model``.
        """
        from tuitrack.sklearn import is_sklearn_model, log_flavor_model
        from tuitrack.sklearn import log_model as log_sklearn

        self._check_open()
        if is_sklearn_model(model):
            return log_sklearn(
                model,
                artifact_path=artifact_path,
                name=name,
                signature=signature,
                input_example=input_example,
                registered_model_name=registered_model_name,
                pip_requirements=pip_requirements,
                extra_pip_requirements=extra_pip_requirements,
                metadata=metadata,
                run_id=self._run_id,
            )

        def save(folder: Path, mlmodel: Any) -> None:
            save_pickled_model(
                model,
                folder,
                mlmodel,
                signature=signature,
                input_example=input_example,
                pip_requirements=pip_requirements,
                extra_pip_requirements=extra_pip_requirements,
                metadata=metadata,
            )

        return log_flavor_model(
            save,
            name=name,
            artifact_path=artifact_path,
            registered_model_name=registered_model_name,
            run_id=self._run_id,
        )

    def log_input(self, data: Any, name: str, context: str | None = None) -> None:
        """Record a dataset: its path, sha256 digest and row count where knowable; a ``tuitrack.data``
        dataset also brings its source type, schema and profile."""
        self._check_open()
        validation.validate_key(name, "dataset name")
        if (
            hasattr(data, "profile")
            and hasattr(data, "digest")
            and hasattr(data, "source")
            and hasattr(data, "to_dict")
        ):
            uri = getattr(data.source, "uri", None)
            self.store.record_input(
                self._rid,
                name,
                uri,
                data.digest,
                getattr(data, "rows", None),
                context,
                source_type=data.source_type,
                schema=json.dumps(data.schema) if data.schema is not None else None,
                profile=json.dumps(data.profile) if data.profile is not None else None,
            )
            return
        source, digest, rows = capture.describe_dataset(data)
        self.store.record_input(self._rid, name, source, digest, rows, context)


class DetachedRun(ArtifactMixin):
    """Artifact logging for a run that is not active in this process (MlflowClient's ``log_artifact`` ...)."""

    def __init__(self, store: Store, rid: int, run_id: str):
        self.store = store
        self._rid = rid
        self._run_id = run_id

    @property
    def id(self) -> str:
        return self._run_id

    def _check_open(self) -> None:
        return None


PICKLE_FLAVOR = "tuitrack_pickle"


def save_pickled_model(
    model: Any,
    folder: Path,
    mlmodel: Any,
    *,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Any picklable object as a model folder: ``MLmodel`` (tuitrack's pickle flavor), ``model.pkl`` and the
    environment files; ``model.predict`` is what pyfunc calls."""
    from tuitrack.models.model import folder_size, requirements_for, write_environment, write_input_example

    try:
        data = pickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL)
    except Exception as exc:
        raise ValidationError(f"log_model: cannot pickle {type(model).__name__}: {exc}") from None
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(data)
    mlmodel.flavors["python_function"] = {
        "loader_module": "tuitrack.pyfunc",
        "model_path": MODEL_FILE,
        "python_version": platform.python_version(),
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
    }
    mlmodel.flavors[PICKLE_FLAVOR] = {
        "pickled_model": MODEL_FILE,
        "pickle_protocol": pickle.DEFAULT_PROTOCOL,
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
    }
    if signature is not None:
        mlmodel.signature = signature
    if input_example is not None:
        mlmodel.saved_input_example_info = write_input_example(folder, input_example)
    if metadata:
        mlmodel.metadata = dict(metadata)
    write_environment(folder, requirements_for([], pip_requirements, extra_pip_requirements))
    mlmodel.model_size_bytes = folder_size(folder)
    mlmodel.save(folder)


def load_model_folder(folder: Path) -> Any:
    """A model folder written by ``log_model``: MLflow's sklearn flavor, tuitrack's pickle flavor, or the
    ``MLmodel.json`` + ``model.pkl`` of earlier tuitrack versions."""
    if (folder / "MLmodel").is_file():
        from tuitrack.models.model import Model

        meta = Model.load(folder)
        if "sklearn" in meta.flavors:
            from tuitrack.sklearn import _load_from

            return _load_from(folder)
        if PICKLE_FLAVOR not in meta.flavors:
            raise ValidationError(
                f"{folder} holds a model of flavors {', '.join(meta.flavors) or 'none'}, which "
                "tuitrack cannot load; load it with MLflow"
            )
        path = folder / str(meta.flavors[PICKLE_FLAVOR].get("pickled_model", MODEL_FILE))
    else:
        path = folder / MODEL_FILE
    with open(path, "rb") as fh:
        return pickle.load(fh)  # the store is the user's own: trusted like their own pickles


def load_model(store: Store, model_uri: str) -> Any:
    """The model at ``runs:/<run_id>/<name>`` (or a model folder / ``file://`` URI)."""
    from tuitrack.model_uri import local_model_path

    return load_model_folder(local_model_path(model_uri, store))
