"""The commands on the store as a whole: ``demo``, ``ls``, ``export``, ``gc`` and ``import`` (MLflow stores and
other tuitrack stores).  Loaded by :mod:`tuitrack.cli.main` only when one of them runs."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from tuitrack.analysis import export as ex
from tuitrack.cli.common import (
    current_ms,
    echo_data,
    fail,
    note,
    open_store,
    resolve_store_path,
    store_option,
    store_option_saying,
)
from tuitrack.cli.sync import import_tuitrack_cmd
from tuitrack.entities import Run, data_keys
from tuitrack.store.core import Store


@click.command("demo")
@store_option_saying("Folder to write the demo store to (must be new or empty; default: a fresh temporary folder).")
@click.option("--no-ui", is_flag=True, help="Only write the demo store and print where.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the demo's random numbers.")
def demo(store_path: Path | None, no_ui: bool, seed: int) -> None:
    """Write a realistic demo store (a fresh temporary folder unless --store) and open it.

    21 runs in two experiments: per-epoch histories, a seed sweep, nested runs, artifacts,
    a model, a failed run and a crashed one.

    \b
    Examples:
      tuitrack demo
      tuitrack demo --no-ui --store ./demo-store
    """
    from tuitrack.demo import build_demo_store

    target = store_path.expanduser() if store_path is not None else Path(tempfile.mkdtemp(prefix="tuitrack-demo-"))
    build_demo_store(target, seed=seed)
    note(f"demo store written to {target}")
    note(f"open it again with: tuitrack --store {target}")
    if not no_ui:
        from tuitrack.cli.main import run_app

        run_app(target)


def _split_columns(values: tuple[str, ...]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _select(
    store: Store,
    experiments: tuple[str, ...],
    filter_: str | None,
    sort: tuple[str, ...],
    limit: int | None,
    deleted: bool,
    now: int,
) -> tuple[list[Run], int]:
    exp_ids = store.experiment_ids(experiments) if experiments else None
    rids = store.search_rids(
        filter_,
        list(sort) or None,
        experiment_ids=exp_ids,
        include_deleted=deleted,
        max_results=limit or None,
        now_ms=now,
    )
    total = store.count_runs(filter_, experiment_ids=exp_ids, include_deleted=deleted, now_ms=now)
    return store.runs_by_rids(rids), total


def _auto_metrics(runs: list[Run], width: int) -> list[tuple[str, str]]:
    counts: dict[str, int] = {}
    for r in runs:
        for k in r.data.metrics:
            counts[k] = counts.get(k, 0) + 1
    room = max(0, (width - 50) // 10)
    keys = sorted(counts, key=lambda k: (-counts[k], k))[:room]
    return [("metrics", k) for k in sorted(keys)]


def _table_cell(run: Run, col: tuple[str, str], now: int) -> str:
    from tuitrack.formatting import STATUS_GLYPHS, format_duration, format_metric, format_short_time

    value = ex.cell(run, col, now)
    kind, key = col
    if kind == "attributes":
        if key == "status":
            return STATUS_GLYPHS.get(value, ("?", ""))[0]
        if key == "run_id":
            return value[:8]
        if key in ("start_time", "end_time"):
            return format_short_time(value)
        if key == "duration":
            return format_duration(value)
    if isinstance(value, float):
        return format_metric(value)
    return "" if value is None else ex.visible(value)


_SHORT_LABELS = {"status": "", "run_id": "id", "start_time": "start", "end_time": "end"}


@click.command("ls")
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only runs of this experiment (repeatable).")
@click.option("--filter", "-f", "filter_", default=None, help='Filter, e.g. "metrics.auc > 0.8 AND params.lr < 0.1".')
@click.option("--sort", "-s", multiple=True, help='Order, e.g. "metrics.auc DESC" (repeatable; default: newest first).')
@click.option("--columns", "-c", multiple=True, help="Columns, comma-separated: status,name,params.lr,metrics.auc ...")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=None,
    help="At most N runs (table default 50; --json/--csv default all; 0 = all).",
)
@click.option("--deleted", is_flag=True, help="Include soft-deleted runs.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV.")
@store_option
def ls(
    experiments: tuple[str, ...],
    filter_: str | None,
    sort: tuple[str, ...],
    columns: tuple[str, ...],
    limit: int | None,
    deleted: bool,
    fmt: str | None,
    store_path: Path | None,
) -> None:
    """List runs (newest first), readable on an 80-column terminal.

    Filters use MLflow's search syntax plus OR, NOT, parentheses and IS NULL.

    \b
    Examples:
      tuitrack ls -e churn-prediction-v2 -f "params.max_depth >= 8 AND metrics.auc > 0.8"
      tuitrack ls -s "metrics.val_loss ASC" -c name,params.max_depth,metrics.val_loss -n 5
      tuitrack ls -f "attributes.status = 'CRASHED' OR attributes.status = 'FAILED'"
      tuitrack ls --csv --limit 0 > runs.csv
    """
    store = open_store(store_path)
    now = current_ms()
    if limit is None and fmt is None:
        limit = 50
    runs, total = _select(store, experiments, filter_, sort, limit, deleted, now)
    specs = _split_columns(columns)
    try:
        chosen = ex.resolve_columns(specs, runs, store.metric_key_exists)
    except ValueError as exc:
        fail(str(exc))
    if specs:
        _note_empty_columns(chosen, runs)
    if fmt in ("json", "csv"):
        cols = chosen if specs else ex.default_columns(runs)
        _emit_rows(runs, cols, fmt, now)
        return
    import shutil

    width = max(40, shutil.get_terminal_size((80, 24)).columns)
    if specs:
        cols = chosen
    else:
        cols = [("attributes", k) for k in ("status", "run_id", "name", "start_time", "duration")]
        cols += _auto_metrics(runs, width)
    header = [
        _SHORT_LABELS.get(k, k) if kind == "attributes" else f"{k}.{kind[8:]}" if ex.is_summary((kind, k)) else k
        for kind, k in cols
    ]
    rows = [[_table_cell(r, c, now) for c in cols] for r in runs]
    numeric = [kind.startswith("metrics") or k == "duration" for kind, k in cols]
    mins = [
        1 if k == "status" else 8 if k == "run_id" else 11 if k == "start_time" else 12 if k == "name" else 6
        for _, k in cols
    ]
    if runs:
        echo_data(ex.render_table(header, rows, max_width=width, numeric=numeric, min_widths=mins))
    if len(runs) < total:
        note(f"showing {len(runs)} of {total} runs (--limit 0 for all)")
    elif not runs:
        note("no runs match" if filter_ or experiments else f"no runs in the store at {store.path}")


def _note_empty_columns(cols: list[tuple[str, str]], runs: list[Run]) -> None:
    """A typo in ``-c params.lr`` would give a silently empty column: say so, and what keys exist."""
    if not runs:
        return
    for kind, key in cols:
        if ex.is_summary((kind, key)) and not any(ex.cell(r, (kind, key), 0) is not None for r in runs):
            known = data_keys(runs, "metrics")
            note(
                f"no listed run has {ex.visible(ex.column_label((kind, key)))} (metrics here: "
                f"{ex.visible(', '.join(known[:15])) or 'none'})"
            )
        if kind in ("metrics", "params", "tags") and not any(ex.cell(r, (kind, key), 0) is not None for r in runs):
            known = data_keys(runs, kind)
            here = ex.visible(", ".join(known[:15])) or "none"
            note(f"no listed run has {kind}.{ex.visible(key)} ({kind} here: {here})")


def _emit_rows(runs: list[Run], cols: list[tuple[str, str]], fmt: str, now: int, out: Path | None = None) -> None:
    if fmt == "json":
        text = ex.to_json([ex.run_record(r, cols, now) for r in runs])
    else:
        header = [ex.column_label(c) for c in cols]
        rows = [[ex.cell(r, c, now) for c in cols] for r in runs]
        if out is None and sys.stdout.isatty():
            # A run name holding ESC/BEL/CR... would retitle or clear the terminal: show them as \xNN,
            # as the text views do.  Files and pipes get the data exactly.
            header, rows = ex.terminal_cells([header])[0], ex.terminal_cells(rows)
        text = ex.rows_to_csv(header, rows) if fmt == "csv" else ex.rows_to_md(header, rows)
    if out is None:
        echo_data(text)
    else:
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        note(f"wrote {len(runs)} runs to {out}")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md"]), required=True, help="Output format.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to FILE instead of stdout.",
)
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only runs of this experiment (repeatable).")
@click.option("--filter", "-f", "filter_", default=None, help="Only runs matching this filter.")
@click.option("--sort", "-s", multiple=True, help='Order, e.g. "metrics.auc DESC".')
@click.option("--tags/--no-tags", default=False, help="Also export tags (default: params and metrics only).")
@click.option("--deleted", is_flag=True, help="Include soft-deleted runs.")
@store_option
def export_cmd(
    fmt: str,
    output: Path | None,
    experiments: tuple[str, ...],
    filter_: str | None,
    sort: tuple[str, ...],
    tags: bool,
    deleted: bool,
    store_path: Path | None,
) -> None:
    """Export runs with their params and latest metrics as csv, json or markdown.

    \b
    Examples:
      tuitrack export --format csv -o runs.csv
      tuitrack export --format md -f "params.model = 'xgboost'" --tags
    """
    store = open_store(store_path)
    now = current_ms()
    runs, _ = _select(store, experiments, filter_, sort, None, deleted, now)
    _emit_rows(runs, ex.default_columns(runs, tags=tags), fmt, now, output)


@click.command("gc")
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=None,
    metavar="DAYS",
    help="Only runs deleted at least DAYS days ago.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
@click.option(
    "--force",
    is_flag=True,
    help="Also purge deleted runs that are still RUNNING with a fresh heartbeat (being logged to now).",
)
@store_option
def gc(older_than: float | None, yes: bool, dry_run: bool, force: bool, store_path: Path | None) -> None:
    """Permanently purge soft-deleted runs (all their rows and artifact files).

    Also removes the temporary files interrupted artifact copies left in runs no process is
    writing to (a killed log_artifact leaves one as big as the artifact).

    Runs deleted with `tuitrack rm` or in the app stay restorable until gc purges them.

    \b
    Examples:
      tuitrack gc --dry-run
      tuitrack gc --older-than 30 --yes

    A deleted run that is still RUNNING with a heartbeat under 2 minutes old is being logged
    to: it is skipped (and named) unless --force.
    """
    from tuitrack.formatting import format_time
    from tuitrack.store.gc import artifact_folder, find_purgeable, purge, stale_temp_files

    store = open_store(store_path, write=not dry_run)
    now = current_ms()
    temps = stale_temp_files(store, now_ms=now)
    if temps:
        freed = 0
        for t in temps:
            try:
                freed += t.stat().st_size
                if not dry_run:
                    t.unlink()
            except OSError:
                continue
        note(
            f"{'would remove' if dry_run else 'removed'} {len(temps)} temporary file{'s' if len(temps) != 1 else ''}"
            f" ({freed} bytes) left by interrupted artifact copies"
        )
    victims = find_purgeable(store, now_ms=now, older_than_days=older_than)
    live = find_purgeable(store, now_ms=now, older_than_days=older_than, live=True)
    if live and force:
        victims = sorted(victims + live, key=lambda v: (v.deleted_at, v.rid))
    elif live:
        note(
            f"skipping {len(live)} deleted run{'s' if len(live) != 1 else ''} still RUNNING with a fresh heartbeat "
            f"(a process is logging to {'them' if len(live) != 1 else 'it'}; --force purges anyway): "
            + ", ".join(ex.visible(v.run_id[:8]) for v in live[:5])
            + (" ..." if len(live) > 5 else "")
        )
    if not victims:
        note(
            ("nothing else to purge" if live else "nothing to purge: no soft-deleted runs")
            + (f" older than {older_than:g} days" if older_than else "")
        )
        return
    size = sum(v.artifact_bytes for v in victims)
    for v in victims[:20]:
        note(
            f"  {ex.visible(v.run_id[:8])}  {ex.truncate(ex.visible(v.name), 40)}  deleted {format_time(v.deleted_at)}"
        )
    if len(victims) > 20:
        note(f"  ... and {len(victims) - 20} more")
    summary = f"{len(victims)} deleted runs ({size} bytes of artifacts)"
    if dry_run:
        note(f"would purge {summary}")
        return
    if not yes and not click.confirm(f"Permanently purge {summary}?", default=False, err=True):
        fail("nothing purged")
    done = purge(store, victims, now_ms=now, force=force)
    for r in done:
        if artifact_folder(store, r.run_id) is None:
            note(
                f"run id {ex.visible(r.run_id)!r} cannot name a folder inside the store: its rows were purged, "
                "no file was deleted"
            )
    if len(done) == len(victims):
        note(f"purged {summary}")
    else:
        note(
            f"purged {len(done)} deleted runs ({sum(v.artifact_bytes for v in done)} bytes of artifacts); "
            f"{len(victims) - len(done)} were restored or purged meanwhile and left alone"
        )


@click.group("import")
def import_group() -> None:
    """Import runs from other trackers."""


@import_group.command("mlflow")
@click.argument("path")
@store_option_saying("Store to import into, created when missing (default: TUITRACK_STORE or ~/.tuitrack).")
def import_mlflow_cmd(path: str, store_path: Path | None) -> None:
    """Import an MLflow store: an mlruns/ folder, an mlflow.db SQLite file or a sqlite:/// URI.

    Experiments, runs (names, status, times, parents), params, full metric histories, tags and
    artifacts.  Run ids are kept, so importing again skips runs already imported.  The target
    store is created when missing.

    \b
    Examples:
      tuitrack import mlflow ./mlruns
      tuitrack import mlflow sqlite:///mlflow.db --store ./imported
    """
    from tuitrack.importers import import_mlflow
    from tuitrack.importers.mlflow import open_source

    with open_source(path):  # refuse a source that is no MLflow store before creating any store
        pass
    store = Store(resolve_store_path(store_path), create=True, read_only=False)
    click.get_current_context().call_on_close(store.close)

    def progress(items: Iterable[Any], length: int) -> Iterable[Any]:
        if length < 10:
            return items
        return _ProgressIter(items, length)

    stats = import_mlflow(store, path, progress=progress)
    note(
        f"imported {stats.runs} runs ({stats.points} metric points, {stats.artifacts} artifact files, "
        f"{stats.experiments} new experiments) into {store.path}"
        + (f"; skipped {stats.skipped} runs already present" if stats.skipped else "")
    )


class _ProgressIter:
    """click's progress bar on stderr, closed when the loop ends."""

    def __init__(self, items: Iterable[Any], length: int) -> None:
        self.items, self.length = items, length

    def __iter__(self) -> Iterator[Any]:
        with click.progressbar(self.items, length=self.length, label="importing runs", file=sys.stderr) as bar:
            yield from bar


import_group.add_command(import_tuitrack_cmd)  # tuitrack import tuitrack (tuitrack/cli/sync.py), also as "merge"
import_group.add_command(import_tuitrack_cmd, "merge")
