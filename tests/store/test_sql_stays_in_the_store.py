"""SQL on a tuitrack store is written only in ``tuitrack/store/`` (ARCHITECTURE.md, "Where a change goes").

Every other module asks ``Store`` methods.  Two modules run SQL on purpose and are named here: the MLflow
SQLite importer's reader (read-only queries of a *foreign* MLflow database, through sqlite-utils) and
``tuitrack sql`` (the user's own query, on a read-only connection).  ``tuitrack/query/`` compiles filters
to SQL fragments but runs nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "tuitrack"
#: Calls that run SQL, or open a write transaction that hands out the raw connection.
SQL_CALLS = {"execute", "executemany", "executescript", "conn_fetchall", "conn_fetchone", "transaction"}
ALLOWED = {
    "importers/mlflow_sqlite.py": "reads a foreign MLflow database, read-only",
    "cli/sql.py": "runs the user's query on a read-only connection",
}


def _sql_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        f"{path.relative_to(PKG)}:{node.lineno}: .{node.func.attr}(...)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS
    ]


def test_no_module_outside_the_store_runs_sql() -> None:
    found: list[str] = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel.startswith("store/") or rel in ALLOWED:
            continue
        found += _sql_calls(path)
    assert not found, "SQL outside tuitrack/store/ (add a Store method instead):\n" + "\n".join(found)


def test_the_allowed_modules_still_exist() -> None:
    for rel in ALLOWED:
        assert (PKG / rel).is_file(), rel
        assert _sql_calls(PKG / rel), f"{rel} runs no SQL any more: drop it from ALLOWED"
