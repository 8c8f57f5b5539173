"""Bad CLI arguments: a catalogue, each with its exact exit code, its message, and the store unchanged.

Exit codes are the CLI's contract (tuitrack/cli.py): 1 for a runtime refusal (unknown
run, ambiguous prefix, bad filter, bad key...) printed as one ``Error: ...`` line on
stderr, 2 for a usage error (click's "Usage: ..." block).  No case may print a
traceback, write data to stdout, or change the store: every table is dumped with a
separate read-only connection before and after, and the artifact files are hashed.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click_compat import CliRunner
from helpers import db_rows, reset_tuitrack

import tuitrack
from tuitrack.cli.main import main
from tuitrack.store import core as store_mod
from tuitrack.tracking import session as tracking

T0 = 1_700_000_000_000
RUN_IDS = ["ab01" + "0" * 28, "ab02" + "0" * 28, "cd03" + "0" * 28, "ef04" + "0" * 28]
LONG = "x" * 300


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Four finished runs: alpha (an artifact notes/a.txt), bravo, and two runs both named "dup".

    Ids ab01..., ab02... share the prefix "ab" (ambiguous); written once, copied per test.
    """
    path = tmp_path_factory.mktemp("cli-bad-input") / "store"
    reset_tuitrack()
    try:
        tuitrack.set_store(path)
        tuitrack.configure(
            capture_env=False, capture_packages=False, identity={"user": "u", "host": "h", "source": "s"}
        )
        ids = iter(RUN_IDS)
        tracking.set_id_factory(lambda: next(ids))
        store_mod.set_clock(lambda: T0)
        for name, auc in (("alpha", 0.7), ("bravo", 0.8), ("dup", 0.6), ("dup", 0.65)):
            with tuitrack.start_run(experiment="exp", name=name, params={"lr": 0.1}, tags={"team": "a"}) as run:
                run.log_metric("auc", auc)
                run.log_metric("loss", 1 - auc)
                if name == "alpha":
                    tuitrack.log_text("hello", "notes/a.txt")
    finally:
        reset_tuitrack()
    yield path


