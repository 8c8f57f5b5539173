"""tuitrack.curation.core: tag/rename/note/delete/restore on a real store, and exact undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tuitrack
from tuitrack.curation import core as curation
from tuitrack.errors import ReadOnlyStoreError, ValidationError
from tuitrack.store.core import Store


@pytest.fixture
def runs(store_path: Path) -> list[str]:
    ids = []
    for i in range(4):
        with tuitrack.start_run(experiment="exp", name=f"run-{i}", tags={"team": "a", "seed": str(i)}) as r:
            r.log_metric("loss", 1.0 / (i + 1))
            ids.append(r.id)
    tuitrack.flush()
    return ids


@pytest.fixture
def store(store_path: Path, runs: list[str]) -> Store:
    st = Store(store_path)
    yield st
    st.close()


def tags(run_id: str) -> dict[str, str]:
    return tuitrack.get_run(run_id).data.tags


def test_tag_many_runs_then_undo_restores_exactly(store: Store, runs: list[str], rows_of, store_path: Path) -> None:
    tuitrack.flush()
    before = rows_of(store_path)["tags"]
    change = curation.tag_runs(store, runs[:3], {"status": "keep", "seed": "42"}, remove=["team"])
    assert change.message == "tagged 3 runs status=keep, seed=42, removed team"
    assert change.summary == "tag status=keep, seed=42, -team on 3 runs"
    for rid in runs[:3]:
        assert tags(rid) == {"status": "keep", "seed": "42"}
    assert tags(runs[3]) == {"team": "a", "seed": "3"}
    assert change.run_ids == runs[:3]
    assert change.tag_set == {"status": "keep", "seed": "42"} and change.tag_removed == ("team",)

    undone = curation.undo(store, change)
    assert undone.message == "undid: tag status=keep, seed=42, -team on 3 runs"
    assert rows_of(store_path)["tags"] == before
    # The undo of an undo is a redo.
    curation.undo(store, undone)
    assert tags(runs[0]) == {"status": "keep", "seed": "42"}


def test_single_run_message_uses_name_and_prefix_and_name_resolve(store: Store, runs: list[str]) -> None:
    change = curation.tag_runs(store, [runs[1][:10]], {"status": "keep"})
    assert change.message == "tagged run-1 status=keep"
    change = curation.tag_runs(store, ["run-2"], {"x": "y"})
    assert change.run_ids == [runs[2]]
    assert tags(runs[2])["x"] == "y"


def test_tag_validation_refuses_like_logging_api(store: Store, runs: list[str], rows_of, store_path: Path) -> None:
    before = rows_of(store_path)
    with pytest.raises(ValidationError, match="contains characters other than"):
        curation.tag_runs(store, runs, {"bad key!": "v"})
    with pytest.raises(ValidationError, match="limit is 8000"):
        curation.tag_runs(store, runs, {"k": "x" * 8001})
    with pytest.raises(ValidationError, match="both set and removed"):
        curation.tag_runs(store, runs, {"k": "v"}, remove=["k"])
    with pytest.raises(ValidationError, match="nothing to change"):
        curation.tag_runs(store, runs, {})
    with pytest.raises(ValidationError, match="none of the 4 runs has tag 'nope'"):
        curation.tag_runs(store, runs, remove=["nope"])
    with pytest.raises(ValidationError, match="run run-0 has no tag 'nope'"):
        curation.tag_runs(store, runs[:1], remove=["nope"])
    with pytest.raises(tuitrack.RunNotFoundError):
        curation.tag_runs(store, ["no-such-run"], {"k": "v"})
    assert rows_of(store_path) == before


def test_parse_assignment() -> None:
    assert curation.parse_assignment("status=keep") == ("status", "keep")
    assert curation.parse_assignment("a=b=c") == ("a", "b=c")
    assert curation.parse_assignment("empty=") == ("empty", "")
    with pytest.raises(ValidationError, match="expected key=value"):
        curation.parse_assignment("novalue")
    with pytest.raises(ValidationError, match="must not be empty"):
        curation.parse_assignment("=v")


def test_rename_and_undo(store: Store, runs: list[str]) -> None:
    change = curation.rename_run(store, runs[0], "best model")
    assert change.message == "renamed run-0 → best model"
    assert tuitrack.get_run(runs[0]).info.run_name == "best model"
    assert curation.undo(store, change).message == "undid: rename run-0 → best model"
    assert tuitrack.get_run(runs[0]).info.run_name == "run-0"
    for bad, msg in [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("a\nb", "single line"),
        ("x" * 501, "limit is 500"),
    ]:
        with pytest.raises(ValidationError, match=msg):
            curation.rename_run(store, runs[0], bad)


def test_note_set_clear_undo(store: Store, runs: list[str]) -> None:
    change = curation.set_note(store, runs[1], "first line\nsecond [bold]line[/]")
    assert change.message == "saved note on run-1 (2 lines)"
    assert tuitrack.get_run(runs[1]).info.note == "first line\nsecond [bold]line[/]"
    cleared = curation.set_note(store, runs[1], "  \n")
    assert cleared.message == "cleared the note on run-1"
    assert tuitrack.get_run(runs[1]).info.note is None
    curation.undo(store, cleared)
    assert tuitrack.get_run(runs[1]).info.note == "first line\nsecond [bold]line[/]"
    curation.undo(store, change)
    assert tuitrack.get_run(runs[1]).info.note is None
    with pytest.raises(ValidationError, match="limit is 100000"):
        curation.set_note(store, runs[1], "x" * 100_001)


def test_delete_restore_and_undo(store: Store, runs: list[str]) -> None:
    change = curation.delete_runs(store, runs[:2])
    assert change.message == "deleted 2 runs"
    assert {r.info.run_id for r in tuitrack.search_runs(output_format="list", search_all_experiments=True)} == set(
        runs[2:]
    )
    assert tuitrack.get_run(runs[0]).info.lifecycle_stage == "deleted"
    again = curation.delete_runs(store, runs[:3])
    assert again.message == "deleted run-2 (2 already deleted)"
    assert again.run_ids == [runs[2]]
    with pytest.raises(ValidationError, match="already deleted"):
        curation.delete_runs(store, runs[:3])
    restored = curation.restore_runs(store, runs)
    assert restored.message == "restored 3 runs (1 were not deleted)"
    assert len(tuitrack.search_runs(output_format="list", search_all_experiments=True)) == 4
    with pytest.raises(ValidationError, match="not deleted; nothing to restore"):
        curation.restore_runs(store, runs)
    curation.undo(store, restored)
    assert {r.info.run_id for r in tuitrack.search_runs(output_format="list", search_all_experiments=True)} == {runs[3]}
    first_deleted_at = change.edits[0].after[("run", "deleted_at")]
    assert tuitrack.get_run(runs[0]).info.deleted_at == first_deleted_at
    curation.undo(store, again)
    curation.undo(store, change)
    assert len(tuitrack.search_runs(output_format="list", search_all_experiments=True)) == 4


def test_undo_log_is_bounded_and_lifo(store: Store, runs: list[str]) -> None:
    log = curation.UndoLog(depth=3)
    assert log.pop() is None
    changes = [log.push(curation.tag_runs(store, runs[:1], {"n": str(i)})) for i in range(5)]
    assert len(log) == 3
    assert log.pop() is changes[4] and log.pop() is changes[3] and log.pop() is changes[2]
    assert log.pop() is None


def test_bulk_by_filter_and_editor_reads(store: Store, runs: list[str]) -> None:
    matched = curation.runs_matching(store, "metrics.loss < 0.4")
    assert {r.run_id for r in matched} == {runs[2], runs[3]}
    curation.tag_runs(store, matched, {"status": "keep"})
    curation.tag_runs(store, runs[:1], {"status": "discard"})
    values = curation.tag_values_of(store, [r.rid for r in curation.resolve_runs(store, runs)])
    assert values["status"] == {"keep": 2, "discard": 1}
    assert values["team"] == {"a": 4}
    vocab = curation.tag_vocabulary(store)
    assert vocab["status"] == ["keep", "discard"]
    assert set(vocab["seed"]) == {"0", "1", "2", "3"}


def test_many_runs_span_several_transactions(store_path: Path) -> None:
    tuitrack.configure(capture_env=False)
    ids = []
    for i in range(curation.CHUNK + 20):
        ids.append(tuitrack.start_run(name=f"r{i}").id)
        tuitrack.end_run()
    with Store(store_path) as st:
        change = curation.tag_runs(st, ids, {"bulk": "yes"})
        assert len(change) == len(ids)
        assert st.conn_fetchone("SELECT count(*) FROM tags WHERE key='bulk'")[0] == len(ids)
        curation.undo(st, change)
        assert st.conn_fetchone("SELECT count(*) FROM tags WHERE key='bulk'")[0] == 0


def test_read_only_store_refuses(store: Store, runs: list[str], store_path: Path) -> None:
    ro = Store(store_path, read_only=True)
    try:
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            curation.tag_runs(ro, runs[:1], {"k": "v"})
    finally:
        ro.close()
    assert "k" not in tags(runs[0])


def test_messages_show_user_text_literally(store: Store, runs: list[str]) -> None:
    change = curation.rename_run(store, runs[0], "evil\x1b[2J")
    assert "\x1b" not in change.message and "^[[2J" in change.message
    change = curation.tag_runs(store, runs[:1], {"k": "a\nb" + "x" * 100})
    assert "\n" not in change.message and change.message.endswith("…")


def test_quick_tags_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = tmp_path / "tuitrack" / "quick_tags.json"
    assert curation.quick_tags_path() == path
    q = curation.load_quick_tags()
    assert q.tags == curation.DEFAULT_QUICK_TAGS and q.error is None
    path.parent.mkdir()
    path.write_text(json.dumps({"4": "best=yes", "1": "status=keep"}))
    q = curation.load_quick_tags()
    assert q.tags == {"1": ("status", "keep"), "4": ("best", "yes")} and q.error is None
    for bad, msg in [
        ("{", "not valid JSON"),
        ("[1]", "expected an object"),
        ('{"0": "a=b"}', "not a digit"),
        ('{"1": "nokey"}', "expected key=value"),
        ('{"2": "bad key!=v"}', "quick tag 2"),
    ]:
        path.write_text(bad)
        q = curation.load_quick_tags()
        assert q.tags == curation.DEFAULT_QUICK_TAGS
        assert q.error is not None and msg in q.error and str(path) in q.error


def test_undo_after_gc_purged_the_run_changes_nothing(store: Store, runs: list[str], rows_of, store_path: Path) -> None:
    """An undo of a tag edit on a run purged meanwhile changes nothing (and leaves no orphan tags)."""
    from tuitrack.store.gc import find_purgeable, purge

    victim = runs[3]  # the newest run: before schema 3 SQLite gave its rid to the next run created
    curation.delete_runs(store, [victim])
    change = curation.tag_runs(store, [victim], {"status": "discard"})
    purge(store, find_purgeable(store, now_ms=tuitrack.store.core.now_ms()))
    with tuitrack.start_run(experiment="exp", name="newcomer") as r:
        newcomer = r.id
    tuitrack.flush()
    assert store.rid(newcomer) > change.edits[0].run.rid  # rids are never reused (AUTOINCREMENT)
    before = rows_of(store_path)
    with pytest.raises(ValidationError, match="no longer exists"):
        curation.undo(store, change)
    assert rows_of(store_path) == before
    assert "status" not in tags(newcomer)


def test_show_keeps_messages_on_one_safe_line() -> None:
    assert curation.show("a\nb") == "a⏎b"
    assert curation.show("red\x1b[31m") == "red^[[31m"
    # Bidi overrides and C1 controls would reorder or act on the status line: made visible.
    assert curation.show("evil\u202etxt\x9b") == "evil\\u202etxt\\x9b"
    assert curation.show("x" * 50, 10) == "x" * 9 + "…"
