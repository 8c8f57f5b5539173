"""Bad input in the app's editors (tag editor ``t``, rename ``R``, note ``n``) on the real app.

Each case opens the editor on the demo store, enters one bad (or odd) input, and
checks the exact inline error under the inputs, that the editor stays open (nothing
was accepted), and, after cancelling, that not one row of the store changed.
key=value parsing edge cases that are *accepted* (``a=``, ``a==b``) check what was
staged instead, then cancel: the store is still unchanged, because nothing is
written before apply.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import db_rows, reset_tuitrack
from textual.widgets import Input, Label, TextArea

from tuitrack.demo import build_demo_store
from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.dialogs.note_editor import NoteEditor
from tuitrack.tui.dialogs.rename import RenameScreen
from tuitrack.tui.dialogs.tag_editor import TagEditor
from tuitrack.tui.dialogs.unsaved import UnsavedChanges
from tuitrack.tui.waits import drain as settle

NOW = 1_700_000_000_000
SIZE = (120, 36)
CHARS = "letters, digits, '_', '-', '.', '/' and space"
PATH_LIKE = "is not a valid path-like key (leading '/', '//' or '..')"
KEY_NAMES = {"=": "equals_sign", " ": "space", "!": "exclamation_mark", "/": "slash", ".": "full_stop"}


@pytest.fixture(scope="module")
def demo_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("editor-bad-input") / "demo"
    reset_tuitrack()
    try:
        build_demo_store(path, now_ms=NOW)
    finally:
        reset_tuitrack()
    yield path


@pytest.fixture
def demo(demo_seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    copy = tmp_path / "demo"
    shutil.copytree(demo_seed, copy)
    yield copy
    reset_tuitrack()


def make_app(path: Path) -> TuitrackApp:
    return create_app(Store(path), clock=lambda: NOW, state_dir=path.parent / "state", live_interval=0)


async def enter(pilot, widget: Input, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type short printable text key by key; set longer or unprintable text directly (like a paste)."""
    widget.focus()
    widget.value = ""
    if len(text) <= 8 and text.isprintable():
        await pilot.press(*(KEY_NAMES.get(ch, ch) for ch in text))
    else:
        widget.value = text
    await pilot.pause()


def error_text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Label).render())


# (id, key input, value input (None: left empty), how it is submitted, exact error ("" none), staged afterwards)
TAG_CASES = [
    ("bad-key-chars", "bad key!", None, "key", f"tag key 'bad key!' contains characters other than {CHARS}", {}),
    ("empty-key", "", None, "key", "type a tag key, or key=value", {}),
    ("blank-key", "   ", None, "key", "type a tag key, or key=value", {}),
    ("equals-only-value", "=x", None, "key", "type a tag key first", {}),
    ("empty-key-with-value", "", "x", "value", "type a tag key first", {}),
    ("key-too-long", "k" * 251, "v", "value", f"tag key {'k' * 40!r}... is 251 characters long; the limit is 250", {}),
    ("value-too-long", "k", "v" * 8001, "value", "tag 'k': value is 8001 characters long; the limit is 8000", {}),
    ("leading-slash", "/abs", "v", "value", f"tag key '/abs' {PATH_LIKE}", {}),
    ("dot-dot-segment", "a/../b", "v", "value", f"tag key 'a/../b' {PATH_LIKE}", {}),
    ("double-slash", "a//b", "v", "value", f"tag key 'a//b' {PATH_LIKE}", {}),
    ("escape-in-key", "a\x1b[31mb", "v", "value", f"tag key 'a\\x1b[31mb' contains characters other than {CHARS}", {}),
    ("newline-in-key", "a\nb", "v", "value", f"tag key 'a\\nb' contains characters other than {CHARS}", {}),
    ("equals-in-key-with-value", "a=b", "c", "value", f"tag key 'a=b' contains characters other than {CHARS}", {}),
    (
        "apply-with-bad-pending-input",
        "bad!",
        "x",
        "apply",
        f"tag key 'bad!' contains characters other than {CHARS}",
        {},
    ),
    # accepted parsing edge cases: split at the first '=', the key stripped, the value kept verbatim
    ("empty-value", "a=", None, "key", "", {"a": ""}),
    ("double-equals", "a==b", None, "key", "", {"a": "=b"}),
    ("spaces-around-key", "  team = x ", None, "key", "", {"team": " x "}),
]