@pytest.fixture
def store(seed_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TUITRACK_STORE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    copy = tmp_path / "store"
    shutil.copytree(seed_store, copy)
    return copy


def snapshot(path: Path) -> tuple[dict, dict[str, str]]:
    """Every row of every table, plus the hash of every artifact file."""
    arts = path / "artifacts"
    files = {
        str(p.relative_to(arts)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(arts.rglob("*"))
        if p.is_file()
    }
    return db_rows(path), files


NOT_MLFLOW = "<not-mlflow>"  # replaced by a folder holding an unrelated file
NO_RUN = "no run with id, id prefix or name 'nosuch' in the store at"
AMBIGUOUS = "run id prefix 'ab' matches several runs (ab0100000000, ab0200000000...); type more of it"

# (id, arguments, exit code, message that must appear on stderr)
CASES: list[tuple[str, list[str], int, str]] = [
    # ls: filters (the position is part of the message), sort, columns, limit, experiment
    (
        "ls-filter-missing-value",
        ["ls", "--filter", "metrics.auc >"],
        1,
        "filter error at position 13: expected a value after '>', got end of input",
    ),
    (
        "ls-filter-double-and",
        ["ls", "--filter", "metrics.auc > 0.5 AND AND"],
        1,
        "filter error at position 22: expected a comparison after 'AND', got 'AND'",
    ),
    (
        "ls-filter-unknown-entity",
        ["ls", "--filter", "foo.bar = 1"],
        1,
        "filter error at position 0: unknown entity 'foo' (expected metrics, params, tags or attributes)",
    ),
    (
        "ls-filter-unterminated-string",
        ["ls", "--filter", "params.lr = 'oops"],
        1,
        "filter error at position 12: unterminated string",
    ),
    (
        "ls-filter-sql-injection",
        ["ls", "--filter", "params.lr = '1'; DROP TABLE runs; --"],
        1,
        "filter error at position 15",
    ),
    (
        "ls-sort-bad-direction",
        ["ls", "--sort", "metrics.auc SIDEWAYS"],
        1,
        "order_by error at position 12 in 'metrics.auc SIDEWAYS': expected ASC, DESC, ',' or end of input",
    ),
    (
        "ls-sort-unknown-attribute",
        ["ls", "--sort", "nonsense"],
        1,
        "order_by error at position 0 in 'nonsense': unknown attribute 'nonsense'",
    ),
    ("ls-columns-unknown", ["ls", "--columns", "bogus.x"], 1, "unknown column 'bogus.x'"),
    ("ls-columns-empty-key", ["ls", "--columns", "params."], 1, "empty column name in 'params.'"),
    (
        "ls-limit-negative",
        ["ls", "--limit", "-1"],
        2,
        "Invalid value for '--limit' / '-n': -1 is not in the range x>=0",
    ),
    ("ls-limit-not-a-number", ["ls", "--limit", "abc"], 2, "'abc' is not a valid integer range"),
    ("ls-unknown-experiment", ["ls", "-e", "nosuchexp"], 1, "no experiment named 'nosuchexp' (known: 'exp')"),
    ("ls-extra-argument", ["ls", "extra"], 2, "Got unexpected extra argument (extra)"),
    # show / compare / best / history / artifacts
    ("show-unknown-run", ["show", "nosuch"], 1, NO_RUN),
    ("show-ambiguous-prefix", ["show", "ab"], 1, AMBIGUOUS),
    ("show-ambiguous-name", ["show", "dup"], 1, "several runs are named 'dup'; use the run id instead"),
    ("show-empty-ref", ["show", ""], 1, "a run id (or unique prefix, or run name) is required"),
    ("compare-one-run", ["compare", "alpha"], 2, "compare needs at least two runs"),
    ("compare-same-run-twice", ["compare", "alpha", "ab01"], 1, "run ab010000 is given more than once"),
    ("compare-unknown-run", ["compare", "alpha", "nosuch"], 1, NO_RUN),
    (
        "best-unknown-metric",
        ["best", "nosuchmetric"],
        1,
        "none of the 4 matching runs has a value for metric 'nosuchmetric' (metrics in these experiments: auc, loss)",
    ),
    ("best-backtick-metric", ["best", "a`b"], 1, "metric key 'a`b' contains a backtick"),
    (
        "best-bad-filter",
        ["best", "auc", "--filter", "("],
        1,
        "filter error at position 1: expected a comparison after '(', got end of input",
    ),
    (
        "history-unknown-key",
        ["history", "alpha", "nosuchkey"],
        1,
        "run ab010000 ('alpha') has no metric 'nosuchkey' (it has: auc, loss)",
    ),
    ("history-unknown-run", ["history", "nosuch", "loss"], 1, NO_RUN),
    ("history-missing-key", ["history", "alpha"], 2, "Missing argument 'KEY'"),
    ("artifacts-unknown-run", ["artifacts", "nosuch"], 1, NO_RUN),
    # cat: nothing outside the run's artifact folder can be read
    (
        "cat-path-traversal",
        ["cat", "alpha", "../../etc/passwd"],
        1,
        "artifact path '../../etc/passwd' contains '..' and would escape the run's artifact folder",
    ),
    (
        "cat-traversal-inside-folder",
        ["cat", "alpha", "notes/../../../x"],
        1,
        "artifact path 'notes/../../../x' contains '..' and would escape",
    ),
    (
        "cat-absolute-path",
        ["cat", "alpha", "/etc/passwd"],
        1,
        "artifact path '/etc/passwd' is absolute; artifact paths are relative to the run",
    ),
    ("cat-backslash", ["cat", "alpha", "notes\\a.txt"], 1, "contains a backslash; use '/' to separate folders"),
    ("cat-control-character", ["cat", "alpha", "a\x00b"], 1, "contains control characters"),
    ("cat-folder", ["cat", "alpha", "notes"], 1, "artifact 'notes' is a folder; `tuitrack artifacts alpha` lists"),
    ("cat-missing-file", ["cat", "alpha", "missing.txt"], 1, "run ab010000 has no artifact 'missing.txt'"),
    # export / gc / import
    (
        "export-bad-format",
        ["export", "--format", "xml"],
        2,
        "Invalid value for '--format': 'xml' is not one of 'csv', 'json', 'md'",
    ),
    ("export-no-format", ["export"], 2, "Missing option '--format'"),
    (
        "export-bad-filter",
        ["export", "--format", "csv", "--filter", "params.lr >"],
        1,
        "filter error at position 11: expected a value after '>'",
    ),
    (
        "export-output-in-missing-folder",
        ["export", "--format", "csv", "-o", "/nonexistent/dir/out.csv"],
        1,
        "/nonexistent/dir/out.csv: No such file or directory",
    ),
    ("gc-negative-age", ["gc", "--older-than", "-1"], 2, "Invalid value for '--older-than': -1.0 is not in the range"),
    ("gc-age-not-a-number", ["gc", "--older-than", "abc"], 2, "'abc' is not a valid float range"),
    (
        "import-not-mlflow-folder",
        ["import", "mlflow", NOT_MLFLOW],
        1,
        "holds no MLflow experiments (no <id>/meta.yaml folders)",
    ),
    (
        "import-missing-source",
        ["import", "mlflow", "/nonexistent/mlruns"],
        1,
        "no MLflow store at /nonexistent/mlruns (expected an mlruns/ folder or an mlflow.db file)",
    ),
    # tag / rename / note / rm / restore
    (
        "tag-bad-key-chars",
        ["tag", "alpha", "bad key!=x"],
        1,
        "tag key 'bad key!' contains characters other than letters, digits, '_', '-', '.', '/' and space",
    ),
    ("tag-escape-in-key", ["tag", "alpha", "a\x1bb=v"], 1, "tag key 'a\\x1bb' contains characters other than"),
    ("tag-empty-key", ["tag", "alpha", "=x"], 1, "tag key must not be empty"),
    ("tag-key-too-long", ["tag", "alpha", "k" * 251 + "=v"], 1, "is 251 characters long; the limit is 250"),
    (
        "tag-value-too-long",
        ["tag", "alpha", "k=" + "v" * 8001],
        1,
        "tag 'k': value is 8001 characters long; the limit is 8000",
    ),
    ("tag-nothing-to-do", ["tag", "alpha"], 1, "nothing to change: give key=value to set and/or a key to remove"),
    (
        "tag-remove-absent-key",
        ["tag", "alpha", "--rm", "nokey"],
        1,
        "run alpha has no tag 'nokey'; nothing was changed",
    ),
    ("tag-set-and-remove", ["tag", "alpha", "a=1", "--rm", "a"], 1, "tag 'a' is both set and removed; pick one"),
    (
        "tag-filter-matches-nothing",
        ["tag", "--filter", "metrics.auc > 99", "a=b"],
        1,
        "no run matches the filter 'metrics.auc > 99'; nothing was changed",
    ),
    ("tag-bad-filter", ["tag", "--filter", "metrics.auc >", "a=b"], 1, "filter error at position 13"),
    ("tag-no-run", ["tag", "a=b"], 2, "give at least one RUN (id, unique id prefix or unique name) or --filter"),
    ("tag-unknown-run", ["tag", "nosuch", "a=b"], 1, NO_RUN),
    ("tag-ambiguous-prefix", ["tag", "ab", "a=b"], 1, AMBIGUOUS),
    ("rename-empty", ["rename", "alpha", ""], 1, "run name must not be empty"),
    ("rename-blank", ["rename", "alpha", "   "], 1, "run name must not be empty"),
    ("rename-two-lines", ["rename", "alpha", "two\nlines"], 1, "run name must be a single line"),
    ("rename-too-long", ["rename", "alpha", "n" * 501], 1, "run name is 501 characters long; the limit is 500"),
    ("rename-unknown-run", ["rename", "nosuch", "x"], 1, NO_RUN),
    ("note-too-long", ["note", "alpha", "x" * 100_001], 1, "note is 100001 characters long; the limit is 100000"),
    ("note-unknown-run", ["note", "nosuch", "hi"], 1, NO_RUN),
    ("note-missing-text", ["note", "alpha"], 2, "Missing argument 'TEXT'"),
    ("rm-unknown-run", ["rm", "nosuch"], 1, NO_RUN),
    ("rm-nothing", ["rm"], 2, "give at least one RUN"),
    ("rm-bad-filter", ["rm", "alpha", "--filter", "params.lr >"], 1, "filter error at position 11"),
    ("restore-ambiguous-prefix", ["restore", "ab"], 1, AMBIGUOUS),
    ("restore-not-deleted", ["restore", "alpha"], 1, "alpha is not deleted; nothing to restore"),
    ("unknown-command", ["frobnicate"], 2, "No such command 'frobnicate'"),
]


@pytest.mark.parametrize(("args", "code", "message"), [pytest.param(a, c, m, id=i) for i, a, c, m in CASES])
def test_bad_cli_argument(store: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    if NOT_MLFLOW in args:
        folder = tmp_path / "not-mlflow"
        folder.mkdir()
        (folder / "readme.txt").write_text("my holiday photos")
        args = [str(folder) if a == NOT_MLFLOW else a for a in args]
    if args[0] != "frobnicate":
        args = [*args, "--store", str(store)]
    before = snapshot(store)
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"tuitrack {args[0]} raised instead of reporting") from result.exception
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == "", "a refused command wrote data to stdout"
    if code == 1:
        (line,) = result.stderr.rstrip("\n").split("\n")  # one line, naming the problem
        assert line.startswith("Error: ") and message in line, line
    else:
        assert result.stderr.startswith("Usage: "), result.stderr
        assert message in result.stderr, result.stderr
    assert snapshot(store) == before, "a refused command changed the store"


def test_catalogue_size() -> None:
    """The issue asks for a catalogue; keep it from shrinking unnoticed."""
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


def test_refused_import_creates_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused import leaves no empty store behind (RELIABILITY RL3, fixed in a8d6e8f)."""
    monkeypatch.delenv("TUITRACK_STORE", raising=False)
    source = tmp_path / "holiday-photos"
    source.mkdir()
    (source / "readme.txt").write_text("not mlflow")
    target = tmp_path / "new-store"
    result = CliRunner().invoke(main, ["import", "mlflow", str(source), "--store", str(target)])
    assert result.exit_code == 1
    assert "holds no MLflow experiments" in result.stderr
    assert not target.exists(), sorted(p.name for p in target.iterdir())
