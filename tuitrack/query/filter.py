"""The run filter language, compiled to parameterized SQL over ``runs r``.

MLflow's search syntax (so habits carry over) plus what MLflow lacks: ``OR``,
``NOT``, parentheses, ``ILIKE``/``NOT LIKE``, ``IN``/``NOT IN`` everywhere and
``IS [NOT] NULL``.  Pure: no I/O and no database handle, so the TUI can validate
a filter on every keystroke.

Why it is shaped like this:
- User text (keys and values) is only ever a bound parameter; the SQL text is
  built from fixed fragments, so no input can inject SQL.
- Every comparison compiles to a two-valued expression (a correlated ``EXISTS``
  or a NULL-guarded column test), so ``NOT f`` is exactly the complement of
  ``f``.  A run lacking the key never matches a comparison; NaN (stored as NULL)
  never matches either, but still counts for ``IS NOT NULL``.
- AND/OR chains are emitted as balanced trees: SQLite rejects expressions more
  than 1000 levels deep, and a flat chain of 1000 terms would be that deep.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tuitrack.errors import TuitrackError
from tuitrack.query import summaries

__all__ = [
    "Bound",
    "Compiled",
    "FilterError",
    "OrderBy",
    "compile_filter",
    "compile_order_by",
    "parse_field",
    "parse_key",
]

_MAX_DEPTH = 64  # nesting of parentheses: keeps the parser's recursion and SQLite's expression depth bounded
_MAX_PARAMS = 32_000  # SQLite's bound-variable limit is 32766 (since 3.32)
_CMP = ("=", "!=", "<", "<=", ">", ">=")
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL"}
_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED", "CRASHED", "SCHEDULED")
_ENTITIES = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "tags": "tags",
    "tag": "tags",
    "attributes": "attributes",
    "attribute": "attributes",
    "run": "attributes",
    "datasets": "datasets",
    "dataset": "datasets",
}
# MLflow keeps these as tags; tuitrack keeps them as run attributes, so a filter on the tag reads the attribute.
_MLFLOW_TAGS = {
    "mlflow.runName": "run_name",
    "mlflow.parentRunId": "parent_id",
    "mlflow.user": "user",
    "mlflow.note.content": "note",
    "mlflow.source.name": "source",
}
# MLflow's dataset fields in filters (datasets.name, datasets.digest, datasets.context) -> inputs columns
_DATASET_FIELDS = {"name": "name", "digest": "digest", "context": "context"}
# name -> (kind, SQL expression over r, nullable).  "" expressions are built per call.
_ATTRS: dict[str, tuple[str, str, bool]] = {
    "run_id": ("text", "r.run_id", False),
    "run_name": ("text", "r.name", False),
    "status": ("status", "", False),
    "start_time": ("time", "r.start_time", False),
    "end_time": ("time", "r.end_time", True),
    "user": ("text", "r.user", True),
    "experiment_id": ("number", "r.experiment_id", False),
    "experiment": ("experiment", "", False),
    "parent_id": ("text", "r.parent_id", True),
    "duration": ("number", "", False),
    "note": ("text", "r.note", True),
    "host": ("text", "r.host", True),
    "source": ("text", "r.source", True),
    "error": ("text", "r.error", True),
    "pid": ("number", "r.pid", True),
}
_ALIASES = {
    "name": "run_name",
    "parent_run_id": "parent_id",
    "description": "note",
    "created": "start_time",
    "user_id": "user",
    "experiment_name": "experiment",
}

_WS_RE = re.compile(r"\s+")
_NUM_RE = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|(?i:inf(?:inity)?)(?![\w./-]))")
_IDENT_RE = re.compile(r"[^\W\d][\w./-]*")
_OP_RE = re.compile(r"!=|<>|<=|>=|==|=|<|>")
_FIELD_RE = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")

Sql = tuple[str, list]


class FilterError(TuitrackError, ValueError):
    """A malformed filter, order_by or key; says where and what was expected so the TUI can point at it."""

    position: int | None
    expected: str | None
    source: str

    def __init__(
        self,
        message: str,
        *,
        position: int | None = None,
        expected: str | None = None,
        source: str = "",
        what: str = "filter",
    ) -> None:
        where = f" at position {position}" if position is not None else ""
        context = f" in {_show(source)}" if what != "filter" else ""
        super().__init__(f"{what} error{where}{context}: {message}")
        self.message, self.position, self.expected, self.source = message, position, expected, source


@dataclass(frozen=True)
class Bound:
    """A numeric comparison every match must satisfy: a top-level AND term like ``metrics.auc > 0.5``.

    Lets a search sorted by the same key walk only the matching stretch of the key's index
    (the filter itself still applies; a bound only narrows where to look).  ``entity`` is
    "metrics" (compares the value) or "params" (compares the numeric reading of the value).
    """

    entity: str
    key: str
    op: str  # one of = < <= > >=
    value: int | float
    column: str = "value"  # the latest_metrics column a metric summary field compares (min_value, ...)


@dataclass(frozen=True)
class Compiled:
    """A boolean SQL expression over alias ``r`` and its bound parameters, in order."""

    sql: str
    params: tuple
    bounds: tuple[Bound, ...] = ()


@dataclass(frozen=True)
class OrderBy:
    """LEFT JOINs to append after ``FROM runs r`` (params go before the WHERE params) and the ORDER BY text.

    ``first``: (entity, key) of the first term when it is a metric or param (joined as ``o0``);
    ``first_column``: the column of ``o0`` it sorts by (``value``, or a summary's such as ``min_value``).
    """

    joins: str
    order_sql: str
    params: tuple
    first: tuple[str, str] | None = None
    first_column: str = "value"


@dataclass(frozen=True)
class _Tok:
    kind: str  # ident key name str num op ( ) , eof
    text: str  # the source text, for messages
    pos: int
    value: Any = None  # str for str/name/op, int or float for num, (prefix, key, field) for key


def _show(text: str) -> str:
    """One-line quoted rendering of user text for messages."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _got(tok: _Tok) -> str:
    if tok.kind == "str":
        return f"string {_show(str(tok.value))}"
    return "end of input" if tok.kind == "eof" else _show(tok.text)


def _number(text: str) -> int | float:
    """Ints stay exact when SQLite can hold them; everything else is a float (huge -> inf, never an error)."""
    digits = text.lstrip("+-")
    if digits.isdigit() and len(digits) <= 18:
        return int(text)
    return float(text)


def _quoted(src: str, i: int, what: str) -> tuple[str, int]:
    """Read a quoted string or key at src[i]; doubled quotes escape, and in strings so do ``\\'`` ``\\"`` ``\\\\``."""
    q, out, j, n = src[i], [], i + 1, len(src)
    while j < n:
        c = src[j]
        if c == q:
            if j + 1 < n and src[j + 1] == q:
                out.append(q)
                j += 2
                continue
            return "".join(out), j + 1
        if c == "\\" and q != "`" and j + 1 < n and src[j + 1] in "\\'\"":
            out.append(src[j + 1])
            j += 2
            continue
        out.append(c)
        j += 1
    kind = "quoted key" if q == "`" else "string"
    raise FilterError(f"unterminated {kind} (no closing {q})", position=i, expected=q, source=src, what=what)


def _tokenize(src: str, what: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while True:
        m = _WS_RE.match(src, i)
        if m:
            i = m.end()
        if i >= n:
            toks.append(_Tok("eof", "", n))
            return toks
        c = src[i]
        if c in "(),":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c in "'\"`":
            val, j = _quoted(src, i, what)
            toks.append(_Tok("name" if c == "`" else "str", src[i:j], i, val))
            i = j
        elif m := _OP_RE.match(src, i):
            op = {"<>": "!=", "==": "="}.get(m.group(), m.group())
            toks.append(_Tok("op", m.group(), i, op))
            i = m.end()
        elif m := _NUM_RE.match(src, i):
            toks.append(_Tok("num", m.group(), i, _number(m.group())))
            i = m.end()
        elif m := _IDENT_RE.match(src, i):
            j = m.end()
            if m.group().endswith(".") and j < n and src[j] in '`"':
                key, j = _quoted(src, j, what)
                field = None
                if (f := _FIELD_RE.match(src, j)) is not None:  # metrics.`val.loss`.min: a summary field
                    field, j = f.group(1), f.end()
                toks.append(_Tok("key", src[i:j], i, (m.group()[:-1], key, field)))
            else:
                toks.append(_Tok("ident", m.group(), i))
            i = j
        else:
            raise FilterError(f"unexpected character {c!r}", position=i, source=src, what=what)


def _join(op: str, parts: list[Sql]) -> Sql:
    """AND/OR a list of terms as a balanced tree, so SQLite's expression depth stays logarithmic."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) <= 16:
        return "(" + f" {op} ".join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
    mid = len(parts) // 2
    (ls, lp), (rs, rp) = _join(op, parts[:mid]), _join(op, parts[mid:])
    return f"({ls} {op} {rs})", lp + rp


def _like_parts(pattern: str) -> list[tuple[bool, str]]:
    """Split a LIKE pattern into (is_wildcard, char); backslash escapes the next character."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append((False, pattern[i + 1]))
            i += 2
            continue
        out.append((c in "%_", c))
        i += 1
    return out


def _like_to_glob(pattern: str) -> str:
    """Case-sensitive LIKE as GLOB: SQLite's LIKE folds ASCII case, GLOB does not."""
    return "".join(
        ("*" if c == "%" else "?") if wild else (f"[{c}]" if c in "*?[" else c) for wild, c in _like_parts(pattern)
    )


def _like_canonical(pattern: str) -> str:
    return "".join(c if wild else ("\\" + c if c in "%_\\" else c) for wild, c in _like_parts(pattern))


def _text_cond(col: Sql, op: str, vals: list, neg: bool) -> Sql:
    """A test of one text expression; ``col`` params are repeated each time ``col`` appears (once here)."""
    not_ = "NOT " if neg else ""
    if op in _CMP:
        return f"{col[0]} {op} ?", col[1] + vals[:1]
    if op == "LIKE":
        return f"{col[0]} {not_}GLOB ?", col[1] + [_like_to_glob(vals[0])]
    if op == "ILIKE":
        return f"lower({col[0]}) {not_}LIKE lower(?) ESCAPE '\\'", col[1] + [_like_canonical(vals[0])]
    return f"{col[0]} {not_}IN ({', '.join('?' * len(vals))})", col[1] + list(vals)


class _Parser:
    """Recursive descent over the token list: or_expr > and_expr > not_expr > primary > comparison."""

    def __init__(
        self,
        src: str,
        what: str,
        now_ms: int | None = None,
        heartbeat_timeout_ms: int = 120_000,
        metric_key_exists: Callable[[str], bool] | None = None,
        directions: Mapping[str, str] | None = None,
    ) -> None:
        self.src, self.what = src, what
        self.metric_key_exists, self.directions = metric_key_exists, directions
        self.toks = _tokenize(src, what)
        self.i, self.depth = 0, 0
        self.prev: _Tok | None = None
        self.now = int(now_ms) if now_ms is not None else int(time.time() * 1000)
        self.stale_before = self.now - int(heartbeat_timeout_ms)
        self.bounds: list[Bound] = []  # top-level numeric AND terms (see Bound)
        self._leaf_bound: Bound | None = None  # the bound of the comparison just parsed, if it is one
        self.field: str | None = None  # the summary field of the comparison being parsed

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.prev = self.toks[self.i]
        self.i += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "ident" and tok.text.upper() in words

    def error(self, message: str, pos: int, expected: str | None = None) -> FilterError:
        return FilterError(message, position=pos, expected=expected, source=self.src, what=self.what)

    def expected(self, what: str, hint: str = "", after: bool = True) -> FilterError:
        after_s = f" after {_show(self.prev.text)}" if after and self.prev is not None else ""
        tok = self.peek()
        return self.error(f"expected {what}{after_s}, got {_got(tok)}{hint}", tok.pos, what)

    # -- keys -------------------------------------------------------------
    def key(self) -> tuple[str, str, _Tok, str | None]:
        """(entity, key, token, summary field or None); see :mod:`tuitrack.query.summaries` for the field rule."""
        tok = self.peek()
        field: str | None = None
        if tok.kind == "key":
            prefix, key, field = tok.value
        elif tok.kind == "name":
            prefix, key = "", tok.value
        elif tok.kind == "ident" and tok.text.upper() not in _KEYWORDS:
            prefix, dot, key = tok.text.partition(".")
            if not dot:
                prefix, key = "", tok.text
            elif not key:
                self.next()
                raise self.expected("a key")
        else:
            raise self.expected("a key (metrics.KEY, params.KEY, tags.KEY or an attribute such as run_name)")
        entity = _ENTITIES.get(prefix.lower()) if prefix else "attributes"
        if entity is None:
            raise self.error(
                f"unknown entity {_show(prefix)} (expected metrics, params, tags or attributes)",
                tok.pos,
                "metrics, params, tags or attributes",
            )
        if entity == "tags" and key in _MLFLOW_TAGS and self.what != "filter":
            entity, key = "attributes", _MLFLOW_TAGS[key]  # sorting/columns: the attribute tuitrack keeps
        if entity == "attributes":
            name = key.strip().lower().replace(" ", "_")
            if _ALIASES.get(name, name) not in _ATTRS:
                raise self.error(
                    f"unknown attribute {_show(key)} (expected one of {', '.join(_ATTRS)})", tok.pos, "an attribute"
                )
            key = _ALIASES.get(name, name)
        elif entity == "datasets":
            if key.lower() not in _DATASET_FIELDS:
                raise self.error(
                    f"unknown dataset field {_show(key)} (expected name, digest or context)",
                    tok.pos,
                    "datasets.name, datasets.digest or datasets.context",
                )
            key = _DATASET_FIELDS[key.lower()]
        elif field is None and tok.kind == "ident" and entity == "metrics":
            split = summaries.split_suffix(key)
            # An existing key always wins over a summary reading: metrics.reward.max stays the key
            # "reward.max" in a store that has one (quote it, metrics.`reward`.max, for the summary).
            if split is not None and not (self.metric_key_exists and self.metric_key_exists(key)):
                key, field = split
        if field is not None:
            if entity != "metrics":
                raise self.error(f"summary fields such as .{field} exist for metrics only", tok.pos, "a key")
            try:
                summaries.check_field(field)
            except summaries.SummaryError as exc:
                raise self.error(str(exc), tok.pos, "a summary field") from None
        self.next()
        return entity, key, tok, field

    # -- boolean structure ------------------------------------------------
    def parse(self) -> Sql:
        sql = self.or_expr(top=True)
        if self.peek().kind == ")":
            raise self.error("unmatched ')'", self.peek().pos, "AND, OR or end of input")
        if self.peek().kind != "eof":
            raise self.expected("AND, OR or end of input", after=False)
        return sql

    def or_expr(self, top: bool = False) -> Sql:
        bounds: list[Bound] = []
        parts = [self.and_expr(bounds)]
        while self.is_kw("OR"):
            self.next()
            parts.append(self.and_expr([]))
        if top and len(parts) == 1:  # only an AND chain of the whole filter bounds every match
            self.bounds = bounds
        return _join("OR", parts)

    def and_expr(self, bounds: list[Bound]) -> Sql:
        """``bounds`` collects the numeric comparisons among this chain's direct terms."""
        parts = []
        while True:
            self._leaf_bound = None
            parts.append(self.not_expr())
            if self._leaf_bound is not None:
                bounds.append(self._leaf_bound)
            if not self.is_kw("AND"):
                break
            self.next()
        return _join("AND", parts)

    def not_expr(self) -> Sql:
        negations = 0
        while self.is_kw("NOT"):  # iterative: "NOT NOT ... x" must not recurse
            self.next()
            negations += 1
        sql, params = self.primary()
        if negations:
            self._leaf_bound = None
        return (f"NOT ({sql})", params) if negations % 2 else (sql, params)

    def primary(self) -> Sql:
        tok = self.peek()
        if tok.kind != "(":
            if tok.kind in ("eof", ")", ",", "op", "str", "num") or self.is_kw(*_KEYWORDS):
                raise self.expected("a comparison")
            return self.comparison()
        self.next()
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(f"too deeply nested (more than {_MAX_DEPTH} parentheses)", tok.pos)
        sql = self.or_expr()
        if self.peek().kind != ")":
            raise self.error(
                f"expected ')' to close '(' at position {tok.pos}, got {_got(self.peek())}", self.peek().pos, "')'"
            )
        self.next()
        self.depth -= 1
        self._leaf_bound = None  # a parenthesized term is not one comparison
        return sql

    # -- comparisons ------------------------------------------------------
    def value(self) -> _Tok:
        if self.peek().kind in ("str", "num"):
            return self.next()
        hint = ""
        if self.is_kw("NAN"):
            hint = " (NaN is not a literal: NaN never matches a comparison)"
        elif self.is_kw("NULL"):
            hint = " (use IS NULL or IS NOT NULL)"
        raise self.expected("a value", hint)

    def comparison(self) -> Sql:
        entity, key, key_tok, field = self.key()
        self.field = field
        op_tok, neg = self.peek(), False
        if op_tok.kind == "op":
            self.next()
            return self.leaf(entity, key, str(op_tok.value), [self.value()], False)
        if self.is_kw("IS"):
            self.next()
            if self.is_kw("NOT"):
                self.next()
                neg = True
            if not self.is_kw("NULL"):
                raise self.expected("NULL")
            self.next()
            return self.leaf(entity, key, "NULL", [], neg)
        if self.is_kw("NOT"):
            self.next()
            neg = True
            if not self.is_kw("LIKE", "ILIKE", "IN"):
                raise self.expected("LIKE, ILIKE or IN")
        if self.is_kw("LIKE", "ILIKE"):
            if entity == "metrics" or (entity == "attributes" and _ATTRS[key][0] in ("time", "number")):
                raise self.error(
                    f"{self.peek().text.upper()} is not supported for {key_tok.text} (it compares numerically)",
                    self.peek().pos,
                    "=, !=, <, <=, >, >=, IN or IS",
                )
            op = self.next().text.upper()
            return self.leaf(entity, key, op, [self.value()], neg)
        if self.is_kw("IN"):
            self.next()
            if self.peek().kind != "(":
                raise self.expected("'('")
            self.next()
            vals = [self.value()]
            while self.peek().kind == ",":
                self.next()
                vals.append(self.value())
            if self.peek().kind != ")":
                raise self.expected("',' or ')'")
            self.next()
            return self.leaf(entity, key, "IN", vals, neg)
        raise self.expected("an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN or IS)")

    def need(self, tok: _Tok, kind: str, what: str) -> None:
        if tok.kind != kind:
            raise self.error(f"expected {what}, got {_got(tok)}", tok.pos, what)

    def leaf(self, entity: str, key: str, op: str, vals: list[_Tok], neg: bool) -> Sql:
        """One comparison; per-run tables go through a correlated EXISTS so a missing key never matches."""
        label = f"{entity}.{key}" if entity != "attributes" else key
        column = "value"
        if entity == "metrics" and self.field is not None:
            column = summaries.column(self.field, key, self.directions)
            label += f".{self.field}"
        if entity == "datasets":  # any dataset the run read matches
            if op == "NULL":
                exists = f"EXISTS (SELECT 1 FROM inputs i WHERE i.rid = r.rid AND i.{key} IS NOT NULL)"
                return (exists if neg else f"NOT {exists}"), []
            for v in vals:
                self.need(v, "str", f"a quoted string for {label}")
            cond = _text_cond((f"i.{key}", []), op, [v.value for v in vals], False)
            sql = f"EXISTS (SELECT 1 FROM inputs i WHERE i.rid = r.rid AND i.{key} IS NOT NULL AND {cond[0]})"
            return (f"NOT {sql}" if neg else sql), cond[1]
        if entity == "tags" and key in _MLFLOW_TAGS and not getattr(self, "_in_mlflow_tag", False):
            # A run logged here keeps this as an attribute, one imported from MLflow also as the tag: either
            # counts.  "Has no such tag" (IS NULL) needs both absent; everything else is met by either.
            self._in_mlflow_tag = True
            try:
                as_tag = self.leaf("tags", key, op, vals, neg)
            finally:
                self._in_mlflow_tag = False
            as_attr = self.attribute(_MLFLOW_TAGS[key], op, vals, neg)
            self._leaf_bound = None
            return _join("AND" if op == "NULL" and not neg else "OR", [as_tag, as_attr])
        if entity in ("metrics", "params", "tags"):
            table, a = {"metrics": ("latest_metrics", "m"), "params": ("params", "p"), "tags": ("tags", "t")}[entity]
            exists = f"EXISTS (SELECT 1 FROM {table} {a} WHERE {a}.rid = r.rid AND {a}.key = ?"
            if op == "NULL":
                if column != "value":  # a summary is NULL when the run lacks the key or never had a finite value
                    exists += f" AND {a}.{column} IS NOT NULL"
                return (f"{exists})" if neg else f"NOT {exists})"), [key]
            if entity == "metrics":
                for v in vals:
                    self.need(v, "num", f"a number for {label}")
                cond = _text_cond((f"{a}.{column}", []), op, [v.value for v in vals], neg)
            elif op in ("LIKE", "ILIKE") or entity == "tags":
                for v in vals:
                    self.need(v, "str", f"a quoted {'pattern' if op in ('LIKE', 'ILIKE') else 'string'} for {label}")
                cond = _text_cond((f"{a}.value", []), op, [v.value for v in vals], neg)
            elif op == "IN":  # params: numbers against num, strings against the text
                nums, strs = [v.value for v in vals if v.kind == "num"], [v.value for v in vals if v.kind == "str"]
                terms = [
                    _text_cond((f"{a}.{col}", []), "IN", group, False)
                    for col, group in (("num", nums), ("value", strs))
                    if group
                ]
                cond = _join("OR", terms)
                if neg:
                    cond = (f"NOT ({cond[0]})", cond[1])
            else:
                col = "num" if vals[0].kind == "num" else "value"
                cond = _text_cond((f"{a}.{col}", []), op, [vals[0].value], False)
            if (
                op in ("=", "<", "<=", ">", ">=")
                and entity in ("metrics", "params")
                and vals[0].kind == "num"
                and not neg
            ):
                self._leaf_bound = Bound(entity, key, op, vals[0].value, column)
            return f"{exists} AND {cond[0]})", [key] + cond[1]
        return self.attribute(key, op, vals, neg)

    def attribute(self, name: str, op: str, vals: list[_Tok], neg: bool) -> Sql:
        """A column of ``r`` (or a derived value); NULL-guarded so the result is always 0 or 1."""
        kind, expr, nullable = _ATTRS[name]
        col: Sql = (expr, [])
        if kind == "status":
            col = (
                "CASE WHEN r.status = 'RUNNING' AND COALESCE(r.heartbeat, r.start_time) < ? "
                "THEN 'CRASHED' ELSE upper(r.status) END",
                [self.stale_before],
            )
        elif name == "duration":  # a crashed run's duration stops at its last heartbeat, as displayed
            col = (
                "(COALESCE(r.end_time, CASE WHEN r.status = 'RUNNING' AND COALESCE(r.heartbeat, r.start_time) < ?"
                " THEN COALESCE(r.heartbeat, r.start_time) ELSE ? END) - r.start_time)",
                [self.stale_before, self.now],
            )
        if op == "NULL":
            if kind == "experiment":
                sql = "NOT EXISTS (SELECT 1 FROM experiments e WHERE e.id = r.experiment_id)"
            else:
                sql = f"{expr} IS NULL" if nullable else ("r.name = ''" if name == "run_name" else "0")
            return ("1" if sql == "0" else f"NOT ({sql})", []) if neg else (sql, [])
        values = [self.attr_value(name, kind, op, v) for v in vals]
        if kind == "status" and op in ("LIKE", "ILIKE"):
            op = "LIKE"  # both sides upper-cased: status matching is case-insensitive
        if kind == "experiment":
            cond = _text_cond(("e.name", []), op, values, neg)
            return f"EXISTS (SELECT 1 FROM experiments e WHERE e.id = r.experiment_id AND {cond[0]})", cond[1]
        sql, params = _text_cond(col, op, values, neg)
        return (f"({expr} IS NOT NULL AND {sql})", params) if nullable else (sql, params)

    def attr_value(self, name: str, kind: str, op: str, tok: _Tok) -> object:
        """Check and convert one literal for an attribute; errors point at the literal."""
        if kind in ("text", "experiment", "status"):
            self.need(tok, "str", f"a quoted string for {name}")
            if kind != "status":
                return tok.value
            value = str(tok.value).upper()
            if op not in ("LIKE", "ILIKE") and value not in _STATUSES:
                raise self.error(
                    f"unknown status {_show(str(tok.value))} (expected one of {', '.join(_STATUSES)})",
                    tok.pos,
                    "a status",
                )
            return value
        if tok.kind == "num":
            return tok.value
        text = str(tok.value).strip()
        if _NUM_RE.fullmatch(text):
            return _number(text)
        if kind == "time":
            try:
                dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
                return int(dt.timestamp() * 1000)  # naive -> local time, as the TUI displays times
            except (ValueError, OverflowError, OSError):
                raise self.error(
                    f"expected epoch milliseconds or an ISO date for {name}, got {_got(tok)}", tok.pos, "a time"
                ) from None
        raise self.error(f"expected a number for {name}, got {_got(tok)}", tok.pos, "a number")


def compile_filter(
    filter_string: str | None,
    *,
    now_ms: int | None = None,
    heartbeat_timeout_ms: int = 120_000,
    metric_key_exists: Callable[[str], bool] | None = None,
    directions: Mapping[str, str] | None = None,
) -> Compiled:
    """Compile a filter to a WHERE expression over ``runs r``; ``now_ms`` fixes "now" for CRASHED and duration.

    ``metric_key_exists`` (the store's "is this a metric key?") settles ``metrics.a.min``: the key
    ``a.min`` when one exists, else the summary ``min`` of ``a``; without it (pure validation) the
    summary reading is taken.  ``directions`` (key -> "min"/"max") overrides which way ``best`` points.
    """
    if filter_string is None or not filter_string.strip():
        return Compiled("1", ())
    parser = _Parser(filter_string, "filter", now_ms, heartbeat_timeout_ms, metric_key_exists, directions)
    sql, params = parser.parse()
    if len(params) > _MAX_PARAMS:
        raise FilterError(f"filter too large ({len(params)} values; at most {_MAX_PARAMS})", source=filter_string)
    return Compiled(sql, tuple(params), tuple(parser.bounds))


def parse_key(text: str) -> tuple[str, str]:
    """``"metrics.`f1 score`"`` -> ``("metrics", "f1 score")``; attributes come back canonical (name -> run_name).

    A summary field is refused here (see :func:`parse_field`).
    """
    entity, key, field = parse_field(text)
    if field is not None:
        raise FilterError(f"expected a key, got the summary field .{field}", source=text, what="key")
    return entity, key


def parse_field(text: str, metric_key_exists: Callable[[str], bool] | None = None) -> tuple[str, str, str | None]:
    """``"metrics.val_loss.min"`` -> ``("metrics", "val_loss", "min")``; plain keys get field None."""
    p = _Parser(text, "key", metric_key_exists=metric_key_exists)
    entity, key, _, field = p.key()
    if p.peek().kind != "eof":
        raise p.expected("end of input")
    return entity, key, field


def compile_order_by(
    order_by: list[str] | str | None,
    *,
    now_ms: int | None = None,
    heartbeat_timeout_ms: int = 120_000,
    metric_key_exists: Callable[[str], bool] | None = None,
    directions: Mapping[str, str] | None = None,
) -> OrderBy:
    """ORDER BY for items like ``"metrics.auc DESC"``; missing values and NaN sort last in both directions.

    Summary fields sort too (``"metrics.val_loss.min ASC"``); ``metric_key_exists`` and
    ``directions`` as in :func:`compile_filter`.
    """
    items = [order_by] if isinstance(order_by, str) else list(order_by or [])
    joins: list[str] = []
    terms: list[str] = []
    params: list = []
    first: tuple[str, str] | None = None
    first_column = "value"
    for item in items:
        p = _Parser(item, "order_by", now_ms, heartbeat_timeout_ms, metric_key_exists, directions)
        while p.peek().kind != "eof":
            entity, key, key_tok, field = p.key()
            if entity == "datasets":
                raise p.error(
                    "runs cannot be sorted by a dataset field",
                    key_tok.pos,
                    "metrics.KEY, params.KEY, tags.KEY or an attribute",
                )
            direction = "ASC"
            if p.is_kw("ASC", "DESC"):
                direction = p.next().text.upper()
            if p.peek().kind == ",":
                p.next()
                if p.peek().kind == "eof":
                    raise p.expected("a key")
            elif p.peek().kind != "eof":
                raise p.expected("ASC, DESC, ',' or end of input")
            o = f"o{len(joins)}"
            if entity == "attributes":
                kind, expr, nullable = _ATTRS[key]
                if kind == "experiment":
                    joins.append(f"LEFT JOIN experiments {o} ON {o}.id = r.experiment_id")
                    expr, nullable = f"{o}.name", True
                elif kind == "status":  # ints we computed, not user text: safe to inline
                    expr = (
                        f"CASE WHEN r.status = 'RUNNING' AND COALESCE(r.heartbeat, r.start_time) < "
                        f"{p.stale_before:d} THEN 'CRASHED' ELSE upper(r.status) END"
                    )
                elif key == "duration":  # ints we computed; crashed runs stop at their last heartbeat
                    expr = (
                        f"(COALESCE(r.end_time, CASE WHEN r.status = 'RUNNING' AND COALESCE(r.heartbeat, "
                        f"r.start_time) < {p.stale_before:d} THEN COALESCE(r.heartbeat, r.start_time) "
                        f"ELSE {p.now:d} END) - r.start_time)"
                    )
                terms += ([f"{expr} IS NULL"] if nullable else []) + [f"{expr} {direction}"]
                continue
            table = {"metrics": "latest_metrics", "params": "params", "tags": "tags"}[entity]
            # A fixed column name chosen by summaries.column, never user text.
            column = summaries.column(field, key, directions) if field is not None else "value"
            if not terms and entity in ("metrics", "params"):
                first, first_column = (entity, key), column
            joins.append(f"LEFT JOIN {table} {o} ON {o}.rid = r.rid AND {o}.key = ?")
            params.append(key)
            terms.append(f"{o}.{column} IS NULL")
            if entity == "params":  # numeric values first, numerically; then the rest as text
                terms += [f"{o}.num IS NULL", f"{o}.num {direction}"]
            terms.append(f"{o}.{column} {direction}")
    # Ties break by newest start.  When the last term already is start_time, only rid follows, in
    # the same direction, so SQLite walks the start_time index (which holds rid) without sorting.
    if terms and terms[-1] in ("r.start_time ASC", "r.start_time DESC"):
        terms.append("r.rid " + terms[-1].rsplit(" ", 1)[1])
    else:
        terms += ["r.start_time DESC", "r.rid DESC"]
    return OrderBy(" ".join(joins), "ORDER BY " + ", ".join(terms), tuple(params), first, first_column)
