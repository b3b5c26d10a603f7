"""`check`: is the workspace ready — configuration, fact paths, environment, network."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.commands.common import open_workspace
from tracker.cli.options import Format, FormatOpt
from tracker.cli.output import print_json, print_lines, styled

OfflineOpt = Annotated[bool, typer.Option("--offline", help="touch no network: no SMTP, no source")]
LABELS = {
    "path": "path",
    "reads-nothing": "reads nothing",
    "snapshot": "no snapshot",
    "environment": "environment",
    "smtp": "smtp",
    "source": "source",
}


def check(offline: OfflineOpt = False, format_: FormatOpt = Format.table) -> None:
    """Load the configuration, resolve every fact's path against the current snapshot,
    check the environment variables it names and (unless --offline) that the SMTP server
    and every source answer. A line per problem; exit 0 when all is well, 1 otherwise,
    2 for a configuration error."""
    from tracker.run.check import run_check

    ws = open_workspace()
    result = run_check(ws.config, ws.store, offline=offline)
    if format_ is Format.json:
        print_json(result.to_json())
    else:
        lines = [
            styled(("✗ ", "red"), (f"{LABELS[p.kind]}: ", "bold"), f"{p.subject}: ", p.message)
            for p in result.problems
        ]
        summary = _summary(result.checked, offline, len(result.problems))
        lines.append(styled((summary, None if result.problems else "green")))
        print_lines(lines)
    if not result.ok:
        raise typer.Exit(1)


def _summary(checked: dict[str, int], offline: bool, problems: int) -> str:
    parts = [
        f"{checked.get('paths', 0)} fact path(s) of {checked.get('facts', 0)} fact(s)",
        f"{checked.get('environment', 0)} environment variable(s)",
    ]
    if offline:
        parts.append("network not checked (--offline)")
    else:
        parts.append(f"{checked.get('sources', 0)} source(s) on the network")
        parts.append("the SMTP server" if checked.get("smtp") else "no SMTP server configured")
    verdict = f"{problems} problem(s)" if problems else "all well"
    return f"checked {', '.join(parts)}: {verdict}"
