"""Running: `run` (one pass) and `schedule` (the daemon).

What `tracker run` prints depends on who reads it. On a terminal: a line per source, the
commit, the digest, the facts by status. From cron or into a pipe or --log-file: a run
that had nothing to do prints nothing, any other prints one timestamped summary line
plus one line per failed source (per-source lines with -v) — a log that grows by what
happened, not by every ten minutes that passed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from tracker.cli import heap
from tracker.cli.commands.common import open_workspace
from tracker.cli.context import settings, workspace_root
from tracker.cli.logs import setup_logging
from tracker.cli.options import Format, FormatOpt, NowOpt, WaitOpt, clock, parse_seconds
from tracker.cli.output import Messages, print_json
from tracker.cli.progress import progress_bar
from tracker.cli.status_view import rank
from tracker.errors import ConfigError
from tracker.models import NoticeKind

if TYPE_CHECKING:
    from tracker.models import RunResult, SourceResult

EXIT_SOURCES_FAILED = 3

SourcesOpt = Annotated[
    Optional[list[str]],
    typer.Option("--source", "-s", metavar="ID", help="only this source (repeat)"),
]
AllOpt = Annotated[bool, typer.Option("--all", help="fetch every source, due or not")]
NoEmailOpt = Annotated[bool, typer.Option("--no-email", help="write digests, do not send them")]


def run(
    source: SourcesOpt = None,
    all_: AllOpt = False,
    now: NowOpt = None,
    no_email: NoEmailOpt = False,
    wait: WaitOpt = 0.0,
    format_: FormatOpt = Format.table,
) -> None:
    """One pass: fetch due (or all/selected) sources, commit, evaluate, digest when due."""
    from tracker.run.runner import run_once

    heap.settle()  # the run's modules are loaded; what follows is the run itself
    _check_sources(source or [])
    with progress_bar("fetching sources", at_least=5) as progress:
        result = run_once(
            workspace_root(),
            now=clock(now),
            only=source or [],
            run_all=all_,
            send_email=not no_email,
            wait=wait,
            progress=progress,
        )
    if format_ is Format.json:
        print_json(run_json(result))
    else:
        report_run(result, Messages(stamped=True))
    if result.failed:
        raise typer.Exit(EXIT_SOURCES_FAILED)


def _check_sources(chosen: list[str]) -> None:
    """Refuse an unknown --source before the run takes the workspace."""
    if not chosen:
        return
    known = open_workspace().config.sources
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise ConfigError(
            f"--source: unknown source {unknown[0]!r}; known: {', '.join(known) or 'none'}"
        )


def run_json(result: RunResult) -> dict[str, Any]:
    return {
        "started": result.started.isoformat(),
        "commit": result.commit,
        "repaired": result.repaired,
        "digests": result.digests,
        "notices": [n.message for n in result.notices],
        "notice_records": [n.to_json() for n in result.notices],
        "sources": [
            {
                "source": s.source,
                "ok": s.ok,
                "changed": s.changed,
                "not_modified": s.not_modified,
                "gone": s.gone,
                "error": s.error,
                "failure": s.failure.value if s.failure else None,
                "changes": len(s.changes),
            }
            for s in result.sources
        ],
        "findings": [f.to_json() for f in result.findings],
    }


def report_run(result: RunResult, say: Messages) -> None:
    per_source = say.detail if say.stamped else say.info
    if not (result.sources or result.digests or result.notices):
        per_source("Nothing due.")
        return
    for item in result.sources:
        if not item.ok:
            say.warn(f"✗ {item.source}: {item.error}")
        else:
            per_source(_source_line(item), "green" if item.changed else None)
    if say.stamped:
        say.info(_summary(result))
    else:
        say.info(f"commit: {result.commit[:10]}" if result.commit else "no commit (no changes)")
        for path in result.digests[::2]:
            say.info(f"digest: {path.rsplit('.', 1)[0]}.{{txt,html}}")
        if result.findings:
            say.info(f"facts: {_facts(result)}")
    for notice in result.notices:
        if notice.warning:
            say.warn(notice.message)
        elif not say.stamped:
            say.info(notice.message, "green")


def _source_line(item: SourceResult) -> str:
    if item.not_modified:
        return f"· {item.source}: not modified (304)"
    if item.suspect:  # its notice says why (run/suspect.py)
        return f"· {item.source}: held back as suspect, not committed"
    if item.changed:
        return f"✓ {item.source}: {len(item.changes)} change(s)"
    return f"· {item.source}: unchanged"


def _summary(result: RunResult) -> str:
    """The one line a run leaves in a log."""
    changed = [s.source for s in result.sources if s.changed]
    counts = [f"{len(result.sources)} source(s) fetched"]
    if changed:
        counts.append(f"changed: {', '.join(changed)}")
    if result.failed:
        counts.append(f"{len(result.failed)} failed")
    parts = ["; ".join(counts)]
    parts.append(f"commit {result.commit[:10]}" if result.commit else "no commit")
    if result.digests:
        parts.append(f"digest: {', '.join(p.rsplit('.', 1)[0] for p in result.digests[::2])}")
    parts.extend(n.message for n in result.notices if n.kind is NoticeKind.EMAILED)
    if result.findings:
        parts.append(f"facts: {_facts(result)}")
    return "run: " + "; ".join(parts)


def _facts(result: RunResult) -> str:
    counts = Counter(f.status for f in result.findings)
    return ", ".join(f"{counts[s]} {s}" for s in sorted(counts, key=rank))


def _interval(value: str) -> float:
    seconds = parse_seconds(value)
    if seconds < 0.1:
        raise typer.BadParameter(f"{value!r}: at least 0.1 s")
    return seconds


GraceOpt = Annotated[
    float,
    typer.Option(
        "--misfire-grace",
        parser=parse_seconds,
        metavar="S",
        help="skip a job that could not start within S s",
    ),
]
IntervalOpt = Annotated[
    Optional[float],
    typer.Option(
        "--interval",
        parser=_interval,
        metavar="S",
        help="demos/tests: every job every S s instead of its cron",
    ),
]


def schedule(
    no_email: NoEmailOpt = False,
    wait: WaitOpt = 600.0,
    misfire_grace: GraceOpt = 3600.0,
    interval: IntervalOpt = None,
) -> None:
    """Run the scheduler daemon from the schedules in feeds.yaml (SIGTERM stops it cleanly)."""
    import signal
    import threading

    from tracker.run.schedule import Daemon

    setup_logging(settings(), daemon=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon = Daemon(
        workspace_root(),
        clock=_real_clock,
        send_email=not no_email,
        misfire_grace=misfire_grace,
        lock_wait=wait,
        interval=interval,
    )
    daemon.serve(stop)


def _real_clock() -> datetime:
    return datetime.now(timezone.utc)
