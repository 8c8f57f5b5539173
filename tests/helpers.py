"""Helpers the tests import: ``reset_tuitrack``, ``db_rows``, ``free_port``, ``json_body``, ``utc_timezone``,
``fresh_demo_store``, ``recorded_run``, ``small_tmpfs``.

They live here, not in ``conftest.py``, because a test cannot import a conftest reliably: pytest
imports every ``conftest.py`` of a folder without ``__init__.py`` under the one module name
``conftest`` and replaces ``sys.modules["conftest"]`` with each, so once ``tests/sync/conftest.py`` is
loaded, ``from conftest import reset_tuitrack`` finds the sync one (an ImportError at collection of
every test module collected after tests/sync, and at run time in all of them).  pytest puts
``tests/`` on ``sys.path`` for the root conftest, so ``from helpers import ...`` works from any folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import tuitrack
from tuitrack.store import core as _store_mod
from tuitrack.tracking import session as _tracking
from tuitrack.tracking.writer import DEFAULT_INTERVAL_S


def reset_tuitrack() -> None:
    """End leftover runs, stop writer threads, close stores and restore every global default."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for run in reversed(list(_tracking._stack)):
            with contextlib.suppress(Exception):
                run.end("KILLED")
        _tracking._stack.clear()
        for writer in list(_tracking._writers.values()):
            try:
                writer.flush()
            except Exception:
                for q in list(getattr(writer, "buffers", {}).values()):
                    q.clear()
            writer.stop()
        _tracking._writers.clear()
        for st in list(_tracking._stores.values()):
            with contextlib.suppress(Exception):
                st.close()
        _tracking._stores.clear()
    _tracking.set_store(None)
    _store_mod.set_clock(None)
    _tracking.set_id_factory(None)
    _tracking._experiment = None
    tuitrack.configure(
        strict=False, flush_interval=DEFAULT_INTERVAL_S, capture_packages=True, capture_env=True, identity={}
    )


def db_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of a store (read through a separate read-only connection), for "unchanged" checks."""
    db = Path(path) / "tuitrack.db"
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {}
        for t in tables:
            rows = conn.execute(f'SELECT * FROM "{t}"').fetchall()  # table names come from sqlite_master
            # updated_at/heartbeat move on every write; they are compared too (a refused call must not write).
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def json_body(doc: object) -> bytes:
    return json.dumps(doc).encode()


def utc_timezone() -> AbstractContextManager[None]:
    """TZ=UTC inside the block (times in snapshots read the same on every machine), as the screenshot script
    sets it; the old TZ after it."""
    from tuitrack.tui.screenshots import environment  # the app's modules only here: helpers import everywhere

    return environment(TZ="UTC")


def fresh_demo_store(path: Path, now_ms: int) -> Path:
    """The deterministic demo store at ``path`` (fixed clock ``now_ms``), built with no tracking state
    leaking in from an earlier test or out to a later one."""
    from tuitrack.demo import build_demo_store  # the demo module only here: helpers stay importable everywhere

    reset_tuitrack()
    try:
        return build_demo_store(path, now_ms=now_ms)
    finally:
        reset_tuitrack()


def recorded_run(store_path: Path, packages: dict[str, str], python: str, name: str) -> str:
    """A finished-looking run written straight into the store at ``store_path`` with the environment a
    reproduce view reads: these installed ``packages``, this ``python`` version, a clean git commit and
    a working folder with a space.  The run id is made from ``name``; returns it."""
    s = _store_mod.Store(store_path, create=True)
    exp = s.experiment_id("e")
    run_id = (name * 32)[:32].encode().hex()[:32]
    s.create_run(
        run_id=run_id,
        experiment_id=exp,
        name=name,
        start_time=1_700_000_000_000,
        source="python train.py",
        tags={
            "tuitrack.python": python,
            "tuitrack.cwd": "/w d",
            "tuitrack.git.commit": "abc123",
            "tuitrack.git.dirty": "false",
        },
        packages=packages,
    )
    s.close()
    return run_id


@contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``"8m"``) mounted at ``where`` (created here), for disk-full tests; the test is
    skipped where one cannot be mounted (not root, no mount).  On the way out tuitrack is reset first (its
    writer threads hold files there), then the tmpfs is unmounted whatever the reset did."""
    where.mkdir()
    if os.geteuid() != 0:
        import pytest

        pytest.skip("needs a small filesystem: mounting a tmpfs needs root")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if r.returncode != 0:
        import pytest

        pytest.skip(f"needs a small filesystem: cannot mount a tmpfs here ({r.stderr.strip()})")
    try:
        yield where
    finally:
        try:
            reset_tuitrack()
        finally:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
