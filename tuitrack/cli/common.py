"""Pieces every ``tuitrack`` subcommand shares: ``--store``, opening the store, errors, output.

Why a custom group: every command must turn tuitrack's own errors (unknown run,
ambiguous prefix, bad filter, missing store...) into one line on stderr and
exit code 1, never a traceback; click's usage errors keep exit code 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from tuitrack.errors import StoreNotFoundError, TuitrackError
from tuitrack.store.core import Store, default_store_path, now_ms

F = TypeVar("F", bound=Callable[..., Any])


def _call_reporting_errors(call: Callable[[], Any]) -> Any:
    """Run ``call``; expected failures become ``Error: ...`` on stderr and exit code 1, never a traceback."""
    try:
        return call()
    except BrokenPipeError:  # `tuitrack ls | head`: the reader left, nothing to report
        sys.stderr.close()
        raise SystemExit(0) from None
    except StoreNotFoundError as exc:
        fail(f"{exc}\nTry `tuitrack demo` for a demo store, or pass --store PATH / set TUITRACK_STORE.")
    except (TuitrackError, LookupError, OSError, ValueError) as exc:
        fail(_message(exc))


class ErrorHandlingGroup(click.Group):
    """A click group that reports expected failures as ``Error: ...`` with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        return _call_reporting_errors(lambda: super(ErrorHandlingGroup, self).invoke(ctx))


def friendly_errors(fn: F) -> F:
    """The group's error reporting on one command, so it behaves the same on any group."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _call_reporting_errors(lambda: fn(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, TuitrackError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` to stderr and exit 1."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def store_option(f: F, *, help: str = "Store folder (default: TUITRACK_STORE or ~/.tuitrack).") -> F:
    """``--store PATH`` on a subcommand (wins over the group's ``--store`` and TUITRACK_STORE)."""
    return click.option(
        "--store", "store_path", type=click.Path(path_type=Path, readable=False), default=None, help=help
    )(f)


def store_option_saying(help: str) -> Callable[[F], F]:
    """:func:`store_option` with its own help text (``demo``: where to write; ``import``: the target)."""
    return lambda f: store_option(f, help=help)


def resolve_store_path(store_path: Path | None) -> Path:
    """Precedence: subcommand ``--store`` > group ``--store`` > TUITRACK_STORE > ~/.tuitrack."""
    if store_path is not None:
        return store_path.expanduser()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        group_store = root.obj.get("store") if isinstance(root.obj, dict) else None
        if group_store is None and root is not ctx:
            group_store = root.params.get("store")
        if group_store:
            return Path(group_store).expanduser()
    # The store this process's logging API was pointed at (set_store), when that API is loaded at all: only then
    # can it hold one, and ``tuitrack`` alone then starts without importing the logging side.
    session = sys.modules.get("tuitrack.tracking.session")
    return session.get_store_path() if session is not None else default_store_path()


def open_store(store_path: Path | None, *, write: bool = False) -> Store:
    """Open an existing store (never creates one); read-only unless the command writes.

    The store is closed when the command's context ends, so a command leaks no connection.
    """
    store = Store(resolve_store_path(store_path), create=False, read_only=not write)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.close)
    return store


def current_ms() -> int:
    """Now in epoch milliseconds, through the store's clock (which tests pin)."""
    return now_ms()


def echo_data(text: str) -> None:
    """Machine-readable data: stdout only, exactly once, newline-terminated, byte for byte.

    ``color=True`` because click otherwise strips what looks like ANSI codes when stdout is not a
    terminal, silently changing data (a run name holding ESC[2J lost those bytes in a CSV file).
    Nothing tuitrack prints carries colour; text for terminals is escaped before it gets here.
    """
    click.echo(text if text.endswith("\n") else text + "\n", nl=False, color=True)


def note(text: str) -> None:
    """Human remarks (counts, hints) go to stderr so piped stdout stays pure data."""
    click.echo(text, err=True)
