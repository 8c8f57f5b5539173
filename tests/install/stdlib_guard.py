"""pytest plugin for CI's logging-only runs: tuitrack may import nothing but the standard library.

CI runs the logging library's tests (tests/tracking, tests/store, tests/query) on the lowest and the
newest Python in a venv that holds the tuitrack wheel, pytest and pytest's own dependencies (pluggy,
iniconfig, packaging, and on old Pythons exceptiongroup, tomli ...), nothing else.  pytest is itself
third-party, so this plugin keeps its packages out of tuitrack's reach: while the tests run, an import
made by a tuitrack module of anything outside the standard library fails as if it were not installed
(which is what a training environment without it would do) and is reported; the session then fails.
Load it with ``-p stdlib_guard`` (tests/install on PYTHONPATH).
"""

from __future__ import annotations

import builtins
import importlib.util
import os
import sys
import sysconfig
from typing import Any

_violations: list[str] = []
_stdlib_cache: dict[str, bool] = {}
_real_import = builtins.__import__
_STDLIB_DIRS = tuple(os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib"))


def _is_stdlib(top: str) -> bool:
    if top in _stdlib_cache:
        return _stdlib_cache[top]
    names = getattr(sys, "stdlib_module_names", None)  # 3.10+
    if names is not None:
        result = top in names
    elif top in sys.builtin_module_names:
        result = True
    else:  # 3.9: where it would load from
        spec = importlib.util.find_spec(top)
        origin = spec.origin if spec is not None else None
        if origin in (None, "built-in", "frozen") and spec is not None and spec.submodule_search_locations:
            origin = next(iter(spec.submodule_search_locations))
        real = os.path.realpath(origin) if origin and origin not in ("built-in", "frozen") else ""
        result = spec is not None and (
            origin in ("built-in", "frozen")
            or (any(real.startswith(d + os.sep) for d in _STDLIB_DIRS) and "-packages" not in real)
        )
    _stdlib_cache[top] = result
    return result


def _installed_package(top: str) -> bool:
    """Whether ``top`` would load from an installed distribution (site-packages), not from the tests' own
    folders: unpickling a test's model class imports its test module, which is not a dependency."""
    spec = importlib.util.find_spec(top)
    if spec is None:
        return False
    where = (
        spec.origin
        if spec.origin not in (None, "built-in", "frozen")
        else next(iter(spec.submodule_search_locations or []), "")
    )
    return any(part in ("site-packages", "dist-packages") for part in os.path.realpath(where or "").split(os.sep))


def _guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    if level == 0 and globals is not None:
        importer = globals.get("__name__") or ""
        if importer == "tuitrack" or importer.startswith("tuitrack."):
            top = name.partition(".")[0]
            if top != "tuitrack" and not _is_stdlib(top) and _installed_package(top):
                _violations.append(f"{importer} imports {name}")
                raise ModuleNotFoundError(
                    f"No module named {top!r} (stdlib_guard: tuitrack may use only the standard library)", name=top
                )
    return _real_import(name, globals, locals, fromlist, level)


# Installed on import (``-p`` loads plugins before conftest.py, whose ``import tuitrack`` is then guarded too).
builtins.__import__ = _guarded_import


def pytest_unconfigure(config: Any) -> None:
    builtins.__import__ = _real_import


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if _violations and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _violations:
        terminalreporter.section("stdlib_guard: tuitrack imported packages outside the standard library")
        for line in sorted(set(_violations)):
            terminalreporter.write_line(line)
    else:
        terminalreporter.write_line("stdlib_guard: tuitrack imported nothing outside the standard library")


def pytest_pycollect_makemodule(module_path: Any, parent: Any) -> Any:
    """A test module that cannot be imported because it needs a package this venv lacks (click for a CLI test,
    hypothesis ...) is reported as skipped, naming the package, instead of failing collection."""
    import pytest

    class _Module(pytest.Module):
        def _getobj(self) -> Any:
            try:
                return super()._getobj()
            except self.CollectError as exc:
                cause = exc.__cause__
                name = getattr(cause, "name", None) or ""
                if (
                    isinstance(cause, ModuleNotFoundError)
                    and name
                    and not name.startswith("tuitrack")
                    and importlib.util.find_spec(name.partition(".")[0]) is None
                ):
                    pytest.skip(f"needs {name}, not installed here", allow_module_level=True)
                raise

    return _Module.from_parent(parent, path=module_path)
