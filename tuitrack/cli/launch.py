"""The ``tuitrack`` console script's entry point: standard library only.

``pip install tuitrack`` is the logging library alone (no third-party packages); the command line
needs click and the browser needs textual, rich and plotext, which come with
``pip install 'tuitrack[app]'``.  The console script is installed either way, so it starts here:
without the app's packages it prints one line saying how to get them instead of a traceback.
Scripting commands (``tuitrack ls``, ``show``, ``demo --no-ui`` ...) need click; only opening the
browser needs textual (checked where it opens, in ``tuitrack.cli.main``).
"""

from __future__ import annotations

import sys

#: top-level modules of the app extra's packages (pyproject.toml [project.optional-dependencies] app)
APP_MODULES = frozenset({"click", "textual", "rich", "plotext", "textual_plotext", "sqlite_utils"})

INSTALL_HINT = (
    "pip install 'tuitrack[app]' (or put the app on your PATH alone: "
    "pipx install 'tuitrack[app]' or uv tool install 'tuitrack[app]')"
)


def missing_app_message(module: str, what: str = "the tuitrack command") -> str:
    """The one line shown when an app package is not installed."""
    return f"tuitrack: {what} needs the app's packages ({module} is not installed): {INSTALL_HINT}"


def missing_app_module(exc: ImportError) -> str | None:
    """The app package whose absence raised ``exc``, or None for any other import failure."""
    name = getattr(exc, "name", None) or ""
    top = name.split(".")[0]
    return top if isinstance(exc, ModuleNotFoundError) and top in APP_MODULES else None


def main() -> None:
    try:
        from tuitrack.cli.main import main as cli_main
    except ModuleNotFoundError as exc:
        module = missing_app_module(exc)
        if module is None:
            raise
        print(missing_app_message(module), file=sys.stderr)
        raise SystemExit(1) from None
    cli_main()


if __name__ == "__main__":
    main()
