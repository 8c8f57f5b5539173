"""Curation commands: ``tag``, ``rename``, ``note``, ``rm``, ``restore``.

Registered on the main ``tuitrack`` group by :func:`register`.  Each command takes
``--store PATH`` itself (so it works after the subcommand), falling back to the
group's ``--store``, then ``TUITRACK_STORE``, then the default store.  All the
work is done by :mod:`tuitrack.curation.core`, the same code the TUI uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tuitrack.cli.common import friendly_errors, open_store, store_option
from tuitrack.curation import core as curation
from tuitrack.errors import ReadOnlyStoreError
from tuitrack.store.core import Store


def _open(store_path: Path | None) -> Store:
    """The store for an edit: must exist and be writable (closed when the command ends)."""
    store = open_store(store_path, write=True)
    if store.read_only:
        raise ReadOnlyStoreError(f"the store at {store.path} is read-only (no write permission); nothing was changed")
    return store


def _targets(
    store: Store, refs: tuple[str, ...], filter_string: str | None, include_deleted: bool
) -> list[curation.RunRef]:
    runs = curation.resolve_runs(store, refs) if refs else []
    if filter_string is not None:
        matched = curation.runs_matching(store, filter_string, include_deleted=include_deleted)
        if not matched:
            raise click.ClickException(f"no run matches the filter {filter_string!r}; nothing was changed")
        known = {r.rid for r in runs}
        runs += [r for r in matched if r.rid not in known]
    if not runs:
        raise click.UsageError(
            "give at least one RUN (id, unique id prefix or unique name) or --filter"
            " (arguments with '=' are tags: give a run whose name has '=' by its id)"
        )
    return runs


@click.command("tag")
@click.argument("items", nargs=-1, metavar="RUN... key=value...")
@click.option("--rm", "remove", multiple=True, metavar="KEY", help="Remove this tag (repeatable).")
@click.option(
    "--filter",
    "filter_string",
    default=None,
    metavar="FILTER",
    help='Also tag every run matching this filter, e.g. "metrics.auc > 0.8".',
)
@click.option("--include-deleted", is_flag=True, help="Let --filter match soft-deleted runs too.")
@store_option
@friendly_errors
def tag_cmd(
    items: tuple[str, ...],
    remove: tuple[str, ...],
    filter_string: str | None,
    include_deleted: bool,
    store_path: Path | None,
) -> None:
    """Set and remove tags on runs.

    Arguments containing '=' are tags to set, the others are runs (id, unique id
    prefix or unique name; a run whose name contains '=' goes by its id).

    \b
    Examples:
      tuitrack tag grid_n100_d10 grid_n200_d20 status=keep
      tuitrack tag --filter "metrics.auc < 0.85" status=discard
      tuitrack tag grid_n100_d10 --rm status
    """
    refs = tuple(i for i in items if "=" not in i)
    sets = dict(curation.parse_assignment(i) for i in items if "=" in i)
    curation.validate_tag_edit(sets, remove)  # refuse bad tags before touching the store
    store = _open(store_path)
    change = curation.tag_runs(store, _targets(store, refs, filter_string, include_deleted), sets, remove)
    click.echo(change.message)


@click.command("rename")
@click.argument("run")
@click.argument("name")
@store_option
@friendly_errors
def rename_cmd(run: str, name: str, store_path: Path | None) -> None:
    """Rename RUN to NAME.

    \b
    Examples:
      tuitrack rename grid_n100_d10 grid_small
    """
    with _open(store_path) as store:
        click.echo(curation.rename_run(store, run, name).message)


@click.command("note")
@click.argument("run")
@click.argument("text")
@store_option
@friendly_errors
def note_cmd(run: str, text: str, store_path: Path | None) -> None:
    """Set RUN's note (description) to TEXT; '-' reads it from stdin, '' clears it.

    \b
    Examples:
      tuitrack note grid_n100_d10 "baseline for the v2 data"
      tuitrack note grid_n100_d10 - < notes.md
      tuitrack note grid_n100_d10 ''
    """
    if text == "-":
        text = sys.stdin.read()
    with _open(store_path) as store:
        click.echo(curation.set_note(store, run, text).message)


@click.command("rm")
@click.argument("runs", nargs=-1, metavar="RUN...")
@click.option(
    "--filter", "filter_string", default=None, metavar="FILTER", help="Also delete runs matching this filter."
)
@store_option
@friendly_errors
def rm_cmd(runs: tuple[str, ...], filter_string: str | None, store_path: Path | None) -> None:
    """Soft-delete runs: hidden from listings, kept in the store, restorable with `restore`.

    `tuitrack gc` purges them for good.

    \b
    Examples:
      tuitrack rm grid_n100_d10
      tuitrack rm --filter "attributes.status = 'FAILED'"
    """
    with _open(store_path) as store:
        click.echo(curation.delete_runs(store, _targets(store, runs, filter_string, False)).message)


@click.command("restore")
@click.argument("runs", nargs=-1, metavar="RUN...")
@click.option(
    "--filter", "filter_string", default=None, metavar="FILTER", help="Also restore deleted runs matching this filter."
)
@store_option
@friendly_errors
def restore_cmd(runs: tuple[str, ...], filter_string: str | None, store_path: Path | None) -> None:
    """Bring soft-deleted runs back (see `tuitrack ls --deleted`).

    \b
    Examples:
      tuitrack restore grid_n100_d10
      tuitrack restore --filter "attributes.status = 'FAILED'"
    """
    with _open(store_path) as store:
        click.echo(curation.restore_runs(store, _targets(store, runs, filter_string, True)).message)


#: This module's commands (``tuitrack.cli.main.COMMANDS`` says where the group finds each).
COMMANDS = (tag_cmd, rename_cmd, note_cmd, rm_cmd, restore_cmd)
