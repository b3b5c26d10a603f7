"""Facts: `status`, `history`, `ack`, `accept`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import typer

from tracker.cli.commands.common import findings, findings_json, open_workspace
from tracker.cli.options import (
    FactArg,
    Format,
    FormatOpt,
    NowOpt,
    ReportOpt,
    StatusOpt,
    WaitOpt,
    clock,
)
from tracker.cli.output import (
    Messages,
    print_json,
    print_json_items,
    print_lines,
    short,
    table,
    width,
)
from tracker.cli.status_view import rank, status_lines
from tracker.errors import ConfigError
from tracker.models import Finding


def status(
    report: ReportOpt = None,
    status: StatusOpt = None,
    now: NowOpt = None,
    format_: FormatOpt = Format.table,
) -> None:
    """Every fact: status, expected, current value, since when, source — problems first."""
    ws = open_workspace()
    if format_ is Format.json:
        rows = findings_json(ws, clock(now), report)
        chosen = [row for row in rows if status is None or row[0] in status]
        print_json_items([text for _, text in sorted(chosen, key=lambda row: rank(row[0]))])
        return
    every = findings(ws, clock(now), report)
    shown = [f for f in every if status is None or f.status in status]
    print_lines(verifiability_lines(every, width()))
    print_lines(status_lines(shown, width(), total=len(every)))


def verifiability_lines(every: list[Finding], columns: int) -> list[str]:
    """Per report: how many facts a living source checks, only a frozen one, none."""
    from textwrap import wrap

    from tracker.evaluate.verifiability import summarize

    return [
        line
        for summary in summarize(every)
        for line in wrap(
            f"{summary.report}: {summary.text()}",
            columns,
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    ]


def history(fact: FactArg, format_: FormatOpt = Format.table) -> None:
    """The fact's value over time from git: one row per distinct value."""
    from tracker.evaluate.history import fact_history

    ws = open_workspace()
    _, found = ws.config.fact(fact)
    if found.primary is None:
        raise ConfigError(f"fact {fact!r} has no source; nothing to trace")
    rows = fact_history(ws.store, found.primary)
    if format_ is Format.json:
        print_json(rows)
        return
    table(
        ("since", "value", "commit"),
        (
            (
                row["since"],
                GONE if row["value"] is None else row["value"],
                (row["commit"] or "")[:10],
            )
            for row in rows
        ),
        whole=(0, 2),
    )


GONE = "(no value: gone from the source)"


NoteOpt = Annotated[Optional[str], typer.Option("--note", help="why, for the record")]


def ack(fact: FactArg, note: NoteOpt = None, now: NowOpt = None, wait: WaitOpt = 0.0) -> None:
    """Record a review: the fact stays as written, the current value was seen."""
    _review(fact, note, clock(now), accept=False, wait=wait)


def accept(fact: FactArg, note: NoteOpt = None, now: NowOpt = None, wait: WaitOpt = 0.0) -> None:
    """Adopt the source's current value as the report's new claim (committed)."""
    _review(fact, note, clock(now), accept=True, wait=wait)


def _review(fact: str, note: str | None, when: datetime, *, accept: bool, wait: float) -> None:
    from tracker.errors import TrackerError
    from tracker.evaluate.evaluation import evaluate_fact
    from tracker.reports.review import record_review

    ws = open_workspace()
    report, found = ws.config.fact(fact)
    # the one write path (lock, git-state check, a dead run's repairs): never beside a run;
    # a refusal inside (TrackerError) leaves no holder note behind
    with ws.writing(now=when, wait=wait, clean_on=(TrackerError,)) as writer:
        finding = evaluate_fact(ws.config, ws.store, writer.state, when, report.meta.id, found)
        sha = record_review(writer, finding, when, note=note, accept=accept)
    verb = "accepted" if accept else "acknowledged"
    commit = f"; commit {sha[:10]}" if sha else ""
    Messages().info(
        f"{finding.report}/{finding.fact} {verb} (current: {short(finding.current)}){commit}"
    )
