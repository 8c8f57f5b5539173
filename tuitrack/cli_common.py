"""Pieces every ``tuitrack`` subcommand shares: ``--store``, opening the store, errors, output.

Why a custom group: every command must turn tuitrack's own errors (unknown run,
ambiguous prefix, bad filter, missing store...) into one line on stderr and
exit code 1, never a traceback; click's usage errors keep exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import tracking
from .errors import StoreNotFoundError, TuitrackError
from .store import Store, now_ms

F = TypeVar("F", bound=Callable[..., Any])


class ErrorHandlingGroup(click.Group):
    """A click group that reports expected failures as ``Error: ...`` with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `tuitrack ls | head`: the reader left, nothing to report
            sys.stderr.close()
            ctx.exit(0)
        except StoreNotFoundError as exc:
            fail(f"{exc}\nTry `tuitrack demo` for a demo store, or pass --store PATH / set TUITRACK_STORE.")
        except (TuitrackError, LookupError, OSError, ValueError) as exc:
            fail(_message(exc))


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, TuitrackError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def fail(message: str) -> None:
    """Print ``Error: message`` to stderr and exit 1."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def store_option(f: F) -> F:
    """``--store PATH`` on a subcommand (wins over the group's ``--store`` and TUITRACK_STORE)."""
    return click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
                        help="Store folder (default: TUITRACK_STORE or ~/.tuitrack).")(f)


def resolve_store_path(store_path: Path | None) -> Path:
    """Precedence: subcommand ``--store`` > group ``--store`` > TUITRACK_STORE > ~/.tuitrack."""
    if store_path is not None:
        return store_path.expanduser()
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().obj if ctx is not None else None
    if isinstance(root, dict) and root.get("store") is not None:
        return Path(root["store"]).expanduser()
    return tracking.get_store_path()


def open_store(store_path: Path | None, *, write: bool = False) -> Store:
    """Open an existing store (never creates one); read-only unless the command writes."""
    return Store(resolve_store_path(store_path), create=False, read_only=False if write else True)


def current_ms() -> int:
    return now_ms()


def output_format(fmt: str | None, *allowed: str) -> str:
    return fmt if fmt in allowed else "text"


def echo_data(text: str) -> None:
    """Machine-readable data: stdout only, exactly once, newline-terminated."""
    click.echo(text if text.endswith("\n") else text + "\n", nl=False)


def note(text: str) -> None:
    """Human remarks (counts, hints) go to stderr so piped stdout stays pure data."""
    click.echo(text, err=True)
