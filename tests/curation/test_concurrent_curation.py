"""Curation beside live training processes: no lost points, no lost edits, no lock errors.

Three subprocesses log 20k metric points each into their own run of one store through
the public API, while this process makes 200 curation edits (tags, renames, notes,
delete/restore, undo) on other runs *and* on those live runs.  Afterwards every point
is counted with plain sqlite3 and every edit is checked against a model of what the
edits should have produced.
"""

from __future__ import annotations

import copy
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import tuitrack
from tuitrack.curation import core as curation
from tuitrack.store.core import Store

POINTS = 20_000
WRITERS = 3
EDITS = 200

WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    import tuitrack
    tuitrack.set_store(sys.argv[1])
    tuitrack.configure(capture_env=False, capture_packages=False, strict=True)
    with tuitrack.start_run(experiment="live", name="writer-" + sys.argv[2]) as run:
        print(run.id, flush=True)
        for step in range(POINTS):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            if step % 1000 == 999:
                run.flush()          # a write transaction every 1000 points, spread over time
                time.sleep(0.05)
        run.set_tag("phase", "done")
""").replace("POINTS", str(POINTS))


def _count_points(db: Path, run_id: str) -> tuple[int, int]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        history = conn.execute(
            "SELECT count(*) FROM metrics m JOIN runs r ON r.rid = m.rid WHERE r.run_id = ?", (run_id,)
        ).fetchone()[0]
        latest = conn.execute(
            "SELECT l.count FROM latest_metrics l JOIN runs r ON r.rid = l.rid WHERE r.run_id = ? AND l.key = 'loss'",
            (run_id,),
        ).fetchone()[0]
        return history, latest
    finally:
        conn.close()


def test_edits_while_three_processes_log(store_path: Path) -> None:
    quiet = []
    for i in range(5):
        with tuitrack.start_run(experiment="done", name=f"old-{i}") as r:
            quiet.append(r.id)
    tuitrack.flush()

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(store_path), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WRITERS)
    ]
    try:
        live = [p.stdout.readline().strip() for p in procs]
        assert all(len(rid) == 32 for rid in live), live
        runs = quiet + live
        rng = random.Random(5)
        model = {rid: {"tags": {}, "name": None, "note": None, "deleted": False} for rid in runs}
        history: list[tuple[curation.Change, dict]] = []
        during_logging = 0
        with Store(store_path) as store:
            for rid in runs:
                model[rid]["name"] = store.get_run(rid).info.run_name
            for i in range(EDITS):
                previous = copy.deepcopy(model)
                kind = i % 10
                if kind == 9 and history:
                    change, before = history.pop()
                    curation.undo(store, change)
                    model = before
                else:
                    if kind in (0, 1, 2, 3):
                        chosen = rng.sample(runs, rng.randint(1, 4))
                        key, value = f"k{rng.randint(0, 4)}", f"v{i}"
                        change = curation.tag_runs(store, chosen, {key: value})
                        for rid in chosen:
                            model[rid]["tags"][key] = value
                    elif kind == 4:
                        rid = rng.choice(runs)
                        if not model[rid]["tags"]:
                            change = curation.tag_runs(store, [rid], {"k9": "x"})
                            model[rid]["tags"]["k9"] = "x"
                        else:
                            key = rng.choice(sorted(model[rid]["tags"]))
                            change = curation.tag_runs(store, [rid], remove=[key])
                            del model[rid]["tags"][key]
                    elif kind in (5, 6):
                        rid = rng.choice(runs)
                        change = curation.rename_run(store, rid, f"renamed-{i}")
                        model[rid]["name"] = f"renamed-{i}"
                    elif kind == 7:
                        rid = rng.choice(runs)
                        change = curation.set_note(store, rid, f"note {i}\nsecond line")
                        model[rid]["note"] = f"note {i}\nsecond line"
                    else:
                        rid = rng.choice(runs)
                        if model[rid]["deleted"]:
                            change = curation.restore_runs(store, [rid])
                        else:
                            change = curation.delete_runs(store, [rid])
                        model[rid]["deleted"] = not model[rid]["deleted"]
                    history.append((change, previous))
                if any(p.poll() is None for p in procs):
                    during_logging += 1
        for p in procs:
            _out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            assert "Error" not in err and "Warning" not in err, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()

    # The edits really overlapped the writers' transactions.
    assert during_logging >= 20
    db = store_path / "tuitrack.db"
    for rid in live:
        assert _count_points(db, rid) == (POINTS, POINTS)
    tuitrack.flush()
    for rid in runs:
        run = tuitrack.get_run(rid)
        tags = {k: v for k, v in run.data.tags.items() if k != "phase"}
        assert tags == model[rid]["tags"], rid
        assert run.info.run_name == model[rid]["name"]
        assert run.info.note == model[rid]["note"]
        assert (run.info.deleted_at is not None) == model[rid]["deleted"]
        if rid in live:
            assert run.data.tags["phase"] == "done" and run.info.status == "FINISHED"
