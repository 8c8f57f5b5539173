"""The filter language and order_by, checked by running the compiled SQL on a tiny real store.

Asserting on result sets (not SQL text) keeps the tests honest about semantics:
missing keys, NaN, numeric-vs-text params, CRASHED, LIKE case sensitivity.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

pytest.importorskip(
    "hypothesis", reason="property tests need hypothesis (the test extra); CI's logging-only venv has pytest alone"
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrack.query.filter import Compiled, FilterError, OrderBy, compile_filter, compile_order_by, parse_key
from tuitrack.store.schema import MIGRATIONS

NOW = 1_800_000_000_000  # minute-aligned epoch ms
H = 3_600_000
ALL = {"alpha", "beta", "gamma", "delta", "Epsilon", "zeta_1", "zetaX1"}

# rid, run_id, experiment, name, status, start, end, heartbeat, parent, user, host, note
RUNS = [
    (
        1,
        "aaaa1111",
        1,
        "alpha",
        "FINISHED",
        NOW - 10 * H,
        NOW - 9 * H,
        NOW - 9 * H,
        None,
        "alice",
        "h1",
        "baseline run",
    ),
    (2, "bbbb2222", 1, "beta", "FAILED", NOW - 8 * H, NOW - 15 * H // 2, None, None, "bob", "h2", None),
    (3, "cccc3333", 2, "gamma", "RUNNING", NOW - H, None, NOW - 10_000, "aaaa1111", "alice", None, None),
    (4, "dddd4444", 2, "delta", "RUNNING", NOW - 5 * H, None, None, None, None, None, None),  # stale: CRASHED
    (5, "eeee5555", 1, "Epsilon", "KILLED", NOW - 3 * H, NOW - 2 * H, None, None, "carol", None, None),
    (6, "ffff6666", 1, "zeta_1", "FINISHED", NOW - 3 * H, NOW - 5 * H // 2, None, None, None, None, None),
    (7, "gggg7777", 1, "zetaX1", "FINISHED", NOW - 20 * H, NOW - 19 * H, None, None, None, None, None),
]
PARAMS = [
    (1, "lr", "0.01", 0.01),
    (1, "max_depth", "10", 10.0),
    (1, "optimizer", "Adam", None),
    (1, "data.version", "v2", None),
    (1, "batch size", "32", 32.0),
    (2, "lr", "0.1", 0.1),
    (2, "max_depth", "5", 5.0),
    (2, "optimizer", "adam", None),
    (3, "lr", "1e-3", 0.001),
    (3, "max_depth", "abc", None),
    (5, "quote", "it's", None),
    (5, "said", 'say "hi"', None),
    (5, "path", "C:\\data", None),
    (5, "pct", "50%", None),
    (6, "max_depth", "9", 9.0),
    (7, "max_depth", "100", 100.0),
]
TAGS = [
    (1, "team", "Vision"),
    (1, "stage", "prod"),
    (2, "team", "vision"),
    (3, "odd key", "x*y?[z]"),
    (4, "team", "nlp"),
    (5, "mlflow.source.name", "train.py"),
    (6, "team", "Vis%ion"),
]
METRICS = [  # rid, key, latest value (None = NaN)
    (1, "acc", 0.9),
    (1, "loss", 0.3),
    (1, "f1 score", 0.8),
    (2, "acc", 0.5),
    (2, "loss", None),
    (3, "acc", 0.7),
    (5, "acc", float("inf")),
    (5, "loss", -1.5e-3),
    (6, "acc", 0.9),
]


def make_db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(MIGRATIONS[0])
    db.executemany("INSERT INTO experiments(id, name, created_at) VALUES (?, ?, 0)", [(1, "default"), (2, "vision")])
    db.executemany(
        "INSERT INTO runs(rid, run_id, experiment_id, name, status, start_time, end_time, heartbeat,"
        " parent_id, user, host, note, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
        RUNS,
    )
    db.executemany("INSERT INTO params VALUES (?,?,?,?)", PARAMS)
    db.executemany("INSERT INTO tags VALUES (?,?,?)", TAGS)
    db.executemany("INSERT INTO latest_metrics VALUES (?,?,?,0,0,?,?,1)", [(r, k, v, v, v) for r, k, v in METRICS])
    return db


DB = make_db()  # read-only for every test; module-level so hypothesis can share it


def names(f: str | None, **kw: int) -> set[str]:
    c = compile_filter(f, now_ms=NOW, **kw)
    return {row[0] for row in DB.execute(f"SELECT r.name FROM runs r WHERE {c.sql}", c.params)}


def ordered(order_by: object, where: str | None = None) -> list[str]:
    o = compile_order_by(order_by, now_ms=NOW)
    c = compile_filter(where, now_ms=NOW)
    sql = f"SELECT r.name FROM runs r {o.joins} WHERE {c.sql} {o.order_sql}"
    return [row[0] for row in DB.execute(sql, o.params + c.params)]


def local_iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


CASES = [
    # metrics: latest value, numeric only; NaN never matches; missing never matches
    ("metrics.acc > 0.6", {"alpha", "gamma", "Epsilon", "zeta_1"}),
    ("metrics.acc > 5e-1", {"alpha", "gamma", "Epsilon", "zeta_1"}),
    ("metrics.acc = 0.9", {"alpha", "zeta_1"}),
    ("metrics.acc != 0.9", {"beta", "gamma", "Epsilon"}),
    ("metrics.acc <> 0.9", {"beta", "gamma", "Epsilon"}),
    ("metrics.acc < 0.7", {"beta"}),
    ("metrics.acc <= 0.7", {"beta", "gamma"}),
    ("metrics.acc >= 0.9", {"alpha", "Epsilon", "zeta_1"}),
    ("metric.acc = inf", {"Epsilon"}),
    ("metrics.acc < INF", {"alpha", "beta", "gamma", "zeta_1"}),
    ("metrics.loss > -inf", {"alpha", "Epsilon"}),
    ("metrics.loss > -1", {"alpha", "Epsilon"}),
    ("metrics.loss != 0.3", {"Epsilon"}),
    ("metrics.loss IS NOT NULL", {"alpha", "beta", "Epsilon"}),
    ("metrics.loss is null", {"gamma", "delta", "zeta_1", "zetaX1"}),
    ("metrics.`f1 score` > 0.5", {"alpha"}),
    ('metrics."f1 score" > 0.5', {"alpha"}),
    ("metrics.acc IN (0.5, 0.7)", {"beta", "gamma"}),
    ("metrics.acc NOT IN (0.5, 0.7)", {"alpha", "Epsilon", "zeta_1"}),
    ("metrics.loss NOT IN (0.3)", {"Epsilon"}),
    ("metrics.missing > 0", set()),
    ("NOT metrics.missing > 0", ALL),
    # params: numeric literal -> params.num, string literal -> text
    ("params.max_depth > 9", {"alpha", "zetaX1"}),
    ("params.max_depth >= 9", {"alpha", "zeta_1", "zetaX1"}),
    ("params.max_depth = 10", {"alpha"}),
    ("params.max_depth = 10.0", {"alpha"}),
    ("params.max_depth = '10'", {"alpha"}),
    ("params.max_depth = '10.0'", set()),
    ("params.max_depth > '9'", {"gamma"}),
    ("params.max_depth != 5", {"alpha", "zeta_1", "zetaX1"}),
    ("params.max_depth != '5'", {"alpha", "gamma", "zeta_1", "zetaX1"}),
    ("params.lr < 0.05", {"alpha", "gamma"}),
    ("params.lr = 1e-3", {"gamma"}),
    ("params.lr = '1e-3'", {"gamma"}),
    ("params.lr = '0.001'", set()),
    ("params.lr > 0.005 AND params.lr < 0.5", {"alpha", "beta"}),
    ("params.optimizer = 'adam'", {"beta"}),
    ("params.optimizer LIKE 'a%'", {"beta"}),
    ("params.optimizer ILIKE 'a%'", {"alpha", "beta"}),
    ("params.optimizer NOT LIKE 'a%'", {"alpha"}),
    ("params.optimizer not ilike 'ADAM'", set()),
    ("params.data.version = 'v2'", {"alpha"}),
    ("params.`data.version` = 'v2'", {"alpha"}),
    ('param.data.version = "v2"', {"alpha"}),
    ("params.`batch size` = 32", {"alpha"}),
    ("params.quote = 'it''s'", {"Epsilon"}),
    ("params.quote = 'it\\'s'", {"Epsilon"}),
    ('params.quote = "it\'s"', {"Epsilon"}),
    ('params.said = "say ""hi"""', {"Epsilon"}),
    ('params.said = "say \\"hi\\""', {"Epsilon"}),
    ("params.said = 'say \"hi\"'", {"Epsilon"}),
    ("params.path = 'C:\\data'", {"Epsilon"}),
    ("params.path = 'C:\\\\data'", {"Epsilon"}),
    ("params.pct LIKE '50\\%'", {"Epsilon"}),
    ("params.pct LIKE '5_\\%'", {"Epsilon"}),
    ("params.pct LIKE '50'", set()),
    ("params.max_depth IN (5, 'abc')", {"beta", "gamma"}),
    ("params.max_depth NOT IN (5, 10)", {"zeta_1", "zetaX1"}),
    ("params.max_depth NOT IN ('abc')", {"alpha", "beta", "zeta_1", "zetaX1"}),
    ("params.max_depth IS NULL", {"delta", "Epsilon"}),
    ("params.max_depth IS NOT NULL", {"alpha", "beta", "gamma", "zeta_1", "zetaX1"}),
    # tags: text only; LIKE case-sensitive, ILIKE not; GLOB metacharacters are literal
    ("tags.team = 'vision'", {"beta"}),
    ("tags.team LIKE 'v%'", {"beta"}),
    ("tags.team ILIKE 'v%'", {"alpha", "beta", "zeta_1"}),
    ("tags.team LIKE 'Vis%'", {"alpha", "zeta_1"}),
    ("tags.team LIKE 'Vis\\%ion'", {"zeta_1"}),
    ("tags.team ILIKE 'VIS\\%%'", {"zeta_1"}),
    ("tags.team LIKE '_ision'", {"alpha", "beta"}),
    ("tags.`odd key` = 'x*y?[z]'", {"gamma"}),
    ("tags.`odd key` LIKE 'x*y?[z]'", {"gamma"}),
    ("tags.`odd key` LIKE 'x_y_[z]'", {"gamma"}),
    ("tags.`odd key` LIKE 'xay%'", set()),
    ("tags.`odd key` ILIKE 'X*Y?[Z]'", {"gamma"}),
    ("tags.team IN ('nlp', 'vision')", {"beta", "delta"}),
    ("tags.team NOT IN ('nlp')", {"alpha", "beta", "zeta_1"}),
    ("tags.team != 'nlp'", {"alpha", "beta", "zeta_1"}),
    ("tags.team IS NULL", {"gamma", "Epsilon", "zetaX1"}),
    ("tags.mlflow.source.name = 'train.py'", {"Epsilon"}),
    ("tag.stage = 'prod'", {"alpha"}),
    # attributes and their aliases
    ("run_name = 'alpha'", {"alpha"}),
    ("attributes.run_name = 'alpha'", {"alpha"}),
    ("attribute.name = 'alpha'", {"alpha"}),
    ("run.run_name = 'alpha'", {"alpha"}),
    ("attributes.`Run name` = 'alpha'", {"alpha"}),
    ("run_name LIKE 'e%'", set()),
    ("run_name ILIKE 'e%'", {"Epsilon"}),
    ("run_name LIKE 'zeta_1'", {"zeta_1", "zetaX1"}),
    ("run_name LIKE 'zeta\\_1'", {"zeta_1"}),
    ("run_name IN ('alpha', \"beta\")", {"alpha", "beta"}),
    ("run_name < 'b'", {"alpha", "Epsilon"}),
    ("run_name IS NULL", set()),
    ("run_name IS NOT NULL", ALL),
    ("run_id = 'bbbb2222'", {"beta"}),
    ("status = 'FINISHED'", {"alpha", "zeta_1", "zetaX1"}),
    ("status = 'finished'", {"alpha", "zeta_1", "zetaX1"}),
    ("status = 'CRASHED'", {"delta"}),
    ("status = 'RUNNING'", {"gamma"}),
    ("status != 'RUNNING'", ALL - {"gamma"}),
    ("status IN ('crashed', 'Failed')", {"beta", "delta"}),
    ("status NOT IN ('RUNNING', 'CRASHED')", {"alpha", "beta", "Epsilon", "zeta_1", "zetaX1"}),
    ("status LIKE 'f%'", {"alpha", "beta", "zeta_1", "zetaX1"}),
    ("attributes.status = 'KILLED'", {"Epsilon"}),
    (f"start_time >= {NOW - 5 * H}", {"gamma", "delta", "Epsilon", "zeta_1"}),
    (f"start_time >= '{local_iso(NOW - 5 * H)}'", {"gamma", "delta", "Epsilon", "zeta_1"}),
    (
        f"attributes.created < '{datetime.fromtimestamp((NOW - 9 * H) / 1000, timezone.utc):%Y-%m-%dT%H:%M:%SZ}'",
        {"alpha", "zetaX1"},
    ),
    (f"start_time IN ({NOW - 3 * H}, {NOW - H})", {"gamma", "Epsilon", "zeta_1"}),
    ("end_time IS NULL", {"gamma", "delta"}),
    ("end_time > 0", ALL - {"gamma", "delta"}),
    ("NOT end_time > 0", {"gamma", "delta"}),
    (f"duration > {H}", set()),  # delta crashed at its start: its duration stops there, as displayed
    (f"duration >= {H}", {"alpha", "gamma", "Epsilon", "zetaX1"}),
    ("duration = 0", {"delta"}),
    ("user = 'alice'", {"alpha", "gamma"}),
    ("user != 'alice'", {"beta", "Epsilon"}),
    ("user IS NULL", {"delta", "zeta_1", "zetaX1"}),
    ("experiment = 'vision'", {"gamma", "delta"}),
    ("attributes.experiment_name LIKE 'v%'", {"gamma", "delta"}),
    ("experiment IS NULL", set()),
    ("experiment_id = 2", {"gamma", "delta"}),
    ("attributes.experiment_id = '2'", {"gamma", "delta"}),
    ("parent_id = 'aaaa1111'", {"gamma"}),
    ("parent_run_id IS NOT NULL", {"gamma"}),
    ("note LIKE '%baseline%'", {"alpha"}),
    ("description ILIKE 'BASELINE%'", {"alpha"}),
    ("host = 'h1'", {"alpha"}),
    ("host != 'h1'", {"beta"}),
    # boolean structure: NOT > AND > OR; keywords case-insensitive
    ("run_name = 'alpha' OR run_name = 'beta' AND status = 'FINISHED'", {"alpha"}),
    ("run_name = 'beta' OR run_name = 'alpha' AND status = 'FAILED'", {"beta"}),
    ("(run_name = 'alpha' OR run_name = 'beta') AND status = 'FAILED'", {"beta"}),
    ("NOT run_name = 'alpha' AND status = 'FINISHED'", {"zeta_1", "zetaX1"}),
    ("NOT (run_name = 'alpha' AND status = 'FINISHED')", ALL - {"alpha"}),
    ("NOT NOT run_name = 'alpha'", {"alpha"}),
    ("not metrics.acc > 0.6", {"beta", "delta", "zetaX1"}),
    ("metrics.acc > 0.6 and not Status = 'running' Or RUN_NAME = 'beta'", {"alpha", "Epsilon", "zeta_1", "beta"}),
    ("((((run_name = 'alpha'))))", {"alpha"}),
    ("(run_name='alpha')OR(run_name='beta')", {"alpha", "beta"}),
    ("metrics.acc>0.6AND params.lr<0.05", {"alpha", "gamma"}),
    ("", ALL),
    ("   ", ALL),
    (None, ALL),
]


