"""The ``tuitrack`` command: opens the terminal browser, and scripts the store.

``tuitrack`` alone opens the app; subcommands list, show, compare, export,
import and purge runs.  Exit codes: 0 ok, 1 a runtime problem (unknown run,
ambiguous prefix, bad filter, missing store...), 2 a usage error.  With
``--json``/``--csv``/``--md`` only data is written to stdout.  Textual is
imported only when the app opens, so scripting commands start fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from tuitrack import __version__
from tuitrack.cli.common import ErrorHandlingGroup, resolve_store_path
from tuitrack.cli.launch import missing_app_message, missing_app_module

#: Where each subcommand lives, as "module:attribute" under tuitrack.cli.  A command's module is imported
#: when that command runs (or ``--help`` lists them), so ``tuitrack`` alone opens the browser without
#: importing every command's code and what it needs (the first screen's start-up time, issue #16 item 15).
COMMANDS = {
    "artifacts": "runs:artifacts",
    "best": "runs:best",
    "cat": "runs:cat",
    "compare": "runs:compare",
    "demo": "store_commands:demo",
    "diff": "diff:diff",
    "export": "store_commands:export_cmd",
    "fetch-artifacts": "sync:fetch_artifacts_cmd",
    "gc": "store_commands:gc",
    "history": "runs:history",
    "import": "store_commands:import_group",
    "logs": "logs:logs",
    "ls": "store_commands:ls",
    "merge": "sync:merge_cmd",
    "note": "curation:note_cmd",
    "pull": "sync:pull_cmd",
    "push": "sync:push_cmd",
    "rename": "curation:rename_cmd",
    "reproduce": "reproduce:reproduce",
    "restore": "curation:restore_cmd",
    "rm": "curation:rm_cmd",
    "show": "runs:show",
    "sql": "sql:sql_cmd",
    "tag": "curation:tag_cmd",
}


class LazyGroup(ErrorHandlingGroup):
    """The ``tuitrack`` group: commands from :data:`COMMANDS`, each imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"tuitrack.cli.{module}"), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"tuitrack.cli.{COMMANDS[cmd_name]} is no click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def run_app(path: Path) -> None:
    from tuitrack.store.core import Store
    from tuitrack.tui import startup

    store = Store(path, create=False)  # read-write when we may write, else read-only with an indicator
    startup.pause_collector()  # until the first screen is up (the app resumes it; see tuitrack/tui/startup.py)
    try:
        try:
            from tuitrack.tui.app import create_app  # textual loads only here
        except ModuleNotFoundError as exc:
            module = missing_app_module(exc)
            if module is None:
                raise
            click.echo(missing_app_message(module, "the browser"), err=True)
            raise SystemExit(1) from None
        from tuitrack.tui.widgets import image_view

        image_view.detect()  # what the terminal can draw, asked before Textual reads the keyboard
        create_app(store).run()
    finally:
        startup.resume_collector()


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path, readable=False),
    default=None,
    help="Store folder (default: TUITRACK_STORE or ~/.tuitrack).",
)
@click.version_option(__version__, prog_name="tuitrack")
@click.pass_context
def main(ctx: click.Context, store: Path | None) -> None:
    """Experiment tracking in the terminal.  Without a command, opens the browser on the store.

    Every command takes --store PATH (before or after the command name) and honours
    TUITRACK_STORE.  Exit codes: 0 ok, 1 a failure (unknown run, bad filter, missing
    store...), 2 a usage error.  `tuitrack COMMAND --help` shows examples.

    \b
    Examples:
      tuitrack demo                                   # a realistic store to try it on
      tuitrack ls -f "metrics.auc > 0.85" -s "metrics.auc DESC"
      tuitrack best recall
      tuitrack --store ~/runs compare RUN1 RUN2 --diff-only
    """
    ctx.obj = {"store": store}
    if ctx.invoked_subcommand is None:
        run_app(resolve_store_path(None))


if __name__ == "__main__":  # pragma: no cover
    main()
