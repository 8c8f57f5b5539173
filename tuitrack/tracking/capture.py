"""What a run records about where it ran: environment, git state, packages, datasets.

Everything here is best-effort: a missing git binary or an odd platform never
stops a training script, it just leaves the field empty.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable


def user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def host() -> str:
    return socket.gethostname()


def command_line() -> str:
    return " ".join([Path(sys.executable).name, *sys.argv]) if sys.argv and sys.argv[0] else sys.executable


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5, cwd=os.getcwd())
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def environment_tags() -> dict[str, str]:
    """System tags under the ``tuitrack.`` prefix (filterable like any tag)."""
    tags = {
        "tuitrack.python": platform.python_version(),
        "tuitrack.platform": platform.platform(),
        "tuitrack.cwd": os.getcwd(),
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


def installed_packages() -> dict[str, str]:
    from importlib import metadata

    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") if dist.metadata else None
        if name:
            out[name] = dist.version
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


# -- datasets ------------------------------------------------------------------------
_TEXT_ROWS = {".csv": 1, ".tsv": 1, ".txt": 0, ".jsonl": 0, ".ndjson": 0}


def _hash_file(path: Path, h: Any) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def describe_dataset(data: Any) -> tuple[str | None, str | None, int | None]:
    """(source, sha256 digest, row count) of a path, DataFrame, array or sequence, where knowable."""
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


class SystemSampler:
    """Samples CPU and memory every ``interval`` seconds (needs psutil: ``pip install tuitrack[system]``)."""

    def __init__(self, log: Callable[[dict[str, float]], None], interval: float = 10.0):
        try:
            import psutil
        except ImportError:
            raise ImportError("system_metrics=True needs psutil: pip install 'tuitrack[system]'") from None
        self._psutil = psutil
        self._proc = psutil.Process()
        self._log = log
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuitrack-system", daemon=True)

    def start(self) -> None:
        self._psutil.cpu_percent(None)
        self._thread.start()

    def sample(self) -> dict[str, float]:
        vm = self._psutil.virtual_memory()
        return {
            "system/cpu_percent": float(self._psutil.cpu_percent(None)),
            "system/memory_percent": float(vm.percent),
            "system/process_rss_mb": self._proc.memory_info().rss / 2**20,
        }

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._log(self.sample())
            except Exception:
                return

    def stop(self) -> None:
        self._stop.set()