@pytest.mark.parametrize(("f", "expected"), CASES)
def test_filter_selects(f: str | None, expected: set[str]) -> None:
    assert names(f) == expected


def test_heartbeat_timeout_decides_crashed() -> None:
    assert names("status = 'CRASHED'", heartbeat_timeout_ms=6 * H) == set()
    assert names("status = 'RUNNING'", heartbeat_timeout_ms=6 * H) == {"gamma", "delta"}
    assert names("status = 'CRASHED'", heartbeat_timeout_ms=1_000) == {"gamma", "delta"}


def test_compiled_shape() -> None:
    assert compile_filter(None) == Compiled("1", ())
    c = compile_filter("params.lr > 0.01 AND tags.team = 'x'")
    assert c.params == ("lr", 0.01, "team", "x")
    assert "?" in c.sql and "lr" not in c.sql and "team" not in c.sql
    assert compile_filter("run_name = 'a'", now_ms=1) == compile_filter("run_name = 'a'", now_ms=1)


def test_long_chains_and_deep_nesting() -> None:
    many = " OR ".join(f"run_name = 'r{i}'" for i in range(3000)) + " OR run_name = 'alpha'"
    assert names(many) == {"alpha"}
    assert names("NOT " * 5001 + "run_name = 'alpha'") == ALL - {"alpha"}
    big_in = "run_id IN (" + ", ".join(f"'{i}'" for i in range(5000)) + ", 'bbbb2222')"
    assert names(big_in) == {"beta"}
    with pytest.raises(FilterError, match="too deeply nested"):
        compile_filter("(" * 1000 + "run_name = 'a'" + ")" * 1000)
    with pytest.raises(FilterError, match="too large"):
        compile_filter("run_id IN (" + ", ".join(["'x'"] * 40_000) + ")")


