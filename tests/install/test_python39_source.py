"""tuitrack supports Python 3.9: its source must parse as 3.9 and evaluate nothing 3.9 cannot.

The full suite runs on a newer Python, so this reads the source instead of running it: every file parses
with ``feature_version=(3, 9)`` (no match statements, no parenthesized context managers ...), and no
``X | Y`` of types sits where 3.9 evaluates it at import time (a class base such as
``ModalScreen[str | None]``, a module- or class-level alias such as ``Block = Lines | Rows``); annotations
are fine (every module has ``from __future__ import annotations``).  CI also imports every module on the
lowest Python with the app installed (.ci/install_check).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tuitrack"


def _type_unions(node: ast.AST) -> list[ast.BinOp]:
    """``a | b`` where a side is a name, an attribute or a subscript (a type), not numbers or sets."""
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitOr):
            sides = (sub.left, sub.right)
            if (
                any(isinstance(s, ast.Subscript) for s in sides)
                or (any(isinstance(s, ast.Constant) and s.value is None for s in sides))
                or all(isinstance(s, (ast.Name, ast.Attribute, ast.BinOp)) and _looks_like_type(s) for s in sides)
            ):
                found.append(sub)
    return found


def _looks_like_type(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return _looks_like_type(node.left) and _looks_like_type(node.right)
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name[:1].isupper() or name in {"str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set"}


def _runtime_unions(tree: ast.Module) -> list[int]:
    lines = []

    def scope(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                for expr in [*stmt.bases, *[k.value for k in stmt.keywords], *stmt.decorator_list]:
                    lines.extend(u.lineno for u in _type_unions(expr))
                scope(stmt.body)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for expr in stmt.decorator_list:
                    lines.extend(u.lineno for u in _type_unions(expr))
            elif (
                isinstance(stmt, ast.Assign)
                or (isinstance(stmt, ast.AnnAssign) and stmt.value is not None)
                or isinstance(stmt, ast.Expr)
            ):
                lines.extend(u.lineno for u in _type_unions(stmt.value))

    scope(tree.body)
    return lines


def test_source_parses_as_python_39_and_evaluates_no_type_union_at_import() -> None:
    problems = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50
    for path in files:
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(PACKAGE.parent)
        try:
            tree = ast.parse(source, filename=str(rel), feature_version=(3, 9))
        except SyntaxError as exc:
            problems.append(f"{rel}:{exc.lineno}: not Python 3.9 syntax: {exc.msg}")
            continue
        problems += [
            f"{rel}:{line}: X | Y evaluated at import (3.9 needs Optional/Union there)"
            for line in _runtime_unions(tree)
        ]
    assert not problems, "\n".join(problems)


def test_the_check_finds_what_broke_python_39_before() -> None:
    bad = (
        "class P(ModalScreen[str | None]):\n    pass\n"
        "Block = Lines | Rows\n"
        "Keys = dict[tuple[int, ...] | None, list[str]]\n"
    )
    assert _runtime_unions(ast.parse(bad)) == [1, 3, 4]
    fine = (
        "from __future__ import annotations\n"
        "def f(a: int | None) -> str | None:\n    return a | 1\n"
        "FLAGS = 1 | 2\n"
        "x: int | None = None\n"
    )
    assert _runtime_unions(ast.parse(fine)) == []
