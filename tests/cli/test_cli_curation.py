"""The curation CLI commands (tag, rename, note, rm, restore) through click's runner."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli import common as cli_common
from tuitrack.cli import curation as cli_curation


@pytest.fixture
def cli() -> click.Group:
    @click.group()
    @click.option("--store", default=None)
    def group(store: str | None) -> None:
        """Stand-in for the main tuitrack group."""

    for command in cli_curation.COMMANDS:
        group.add_command(command)
    return group


@pytest.fixture
def runs(store_path: Path) -> list[str]:
    ids = []
    for i in range(3):
        with tuitrack.start_run(name=f"run-{i}", tags={"team": "a"}) as r:
            r.log_metric("auc", 0.7 + i * 0.1)
            ids.append(r.id)
    tuitrack.flush()
    return ids


def invoke(cli: click.Group, *args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def test_the_module_has_all_curation_commands(cli: click.Group) -> None:
    from tuitrack.cli.main import COMMANDS

    assert {"tag", "rename", "note", "rm", "restore"} <= set(cli.commands)
    assert {name for name, where in COMMANDS.items() if where.startswith("curation:")} == set(cli.commands)


def test_tag_runs_and_remove(cli: click.Group, runs: list[str], store_path: Path) -> None:
    res = invoke(
        cli, "tag", runs[0][:8], "run-1", "status=keep", "lr=small", "--rm", "team", "--store", str(store_path)
    )
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "tagged 2 runs status=keep, lr=small, removed team"
    assert tuitrack.get_run(runs[0]).data.tags == {"status": "keep", "lr": "small"}
    assert tuitrack.get_run(runs[2]).data.tags == {"team": "a"}


def test_tag_with_filter(cli: click.Group, runs: list[str], store_path: Path) -> None:
    res = invoke(cli, "tag", "--filter", "metrics.auc > 0.75", "good=yes", "--store", str(store_path))
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "tagged 2 runs good=yes"
    assert [("good" in tuitrack.get_run(r).data.tags) for r in runs] == [False, True, True]
    res = invoke(cli, "tag", "--filter", "metrics.auc > 5", "good=yes", "--store", str(store_path))
    assert res.exit_code == 1 and "no run matches the filter" in res.output
    res = invoke(cli, "tag", "--filter", "metrics.auc >>> 5", "good=yes", "--store", str(store_path))
    assert res.exit_code == 1 and "Error:" in res.output


def test_store_from_env_and_group_option(cli: click.Group, runs: list[str], store_path: Path) -> None:
    res = invoke(cli, "tag", "run-0", "a=1", env={"TUITRACK_STORE": str(store_path)})
    assert res.exit_code == 0, res.output
    res = invoke(cli, "--store", str(store_path), "tag", "run-0", "b=2", env={"TUITRACK_STORE": "/nonexistent"})
    assert res.exit_code == 0, res.output
    # The subcommand's own --store wins over the environment.
    res = invoke(cli, "tag", "run-0", "c=3", "--store", str(store_path), env={"TUITRACK_STORE": "/nonexistent"})
    assert res.exit_code == 0, res.output
    assert {"a", "b", "c"} <= set(tuitrack.get_run(runs[0]).data.tags)


def test_errors_are_one_line_and_change_nothing(cli: click.Group, runs: list[str], store_path: Path, rows_of) -> None:
    before = rows_of(store_path)
    cases = [
        (["tag", "run-0", "bad key!=v"], "contains characters other than"),
        (["tag", "run-0"], "nothing to change"),
        (["tag", "status=keep"], "give at least one RUN"),
        (["tag", "nosuchrun", "a=b"], "no run with id, id prefix or name 'nosuchrun'"),
        (["tag", "run-0", "--rm", "ghost"], "run run-0 has no tag 'ghost'"),
        (["rename", "run-0", ""], "must not be empty"),
        (["restore", "run-0"], "not deleted"),
    ]
    for args, msg in cases:
        res = invoke(cli, *args, "--store", str(store_path))
        assert res.exit_code != 0, args
        assert msg in res.output, (args, res.output)
        assert "Traceback" not in res.output
    res = invoke(cli, "tag", "run-0", "a=b", "--store", str(store_path / "missing"))
    assert res.exit_code == 1 and "no tuitrack store" in res.output
    assert rows_of(store_path) == before


def test_rename_note_rm_restore(cli: click.Group, runs: list[str], store_path: Path) -> None:
    s = ["--store", str(store_path)]
    assert invoke(cli, "rename", "run-0", "baseline", *s).output.strip() == "renamed run-0 → baseline"
    assert tuitrack.get_run(runs[0]).info.run_name == "baseline"
    assert invoke(cli, "note", "baseline", "short note", *s).output.strip() == "saved note on baseline (1 line)"
    res = invoke(cli, "note", "baseline", "-", *s, input="from\nstdin\n")
    assert res.output.strip() == "saved note on baseline (2 lines)"
    assert tuitrack.get_run(runs[0]).info.note == "from\nstdin\n"
    assert invoke(cli, "note", "baseline", "", *s).output.strip() == "cleared the note on baseline"
    assert tuitrack.get_run(runs[0]).info.note is None
    assert invoke(cli, "rm", "baseline", "run-1", *s).output.strip() == "deleted 2 runs"
    assert {r.info.run_id for r in tuitrack.search_runs(output_format="list", search_all_experiments=True)} == {runs[2]}
    res = invoke(cli, "rm", "baseline", *s)
    assert res.exit_code == 1 and "already deleted" in res.output
    assert invoke(cli, "restore", "--filter", "attributes.run_name = 'run-1'", *s).output.strip() == "restored run-1"
    assert invoke(cli, "restore", runs[0][:6], *s).output.strip() == "restored baseline"
    assert len(tuitrack.search_runs(output_format="list", search_all_experiments=True)) == 3


def test_read_only_store_is_refused(
    cli: click.Group, runs: list[str], store_path: Path, rows_of, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store without write permission (simulated: tests may run as root) is refused by name."""
    before = rows_of(store_path)
    from tuitrack.store.core import Store

    monkeypatch.setattr(
        cli_common, "Store", lambda path, create=False, read_only=None: Store(path, create=create, read_only=True)
    )
    res = invoke(cli, "tag", "run-0", "a=b", "--store", str(store_path))
    assert res.exit_code == 1 and "read-only" in res.output
    assert rows_of(store_path) == before


def test_tag_by_hex_looking_name_tags_that_run(cli: click.Group, store_path: Path) -> None:
    from tuitrack.tracking import session as tracking

    fixed = iter(["b" * 32, "a" * 32])  # run "a" gets id bbb..., run "b" gets id aaa...
    tracking.set_id_factory(lambda: next(fixed))
    try:
        for name in "ab":
            with tuitrack.start_run(name=name):
                pass
    finally:
        tracking.set_id_factory(None)
    tuitrack.flush()
    res = invoke(cli, "tag", "a", "hit=yes", "--store", str(store_path))
    hit = [
        r.info.run_name
        for r in tuitrack.search_runs(output_format="list", search_all_experiments=True)
        if "hit" in r.data.tags
    ]
    assert res.exit_code != 0 or hit == ["a"], f"`tuitrack tag a` tagged run(s) {hit}"