ERRORS = [
    ("metrics.acc >", 13, "expected a value after '>', got end of input"),
    ("run_name = 'abc", 11, "unterminated string (no closing ')"),
    ('run_name = "abc', 11, 'unterminated string (no closing ")'),
    ("metrics.`f1 = 1", 8, "unterminated quoted key (no closing `)"),
    ("foo.bar = 1", 0, "unknown entity 'foo' (expected metrics, params, tags or attributes)"),
    (
        "attributes.foo = 'x'",
        0,
        "unknown attribute 'foo' (expected one of run_id, run_name, status, start_time,"
        " end_time, user, experiment_id, experiment, parent_id, duration, note, host, source, error, pid)",
    ),
    ("metrics.a LIKE 'x'", 10, "LIKE is not supported for metrics.a (it compares numerically)"),
    ("duration ILIKE '1%'", 9, "ILIKE is not supported for duration (it compares numerically)"),
    ("metrics.a > 'x'", 12, "expected a number for metrics.a, got string 'x'"),
    ("tags.team = 1", 12, "expected a quoted string for tags.team, got '1'"),
    ("run_name = 'a' AND", 18, "expected a comparison after 'AND', got end of input"),
    ("AND run_name = 'a'", 0, "expected a comparison, got 'AND'"),
    ("(run_name = 'a'", 15, "expected ')' to close '(' at position 0, got end of input"),
    ("run_name = 'a')", 14, "unmatched ')'"),
    ("run_name = 'a' garbage", 15, "expected AND, OR or end of input, got 'garbage'"),
    (
        "metrics.acc 0.5",
        12,
        "expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN or IS) after 'metrics.acc', got '0.5'",
    ),
    ("params.x IN 1", 12, "expected '(' after 'IN', got '1'"),
    ("params.x IN (1,)", 15, "expected a value after ',', got ')'"),
    ("params.x IN (1 2)", 15, "expected ',' or ')' after '1', got '2'"),
    ("params.x IS NOT 1", 16, "expected NULL after 'NOT', got '1'"),
    ("params.x NOT = 1", 13, "expected LIKE, ILIKE or IN after 'NOT', got '='"),
    (
        "metrics.x = nan",
        12,
        "expected a value after '=', got 'nan' (NaN is not a literal: NaN never matches a comparison)",
    ),
    ("params.x = NULL", 11, "expected a value after '=', got 'NULL' (use IS NULL or IS NOT NULL)"),
    ("metrics. > 1", 9, "expected a key after 'metrics.', got '>'"),
    (
        "status = 'done'",
        9,
        "unknown status 'done' (expected one of RUNNING, FINISHED, FAILED, KILLED, CRASHED, SCHEDULED)",
    ),
    ("start_time > 'soon'", 13, "expected epoch milliseconds or an ISO date for start_time, got string 'soon'"),
    ("experiment_id = 'one'", 16, "expected a number for experiment_id, got string 'one'"),
    ("run_name = 'a' @", 15, "unexpected character '@'"),
]


