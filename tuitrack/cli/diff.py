"""``tuitrack diff RUN_A RUN_B [PATH]``: what changed between two runs, or in one artifact of both."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tuitrack.analysis import diff as df
from tuitrack.analysis import export as ex
from tuitrack.cli.common import echo_data, fail, open_store, store_option

_COLORS = {"-": "red", "+": "green", "~": "yellow", "@": "cyan"}


def _colour() -> bool:
    """Colour only on a terminal and never under NO_COLOR; the markers carry the meaning either way."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _line(marker: str, text: str, colour: bool) -> str:
    line = f"{marker} {ex.visible(text)}"
    return click.style(line, fg=_COLORS[marker]) if colour and marker in _COLORS else line


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.argument("path", required=False)
@click.option("--all", "show_all", is_flag=True, help="Also list what is the same.")
@click.option("--text", "as_text", is_flag=True, help="Diff a JSON/YAML artifact as text, not by key path.")
@click.option("--side-by-side", "-y", "side", is_flag=True, help="Artifact text side by side instead of unified.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@store_option
def diff(
    run_a: str,
    run_b: str,
    path: str | None,
    show_all: bool,
    as_text: bool,
    side: bool,
    fmt: str | None,
    store_path: Path | None,
) -> None:
    """What changed from RUN_A to RUN_B: params, metrics, tags, environment (git, python, command,
    packages), data inputs and artifacts; with PATH, the artifact PATH of both runs.

    Lines start with - (only in RUN_A), + (only in RUN_B) or ~ (changed: A -> B), so the output
    reads the same without colour.  JSON and YAML artifacts are compared by key path
    (model.layers[0].units), so reordering and reformatting are not changes.

    \b
    Examples:
      tuitrack diff baseline_rf deeper_trees
      tuitrack diff baseline_rf deeper_trees config.json
      tuitrack diff baseline_rf deeper_trees requirements.txt --side-by-side
    """
    store = open_store(store_path)
    colour = _colour() and fmt is None
    a_id, b_id = store.resolve_run(run_a)[1], store.resolve_run(run_b)[1]
    if path is not None:
        result = df.artifact_diff_of(store, a_id, b_id, path, structured=not as_text)
        if fmt == "json":
            echo_data(
                ex.to_json(
                    {
                        "path": path,
                        "mode": result.mode,
                        "note": result.note,
                        "identical": result.identical,
                        "changes": [c.__dict__ for c in result.changes if c.kind != df.SAME or show_all],
                        "unified": result.unified,
                    }
                )
            )
            return
        if result.mode == "missing":
            fail(result.note)
        lines = [f"artifact {ex.visible(path)}: {a_id[:8]} -> {b_id[:8]}"]
        if result.note:
            lines.append(f"({ex.visible(result.note)})")
        if result.mode == "structured":
            body = df.change_lines(result.changes, show_same=show_all)
            lines += [_line(m, t, colour) for m, t in body] or ["no differences"]
        elif result.mode == "text":
            if result.identical:
                lines.append("no differences")
            elif side:
                lines += _side_lines(result.rows, colour)
            else:
                for text in result.unified:
                    marker = text[:1] if text[:1] in "-+@" and not text.startswith(("---", "+++")) else " "
                    shown = ex.visible(text)
                    lines.append(click.style(shown, fg=_COLORS[marker]) if colour and marker in _COLORS else shown)
        echo_data("\n".join(lines))
        return
    ra, rb, sections = df.run_diff(store, a_id, b_id)
    if fmt == "json":
        echo_data(
            ex.to_json(
                {
                    "a": ra.id,
                    "b": rb.id,
                    "sections": {
                        s.title: [c.__dict__ for c in s.changes if c.kind != df.SAME or show_all] for s in sections
                    },
                }
            )
        )
        return
    lines = [f"- {ra.id[:8]}  {ex.visible(ra.info.run_name)}", f"+ {rb.id[:8]}  {ex.visible(rb.info.run_name)}"]
    for section in sections:
        body = df.change_lines(section.changes, show_same=show_all)
        same = len(section.changes) - len(section.differences)
        head = f"{section.title}: " + (f"{len(section.differences)} differ" if section.differences else "same")
        if same and section.differences and not show_all:
            head += f", {same} same"
        lines.append(head)
        lines += ["  " + _line(m, t, colour) for m, t in body]
    echo_data("\n".join(lines))


def _side_lines(rows: list[df.SideRow], colour: bool) -> list[str]:
    import shutil

    width = max(40, shutil.get_terminal_size((120, 24)).columns)
    half = (width - 3) // 2 - 5
    out = []
    for r in rows:
        marker = {"equal": " ", "replace": "~", "delete": "-", "insert": "+"}[r.tag]
        left = ex.pad(ex.truncate(ex.visible(r.a or ""), half), half)
        right = ex.truncate(ex.visible(r.b or ""), half)
        a_no = f"{r.a_no:>4}" if r.a_no else "    "
        b_no = f"{r.b_no:>4}" if r.b_no else "    "
        line = f"{marker} {a_no} {left} | {b_no} {right}".rstrip()
        out.append(click.style(line, fg=_COLORS[marker]) if colour and marker in _COLORS else line)
    return out
