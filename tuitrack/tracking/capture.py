"""What a run records about where it ran: environment, git state, packages, datasets.

Everything here is best-effort: a missing git binary or an odd platform never
stops a training script, it just leaves the field empty.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable


# getpass, hashlib, platform, socket and subprocess are imported where used: import tuitrack stays light.
def user() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return None


def host() -> str:
    import socket

    return socket.gethostname()


def command_line() -> str:
    return " ".join([Path(sys.executable).name, *sys.argv]) if sys.argv and sys.argv[0] else sys.executable


def _git(*args: str) -> str | None:
    import subprocess

    try:
        # --no-optional-locks: status must not rewrite the index of the repository it looks at
        out = subprocess.run(
            ["git", "--no-optional-locks", *args], capture_output=True, text=True, timeout=5, cwd=os.getcwd()
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


# -- read once per process -----------------------------------------------------------
# start_run used to re-read every installed package's metadata and run git three times per run (25-50 ms
# a run, more with hundreds of packages).  Both are read at the first start_run and reused until what
# they were read from changes: a sys.path folder's mtime (a pip install adds or removes a .dist-info
# folder there) for the packages, the working directory and git's HEAD, its reflog and index (a commit,
# checkout, reset or git add) for the git state.  A tracked file edited without any git command leaves
# the dirty flag as it was first read: the code a process runs is what it imported at its start anyway.
_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _cached(kind: str, key: Callable[[], tuple[Any, ...]], compute: Callable[[], Any]) -> Any:
    with _cache_lock:
        hit = _cache.get(kind)
    if hit is not None and hit[0] == key():
        return hit[1]
    value = compute()
    with _cache_lock:
        _cache[kind] = (key(), value)  # the key as reading left it (an older git's status refreshes the index)
    return value


def clear_cache() -> None:
    """Forget the environment read so far (the next start_run reads it again)."""
    with _cache_lock:
        _cache.clear()


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _git_dir(start: str) -> str | None:
    """The git directory of the repository holding ``start`` (a worktree's own, for a linked worktree)."""
    env = os.environ.get("GIT_DIR")
    if env:
        return os.path.join(start, env)
    folder = start
    while True:
        dotgit = os.path.join(folder, ".git")
        if os.path.isdir(dotgit):
            return dotgit
        if os.path.isfile(dotgit):  # linked worktree or submodule: "gitdir: <path>"
            try:
                with open(dotgit, encoding="utf-8") as fh:
                    text = fh.read().strip()
            except OSError:
                return None
            return os.path.join(folder, text[len("gitdir:") :].strip()) if text.startswith("gitdir:") else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _git_state_key(cwd: str) -> tuple[Any, ...]:
    gitdir = _git_dir(cwd)
    if gitdir is None:
        return (cwd, None)
    return (
        cwd,
        gitdir,
        *(_stamp(os.path.join(gitdir, name)) for name in ("HEAD", os.path.join("logs", "HEAD"), "index")),
    )


def _read_environment_tags(cwd: str) -> dict[str, str]:
    import platform

    tags = {
        "tuitrack.python": platform.python_version(),
        "tuitrack.platform": platform.platform(),
        "tuitrack.cwd": cwd,
    }
    commit = _git("rev-parse", "HEAD")
    if commit:
        tags["tuitrack.git.commit"] = commit
        branch = _git("rev-parse", "--abbrev-ref", "HEAD")
        if branch:
            tags["tuitrack.git.branch"] = branch
        status = _git("status", "--porcelain", "--untracked-files=no")
        tags["tuitrack.git.dirty"] = "true" if status else "false"
    return tags


def environment_tags() -> dict[str, str]:
    """System tags under the ``tuitrack.`` prefix (filterable like any tag); read once per process (see above)."""
    cwd = os.getcwd()
    return dict(_cached("tags", lambda: _git_state_key(cwd), lambda: _read_environment_tags(cwd)))


#: The artifact a dirty working tree's diff is stored as at start_run (see tracking.configure).
GIT_DIFF_ARTIFACT = "tuitrack/git-diff.patch"
_DIFF_KEEP = 4 << 20  # a diff larger than this is only measured, never kept in memory


def _read_git_diff() -> tuple[str | None, int]:
    text = _git("diff", "HEAD", "--no-color", "--no-ext-diff")
    if not text:
        return None, 0
    size = len(text.encode("utf-8", errors="replace")) + 1
    return (text + "\n" if size <= _DIFF_KEEP else None), size


def git_diff(limit: int) -> tuple[str | None, int]:
    """(``git diff HEAD`` of the working tree, its size in bytes); the text is None when larger than ``limit``.

    Tracked files only (staged and unstaged), as ``tuitrack.git.dirty`` counts them; None and 0 without
    git.  Read once per git state, like the tags (see above): a sweep of runs pays for it once.
    """
    cwd = os.getcwd()
    text, size = _cached("diff", lambda: _git_state_key(cwd), _read_git_diff)
    return (text if size <= limit else None), size


def _metadata_fields(path: str) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from a METADATA/PKG-INFO header (they come first; the body is not read)."""
    name = version = None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break  # end of the header
                if name is None and line.startswith("Name:"):
                    name = line[5:].strip()
                elif version is None and line.startswith("Version:"):
                    version = line[8:].strip()
                if name and version is not None:
                    break
    except OSError:
        pass
    return name, version


def _read_installed_packages(entries: list[str]) -> dict[str, str]:
    """What importlib.metadata.distributions() lists, from the file names and headers alone.

    importlib.metadata parses every METADATA file in full and imports email, zipfile and csv to do so;
    this reads the first lines of each header, tens of times faster with the same result (compared in
    tests/tracking/test_capture.py).  The first distribution of a name on sys.path wins, as for imports.
    """
    out: dict[str, str] = {}
    for entry in entries:
        folder = entry or "."
        try:
            names = sorted(os.listdir(folder))
        except OSError:  # a zip file, a missing folder
            continue
        for fn in names:
            if fn.endswith(".dist-info"):
                meta = os.path.join(folder, fn, "METADATA")
            elif fn.endswith(".egg-info"):
                meta = os.path.join(folder, fn)
                if os.path.isdir(meta):
                    meta = os.path.join(meta, "PKG-INFO")
            else:
                continue
            name, version = _metadata_fields(meta)
            if name and version is not None and name not in out:
                out[name] = version
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def installed_packages() -> dict[str, str]:
    """Name -> version of every installed distribution; read once per process (see above)."""
    entries = list(sys.path)
    return dict(
        _cached(
            "packages", lambda: tuple((e, _stamp(e or ".")) for e in entries), lambda: _read_installed_packages(entries)
        )
    )


# -- datasets ------------------------------------------------------------------------
_TEXT_ROWS = {".csv": 1, ".tsv": 1, ".txt": 0, ".jsonl": 0, ".ndjson": 0}


def _hash_file(path: Path, h: Any) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def describe_dataset(data: Any) -> tuple[str | None, str | None, int | None]:
    """(source, sha256 digest, row count) of a path, DataFrame, array or sequence, where knowable."""
    import hashlib

    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"log_input: dataset path {str(path)!r} does not exist")
        h = hashlib.sha256()
        rows: int | None = None
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                h.update(str(f.relative_to(path)).encode())
                _hash_file(f, h)
        else:
            _hash_file(path, h)
            header = _TEXT_ROWS.get(path.suffix.lower())
            if header is not None:
                lines, last = 0, b""
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        lines += chunk.count(b"\n")
                        last = chunk[-1:]
                if last and last != b"\n":  # a last line without a trailing newline still counts
                    lines += 1
                rows = max(0, lines - header)
        return str(path.resolve()), h.hexdigest(), rows
    if hasattr(data, "shape") and hasattr(data, "to_csv"):  # pandas DataFrame, duck-typed
        try:
            from pandas.util import hash_pandas_object

            digest = hashlib.sha256(hash_pandas_object(data, index=True).values.tobytes()).hexdigest()
        except Exception:
            digest = hashlib.sha256(data.to_csv().encode()).hexdigest()
        return None, digest, int(data.shape[0])
    if hasattr(data, "shape") and hasattr(data, "tobytes"):  # numpy array
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return None, digest, int(data.shape[0]) if data.shape else 1
    if isinstance(data, (list, tuple)):
        return None, hashlib.sha256(repr(data).encode()).hexdigest(), len(data)
    raise TypeError(f"log_input: cannot describe a {type(data).__name__}; pass a path, DataFrame, array or list")


#: Where NVIDIA's NVML library is looked for (the driver installs it; no Python package is needed).
NVML_LIBRARIES = ("libnvidia-ml.so.1", "libnvidia-ml.so", "nvml.dll")


def nvml_sampler(lib: Any = None) -> Callable[[], dict[str, float]] | None:
    """Each GPU's utilisation and memory through NVML, read with ctypes; None where NVML is absent.

    ``lib`` is the loaded library (found by name in :data:`NVML_LIBRARIES` when None).  The returned
    function gives ``system/gpu_<i>_utilization_percent``, ``..._memory_percent`` and
    ``..._memory_used_mb`` per GPU; a GPU whose call fails is left out of that sample.
    """
    import ctypes

    if lib is None:
        for name in NVML_LIBRARIES:
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        else:
            return None

    class Utilization(ctypes.Structure):
        _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]

    class Memory(ctypes.Structure):
        _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]

    try:
        if lib.nvmlInit_v2() != 0:
            return None
        count = ctypes.c_uint(0)
        if lib.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return None
        handles = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if lib.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) == 0:
                handles.append((index, handle))
    except (AttributeError, OSError):  # an NVML too old for these calls
        return None
    if not handles:
        return None

    def sample() -> dict[str, float]:
        out: dict[str, float] = {}
        for index, handle in handles:
            util, memory = Utilization(), Memory()
            if lib.nvmlDeviceGetUtilizationRates(handle, ctypes.byref(util)) == 0:
                out[f"system/gpu_{index}_utilization_percent"] = float(util.gpu)
            if lib.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) == 0 and memory.total:
                out[f"system/gpu_{index}_memory_percent"] = 100.0 * memory.used / memory.total
                out[f"system/gpu_{index}_memory_used_mb"] = memory.used / 2**20
        return out

    return sample


class SystemSampler:
    """Samples CPU and memory every ``interval`` seconds (needs psutil: ``pip install tuitrack[system]``),
    and each GPU's utilisation and memory where NVIDIA's NVML library is present."""

    def __init__(self, log: Callable[[dict[str, float]], None], interval: float = 10.0):
        try:
            import psutil
        except ImportError:
            raise ImportError("system_metrics=True needs psutil: pip install 'tuitrack[system]'") from None
        self._psutil = psutil
        self._proc = psutil.Process()
        self._log = log
        self._interval = interval
        try:
            self._gpu = nvml_sampler()
        except Exception:  # a broken driver install must not stop the run
            self._gpu = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuitrack-system", daemon=True)

    def start(self) -> None:
        self._psutil.cpu_percent(None)
        self._thread.start()

    def sample(self) -> dict[str, float]:
        vm = self._psutil.virtual_memory()
        values = {
            "system/cpu_percent": float(self._psutil.cpu_percent(None)),
            "system/memory_percent": float(vm.percent),
            "system/process_rss_mb": self._proc.memory_info().rss / 2**20,
        }
        if self._gpu is not None:
            try:
                values.update(self._gpu())
            except Exception:  # a GPU that fell off the bus: keep sampling the rest
                self._gpu = None
        return values

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._log(self.sample())
            except Exception:
                return

    def stop(self) -> None:
        self._stop.set()
