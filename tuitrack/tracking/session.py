"""The fluent logging API: ``start_run``, ``log_metric`` ... and the ActiveRun handle.

Shaped like MLflow's so switching means changing the import.  Differences worth
knowing: ``log_metric`` without ``step`` numbers points 0, 1, 2 ... per key
(MLflow writes them all at step 0), and metrics are buffered and written in
batches by :mod:`tuitrack.tracking.writer`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import traceback
import uuid
import warnings
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tuitrack import validation
from tuitrack.entities import FAILED, FINISHED, KILLED, Experiment
from tuitrack.errors import ActiveRunError, TuitrackError, ValidationError
from tuitrack.store.core import DEFAULT_EXPERIMENT, Store, default_store_path, now_ms
from tuitrack.tracking import capture, output
from tuitrack.tracking.run import ActiveRun
from tuitrack.tracking.settings import DEFAULTS as _DEFAULT_SETTINGS
from tuitrack.tracking.settings import settings as _settings
from tuitrack.tracking.writer import MetricWriter

_lock = threading.RLock()
_store_path: Path | None = None
_experiment: str | None = None
_stores: dict[Path, Store] = {}
_writers: dict[Path, MetricWriter] = {}
#: Every active run of the process, whichever thread started it, oldest first (exit and close_store end them).
_stack: list[ActiveRun] = []


class _ThreadRuns(threading.local):
    """The active-run stack of one thread, as MLflow keeps it: a run started in a worker thread is
    that thread's active run and never becomes the main thread's (or another worker's)."""

    def __init__(self) -> None:
        self.stack: list[ActiveRun] = []


_tls = _ThreadRuns()


def _uuid_hex() -> str:
    return uuid.uuid4().hex


_new_run_id: Callable[[], str] = _uuid_hex  # tests and the demo set it for repeatable ids
_failed_exc: list[BaseException] = []


# -- configuration -------------------------------------------------------------------
def set_store(path: str | os.PathLike[str] | None) -> None:
    """Use the store at ``path`` (a folder) from now on; ``None`` goes back to the default."""
    global _store_path
    with _lock:
        _store_path = Path(path).expanduser() if path is not None else None


def get_store_path() -> Path:
    return _store_path if _store_path is not None else default_store_path()


def configure(
    *,
    strict: bool | None = None,
    flush_interval: float | None = None,
    capture_packages: bool | None = None,
    capture_env: bool | None = None,
    identity: Mapping[str, str] | None = None,
    capture_output: bool | None = None,
    capture_output_limit: int | None = None,
    git_diff_limit: int | None = None,
) -> None:
    """Process-wide settings.

    ``strict=True`` makes storage faults raise in the training script instead of warning;
    ``capture_env``/``capture_packages=False`` skip environment capture; ``identity``
    (keys user, host, source) overrides the recorded user/host/command line, which
    deterministic demos and tests need.  ``capture_output=False`` stops runs from keeping what the
    script prints (default on, or what ``TUITRACK_CAPTURE_OUTPUT`` says); ``capture_output_limit`` caps
    the kept output in bytes (default 10 MiB).  ``git_diff_limit`` (bytes, default 256 KiB; 0 turns it
    off): a run started in a dirty git tree stores ``git diff HEAD`` as the artifact
    ``tuitrack/git-diff.patch`` when the diff is no larger, so ``tuitrack reproduce`` can re-apply it.
    """
    if git_diff_limit is not None:
        if isinstance(git_diff_limit, bool) or not isinstance(git_diff_limit, int) or git_diff_limit < 0:
            raise ValidationError(f"git_diff_limit must be a whole number of bytes >= 0, got {git_diff_limit!r}")
        _settings["git_diff_limit"] = git_diff_limit
    if capture_output_limit is not None:
        if (
            isinstance(capture_output_limit, bool)
            or not isinstance(capture_output_limit, int)
            or capture_output_limit < 0
        ):
            raise ValidationError(f"capture_output_limit must be a number of bytes >= 0, got {capture_output_limit!r}")
        _settings["capture_output_limit"] = capture_output_limit
    if capture_output is not None:
        _settings["capture_output"] = bool(capture_output)
    if capture_env is not None:
        _settings["capture_env"] = bool(capture_env)
    if identity is not None:
        _settings["identity"] = dict(identity) or None
    if flush_interval is not None:
        if isinstance(flush_interval, bool) or not isinstance(flush_interval, (int, float)) or flush_interval <= 0:
            raise ValidationError(f"flush_interval must be a positive number of seconds, got {flush_interval!r}")
        _settings["flush_interval"] = float(flush_interval)
    if strict is not None:
        _settings["strict"] = bool(strict)
    with _lock:  # running writers follow the new settings too
        for writer in _writers.values():
            writer.strict = _settings["strict"]
            writer.interval = _settings["flush_interval"]
    if capture_packages is not None:
        _settings["capture_packages"] = bool(capture_packages)


def set_id_factory(factory: Callable[[], str] | None) -> None:
    """Replace how new run ids are made (deterministic demos/tests); None restores uuid4 hex."""
    global _new_run_id
    _new_run_id = factory if factory is not None else (lambda: uuid.uuid4().hex)


def set_experiment(experiment_name: str | None = None, experiment_id: int | str | None = None) -> Experiment:
    """Make an experiment current for later runs (created if missing, by name); returns it, as MLflow does."""
    global _experiment
    store = _writable_store()
    if experiment_name is None and experiment_id is None:
        raise ValidationError("set_experiment needs an experiment name (or experiment_id)")
    if experiment_name is not None:
        validation.experiment_name(experiment_name)
        exp_id = store.experiment_id(experiment_name)
    else:
        exp_id = _experiment_id_value(experiment_id)
    found = store.get_experiment(exp_id)  # one indexed lookup: listing them all made 10k experiments take minutes
    if found is None:
        raise ValidationError(f"no experiment with id {experiment_id!r} in the store at {store.path}")
    _experiment = found.name
    from dataclasses import replace

    return replace(
        found,
        experiment_id=str(found.experiment_id),
        tags=store.experiment_tags(int(found.experiment_id)).get(int(found.experiment_id), {}),
    )


def _experiment_id_value(value: int | str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ValidationError(f"experiment_id must be an integer (or a string of digits), got {value!r}")
    return int(value)


def _experiment_name_for_id(store: Store, experiment_id: int | str) -> str:
    exp = store.get_experiment(_experiment_id_value(experiment_id))
    if exp is not None:
        return exp.name
    raise ValidationError(f"no experiment with id {experiment_id!r} in the store at {store.path}")


def _writable_store() -> Store:
    path = get_store_path()
    with _lock:
        store = _stores.get(path)
        if store is None:
            store = Store(path, create=True, read_only=False)
            _stores[path] = store
        return store


def writable_store(path: str | os.PathLike[str]) -> Store:
    """A store to write at ``path`` (created if missing), kept open like the current one."""
    target = Path(path).expanduser()
    with _lock:
        store = _stores.get(target)
        if store is None:
            store = Store(target, create=True, read_only=False)
            _stores[target] = store
        return store


def _made_by() -> dict[str, Any]:
    """Who, where and by what command a new run is made (``configure(identity=...)`` first, else this
    process's user, host and command line), and this process's pid: ``Store.create_run``'s keywords."""
    ident = _settings["identity"] or {}
    return {
        "user": ident.get("user", capture.user()),
        "host": ident.get("host", capture.host()),
        "pid": os.getpid(),
        "source": ident.get("source", capture.command_line()),
    }


def create_detached_run(
    store: Store,
    experiment: str,
    *,
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    parent_id: str | None = None,
    note: str | None = None,
    start_time: int | None = None,
) -> str:
    """A RUNNING run that is not made active here (MlflowClient.create_run); returns its id.

    Its heartbeat is its start (or last write): a client run left RUNNING shows as crashed later,
    as a script that stopped would."""
    validation.experiment_name(experiment)
    if name is not None:
        validation.run_name(name)
    clean_tags = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in (tags or {}).items()}
    clean_note = validation.note_text(note) if note is not None else None
    exp_id = store.experiment_id(experiment)
    new_id = _new_run_id()
    store.create_run(
        run_id=new_id,
        experiment_id=exp_id,
        name=name if name is not None else _generated_name(new_id),
        start_time=start_time if start_time is not None else now_ms(),
        parent_id=parent_id,
        **_made_by(),
        note=clean_note,
        tags=clean_tags,
        params={},
        packages=None,
    )
    return new_id


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """A store for reading; never creates one.  Raises StoreNotFoundError when missing."""
    target = Path(path).expanduser() if path is not None else get_store_path()
    with _lock:
        if target in _stores:
            return _stores[target]
    return Store(target, create=False)


def close_store(path: str | os.PathLike[str] | None = None) -> None:
    """Write what is buffered for the store at ``path`` (default: the current one), stop its
    writer thread and close its connection.  Refused while a run on it is active."""
    target = Path(path).expanduser() if path is not None else get_store_path()
    with _lock:
        if any(run.store.path == target for run in _stack):
            raise ActiveRunError(f"a run on the store at {target} is still active; end it first")
        writer = _writers.pop(target, None)
        store = _stores.pop(target, None)
    if writer is not None:
        try:
            writer.flush()
        finally:
            writer.stop()
    if store is not None:
        store.close()


def reset() -> None:
    """Forget this process's tracking state: active runs end as KILLED, buffers are written,
    writers stop, stores close, and every setting (store, experiment, clock, ids) is back to default.
    For tests and tools that use several stores in one process."""
    global _experiment, _new_run_id, _store_path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _end_all(KILLED, "tuitrack.reset()")
    global _tls
    with _lock:
        _stack.clear()
        _tls = _ThreadRuns()
        paths = list(_writers) + [p for p in _stores if p not in _writers]
    for path in paths:
        with contextlib.suppress(TuitrackError):
            close_store(path)
    from tuitrack.store import core as _store_module

    _store_module.set_clock(None)
    capture.clear_cache()
    _new_run_id = _uuid_hex
    _store_path = None
    _experiment = None
    _settings.update(_DEFAULT_SETTINGS)


def _writer_for(store: Store) -> MetricWriter:
    with _lock:
        writer = _writers.get(store.path)
        if writer is None:
            writer = MetricWriter(store, interval=_settings["flush_interval"], strict=_settings["strict"])
            _writers[store.path] = writer
        writer.start()
        return writer


# -- module-level API ---------------------------------------------------------------
def start_run(
    experiment: str | None = None,
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    nested: bool = False,
    run_id: str | None = None,
    system_metrics: bool = False,
    *,
    run_name: str | None = None,
    description: str | None = None,
    parent_run_id: str | None = None,
    experiment_name: str | None = None,
    experiment_id: int | str | None = None,
    log_system_metrics: bool | None = None,
    capture_output: bool | None = None,
) -> ActiveRun:
    """Start (or with ``run_id`` resume) a run and make it active.  Use it in a ``with`` block.

    MLflow's spellings work too: ``run_name=``, ``experiment_id=``, ``description=``,
    ``parent_run_id=``, ``log_system_metrics=``, and ``start_run("<32-hex run id>")``
    (MLflow's first positional argument is the run id) resumes that run.

    What the script prints while the run is active is kept in the run's ``logs/output.txt``
    (``capture_output=False`` here, ``configure(capture_output=False)`` or
    ``TUITRACK_CAPTURE_OUTPUT=0`` turn that off; the outermost run of the process captures).
    """
    name = name if name is not None else run_name
    experiment = experiment if experiment is not None else experiment_name
    if log_system_metrics is not None:
        system_metrics = bool(log_system_metrics)
    if run_id is not None:
        validation.run_id(run_id)
    if parent_run_id is not None:
        validation.run_id(parent_run_id, "parent_run_id")
    store = _writable_store()
    if (
        run_id is None
        and isinstance(experiment, str)
        and len(experiment) == 32
        and all(c in "0123456789abcdef" for c in experiment)
        and _run_exists(store, experiment)
    ):
        run_id, experiment = experiment, None
    if experiment is None and experiment_id is not None:
        experiment = _experiment_name_for_id(store, experiment_id)
    writer = _writer_for(store)
    with _lock:
        own = _tls.stack
        parent = own[-1] if own else None
        if parent is not None and not nested and run_id is None and parent_run_id is None:
            raise ActiveRunError(
                f"run {parent.id[:8]} ({parent.info.run_name!r}) is already active; end it first or pass nested=True"
            )
        if parent is None and nested:
            # nested=True in a worker thread with no run of its own: a child of the main thread's
            # innermost run (a thread-pool sweep under one parent run).  Without nested=True a
            # worker's run is top-level, as in MLflow.
            parent = next((r for r in reversed(_stack) if r._main_thread), None)
    if run_id is not None:
        # Validate first so a bad key leaves the resumed run untouched.
        extra_tags = {
            validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in (tags or {}).items()
        }
        extra_params = {
            validation.validate_key(k, "param key"): validation.param_value(k, v) for k, v in (params or {}).items()
        }
        handle = _resume(store, writer, run_id)
        if extra_tags:
            handle.set_tags(extra_tags)
        if extra_params:
            handle.log_params(extra_params)
    else:
        # A nested run belongs with its parent unless told otherwise.
        inherited = parent.info.experiment if (parent is not None and nested) else None
        exp_name = experiment or inherited or _experiment or os.environ.get("TUITRACK_EXPERIMENT") or DEFAULT_EXPERIMENT
        # Validate everything before the first write, so a refused call changes nothing.
        validation.experiment_name(exp_name)
        if name is not None:
            validation.run_name(name)
        user_tags = {validation.validate_key(k, "tag key"): validation.tag_value(k, v) for k, v in (tags or {}).items()}
        clean_params = {
            validation.validate_key(k, "param key"): validation.param_value(k, v) for k, v in (params or {}).items()
        }
        note = validation.note_text(description) if description is not None else None
        exp_id = store.experiment_id(exp_name)
        new_id = validation.run_id(_new_run_id(), "run id made by the id factory")
        run_name_ = name if name is not None else _generated_name(new_id)
        env_tags = capture.environment_tags() if _settings["capture_env"] else {}
        clean_tags = {**env_tags, **user_tags}
        pid_ = parent_run_id or (parent.id if parent is not None and nested else None)
        start = now_ms()
        rid = store.create_run(
            run_id=new_id,
            experiment_id=exp_id,
            name=run_name_,
            start_time=start,
            parent_id=pid_,
            **_made_by(),
            note=note,
            tags=clean_tags,
            params=clean_params,
            packages=capture.installed_packages()
            if _settings["capture_packages"] and _settings["capture_env"]
            else None,
        )
        handle = ActiveRun(store, writer, rid, new_id, run_name_, exp_id, exp_name, pid_, start, on_end=_forget)
        if env_tags.get("tuitrack.git.dirty") == "true":
            _store_git_diff(handle)
    writer.live_rids.add(handle._rid)
    with _lock:
        _stack.append(handle)
        _tls.stack.append(handle)
        handle._thread_stack = _tls.stack
        handle._main_thread = threading.current_thread() is threading.main_thread()
    _install_handlers()
    if _wants_capture(capture_output):
        handle._output = output.start(handle, _settings["capture_output_limit"])
    if system_metrics:
        handle._sampler = capture.SystemSampler(lambda values: handle.log_metrics(values))
        handle._sampler.start()
    return handle


def _wants_capture(arg: bool | None) -> bool:
    if arg is not None:
        return bool(arg)
    if _settings["capture_output"] is not None:
        return bool(_settings["capture_output"])
    return output.enabled_by_env()


def _store_git_diff(handle: ActiveRun) -> None:
    """A dirty tree's diff as an artifact (when small enough), or a tag saying why not; never fails the run."""
    limit = _settings["git_diff_limit"]
    if not limit:
        return
    try:
        text, size = capture.git_diff(limit)
        if text is not None:
            handle.log_text(text, capture.GIT_DIFF_ARTIFACT)
            handle.set_tag("tuitrack.git.diff", capture.GIT_DIFF_ARTIFACT)
        elif size:
            handle.set_tag("tuitrack.git.diff", f"not stored: {size} bytes is over git_diff_limit ({limit})")
    except Exception as exc:  # best-effort, like the rest of environment capture
        warnings.warn(f"tuitrack: could not store the git diff of the dirty working tree: {exc}", stacklevel=3)


def _run_exists(store: Store, run_id: str) -> bool:
    return store.run_id_exists(run_id)


def _resume(store: Store, writer: MetricWriter, ref: str) -> ActiveRun:
    run = store.get_run(ref)
    rid, _ = store.resolve_run(run.id)
    store.resume_run(rid, pid=os.getpid(), host=capture.host())
    # The process that logged before is gone: its interrupted artifact copies are garbage.
    from tuitrack.store.gc import remove_stale_temp_files

    remove_stale_temp_files(store, rid, run.id)
    steps = {k: s.step + 1 for k, s in run.data.summaries.items()}
    return ActiveRun(
        store,
        writer,
        rid,
        run.id,
        run.info.run_name,
        int(run.info.experiment_id),
        run.info.experiment,
        run.info.parent_id,
        run.info.start_time,
        steps,
        on_end=_forget,
    )


def _forget(run: ActiveRun) -> None:
    """An ended run leaves the active-run stacks (called by the run itself, from any thread)."""
    with _lock:
        if run in _stack:
            _stack.remove(run)
        if run in run._thread_stack:  # ended from any thread (exit hooks end every thread's runs)
            run._thread_stack.remove(run)


_ADJ = [
    "amber",
    "brisk",
    "calm",
    "clever",
    "dapper",
    "eager",
    "fancy",
    "gentle",
    "humble",
    "jolly",
    "keen",
    "lucky",
    "mellow",
    "nimble",
    "polite",
    "quiet",
    "rapid",
    "shiny",
    "sturdy",
    "tidy",
    "vivid",
    "witty",
]
_NOUN = [
    "otter",
    "falcon",
    "maple",
    "comet",
    "badger",
    "heron",
    "lynx",
    "quartz",
    "willow",
    "panda",
    "raven",
    "cedar",
    "koala",
    "orca",
    "ember",
    "finch",
    "gecko",
    "meadow",
    "puffin",
    "tiger",
    "zephyr",
    "yak",
]


def _generated_name(run_id: str) -> str:
    n = int(run_id[:8], 16) if all(c in "0123456789abcdefABCDEF" for c in run_id[:8]) else zlib.crc32(run_id.encode())
    return f"{_ADJ[n % len(_ADJ)]}-{_NOUN[(n // 97) % len(_NOUN)]}-{n % 1000:03d}"


def active_run() -> ActiveRun | None:
    """This thread's innermost active run (runs of other threads are theirs, as in MLflow)."""
    stack = _tls.stack
    return stack[-1] if stack else None


def _active() -> ActiveRun:
    """The active run; like MLflow, logging with none active starts one."""
    run = active_run()
    return run if run is not None else start_run()


# -- process lifecycle -----------------------------------------------------------------
_handlers_installed = False


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_at_exit)
    previous_hook = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        _failed_exc.append(exc)
        status = KILLED if issubclass(exc_type, KeyboardInterrupt) else FAILED
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        _end_all(status, text)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = hook
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            pass


