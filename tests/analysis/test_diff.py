"""Run diff and artifact diff: the library (tuitrack.analysis.diff) and ``tuitrack diff``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.analysis import diff as df
from tuitrack.cli.main import main


def test_flatten_gives_unambiguous_key_paths() -> None:
    doc = {"model": {"layers": [{"units": 64}, {"units": 32}], "opt": "adam"}, "a.b": 1, "empty": {}, "l": []}
    assert df.flatten(doc) == {
        "model.layers[0].units": "64",
        "model.layers[1].units": "32",
        "model.opt": '"adam"',
        '["a.b"]': "1",
        "empty": "{}",
        "l": "[]",
    }
    assert df.flatten(3) == {"(document)": "3"}


def test_structured_diff_ignores_order_and_formatting() -> None:
    a = json.dumps({"lr": 0.1, "layers": [64, 32], "name": "x"})
    b = json.dumps({"name": "x", "layers": [64, 16, 8], "lr": 0.1}, indent=4)
    result = df.compare_texts("config.json", a, b)
    assert result.mode == "structured"
    assert [(c.path, c.kind, c.a, c.b) for c in result.changes if c.kind != df.SAME] == [
        ("layers[1]", df.CHANGED, "32", "16"),
        ("layers[2]", df.ADDED, None, "8"),
    ]
    assert df.compare_texts("c.json", a, a).identical


def test_yaml_is_structured_and_a_broken_file_falls_back_to_text() -> None:
    pytest.importorskip("yaml")
    result = df.compare_texts("c.yaml", "a: 1\nb: [1, 2]\n", "b: [1, 3]\na: 1\n")
    assert [(c.path, c.kind) for c in result.changes if c.kind != df.SAME] == [("b[1]", df.CHANGED)]
    broken = df.compare_texts("c.json", "{", "{}")
    assert broken.mode == "text" and "not valid JSON" in broken.note


def test_side_by_side_pairs_every_line() -> None:
    rows = df.side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(r.tag, r.a_no, r.a, r.b_no, r.b) for r in rows] == [
        ("equal", 1, "a", 1, "a"),
        ("replace", 2, "b", 2, "B"),
        ("equal", 3, "c", 3, "c"),
        ("insert", None, None, 4, "d"),
    ]
    assert df.unified("a\nb\n", "a\nc\n", "x", "y")[2:] == ["@@ -1,2 +1,2 @@", " a", "-b", "+c"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("diff")
    tuitrack.set_store(path)
    tuitrack.configure(capture_packages=False, capture_env=False)
    ids = []
    try:
        for i, (depth, opt) in enumerate([(4, "adam"), (8, "sgd")]):
            with tuitrack.start_run(
                name=f"r{i}",
                params={"depth": depth, "seed": 1, f"only{i}": "x"},
                tags={"team": "a", "tuitrack.git.commit": f"c0ffee{i}"},
            ) as run:
                run.log_metric("auc", 0.8 + i / 10)
                run.log_dict({"optimizer": opt, "layers": [64, 32], "evil": "\x1b[2J[bold]x[/]"}, "config.json")
                run.log_text("numpy==1.26\ntorch==2.1\n" if i == 0 else "numpy==2.0\ntorch==2.1\n", "requirements.txt")
                run.log_text("same\n", "notes.txt")
                (path / "blob.bin").write_bytes(bytes([0, i, 2]))
                run.log_artifact(str(path / "blob.bin"))
            ids.append(run.id)
    finally:
        tuitrack.configure(capture_packages=True, capture_env=True)
        tuitrack.set_store(None)
    return path, ids


def cli(path: Path, *args: str):
    return CliRunner().invoke(main, ["--store", str(path), "diff", *args], catch_exceptions=False)


def test_cli_run_diff_sections(two_runs) -> None:
    path, (a, b) = two_runs
    out = cli(path, "r0", "r1").output.splitlines()
    assert out[0].startswith("- ") and "r0" in out[0] and out[1].startswith("+ ") and "r1" in out[1]
    assert "params: 3 differ, 1 same" in out
    assert "  ~ depth: 4 -> 8" in out and "  - only0: x" in out and "  + only1: x" in out
    assert "  ~ auc: 0.8 -> 0.9" in out
    assert "  ~ git.commit: c0ffee0 -> c0ffee1" in out  # system tags are the environment section
    assert "tags: same" in out
    assert "  ~ blob.bin: 3 bytes -> 3 bytes" not in out  # same size: listed as same (contents: diff PATH)
    data = json.loads(cli(path, a, b, "--json").output)
    assert data["sections"]["params"][0] == {"path": "depth", "kind": "changed", "a": "4", "b": "8"}


def test_cli_artifact_diffs(two_runs) -> None:
    path, _ = two_runs
    out = cli(path, "r0", "r1", "config.json").output
    assert '~ optimizer: "adam" -> "sgd"' in out and "layers" not in out
    assert "\x1b" not in out  # user text never reaches the terminal as control characters
    out = cli(path, "r0", "r1", "config.json", "--text").output
    assert '-  "optimizer": "adam",' in out.splitlines() and '+  "optimizer": "sgd",' in out.splitlines()
    out = cli(path, "r0", "r1", "requirements.txt").output.splitlines()
    assert "-numpy==1.26" in out and "+numpy==2.0" in out and " torch==2.1" in out
    side = cli(path, "r0", "r1", "requirements.txt", "-y").output.splitlines()
    assert side[1].startswith("~    1 numpy==1.26") and side[1].endswith("1 numpy==2.0")
    assert cli(path, "r0", "r1", "notes.txt").output.splitlines()[-1] == "no differences"
    assert "binary file (3 and 3 bytes): they differ" in cli(path, "r0", "r1", "blob.bin").output
    missing = CliRunner().invoke(main, ["--store", str(path), "diff", "r0", "r1", "nope.txt"])
    assert missing.exit_code == 1 and "either run has no artifact nope.txt" in missing.output


def test_no_color_output_keeps_markers(two_runs, monkeypatch) -> None:
    path, _ = two_runs
    monkeypatch.setenv("NO_COLOR", "1")
    out = cli(path, "r0", "r1", "requirements.txt").output
    assert "\x1b[" not in out and "-numpy==1.26" in out
