"""`digest`: preview the digest (changes nothing) or send it now."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from tracker.cli.commands.common import check_report, open_workspace
from tracker.cli.options import NowOpt, ReportOpt, WaitOpt, clock
from tracker.cli.output import Messages, safe
from tracker.errors import ConfigError

SUFFIXES = {".html": "html", ".htm": "html", ".txt": "txt"}


def _output_file(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in SUFFIXES:
        raise typer.BadParameter(f"{value}: use a .html or .txt file name")
    if path.is_dir():
        raise typer.BadParameter(f"{value} is a directory")
    return path


OutputOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--output", parser=_output_file, metavar="FILE", help="write to FILE (.html or .txt)"
    ),
]
SendOpt = Annotated[bool, typer.Option("--send", help="save under digests/, commit, email")]


def digest(
    report: ReportOpt = None,
    output: OutputOpt = None,
    send: SendOpt = False,
    now: NowOpt = None,
    wait: WaitOpt = 0.0,
) -> None:
    """Render the digest now (a preview that changes nothing), or --send it."""
    if send and output is not None:
        raise typer.BadParameter(
            "--send saves under digests/; drop --output", param_hint="--output"
        )
    when = clock(now)
    ws = open_workspace()
    check_report(ws, report)
    if send:
        _send(ws, report, when, wait)
        return
    from tracker.cli.commands.common import findings
    from tracker.digest import job as digest_job

    fmt = SUFFIXES[output.suffix.lower()] if output else "txt"
    rendered = digest_job.preview(ws, findings(ws, when, report), when, fmt, report)
    if output is None:
        sys.stdout.write(safe("\n".join(text for _, text in rendered)))
        return
    if len(rendered) != 1:
        raise typer.BadParameter("several reports: choose one with --report", param_hint="--output")
    try:
        output.write_text(rendered[0][1], encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--output: cannot write {output}: {exc.strerror}") from None
    Messages().info(f"wrote {output}")


def _send(ws: Any, report: str | None, when: Any, wait: float) -> None:
    from tracker.digest import job as digest_job
    from tracker.errors import TrackerError
    from tracker.evaluate.findings import evaluate_all

    if not ws.config.email:
        raise ConfigError("no `email:` section: nothing to send to", file="feeds.yaml")
    # --send writes digests/, commits and fills the outbox: never beside a run
    with ws.writing(now=when, wait=wait, clean_on=(TrackerError,)) as writer:
        found = evaluate_all(ws.config, ws.store, writer.state, when, report)
        result = digest_job.run_digests(writer, found, when, send=True, force=True, only=report)
    say = Messages()
    for subject in result.queued:
        say.info(f"queued: {subject}")
    for notice in digest_job.flush_notices(result.flush):
        if notice.warning:
            say.warn(notice.message)
        else:
            say.info(notice.message)
    if result.flush and (result.flush.error or result.flush.rejected):
        raise typer.Exit(1)
