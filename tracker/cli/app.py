"""The Typer app: global options, the commands, and the console script.

Heavy modules are imported inside the commands, so `tracker --help` starts fast. Errors
become exit codes in one place (core.py): 0 done; 1 could not finish; 2 usage or
configuration; 3 run completed but sources failed; 4 git state forbids writing; 75 locked.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, Any, Callable, Optional

import typer

from tracker.cli import core, heap, output
from tracker.cli.commands import check, digest, facts, inspect, report, running, sources, workspace

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Track a country report's facts against their sources.",
)


def _version(value: bool) -> None:
    if value:
        from tracker.version import __version__

        sys.stdout.write(f"tracker {__version__}\n")
        raise typer.Exit()


@app.callback()
@core.command
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = None,
) -> None:
    """The global options (core.py) given before the subcommand."""


COMMANDS: dict[str, Callable[..., Any]] = {
    "init": workspace.init,
    "run": running.run,
    "status": facts.status,
    "diff": sources.diff,
    "history": facts.history,
    "backfill": sources.backfill,
    "ack": facts.ack,
    "accept": facts.accept,
    "sources": sources.sources,
    "digest": digest.digest,
    "schedule": running.schedule,
    "kinds": sources.kinds,
    "demo": workspace.demo,
    "paths": inspect.paths,
    "probe": inspect.probe,
    "check": check.check,
}
for _name, _function in COMMANDS.items():
    app.command(_name)(core.command(_function))

report_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Read a report: citations, link health, draft facts.",
)
report_app.command("scan")(core.command(report.scan))
report_app.command("adopt")(core.command(report.adopt))
app.add_typer(report_app, name="report")


def main() -> None:
    """The console script. Once a command has finished and its output is flushed, the
    process ends with os._exit: tearing the interpreter down (module dicts, every object
    the loaded libraries made) is a measurable part of a short run (benchmarks/startup.py),
    and little is left to finalize — files are written atomically and closed, the run lock
    is released, worker pools are joined, and git's helper processes end on EOF. What is,
    the parse workers' fork server folder (multiprocessing's atexit), is removed here."""
    heap.one_command()
    output.tolerant_streams()
    code = core.run(app)
    if "tracker.run.pool" in sys.modules:  # a command that may have started parse workers
        from tracker.run.pool import remove_fork_server_folder

        remove_fork_server_folder()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`tracker … | head`)
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
