"""Curation in the browser: every key flow on the real app, the modals alone, and tag-editor snapshots.

The app under test is the real ``TuitrackApp`` (the curation keys are its browser screen's),
built by ``create_app(..., app_class=_App)`` on a store seeded through the public API with a
fixed clock and deterministic ids.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Label, TextArea

import tuitrack
import tuitrack.tui.app
from tuitrack.curation import core as curation
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.curation_keys import curation_bindings
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.dialogs.confirm import ConfirmScreen
from tuitrack.tui.dialogs.note_editor import NoteEditor
from tuitrack.tui.dialogs.rename import RenameScreen
from tuitrack.tui.dialogs.tag_editor import TagEdit, TagEditor, describe_values
from tuitrack.tui.dialogs.unsaved import UnsavedChanges
from tuitrack.tui.waits import drain as settle

T0 = 1_700_000_000_000
NOW = T0 + 3_600_000
SIZE = (110, 36)


# Textual resolves a relative CSS_PATH next to the file defining the (sub)class: point at the app's.
APP_CSS = str(Path(tuitrack.tui.app.__file__).parent / "app.tcss")


class _App(TuitrackApp):
    """The real app (curation keys are part of it); kept as a name the tests pass to create_app."""


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quick tags and view state come from temp dirs, never the developer's home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def seeded(store_path: Path) -> Iterator[dict[str, str]]:
    """Four finished runs (name -> id) with tags, a fixed clock and md5-like ids."""
    counter = itertools.count(1)
    tracking.set_id_factory(lambda: f"{next(counter):02d}" + "ab" * 15)
    t = [T0]
    store_mod.set_clock(lambda: t[0])
    tuitrack.configure(identity={"user": "alice", "host": "gpu-01", "source": "python train.py"})
    ids = {}
    for i, name in enumerate(["alpha", "bravo", "charlie", "delta"]):
        t[0] = T0 + i * 60_000
        with tuitrack.start_run(experiment="exp", name=name, tags={"team": "a" if i < 3 else "b"}) as r:
            r.log_param("lr", 0.1 * (i + 1))
            r.log_metric("auc", 0.5 + i / 10)
            ids[name] = r.id
    tuitrack.flush()
    store_mod.set_clock(None)
    # The detail pane shows the writer's pid, which no API pins: fix it for stable snapshots.
    with Store(store_path) as st, st.transaction() as conn:
        conn.execute("UPDATE runs SET pid = 4242")
    yield ids


def make_app(store_path: Path, *, read_only: bool = False) -> _App:
    store = Store(store_path, read_only=read_only)
    return create_app(store, clock=lambda: NOW, state_dir=store_path.parent / "state", live_interval=0, app_class=_App)


async def ready(pilot) -> None:
    await settle(pilot)
    assert pilot.app.current_run_id() is not None


def tags_of(run_id: str) -> dict[str, str]:
    return tuitrack.get_run(run_id).data.tags


def notes(app: App) -> list[str]:
    return [n.message for n in app._notifications]


def detail(app: App) -> RunDetail:
    return app.browser.query_one("#detail", RunDetail)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch not in " =" else {"=": "equals_sign", " ": "space"}[ch])


# -- the mixin on the real app -----------------------------------------------------------------
async def test_tag_editor_single_run_add_edit_delete(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        rid = app.current_run_id()
        await pilot.press("t")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor)
        assert editor.n_runs == 1
        await type_text(pilot, "status=keep")
        await pilot.press("enter")
        assert editor.staged == {"status": "keep"}
        # Edit a value: key, enter (prefills the current value), replace it.
        await type_text(pilot, "team")
        await pilot.press("enter")
        assert app.focused.id == "tag-value"
        assert app.focused.value == tags_of(rid)["team"]
        app.focused.value = ""
        await type_text(pilot, "z")
        await pilot.press("enter")
        # Delete a key: select its row in the table and press x.
        editor.stage("tmp", "1")
        table = editor.query_one(DataTable)
        table.focus()
        table.move_cursor(row=editor._keys().index("tmp"))
        await pilot.press("x")
        assert "tmp" not in editor.staged
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TagEditor)
        assert tags_of(rid) == {"team": "z", "status": "keep"}
        # The table and the detail pane re-read the store at once.
        assert app.browser.table.cursor_run.data.tags["status"] == "keep"
        await settle(pilot)
        assert dict(detail(app).data.window("tags").rows)["status"] == "keep"
        assert any(m.startswith("tagged ") and "status=keep" in m for m in notes(app))


async def test_bulk_tagging_marked_runs_shows_disagreement(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.browser.table.focus()
        for _ in range(4):
            await pilot.press("space")  # marks and moves down
        assert sorted(app.selected_run_ids()) == sorted(seeded.values())
        await pilot.press("t")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor) and editor.n_runs == 4
        row = editor.query_one(DataTable).get_row("team")
        assert str(row[1]) == "3 runs: a | 1 run: b"
        await type_text(pilot, "status=review")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert all(tags_of(r)["status"] == "review" for r in seeded.values())
        assert "tagged 4 runs status=review" in notes(app)
        await pilot.press("u")
        await settle(pilot)
        assert all("status" not in tags_of(r) for r in seeded.values())
        assert "undid: tag status=review on 4 runs" in notes(app)


async def test_quick_tags_repeat_and_undo(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        first = app.current_run_id()
        await pilot.press("1")
        await pilot.press("2")  # applied in key order: discard wins
        await settle(pilot)
        assert tags_of(first)["status"] == "discard"
        app.browser.table.focus()
        await pilot.press("down")
        await settle(pilot)
        second = app.current_run_id()
        assert second != first
        await pilot.press("full_stop")
        await settle(pilot)
        assert tags_of(second)["status"] == "discard"
        await pilot.press("u")
        await settle(pilot)
        assert "status" not in tags_of(second)
        await pilot.press("u")
        await settle(pilot)
        assert tags_of(first)["status"] == "keep"
        await pilot.press("u")
        await settle(pilot)
        assert "status" not in tags_of(first)
        await pilot.press("u")
        await settle(pilot)
        assert notes(app)[-1] == "nothing to undo"


async def test_repeat_without_history_and_unset_quick_key(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("full_stop")
        await settle(pilot)
        assert notes(app)[-1].startswith("no tag change to repeat yet")
        app.browser.action_quick_tag("7")
        await pilot.pause()
        assert notes(app)[-1].startswith("key 7 has no quick tag; set one in ")


async def test_configured_quick_tags(seeded: dict[str, str], store_path: Path, tmp_path: Path) -> None:
    # Written long after tuitrack.tui was imported: the app reads the config when it starts.
    cfg = tmp_path / "config" / "tuitrack" / "quick_tags.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(json.dumps({"4": "best=yes"}))
    quick = curation.load_quick_tags()
    bindings = curation_bindings(quick)
    assert [b.description for b in bindings if b.key == "4"] == ["Quick tag best=yes"]
    assert not [b for b in bindings if b.key == "1"]

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        rid = app.current_run_id()
        await pilot.press("1")  # a default quick tag, not in this config: not bound
        await pilot.press("4")
        await settle(pilot)
        assert tags_of(rid)["best"] == "yes"
        assert "status" not in tags_of(rid)
        await pilot.press("question_mark")
        await pilot.pause()
        rows = app.screen.rows  # the help screen lists every active binding, quick tags included
        assert ("Browser", "4", "Quick tag best=yes") in rows
        keys = [keys for _, keys, _ in rows]
        assert keys.index("4") == keys.index(".") + 1  # listed after the repeat key, as the README table
        assert not any(what.startswith("Quick tag status=") for _, _, what in rows)

    cfg.write_text(json.dumps({"5": "best=no"}))  # changed while nothing runs: the next app sees it
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "5" in app.browser.active_bindings and "4" not in app.browser.active_bindings


async def test_a_broken_quick_tags_file_is_reported_and_the_defaults_bound(
    seeded: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "config" / "tuitrack" / "quick_tags.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("{not json")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert any("not valid JSON" in n for n in notes(app))
        rid = app.current_run_id()
        await pilot.press("1")
        await settle(pilot)
        assert tags_of(rid)["status"] == "keep"


async def test_rename_and_note(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        rid = app.current_run_id()
        old = tuitrack.get_run(rid).info.run_name
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, RenameScreen)
        inp = app.screen.query_one(Input)
        assert inp.value == old
        inp.value = "   "
        await pilot.press("enter")
        assert "must not be empty" in str(app.screen.query_one("#rename-error", Label).render())
        inp.value = "best [bold]run[/]"
        await pilot.press("enter")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.run_name == "best [bold]run[/]"
        assert f"renamed {old} → best [bold]run[/]" in notes(app)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        area = app.screen.query_one(TextArea)
        area.text = "line one\nline two"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.note == "line one\nline two"
        await settle(pilot)
        assert detail(app).data.run.info.note == "line one\nline two"
        await pilot.press("u")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.note is None
        await pilot.press("u")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.run_name == old
        assert notes(app)[-1] == f"undid: rename {old} → best [bold]run[/]"


async def test_delete_confirm_show_deleted_restore(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        rid = app.current_run_id()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.deleted_at is None
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.deleted_at is not None
        assert rid not in app.visible_run_ids()
        assert len(app.visible_run_ids()) == 3
        await pilot.press("D")
        await settle(pilot)
        assert app.browser.include_deleted is True
        assert rid in app.visible_run_ids()
        # d on a deleted run restores it.
        app.browser.table.focus()
        await pilot.press("home")
        await settle(pilot)
        for _ in range(6):
            if app.current_run_id() == rid:
                break
            await pilot.press("down")
            await settle(pilot)
        assert app.current_run_id() == rid, (app.visible_run_ids(), rid, app.current_run_id())
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Restore" in str(app.screen.query_one("#confirm-question", Label).render())
        await pilot.press("y")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.deleted_at is None
        await pilot.press("u")
        await settle(pilot)
        assert tuitrack.get_run(rid).info.deleted_at is not None
        await pilot.press("D")
        await settle(pilot)
        assert app.browser.include_deleted is False and rid not in app.visible_run_ids()


async def test_read_only_store_refuses_every_edit_key(seeded: dict[str, str], store_path: Path, rows_of) -> None:
    before = rows_of(store_path)
    app = make_app(store_path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for key in ["t", "1", "full_stop", "n", "R", "d", "u"]:
            count = len(notes(app))
            await pilot.press(key)
            await settle(pilot)
            assert not app.screen.is_modal, key
            assert len(notes(app)) == count + 1, key
            assert "read-only" in notes(app)[-1], key
    assert rows_of(store_path) == before


async def test_validation_error_shown_in_editor(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor)
        await type_text(pilot, "bad key!=v")
        await pilot.press("enter")
        error = str(editor.query_one("#tag-error", Label).render())
        assert "contains characters other than" in error
        assert editor.staged == {}
        # ctrl+s with the bad input still there refuses too, keeping the editor open.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor
        editor.query_one("#tag-value", Input).value = "x" * 8001
        editor.query_one("#tag-key", Input).value = "ok"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "limit is 8000" in str(editor.query_one("#tag-error", Label).render())
        await pilot.press("escape", "d")  # what is typed is not applied: escape asks, d discards it
        await settle(pilot)
        assert not app.screen.is_modal


async def test_curation_keys_do_nothing_under_a_dialog(seeded: dict[str, str], store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "t" not in app.screen.active_bindings  # the browser's keys are not active under its dialogs
        await pilot.press("u")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")


# -- the modals alone ------------------------------------------------------------------------------
class _Host(App[None]):
    """Pushes one modal and keeps what it returns."""

    def __init__(self, screen) -> None:
        super().__init__()
        self.modal = screen
        self.result: object = "unset"

    def on_mount(self) -> None:
        self.push_screen(self.modal, lambda r: setattr(self, "result", r))


VOCAB = {"status": ["keep", "discard", "review"], "team": ["a", "b"], "dataset": ["v1", "v2"]}


def test_describe_values() -> None:
    assert describe_values({"a": 2}, 2) == "a"
    assert describe_values({"a": 3, "b": 1}, 4) == "3 runs: a | 1 run: b"
    assert describe_values({"a": 1}, 3) == "1 run: a | 2 runs: (unset)"


async def test_tag_editor_autocompletes_keys_and_values_for_the_key() -> None:
    app = _Host(TagEditor("2 runs", 2, {"team": {"a": 2}}, VOCAB))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "sta")
        await pilot.pause()
        key = app.screen.query_one("#tag-key", Input)
        assert key._suggestion == "status"
        assert "keep · discard · review" not in str(app.screen.query_one("#tag-hint", Label).render())
        await pilot.press("right")  # accept the suggestion
        assert key.value == "status"
        assert "keep · discard · review" in str(app.screen.query_one("#tag-hint", Label).render())
        await pilot.press("enter")
        await type_text(pilot, "di")
        await pilot.pause()
        assert app.screen.query_one("#tag-value", Input)._suggestion == "discard"
        await pilot.press("right", "enter", "ctrl+s")
        await pilot.pause()
    assert app.result == TagEdit({"status": "discard"}, ())


async def test_tag_editor_remove_and_cancel() -> None:
    app = _Host(TagEditor("alpha", 1, {"team": {"a": 1}, "old": {"x": 1}}, VOCAB))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        table.focus()
        table.move_cursor(row=0)  # "old"
        await pilot.press("x")
        assert app.screen.removed == ["old"]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == TagEdit({}, ("old",))
    app = _Host(TagEditor("alpha", 1, {"team": {"a": 1}}, VOCAB))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "k=v")
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChanges)  # a staged change: escape asks first
        await pilot.press("d")
        await pilot.pause()
    assert app.result is None


async def test_confirm_and_note_modals() -> None:
    app = _Host(ConfirmScreen("Delete 2 runs?", "detail"))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the Yes button is focused
        await pilot.pause()
    assert app.result is True
    app = _Host(NoteEditor("old", "alpha"))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None
    app = _Host(NoteEditor(None, "alpha"))
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.query_one(TextArea).text = "x" * 100_001
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "limit is 100000" in str(app.screen.query_one("#note-error", Label).render())
        app.screen.query_one(TextArea).text = "ok"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == "ok"


# -- snapshots ------------------------------------------------------------------------------------
def _editor_host() -> _Host:
    current = {"status": {"keep": 3, "discard": 1}, "team": {"a": 4}, "note": {"[bold]x[/] \x1b[2J": 1}}
    return _Host(TagEditor("4 runs", 4, current, VOCAB))


def test_snapshot_tag_editor_bulk(snap_compare) -> None:
    assert snap_compare(_editor_host(), terminal_size=SIZE)


def test_snapshot_tag_editor_staged_and_error(snap_compare) -> None:
    async def stage(pilot) -> None:
        await pilot.pause()
        editor = pilot.app.screen
        editor.stage("reviewed", "yes")
        editor.toggle_remove("note")
        await type_text(pilot, "bad key!=1")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(_editor_host(), terminal_size=SIZE, run_before=stage)


def test_snapshot_tag_editor_over_the_browser(seeded: dict[str, str], store_path: Path, snap_compare) -> None:
    """t with every run marked: the editor over the real app (seeded store, fixed clock and ids)."""

    async def open_editor(pilot) -> None:
        await ready(pilot)
        pilot.app.browser.table.focus()
        await pilot.press("space", "space", "space", "space", "t")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TagEditor)
        await type_text(pilot, "te")
        await pilot.pause()

    assert snap_compare(make_app(store_path), terminal_size=SIZE, run_before=open_editor)
