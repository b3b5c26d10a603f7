"""Option and argument declarations shared by the commands, each declared once.

Every value is checked while argv is parsed: a bad one is a click usage error, which
`core.py` turns into exit 2 with a one-line message before any command body runs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tracker.models import STATUSES


class Format(str, Enum):
    """Output of a listing command."""

    table = "table"
    json = "json"


def parse_now(value: str) -> datetime:
    """--now ISO date or datetime (UTC when it names no zone)."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or datetime (e.g. 2026-03-02 or 2026-03-02T04:00)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def clock(now: datetime | None) -> datetime:
    """The --now value, or the real clock (read here, at the top, and passed down)."""
    return now if now is not None else datetime.now(timezone.utc)


def parse_seconds(value: str) -> float:
    """A number of seconds: finite, not negative."""
    try:
        seconds = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise typer.BadParameter(f"{value!r}: give a finite number of seconds, 0 or more")
    return seconds


_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
# What a git revision may look like here: names, hashes, HEAD~2, main@{1}, tags/v1.
# Never an option (a leading '-') and no range: it is passed to git as `REV..HEAD`.
_REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./~^@{}+-]*")


def parse_since(value: str) -> str:
    """--since: an ISO date (checked: 2026-02-30 is refused) or a git revision."""
    value = value.strip()
    if _DATE_LIKE.match(value):
        try:
            if len(value) == 10:
                date.fromisoformat(value)
            else:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise typer.BadParameter(f"{value!r} is not a valid date ({exc})") from None
        return value
    if not _REVISION.fullmatch(value) or ".." in value:
        raise typer.BadParameter(
            f"{value!r} is neither an ISO date (YYYY-MM-DD) nor a git revision"
        ) from None
    return value


@dataclass(frozen=True)
class StatusFilter:
    statuses: tuple[str, ...]

    def __contains__(self, status: object) -> bool:
        return status in self.statuses


def parse_statuses(value: str) -> StatusFilter:
    """--status STATUS[,STATUS…]: each one a known status."""
    chosen = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = [s for s in chosen if s not in STATUSES]
    if unknown or not chosen:
        raise typer.BadParameter(
            f"{', '.join(map(repr, unknown)) or 'nothing'}: choose from {', '.join(STATUSES)}"
        )
    return StatusFilter(chosen)


FORMAT_HELP = "table (default) or json"
WAIT_HELP = "seconds to wait while another run holds the workspace"

FormatOpt = Annotated[Format, typer.Option("--format", help=FORMAT_HELP, case_sensitive=False)]
NowOpt = Annotated[
    Optional[datetime],
    typer.Option(
        "--now",
        parser=parse_now,
        metavar="ISO",
        help="the clock, ISO date or datetime, UTC (for replays)",
    ),
]
WaitOpt = Annotated[
    float, typer.Option("--wait", parser=parse_seconds, metavar="S", help=WAIT_HELP)
]
ReportOpt = Annotated[
    Optional[str], typer.Option("--report", metavar="ID", help="only this report")
]
SinceOpt = Annotated[
    Optional[str],
    typer.Option(
        "--since",
        parser=parse_since,
        metavar="DATE/REV",
        help="ISO date or git revision (default: the latest change)",
    ),
]
StatusOpt = Annotated[
    Optional[StatusFilter],
    typer.Option(
        "--status",
        parser=parse_statuses,
        metavar="STATUS[,STATUS…]",
        help=f"only facts with these statuses ({', '.join(STATUSES)})",
    ),
]
FactArg = Annotated[str, typer.Argument(help="fact id or REPORT/FACT", show_default=False)]
SourceArg = Annotated[str, typer.Argument(help="source id from feeds.yaml", show_default=False)]
NewDirArg = Annotated[Path, typer.Argument(file_okay=False, help="folder of the new workspace")]
