"""A small JSON-over-HTTP client for an MLflow tracking server's REST API.

Standard library only (``http.client``): one keep-alive connection per thread, so a
push of a thousand log-batch calls pays one TCP handshake, not a thousand.  Why not
requests/httpx: every call here is a JSON POST/GET or a file PUT/GET, which
http.client does with keep-alive; a dependency would add install weight to every
box that only wants ``tuitrack push``.

Retries: 429 and 5xx answers and dropped connections are retried with exponential
backoff (honouring ``Retry-After``).  Calls that are not safe to repeat blindly
(``log-batch``) pass ``retry=False`` and let the caller check the server first.
Every failure is a :class:`SyncError` with a one-line message.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from tuitrack.errors import TuitrackError

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"


class SyncError(TuitrackError):
    """A sync that could not reach or use the tracking server; nothing local was lost."""


class ServerError(SyncError):
    """The server answered with an error: ``status`` and MLflow's ``error_code`` are kept."""

    def __init__(self, message: str, status: int, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class TransientError(SyncError):
    """A failure that may pass (connection refused/reset, timeout, 429, 5xx) after the retries ran out."""


def one_line(text: str, limit: int = 300) -> str:
    """A server's text as one shown line: control characters escaped, long text cut with a mark."""
    out = (
        text.encode("unicode_escape", "backslashreplace").decode("ascii", "replace")
        if any(ord(c) < 32 or ord(c) == 127 for c in text)
        else text
    )
    return out if len(out) <= limit else out[:limit] + f"... ({len(out)} chars)"


def normalize_uri(uri: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; anything else is refused."""
    text = (uri or "").strip()
    if not text:
        raise SyncError("no tracking server given: pass a URI (http://host:port) or set MLFLOW_TRACKING_URI")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(
            f"{one_line(text)!s} is not an MLflow tracking server URI (expected http://host:port or https://host)"
        )
    try:
        _ = parts.port  # urllib checks the port only when it is read
    except ValueError:
        raise SyncError(f"{one_line(text)} has a bad port") from None
    if parts.query or parts.fragment:
        raise SyncError(f"{one_line(text)}: a tracking server URI takes no ?query or #fragment")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def auth_header(env: Mapping[str, str] | None = None) -> str | None:
    """``Authorization`` from MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic)."""
    env = os.environ if env is None else env
    token = env.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return f"Bearer {token}"
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    if user or password:
        raw = f"{user or ''}:{password or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")
    return None


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SyncError(f"{name}={one_line(text)!r} is not a number") from None
    if value < 0 or value != value:
        raise SyncError(f"{name}={one_line(text)!r} must be a number >= 0")
    return value


class Client:
    """Calls one tracking server; safe to share between threads (a connection per thread)."""

    def __init__(
        self,
        uri: str,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        max_backoff: float = 30.0,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """Retries, first backoff and timeout default to TUITRACK_SYNC_RETRIES (5), TUITRACK_SYNC_BACKOFF
        (0.5 s, doubling) and TUITRACK_SYNC_TIMEOUT (60 s)."""
        env = os.environ if env is None else env
        timeout = _env_number(env, "TUITRACK_SYNC_TIMEOUT", 60.0) if timeout is None else timeout
        retries = int(_env_number(env, "TUITRACK_SYNC_RETRIES", 5)) if retries is None else retries
        backoff = _env_number(env, "TUITRACK_SYNC_BACKOFF", 0.5) if backoff is None else backoff
        self.uri = normalize_uri(uri)
        parts = urllib.parse.urlsplit(self.uri)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self._auth = auth_header(env)
        self._insecure = env.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() in ("1", "true", "yes")
        self._cert = env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.calls = 0

    # -- connections ----------------------------------------------------------------
    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                ctx = ssl.create_default_context(cafile=self._cert)
                if self._insecure:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=ctx)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        query: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        retry: bool = True,
    ) -> tuple[int, bytes]:
        """One call (with retries when ``retry``); returns (status, body) of a 2xx answer, else raises."""
        url = self._prefix + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        headers = {"Accept": "application/json", "User-Agent": "tuitrack-sync"}
        if body is not None:
            headers["Content-Type"] = content_type
        if self._auth:
            headers["Authorization"] = self._auth
        attempts = self.retries + 1 if retry else 1
        delay = self.backoff
        last: SyncError | None = None
        for attempt in range(attempts):
            if attempt:
                self.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
            try:
                conn = self._conn()
                conn.request(method, url, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.calls += 1
            except (ConnectionError, socket.timeout, http.client.HTTPException, OSError) as exc:
                self._drop()
                last = TransientError(self._describe_network(exc))
                if isinstance(exc, socket.gaierror):  # an unknown host does not come back by retrying
                    raise last from None
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self._drop()
            status = resp.status
            if 200 <= status < 300:
                return status, data
            err = self._server_error(method, path, status, data)
            if status == 429 or status >= 500:
                last = TransientError(str(err))
                retry_after = resp.getheader("Retry-After")
                if retry_after and retry_after.isdigit():
                    delay = max(delay, min(float(retry_after), self.max_backoff))
                continue
            raise err
        assert last is not None
        raise last

    def _describe_network(self, exc: BaseException) -> str:
        where = self.uri
        if isinstance(exc, socket.gaierror):
            return f"cannot resolve the host of {where} ({exc.strerror or exc})"
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {where}: is the MLflow tracking server running there?"
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return f"{where} did not answer within {self.timeout:g} s"
        if isinstance(exc, ssl.SSLError):
            return f"TLS failed with {where}: {one_line(str(exc))}"
        return f"lost the connection to {where}: {one_line(str(exc) or type(exc).__name__)}"

    def _server_error(self, method: str, path: str, status: int, data: bytes) -> ServerError:
        code, message = "", ""
        try:
            doc = json.loads(data)
            if isinstance(doc, dict):
                code = str(doc.get("error_code") or "")
                message = str(doc.get("message") or "")
        except ValueError:
            message = data.decode("utf-8", "replace").strip()
        endpoint = path.split("?")[0]
        if status == 401:
            hint = "set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN"
            return ServerError(f"{self.uri} refused the credentials (401 Unauthorized): {hint}", status, code)
        if status == 403:
            return ServerError(f"{self.uri} denied {endpoint} (403 Forbidden): {one_line(message)}", status, code)
        if status == 404 and not code:
            return ServerError(
                f"{self.uri}{endpoint} was not found (404): is this an MLflow tracking server "
                "(with --serve-artifacts for artifacts)?",
                status,
                code,
            )
        text = one_line(message) if message else f"HTTP {status}"
        return ServerError(
            f"{self.uri} answered {status} to {method} {endpoint}: {code + ': ' if code else ''}{text}", status, code
        )

    # -- JSON helpers -------------------------------------------------------------------
    def call(
        self, method: str, endpoint: str, payload: Mapping[str, Any] | None = None, *, retry: bool = True
    ) -> dict[str, Any]:
        """An MLflow REST call (``endpoint`` under /api/2.0/mlflow); GET payloads go in the query string."""
        if method == "GET":
            _, data = self.request("GET", API + endpoint, query=payload, retry=retry)
        else:
            body = json.dumps(payload or {}, allow_nan=True).encode()
            _, data = self.request(method, API + endpoint, body=body, retry=retry)
        if not data.strip():
            return {}
        try:
            doc = json.loads(data)
        except ValueError:
            raise SyncError(
                f"{self.uri} answered {endpoint} with something that is not JSON "
                f"({one_line(data[:120].decode('utf-8', 'replace'))}): is it an MLflow tracking server?"
            ) from None
        if not isinstance(doc, dict):
            raise SyncError(f"{self.uri} answered {endpoint} with unexpected JSON")
        return doc

    def put_artifact(self, remote_path: str, data: bytes) -> None:
        self.request(
            "PUT",
            ARTIFACTS_API + "/" + urllib.parse.quote(remote_path),
            body=data,
            content_type="application/octet-stream",
        )

    def get_artifact(self, remote_path: str) -> bytes:
        return self.request("GET", ARTIFACTS_API + "/" + urllib.parse.quote(remote_path))[1]

    def list_artifacts(self, remote_path: str) -> list[dict[str, Any]]:
        _, data = self.request("GET", ARTIFACTS_API, query={"path": remote_path})
        doc = json.loads(data or b"{}")
        files = doc.get("files") if isinstance(doc, dict) else None
        return [f for f in files or [] if isinstance(f, dict)]
