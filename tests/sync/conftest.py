"""A real MLflow tracking server for the sync tests, and tiny real HTTP servers for failure answers.

``mlflow_server`` is session-scoped: one ``mlflow server`` (sqlite backend, ``--artifacts-destination``
in a temp folder, 127.0.0.1, a free port) for every sync test, or the one named by
``TUITRACK_TEST_MLFLOW_URI`` when set.  Starting it takes 10-45 s on a busy 2-core machine (most of it
MLflow creating its database), so it starts once.  Its empty, migrated database is copied right after
start so ``fresh_server`` can start a second, stoppable server without migrating again.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import free_port

STARTUP_TIMEOUT_S = 240

if sys.version_info < (3, 11) and importlib.util.find_spec("mlflow") is None:
    collect_ignore_glob = ["test_*.py"]  # the test extra pins MLflow 3.17 for Python >= 3.11 only


def _mlflow_cli() -> list[str]:
    try:
        import mlflow  # noqa: F401
    except ImportError:  # the test extras pin mlflow; a missing one is a broken install, not a skip
        pytest.fail("mlflow is not installed: install the test extras (pip install -e '.[test]')")
    exe = Path(sys.executable).with_name("mlflow")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mlflow"]


@dataclass
class Server:
    uri: str
    port: int
    root: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 -- the server writes to it for its whole life
        self.proc = subprocess.Popen(
            [
                *_mlflow_cli(),
                "server",
                "--backend-store-uri",
                f"sqlite:///{self.root / 'mlflow.db'}",
                "--artifacts-destination",
                str(self.root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "MLFLOW_TRACKING_URI": "", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(self.root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.uri + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not start within {STARTUP_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the server and its workers
            self.proc.wait(timeout=30)
        self.proc = None


def _wait_healthy(uri: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no MLflow tracking server answered at {uri} within {timeout:.0f} s")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The session's server: the one .ci/run started (TUITRACK_TEST_MLFLOW_URI, its folder in
    TUITRACK_TEST_MLFLOW_ROOT), or one started here."""
    uri = os.environ.get("TUITRACK_TEST_MLFLOW_URI")
    if uri:
        given = os.environ.get("TUITRACK_TEST_MLFLOW_ROOT")
        root = Path(given) if given else tmp_path_factory.mktemp("mlflow-server")
        _wait_healthy(uri.rstrip("/"), STARTUP_TIMEOUT_S)
        if given and not (root / "template.db").exists():
            shutil.copyfile(root / "mlflow.db", root / "template.db")  # before any sync test writes
        yield Server(uri=uri.rstrip("/"), port=0, root=root)
        return
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    server = Server(uri=f"http://127.0.0.1:{port}", port=port, root=root)
    t0 = time.monotonic()
    server.start()
    sys.stderr.write(f"\n[mlflow server ready in {time.monotonic() - t0:.1f} s]\n")
    try:
        # an empty migrated database for stoppable servers (copied before any test writes)
        shutil.copyfile(root / "mlflow.db", root / "template.db")
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(mlflow_server: Server, tmp_path: Path) -> Iterator[Server]:
    """A second real server the test may stop and start again (same port, same database)."""
    template = mlflow_server.root / "template.db"
    if not template.exists():
        pytest.skip("needs the server's folder: set TUITRACK_TEST_MLFLOW_ROOT with TUITRACK_TEST_MLFLOW_URI")
    root = tmp_path / "server2"
    root.mkdir()
    shutil.copyfile(template, root / "mlflow.db")
    port = free_port()
    server = Server(uri=f"http://127.0.0.1:{port}", port=port, root=root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class TinyServer:
    uri: str
    hits: list[str]


@pytest.fixture
def tiny_server() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler, int], tuple[int, dict, bytes]]], TinyServer]]:
    """Start a real HTTP server on 127.0.0.1 whose answers come from ``answer(handler, n)``."""
    started: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[BaseHTTPRequestHandler, int], tuple[int, dict, bytes]]) -> TinyServer:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                n = len(hits)
                hits.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = answer(self, n)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: object) -> None:
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return TinyServer(uri=f"http://127.0.0.1:{srv.server_address[1]}", hits=hits)

    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()