@pytest.mark.parametrize(("f", "position", "message"), ERRORS)
def test_filter_errors(f: str, position: int, message: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(f)
    err = info.value
    assert (err.position, err.message) == (position, message)
    assert str(err) == f"filter error at position {position}: {message}"
    assert err.source == f and isinstance(err, ValueError) and "\n" not in str(err)


def test_error_expected_field() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("metrics.acc >")
    assert info.value.expected == "a value"


ORDERS = [
    (None, ["gamma", "zeta_1", "Epsilon", "delta", "beta", "alpha", "zetaX1"]),
    ([], ["gamma", "zeta_1", "Epsilon", "delta", "beta", "alpha", "zetaX1"]),
    ("", ["gamma", "zeta_1", "Epsilon", "delta", "beta", "alpha", "zetaX1"]),
    (["metrics.acc DESC"], ["Epsilon", "zeta_1", "alpha", "gamma", "beta", "delta", "zetaX1"]),
    (["metrics.acc ASC"], ["beta", "gamma", "zeta_1", "alpha", "Epsilon", "delta", "zetaX1"]),
    (["metrics.loss"], ["Epsilon", "alpha", "gamma", "zeta_1", "delta", "beta", "zetaX1"]),
    (["metrics.loss desc"], ["alpha", "Epsilon", "gamma", "zeta_1", "delta", "beta", "zetaX1"]),
    (["metrics.`f1 score` DESC"], ["alpha", "gamma", "zeta_1", "Epsilon", "delta", "beta", "zetaX1"]),
    (["params.max_depth"], ["beta", "zeta_1", "alpha", "zetaX1", "gamma", "Epsilon", "delta"]),
    (["params.max_depth DESC"], ["zetaX1", "alpha", "zeta_1", "beta", "gamma", "Epsilon", "delta"]),
    (["tags.team"], ["zeta_1", "alpha", "delta", "beta", "gamma", "Epsilon", "zetaX1"]),
    (["run_name"], ["Epsilon", "alpha", "beta", "delta", "gamma", "zetaX1", "zeta_1"]),
    (
        ["attributes.start_time ASC"],
        ["zetaX1", "alpha", "beta", "delta", "Epsilon", "zeta_1", "gamma"],
    ),  # ties: rid ASC
    (["end_time DESC"], ["Epsilon", "zeta_1", "beta", "alpha", "zetaX1", "gamma", "delta"]),
    (["end_time"], ["zetaX1", "alpha", "beta", "zeta_1", "Epsilon", "gamma", "delta"]),
    (["status"], ["delta", "beta", "zeta_1", "alpha", "zetaX1", "Epsilon", "gamma"]),
    (["duration DESC"], ["gamma", "Epsilon", "alpha", "zetaX1", "zeta_1", "beta", "delta"]),
    (["experiment DESC", "run_name"], ["delta", "gamma", "Epsilon", "alpha", "beta", "zetaX1", "zeta_1"]),
    ("experiment DESC, run_name", ["delta", "gamma", "Epsilon", "alpha", "beta", "zetaX1", "zeta_1"]),
    (["metrics.acc DESC", "run_name DESC"], ["Epsilon", "zeta_1", "alpha", "gamma", "beta", "zetaX1", "delta"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERS)
def test_order_by(order_by: object, expected: list[str]) -> None:
    assert ordered(order_by) == expected


def test_order_by_params_precede_filter_params() -> None:
    assert ordered(["params.max_depth DESC"], "params.max_depth > 5") == ["zetaX1", "alpha", "zeta_1"]
    o = compile_order_by(["metrics.acc", "tags.team"])
    assert isinstance(o, OrderBy) and o.params == ("acc", "team")
    assert o.order_sql.endswith("r.start_time DESC, r.rid DESC") and "acc" not in o.joins + o.order_sql


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        (
            "metrics.acc DOWN",
            "order_by error at position 12 in 'metrics.acc DOWN': expected ASC, DESC, ',' or end"
            " of input after 'metrics.acc', got 'DOWN'",
        ),
        (
            ["run_name", "bogus"],
            "order_by error at position 0 in 'bogus': unknown attribute 'bogus' (expected one"
            " of run_id, run_name, status, start_time, end_time, user, experiment_id, experiment,"
            " parent_id, duration, note, host, source, error, pid)",
        ),
        (
            "foo.x",
            "order_by error at position 0 in 'foo.x': unknown entity 'foo' (expected metrics, params, tags or"
            " attributes)",
        ),
        ("metrics.acc,", "order_by error at position 12 in 'metrics.acc,': expected a key after ',', got end of input"),
        (
            "metrics.acc DESC ASC",
            "order_by error at position 17 in 'metrics.acc DESC ASC': expected ASC, DESC, ',' or"
            " end of input after 'DESC', got 'ASC'",
        ),
    ],
)
def test_order_by_errors(order_by: object, message: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_order_by(order_by)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.`f1 score`", ("metrics", "f1 score")),
        ('metric."f1 score"', ("metrics", "f1 score")),
        ("params.data.version", ("params", "data.version")),
        ("tags.`a``b`", ("tags", "a`b")),
        ("run_name", ("attributes", "run_name")),
        ("attributes.parent_run_id", ("attributes", "parent_id")),
        ("  Status ", ("attributes", "status")),
    ],
)
def test_parse_key(text: str, expected: tuple[str, str]) -> None:
    assert parse_key(text) == expected


