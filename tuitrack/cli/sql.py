"""``tuitrack sql``: a read-only SQL query on the store, printed as a table, CSV, TSV, JSON or JSON lines.

sqlite-utils runs the query (its ``Database.query`` yields one dict per row); the connection is
opened read-only (``mode=ro`` and ``PRAGMA query_only``), so no statement can change the store.
The store's views (``run_summary``, ``run_params``, ``run_metrics``, ``metric_history``) are the
convenient things to query; ``tuitrack sql "SELECT name FROM sqlite_master"`` lists everything.
"""

from __future__ import annotations

import base64
import csv
import io
import math
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from tuitrack.analysis import export as ex
from tuitrack.cli.common import echo_data, fail, note, resolve_store_path, store_option
from tuitrack.formatting import visible
from tuitrack.store.core import DB_NAME

FORMATS = ("table", "csv", "tsv", "json", "nl")


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return ex.json_number(value)
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode()}
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return ex.plain_number(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def render(columns: list[str], rows: Iterable[dict[str, Any]], fmt: str, width: int = 100) -> str:
    """The rows of a query in one of ``FORMATS`` (``table``: user text made visible, fitted to ``width``)."""
    rows = list(rows)
    if fmt == "json":
        return ex.to_json([{k: _json_value(v) for k, v in row.items()} for row in rows])
    if fmt == "nl":
        return (
            "".join(ex.to_json({k: _json_value(v) for k, v in row.items()}).replace("\n", " ") + "\n" for row in rows)
            or "\n"
        )
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(row[c]) for c in columns] for row in rows])
        return buf.getvalue()
    cells = [[visible(_text(row[c])) for c in columns] for row in rows]
    numeric = [bool(rows) and all(isinstance(row[c], (int, float)) or row[c] is None for row in rows) for c in columns]
    return ex.render_table([visible(c) for c in columns], cells, max_width=width, numeric=numeric)


def query_store(path: Path, sql: str, params: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Run ``sql`` on the store at ``path`` through a read-only connection; (column names, rows)."""
    db_file = path / DB_NAME
    if not db_file.is_file():
        fail(f"no tuitrack store at {path} (expected {DB_NAME} in it)")
    conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        import sqlite_utils  # here, not at import: it loads pandas where installed, ~0.45 s on every tuitrack start

        db = sqlite_utils.Database(conn)
        cursor = db.execute(sql, params)
        columns = [d[0] for d in cursor.description or []]
        return columns, [dict(zip(columns, row)) for row in cursor.fetchall()]
    except sqlite3.Error as exc:
        fail(f"SQL error: {exc}")
        raise  # unreachable: fail() exits
    finally:
        conn.close()


@click.command("sql")
@click.argument("query")
@click.option(
    "--param",
    "-p",
    "params",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="A named parameter, used as :NAME in the query (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table, csv, tsv, json (a list) or nl (one JSON object per line).",
)
@store_option
def sql_cmd(query: str, params: tuple[tuple[str, str], ...], fmt: str, store_path: Path | None) -> None:
    """Run a read-only SQL query on the store and print the rows.

    The views run_summary (a run with its params, tags and latest metrics as JSON), run_params,
    run_metrics and metric_history read better than the tables. Values come back as stored; pass
    user input with -p NAME VALUE and :NAME in the query rather than pasting it into the SQL.

    \b
    Examples:
      tuitrack sql "SELECT run_name, status, metrics ->> 'auc' AS auc FROM run_summary ORDER BY auc DESC LIMIT 5"
      tuitrack sql "SELECT * FROM run_params WHERE key = :k" -p k max_depth --format csv
      tuitrack sql "SELECT step, value FROM metric_history WHERE run_id = :r AND key = 'loss'" -p r RUN_ID --format nl
    """
    columns, rows = query_store(resolve_store_path(store_path), query, dict(params))
    if not columns:
        note("the statement returned no columns")
        return
    echo_data(render(columns, rows, fmt, width=max(40, shutil.get_terminal_size().columns)))
    if fmt == "table":
        note(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
