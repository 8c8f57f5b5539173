"""A read-only store whose committed data still sits in its -wal (issue #15, item 3).

A writer killed before its checkpoint leaves ``tuitrack.db-wal``; on a read-only mount without
``tuitrack.db-shm`` SQLite cannot index that WAL, and the immutable fallback ignored it: a run
and its 3,000 committed points were missing, silently.  Now such a store is read from a private
copy of the db and its WAL (made in the temp folder at opening, removed at close); when no copy
can be made, the view is flagged as possibly stale (``Store.notice`` and a RuntimeWarning).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click_compat import CliRunner

from tuitrack.cli.main import main
from tuitrack.store.core import Store

REPO = Path(__file__).resolve().parents[2]

WRITER = r"""
import os, sqlite3, sys, tuitrack
tuitrack.set_store(sys.argv[1])
tuitrack.configure(capture_env=False, capture_packages=False)
with tuitrack.start_run(name="first"):
    tuitrack.log_metric("m", 1.0)
tuitrack.flush()
if sys.argv[2] == "checkpointed":  # the first run reaches the db file; what follows stays in the WAL
    c = sqlite3.connect(sys.argv[1] + "/tuitrack.db"); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()
run = tuitrack.start_run(name="late")
for i in range(3000):
    tuitrack.log_metric("x", float(i))
tuitrack.flush()
os._exit(0)  # killed before any checkpoint: the WAL keeps the commits
"""


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(params=["checkpointed", "all-in-wal"])
def ro_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    src = tmp_path / "src"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", WRITER, str(src), request.param], check=True, env=env, timeout=60)
    assert (src / "tuitrack.db-wal").stat().st_size > 0
    (src / "tuitrack.db-shm").unlink()
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "--bind", str(src), str(ro)], capture_output=True).returncode:
        pytest.skip("needs a read-only bind mount (root with mount privileges)")
    if subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True).returncode:
        subprocess.run(["umount", str(ro)], capture_output=True)
        pytest.skip("needs a read-only bind mount (root with mount privileges)")
    try:
        yield ro
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)


def test_wal_data_is_read_and_nothing_changes(ro_store: Path, tmp_path: Path) -> None:
    before = _tree(tmp_path / "src")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading the WAL's data needs no "may be stale" warning
        st = Store(ro_store)
    assert st.read_only and st.notice is not None and "private copy" in st.notice
    runs = {r.info.run_name: r for r in st.search_runs()}
    assert set(runs) == {"first", "late"}
    assert len(st.get_metric_history(runs["late"].id, "x")) == 3000
    snapshot = st._snapshot_dir
    assert snapshot is not None and snapshot.exists()
    st.close()
    assert not snapshot.exists()
    assert _tree(tmp_path / "src") == before

    res = CliRunner().invoke(main, ["ls", "--json", "--store", str(ro_store)])
    assert res.exit_code == 0 and '"name": "late"' in res.output
    assert _tree(tmp_path / "src") == before


def test_without_room_for_a_copy_the_view_is_flagged_stale(ro_store: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny-tmp"
    tiny.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)], capture_output=True).returncode:
        pytest.skip("needs a tiny tmpfs as the temp folder")
    try:
        code = (
            "import warnings, sys; from tuitrack.store.core import Store\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    try:\n"
            "        print(Store(sys.argv[1]).notice)\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__, exc)\n"
            "print([str(x.message) for x in w])\n"
        )
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tiny)}
        res = subprocess.run(
            [sys.executable, "-c", code, str(ro_store)], capture_output=True, text=True, env=env, timeout=60
        )
        assert res.returncode == 0, res.stderr
        assert "the view may be stale" in res.stdout and "RuntimeWarning" not in res.stderr
        assert res.stdout.count("the view may be stale") == 2  # the notice (or the refusal) and the warning
        if (tmp_path / "src" / "tuitrack.db").stat().st_size == 0:  # all in the WAL: refused, saying why
            assert res.stdout.startswith("NotATuitrackStoreError") and "shows no tuitrack tables" in res.stdout
    finally:
        subprocess.run(["umount", "-l", str(tiny)], capture_output=True)


def test_the_app_says_how_it_reads_such_a_store(ro_store: Path) -> None:
    """The browser opens on the snapshot and shows Store.notice once, as a warning toast."""
    import asyncio

    pytest.importorskip("textual")
    from tuitrack.tui.app import create_app

    async def run() -> list[str]:
        store = Store(ro_store)
        app = create_app(store, live_interval=0)
        try:
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause(0.3)
                return [str(n.message) for n in app._notifications]
        finally:
            store.close()

    messages = asyncio.run(run())
    assert len([m for m in messages if "private copy" in m]) == 1, messages
