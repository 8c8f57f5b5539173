"""``tuitrack push``, ``tuitrack pull`` and ``tuitrack import tuitrack``: runs between hosts.

Listed in :data:`tuitrack.cli.main.COMMANDS` (``import tuitrack`` joins the import group in
``store_commands.py``).  Failures (bad URI, refused connection, 401, a
server error after the retries) are one ``Error:`` line and exit code 1; what was confirmed before
stays recorded, so running the command again resumes.  Per-run problems (a value over the server's
limits) are warnings and do not stop the others.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from tuitrack.cli.common import note, open_store, resolve_store_path, store_option
from tuitrack.store.core import Store


class _Bar:
    """A one-line progress display on a terminal's stderr (nothing when stderr is not a terminal)."""

    def __init__(self, label: str, items: str = "runs", amount: str = "points"):
        self.label, self.items, self.amount = label, items, amount
        self.enabled = sys.stderr.isatty()
        self.last = 0.0
        self.shown = False

    def __call__(self, runs_done: int, runs_total: int, points: int, points_total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and runs_done < runs_total:
            return
        self.last = now
        width = 24
        frac = runs_done / runs_total if runs_total else 1.0
        if points_total:
            frac = min(1.0, points / points_total)
        filled = int(width * frac)
        pts = f"{points:,}/{points_total:,} {self.amount}" if points_total else f"{points:,} {self.amount}"
        click.echo(
            f"\r{self.label} [{'#' * filled}{'-' * (width - filled)}] {self.items} {runs_done}/{runs_total}, {pts}",
            nl=False,
            err=True,
        )
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _warn(problems: list[str]) -> None:
    for text in problems[:50]:
        note(f"warning: {text}")
    if len(problems) > 50:
        note(f"warning: ... and {len(problems) - 50} more")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@click.command("push")
@click.argument("uri", required=False)
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only runs of this experiment (repeatable).")
@click.option("--filter", "-f", "filter_string", default=None, help="Only runs matching this filter.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@store_option
def push_cmd(
    uri: str | None, experiments: tuple[str, ...], filter_string: str | None, dry_run: bool, store_path: Path | None
) -> None:
    """Send runs to an MLflow tracking server (URI, default $MLFLOW_TRACKING_URI).

    Each run goes with its experiment, name, status, times, params, tags, note, parent, full metric
    histories and artifacts (through the server's artifact proxy).  Incremental: a second push sends
    nothing, and after more logging only the new points go.  Credentials: MLFLOW_TRACKING_USERNAME and
    MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN.

    \b
    Examples:
      tuitrack push http://mlflow.example:5000
      MLFLOW_TRACKING_URI=http://mlflow.example:5000 tuitrack push -e resnet
      tuitrack push -f "metrics.auc > 0.9" --dry-run
    """
    from tuitrack.sync.push import push

    store = open_store(store_path, write=not dry_run)
    bar = _Bar("pushing")
    try:
        rep = push(store, uri, experiments=experiments, filter_string=filter_string, dry_run=dry_run, progress=bar)
    finally:
        bar.close()
    if dry_run:
        for line in rep.plan:
            click.echo(line)
        note(
            f"dry run: {_plural(len(rep.plan), 'run')} would go to {rep.uri}; "
            f"{_plural(rep.unchanged, 'run')} unchanged since the last push"
        )
        return
    _warn(rep.problems)
    parts = [
        f"pushed {_plural(rep.created + rep.updated, 'run')} to {rep.uri} ({rep.created} new)",
        _plural(rep.points, "metric point"),
        _plural(rep.params, "param"),
        _plural(rep.tags, "tag change"),
        _plural(rep.artifacts, "artifact file"),
    ]
    text = ", ".join(parts)
    if rep.unchanged:
        text += f"; {_plural(rep.unchanged, 'run')} unchanged"
    if rep.conflicts:
        text += (
            f"; {_plural(rep.conflicts, 'conflict')} (the later write kept; see the run's tuitrack.sync.conflict tag)"
        )
    if rep.problems:
        text += f"; {_plural(len(rep.problems), 'problem')} above"
    note(text)


@click.command("pull")
@click.argument("uri", required=False)
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only this server experiment (repeatable).")
@click.option(
    "--filter",
    "-f",
    "filter_string",
    default=None,
    help='Only server runs matching this MLflow filter (e.g. "metrics.auc > 0.9").',
)
@click.option("--artifacts", is_flag=True, help="Also download the runs' artifact files.")
@store_option
def pull_cmd(
    uri: str | None, experiments: tuple[str, ...], filter_string: str | None, artifacts: bool, store_path: Path | None
) -> None:
    """Bring an MLflow tracking server's runs into the store (URI, default $MLFLOW_TRACKING_URI).

    Runs from any host, logged by MLflow or pushed by tuitrack, arrive with their histories, params,
    tags, notes, parents and statuses; runs this store pushed are recognised, not duplicated.  A second
    pull fetches only what changed.  Pulled runs carry the tag tuitrack.pulled_from (the server) and the
    host they were logged on.  The store is created when missing.

    \b
    Examples:
      tuitrack pull http://mlflow.example:5000
      tuitrack pull -e resnet --artifacts
    """
    from tuitrack.sync.pull import pull

    store = Store(resolve_store_path(store_path), create=True, read_only=False)
    click.get_current_context().call_on_close(store.close)
    bar = _Bar("pulling")
    try:
        rep = pull(store, uri, experiments=experiments, filter_string=filter_string, artifacts=artifacts, progress=bar)
    finally:
        bar.close()
    _warn(rep.problems)
    text = (
        f"pulled from {rep.uri}: {_plural(rep.new, 'new run')}, {_plural(rep.updated, 'run')} updated, "
        f"{_plural(rep.unchanged, 'run')} unchanged, {_plural(rep.points, 'metric point')}"
    )
    if artifacts:
        text += f", {_plural(rep.artifacts, 'artifact file')}"
    if rep.recognised:
        text += f"; {_plural(rep.recognised, 'run')} recognised as already here"
    if rep.conflicts:
        text += (
            f"; {_plural(rep.conflicts, 'conflict')} (the later write kept; see the run's tuitrack.sync.conflict tag)"
        )
    note(text)


@click.command("fetch-artifacts")
@click.argument("run")
@click.argument("paths", nargs=-1)
@store_option
def fetch_artifacts_cmd(run: str, paths: tuple[str, ...], store_path: Path | None) -> None:
    """Download a pulled run's artifact files (PATHS, or all) from the server it was pulled from.

    A pull without --artifacts lists each run's files but leaves them on the server; this fetches
    them into the run's artifact folder (the app's Artifacts tab does the same when you select one
    marked "on server").  Files already here are skipped.

    \b
    Examples:
      tuitrack fetch-artifacts 3f2a9c
      tuitrack fetch-artifacts 3f2a9c model/MLmodel confusion.png
    """
    from tuitrack.sync.pull import fetch_artifacts

    store = open_store(store_path, write=True)
    bar = _Bar("fetching", "files", "bytes")
    try:
        rep = fetch_artifacts(store, run, paths, progress=bar)
    finally:
        bar.close()
    _warn(rep.problems)
    text = f"fetched {_plural(rep.artifacts, 'artifact file')} ({rep.size:,} bytes) of run {rep.run_id[:12]}"
    text += f" from {rep.uri}"
    if rep.already:
        text += f"; {_plural(rep.already, 'file')} already here"
    note(text)


@click.command("tuitrack")
@click.argument("other", type=click.Path(path_type=Path))
@store_option
def import_tuitrack_cmd(other: Path, store_path: Path | None) -> None:
    """Merge another tuitrack store (a folder copied from another host) into this one.

    Runs keep their ids, so merging again skips runs already here; histories, params, tags, notes and
    artifacts come along.  OTHER is only read.

    \b
    Examples:
      rsync -a gpu-box-01:.tuitrack/ ./box01/ && tuitrack import tuitrack ./box01
    """
    from tuitrack.importers.tuitrack_store import merge_store

    source = Store(other.expanduser(), create=False, read_only=True)
    click.get_current_context().call_on_close(source.close)
    store = Store(resolve_store_path(store_path), create=True, read_only=False)
    click.get_current_context().call_on_close(store.close)
    bar = _Bar("merging")
    try:
        stats = merge_store(store, source, progress=bar)
    finally:
        bar.close()
    _warn(stats.problems)
    note(
        f"merged {_plural(stats.runs, 'run')} ({_plural(stats.points, 'metric point')}, "
        f"{_plural(stats.artifacts, 'artifact file')}) from {source.path} into {store.path}"
        + (f"; skipped {_plural(stats.skipped, 'run')} already here" if stats.skipped else "")
    )


#: ``tuitrack merge``: ``tuitrack import tuitrack`` under a shorter name.
merge_cmd = click.Command(
    "merge",
    callback=import_tuitrack_cmd.callback,
    params=list(import_tuitrack_cmd.params),
    help=import_tuitrack_cmd.help,
    short_help="Merge another tuitrack store into this one.",
)