async def test_tag_editor_bad_input(demo: Path) -> None:
    """Every TAG_CASES entry in one app session (an app start per case would cost ~2 s each)."""
    before = db_rows(demo)
    app = make_app(demo)
    got: dict[str, tuple[str, dict[str, str], bool, bool]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_run_id() is not None
        for case, key, value, submit, _, _ in TAG_CASES:
            await pilot.press("t")
            await settle(pilot)
            editor = app.screen
            assert isinstance(editor, TagEditor), case
            key_input = editor.query_one("#tag-key", Input)
            value_input = editor.query_one("#tag-value", Input)
            if value is not None:
                await enter(pilot, value_input, value)
            await enter(pilot, key_input, key)
            if submit == "apply":
                await pilot.press("ctrl+s")
            else:
                (key_input if submit == "key" else value_input).focus()
                await pilot.press("enter")
            await settle(pilot)
            still_open = app.screen is editor
            got[case] = (error_text(editor, "#tag-error"), dict(editor.staged), still_open, not editor.removed)
            await pilot.press("escape")
            if isinstance(app.screen, UnsavedChanges):  # the refused input is still typed: escape asks first
                await pilot.press("d")
            await settle(pilot)
            assert not app.screen.is_modal, case
            assert db_rows(demo) == before, f"{case}: the store changed"
        assert app._exception is None
    expected = {case: (error, staged, True, True) for case, _, _, _, error, staged in TAG_CASES}
    wrong = {case: {"got": got[case], "expected": expected[case]} for case in expected if got[case] != expected[case]}
    assert wrong == {}, "(inline error, staged tags, editor still open, nothing removed) differ"
    assert len(TAG_CASES) >= 15


RENAME_CASES = [
    ("empty", "", "run name must not be empty"),
    ("blank", "    ", "run name must not be empty"),
    ("newline", "two\nlines", "run name must be a single line"),
    ("carriage-return", "two\rlines", "run name must be a single line"),
    ("too-long", "n" * 501, "run name is 501 characters long; the limit is 500"),
]


async def test_rename_bad_input(demo: Path) -> None:
    """Every RENAME_CASES entry in one app session; the dialog shows the error and stays open."""
    before = db_rows(demo)
    app = make_app(demo)
    got: dict[str, tuple[str, bool]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for case, name, _ in RENAME_CASES:
            await pilot.press("R")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RenameScreen), case
            field = screen.query_one("#rename-input", Input)
            await enter(pilot, field, name)
            assert field.value == name, case
            field.focus()
            await pilot.press("enter")
            await settle(pilot)
            got[case] = (error_text(screen, "#rename-error"), app.screen is screen)
            await pilot.press("escape")
            await settle(pilot)
            assert not app.screen.is_modal, case
            assert db_rows(demo) == before, f"{case}: the store changed"
        assert app._exception is None
    assert got == {case: (error, True) for case, _, error in RENAME_CASES}


async def test_note_too_long_is_refused(demo: Path) -> None:
    before = db_rows(demo)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NoteEditor)
        screen.query_one(TextArea).text = "x" * 100_001
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert error_text(screen, "#note-error") == "note is 100001 characters long; the limit is 100000"
        await pilot.press("escape", "d")  # the edited text is not saved: escape asks, d discards it
        await settle(pilot)
        assert app._exception is None
    assert db_rows(demo) == before


async def test_unchanged_name_and_note_write_nothing(demo: Path) -> None:
    """Saving what was already there is not an edit: no write, no undo entry."""
    before = db_rows(demo)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, RenameScreen)
        await pilot.press("enter")  # the prefilled current name
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        await pilot.press("ctrl+s")  # the current note, untouched
        await settle(pilot)
        assert not app.screen.is_modal
        assert app.browser.curation.undo_log.pop() is None
    assert db_rows(demo) == before
