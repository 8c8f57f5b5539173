"""``tuitrack reproduce RUN``: what reruns a run, as a report or a shell snippet."""

from __future__ import annotations

from pathlib import Path

import click

from tuitrack.analysis import export as ex
from tuitrack.analysis import reproduce as rp
from tuitrack.cli.common import echo_data, open_store, store_option


@click.command("reproduce")
@click.argument("run")
@click.option(
    "--against",
    "against",
    default=None,
    metavar="RUN",
    help="Compare packages and Python with this run instead of the current environment.",
)
@click.option("--shell", "fmt", flag_value="shell", help="Print only the shell snippet.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@store_option
def reproduce(run: str, against: str | None, fmt: str | None, store_path: Path | None) -> None:
    """What reruns RUN: the command line and working directory, the git commit, branch and dirty
    state (with the stored diff of a dirty tree), the Python and package versions and how they
    differ from the current environment (or --against another run), the data inputs with their
    digests, and the load_model line of each logged model; then a shell snippet doing it.

    \b
    Examples:
      tuitrack reproduce xgboost_tuned
      tuitrack reproduce xgboost_tuned --shell > rerun.sh
      tuitrack reproduce xgboost_tuned --against baseline_rf
    """
    store = open_store(store_path)
    recipe = rp.gather(store, run, against=against)
    snippet = rp.shell(recipe)
    if fmt == "json":
        echo_data(
            ex.to_json(
                {
                    "run_id": recipe.run_id,
                    "command": recipe.command,
                    "cwd": recipe.cwd,
                    "git": {
                        "commit": recipe.git_commit,
                        "branch": recipe.git_branch,
                        "dirty": recipe.git_dirty,
                        "diff_artifact": recipe.git_diff,
                        "diff_note": recipe.git_diff_note,
                    },
                    "python": recipe.python,
                    "platform": recipe.platform,
                    "reference": recipe.reference,
                    "reference_python": recipe.reference_python,
                    "package_changes": [c.__dict__ for c in recipe.package_changes],
                    "inputs": [
                        {"name": i.name, "source": i.source, "digest": i.digest, "rows": i.rows, "context": i.context}
                        for i in recipe.inputs
                    ],
                    "load_model": [recipe.load_model_line(p) for p in recipe.models],
                    "shell": snippet,
                }
            )
        )
        return
    # Control characters in recorded text are shown as \xNN, line by line, never sent to the terminal.
    shown = "\n".join(ex.visible(line) for line in snippet.rstrip("\n").split("\n"))
    if fmt == "shell":
        echo_data(shown)
        return
    lines = rp.report(recipe)
    width = max(len(label) for label, _ in lines)
    body = [f"{ex.pad(label, width)}  {ex.visible(value)}" for label, value in lines]
    echo_data("\n".join([*body, "", shown]))