def _on_sigterm(signum: int, frame: Any) -> None:
    _end_all(KILLED, "SIGTERM")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _end_all(status: str, error: str | None = None) -> None:
    with _lock:
        runs = list(reversed(_stack))
    for run in runs:
        try:
            run.end(status, error=error)
        except Exception as exc:  # never mask the original failure
            warnings.warn(f"tuitrack: could not end run {run.id[:8]}: {exc}", RuntimeWarning, stacklevel=1)


def flush_all() -> int:
    """Write every buffered metric point of every store now; returns how many were written."""
    total = 0
    with _lock:
        writers = list(_writers.values())
    for writer in writers:
        total += writer.flush()
    return total


def _at_exit() -> None:
    _end_all(FAILED if _failed_exc else FINISHED)
    try:
        flush_all()
    except Exception as exc:
        warnings.warn(f"tuitrack: final flush failed: {exc}", RuntimeWarning, stacklevel=1)
    for writer in list(_writers.values()):
        writer.stop()


def _after_fork_in_child() -> None:
    """SQLite connections and threads do not survive fork: the child starts clean."""
    global _stores, _writers, _stack, _lock, _tls
    _lock = threading.RLock()
    _stores = {}
    _writers = {}
    _stack = []
    _tls = _ThreadRuns()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