@pytest.mark.parametrize("text", ["", "foo.bar", "metrics.", "metrics.a b", "nope", "'x'", "metrics.`a"])
def test_parse_key_errors(text: str) -> None:
    with pytest.raises(FilterError):
        parse_key(text)


# -- properties ---------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SOUP = [
    "metrics.acc",
    "params.lr",
    "tags.team",
    "run_name",
    "status",
    "`f1`",
    "metrics.`a b`",
    "foo.x",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<>",
    "<",
    ">=",
    "AND",
    "OR",
    "NOT",
    "IN",
    "NOT IN",
    "LIKE",
    "ILIKE",
    "IS",
    "NULL",
    "'x'",
    "'it''s'",
    '"q"',
    "'",
    '"',
    "`",
    "1",
    "-2.5e3",
    "inf",
    "nan",
    "'2026-01-01'",
    "start_time",
    "duration",
    "\\",
    "@",
    "params.",
    ".",
    "1e",
    "+",
]


@FAST
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(st.sampled_from(SOUP), max_size=12).map(" ".join),
        st.lists(st.sampled_from(SOUP), max_size=12).map("".join),
    )
)
def test_any_text_compiles_or_raises_filter_error(text: str) -> None:
    for fn in (lambda: compile_filter(text, now_ms=NOW), lambda: compile_order_by(text), lambda: parse_key(text)):
        try:
            result = fn()
        except FilterError as exc:
            assert "\n" not in str(exc)
            continue
        if isinstance(result, Compiled):  # whatever compiles must also run
            DB.execute(f"SELECT count(*) FROM runs r WHERE {result.sql}", result.params).fetchone()


