"""The run handle: what ``start_run`` returns and every ``log_*`` call ends up in.

``log_metric`` here is the hot path of every training loop: it validates and
appends a ready row to the writer's per-key buffer (see ``writer.py``).
"""

from __future__ import annotations

import contextlib
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tuitrack import validation
from tuitrack.entities import FAILED, FINISHED, KILLED, RUNNING, STATUSES, RunData, RunInfo
from tuitrack.errors import RunGoneError, TuitrackError, ValidationError
from tuitrack.store.core import Store, now_ms
from tuitrack.tracking import capture
from tuitrack.tracking.artifacts import ArtifactMixin
from tuitrack.tracking.settings import settings
from tuitrack.tracking.writer import MetricWriter

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


class ActiveRun(ArtifactMixin):
    """A live run.  Also a context manager: FINISHED on exit, FAILED on an exception, KILLED on Ctrl-C."""

    def __init__(
        self,
        store: Store,
        writer: MetricWriter,
        rid: int,
        run_id: str,
        name: str,
        experiment_id: int,
        experiment: str,
        parent_id: str | None,
        start_time: int,
        steps: dict[str, int] | None = None,
        on_end: Callable[[ActiveRun], None] | None = None,
    ):
        self.store = store
        self._writer = writer
        self._rid = rid
        self._run_id = run_id
        self._name = name
        self._experiment_id = experiment_id
        self._experiment = experiment
        self._parent_id = parent_id
        self._start_time = start_time
        self._end_time: int | None = None
        self._status = RUNNING
        self._steps: dict[str, int] = steps or {}
        self._bufs: dict[str, Any] = {}
        self._kids: dict[str, int] = {}
        self._sampler: capture.SystemSampler | None = None
        self._output: Any = None  # the process's console capture when this run started it
        self._thread_stack: list[ActiveRun] = []  # the active-run stack of the thread that started it
        self._main_thread = False
        self._on_end = on_end  # the session forgets the run (its active-run stacks) once it ends

    # identity
    @property
    def id(self) -> str:
        return self._run_id

    @property
    def info(self) -> RunInfo:
        """The run's info as MLflow's ``ActiveRun.info`` (the experiment id as a string)."""
        return RunInfo(
            run_id=self._run_id,
            run_name=self._name,
            experiment_id=str(self._experiment_id),
            experiment=self._experiment,
            status=self._status,
            start_time=self._start_time,
            end_time=self._end_time,
            parent_id=self._parent_id,
            artifact_uri=self.store.run_artifact_dir(self._run_id).resolve().as_uri(),
        )

    @property
    def data(self) -> RunData:
        """What the run has logged so far (params, latest metrics, tags), read from the store."""
        self._writer.flush()
        return self.store.get_run(self._run_id).data

    def __repr__(self) -> str:
        return f"<ActiveRun {self._run_id[:8]} {self._name!r} {self._status}>"

    def _check_open(self) -> None:
        if self._status != RUNNING:
            raise TuitrackError(
                f"run {self._run_id[:8]} ({self._name!r}) has ended ({self._status}); "
                "resume it with start_run(run_id=...) to log more"
            )

    # metrics: the hot path
    def _open_key(self, key: str) -> Any:
        """First use of a key in this run: validate it, intern it, get its buffer."""
        validation.validate_key(key, "metric key")
        self._check_open()
        try:
            self._kids[key] = self.store.metric_kid(key)
        except TuitrackError as exc:
            if settings["strict"]:
                raise
            # Keep training: the key is interned by the writer once the store accepts writes.
            warnings.warn(
                f"tuitrack: could not register metric {key!r} ({exc}); points are kept in memory",
                RuntimeWarning,
                stacklevel=3,
            )
            self._kids[key] = -1
        buf = self._bufs[key] = self._writer.buffer(self._rid, key)
        return buf

    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: int | None = None) -> None:
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._open_key(key)
        if type(value) is not float:
            value = validation.metric_value(key, value)
        if timestamp is None:
            timestamp = now_ms()
        elif type(timestamp) is not int or not _I64_MIN <= timestamp <= _I64_MAX:
            timestamp = validation.metric_timestamp(key, timestamp)
        steps = self._steps
        next_step = steps.get(key, 0)
        if step is None:
            step = next_step
        elif type(step) is not int or not _I64_MIN <= step <= _I64_MAX:
            step = validation.metric_step(key, step)
        if self._status != RUNNING:
            self._check_open()
        writer = self._writer
        if writer.last_error is not None and writer.strict:
            err, writer.last_error = writer.last_error, None
            raise err
        if writer.gone_rids and self._rid in writer.gone_rids:
            return  # the run was purged meanwhile: the writer has reported it; nothing can be stored
        # Only now, with every check passed, does the point count.
        if step >= next_step:
            steps[key] = step + 1
        buf.append((self._rid, self._kids[key], step, timestamp, value))
        if len(buf) >= writer.max_buffer:
            writer.wake()

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None, timestamp: int | None = None) -> None:
        """Log several metrics at one step and timestamp; a refused entry stores none of them."""
        if not isinstance(metrics, Mapping):
            raise ValidationError(f"log_metrics takes a dict of key -> number, got {type(metrics).__name__}")
        ts = now_ms() if timestamp is None else validation.metric_timestamp("log_metrics", timestamp)
        if step is not None:
            step = validation.metric_step("log_metrics", step)
        clean = {validation.validate_key(k, "metric key"): validation.metric_value(k, v) for k, v in metrics.items()}
        for key, value in clean.items():
            self.log_metric(key, value, step=step, timestamp=ts)

    def flush(self) -> int:
        return self._writer.flush()

    # params and tags
    def log_param(self, key: str, value: Any) -> Any:
        self.log_params({key: value})
        return value

    def log_params(self, params: Mapping[str, Any]) -> None:
        if not isinstance(params, Mapping):
            raise ValidationError(f"log_params takes a dict of key -> value, got {type(params).__name__}")
        clean = {validation.validate_key(k, "param key"): validation.param_value(k, v) for k, v in params.items()}
        with self._gone_guard("log_params"):
            self.store.log_params(self._rid, clean)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if not isinstance(tags, Mapping):
            raise ValidationError(f"set_tags takes a dict of key -> value, got {type(tags).__name__}")
        clean = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in tags.items()}
        with self._gone_guard("set_tags"):
            self.store.set_tags(self._rid, clean)

    def delete_tag(self, key: str) -> None:
        validation.validate_key(key, "tag key")
        with self._gone_guard("delete_tag"):
            if not self.store.delete_tags(self._rid, [key]):
                raise ValidationError(f"run {self._run_id[:8]} has no tag {key!r}")

    def set_note(self, text: str) -> None:
        text = validation.note_text(text)
        with self._gone_guard("set_note"):
            if not self.store.run_exists(self._rid):
                raise RunGoneError(f"the run no longer exists in the store at {self.store.path}")
            self.store.update_run_fields(self._rid, note=text)

    @contextlib.contextmanager
    def _gone_guard(self, what: str) -> Iterator[None]:
        """A write for this run after it was purged: a warning (training goes on), or raised with strict=True."""
        try:
            yield
        except RunGoneError as exc:
            self._writer.gone_rids.add(self._rid)
            if settings["strict"]:
                raise RunGoneError(
                    f"{what}: run {self._run_id[:8]} was purged from the store while running; "
                    f"nothing was written ({exc})"
                ) from None
            warnings.warn(
                f"tuitrack: {what}: run {self._run_id[:8]} was purged from the store while running; "
                "nothing was written",
                RuntimeWarning,
                stacklevel=4,
            )

    # lifecycle
    def end(self, status: str = FINISHED, error: str | None = None) -> None:
        if status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        if self._status != RUNNING:
            return
        if self._sampler is not None:
            self._sampler.stop()
        if self._output is not None:
            from tuitrack.tracking import output

            cap, self._output = self._output, None
            output.stop(cap)
        self._writer.live_rids.discard(self._rid)
        self._end_time = now_ms()
        self._status = status
        try:
            try:
                self._writer.flush()
            finally:
                self._writer.end_run(self._rid, status, self._end_time, error)
        except RunGoneError as exc:
            if settings["strict"]:
                raise
            warnings.warn(
                f"tuitrack: run {self._run_id[:8]} was purged from the store while running; its end "
                f"was not recorded ({exc})",
                RuntimeWarning,
                stacklevel=2,
            )
        except TuitrackError as exc:
            # Disk full or similar: the points and the end stay queued and are written
            # once the store accepts writes again.  Strict mode raises instead.
            if settings["strict"]:
                raise
            warnings.warn(
                f"tuitrack: run {self._run_id[:8]} ended, but the store refused the write ({exc}); it will be retried",
                RuntimeWarning,
                stacklevel=2,
            )
        finally:
            if self._on_end is not None:
                self._on_end(self)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None or (exc_type is SystemExit and getattr(exc, "code", 1) in (0, None)):
            self.end(FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end(KILLED, error="KeyboardInterrupt")
        else:
            self.end(FAILED, error="".join(traceback.format_exception(exc_type, exc, tb)))