def sq(s: str) -> str:
    """Quote as a filter string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def bq(s: str) -> str:
    return "`" + s.replace("`", "``") + "`"


MARK = "\u00a7"  # never appears in compiled SQL text
marked = st.text(max_size=12).map(lambda s: MARK + s)


@FAST
@given(
    key=marked,
    value=marked,
    entity=st.sampled_from(["params", "tags"]),
    form=st.sampled_from(
        [
            "{e}.{k} = {v}",
            "{e}.{k} LIKE {v}",
            "{e}.{k} NOT ILIKE {v}",
            "{e}.{k} IN ({v}, {v})",
            "{e}.{k} IS NULL",
            "run_name = {v}",
            "note NOT IN ({v})",
            "experiment ILIKE {v}",
        ]
    ),
)
def test_literals_only_ever_bound(key: str, value: str, entity: str, form: str) -> None:
    f = form.format(e=entity, k=bq(key), v=sq(value))
    c = compile_filter(f, now_ms=NOW)
    assert MARK not in c.sql
    if "{k}" in form:
        assert key in c.params
    if "{v}" in form and "LIKE" not in form:
        assert value in c.params
    DB.execute(f"SELECT count(*) FROM runs r WHERE {c.sql}", c.params).fetchone()
    o = compile_order_by(f"params.{bq(key)} DESC, tags.{bq(key)}")
    assert MARK not in o.joins + o.order_sql and o.params == (key, key)


def _cmp(keys: list[str], values: st.SearchStrategy[str], ops: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda k, op, v: f"{k} {op} {v}", st.sampled_from(keys), st.sampled_from(ops), values)


def _in(keys: list[str], values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda k, neg, vs: f"{k} {neg}IN ({', '.join(vs)})",
        st.sampled_from(keys),
        st.sampled_from(["", "NOT "]),
        st.lists(values, min_size=1, max_size=3),
    )


NUMS = st.one_of(
    st.integers(-20, 200),
    st.sampled_from(["0.5", "0.9", "1e-3", "-inf", "inf", "9", "10.0"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
).map(str)
STRS = st.one_of(
    st.sampled_from(["vision", "Vision", "adam", "abc", "10", "alpha", "x*y?[z]", "Vis%ion"]), st.text(max_size=6)
).map(sq)
PATS = st.text(alphabet="aAvVdmi%_\\*?[", max_size=6).map(sq)
STATUS = st.sampled_from(["running", "CRASHED", "Finished", "FAILED", "killed"]).map(sq)
METRIC_KEYS = ["metrics.acc", "metrics.loss", "metrics.`f1 score`", "metrics.missing"]
PARAM_KEYS = ["params.max_depth", "params.lr", "params.optimizer", "params.`data.version`", "params.nope"]
TAG_KEYS = ["tags.team", "tags.`odd key`", "tags.nope"]
TEXT_ATTRS = ["run_name", "run_id", "user", "note", "host", "parent_id", "experiment"]
NUM_ATTRS = ["start_time", "end_time", "duration", "experiment_id"]
CMP = ["=", "!=", "<>", "<", "<=", ">", ">="]
LIKES = ["LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]
ANY_KEY = METRIC_KEYS + PARAM_KEYS + TAG_KEYS + TEXT_ATTRS + NUM_ATTRS + ["status"]

LEAF = st.one_of(
    _cmp(METRIC_KEYS + NUM_ATTRS, NUMS, CMP),
    _in(METRIC_KEYS + NUM_ATTRS, NUMS),
    _cmp(PARAM_KEYS, st.one_of(NUMS, STRS), CMP),
    _in(PARAM_KEYS, st.one_of(NUMS, STRS)),
    _cmp(PARAM_KEYS + TAG_KEYS + TEXT_ATTRS + ["status"], PATS, LIKES),
    _cmp(TAG_KEYS + TEXT_ATTRS, STRS, CMP),
    _in(TAG_KEYS + TEXT_ATTRS, STRS),
    _cmp(["status"], STATUS, ["=", "!="]),
    _in(["status"], STATUS),
    st.builds(lambda k, n: f"{k} IS {n}NULL", st.sampled_from(ANY_KEY), st.sampled_from(["", "NOT "])),
)
FILTERS = st.recursive(
    LEAF,
    lambda sub: st.one_of(
        st.builds(lambda a, b: f"{a} AND {b}", sub, sub),
        st.builds(lambda a, b: f"{a} OR {b}", sub, sub),
        st.builds(lambda a: f"NOT {a}", sub),
        st.builds(lambda a: f"({a})", sub),
    ),
    max_leaves=6,
)


@FAST
@given(FILTERS)
def test_well_formed_filters_compile_run_and_negate_to_the_complement(f: str) -> None:
    selected = names(f)
    assert names(f"NOT ({f})") == ALL - selected  # every leaf is two-valued, so NOT is exact


@FAST
@given(FILTERS, FILTERS, FILTERS)
def test_boolean_algebra_and_precedence(a: str, b: str, c: str) -> None:
    na, nb, nc = names(f"({a})"), names(f"({b})"), names(f"({c})")
    assert names(f"({a}) AND ({b})") == na & nb
    assert names(f"({a}) OR ({b})") == na | nb
    assert names(f"({a}) OR ({b}) AND ({c})") == na | (nb & nc)
    assert names(f"NOT ({a}) AND ({b})") == (ALL - na) & nb
