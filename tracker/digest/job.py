"""The digest as a job: decide it is due, build it per report, save, commit, email.

What the previous digests said is remembered in `.tracker/digest.json` (memory.py). That
file advances only once a digest was written (and queued, when sending), so a failed run
loses nothing. Source failures go to `email.maintainers` in a message of their own when
maintainers are configured (the analysts' digest then says only which sources are affected);
otherwise the analysts' digest carries the technical details itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from tracker.config import Config, SourceOptions
from tracker.config.secrets import workspace_redactor
from tracker.digest.memory import (
    DigestMemory,
    ReportTold,
    Told,
    load_memory,
    next_facts,
    save_memory,
)
from tracker.digest.model import Digest, ReportInfo, SourceInfo
from tracker.digest.values import safe_href
from tracker.errors import ConfigError
from tracker.evaluate.kept import KeptFindings
from tracker.fetch.urls import safe_url
from tracker.models import Finding, Notice, NoticeKind
from tracker.store.remote import SyncProblem, read_sync_problem
from tracker.store.state import State, source_health
from tracker.workspace import Workspace, Writer

if TYPE_CHECKING:  # the outbox (smtplib, email) is loaded when a digest is written or sent
    from tracker.notify.outbox import FlushResult, Outbox

T = TypeVar("T")

DIGESTS = "digests"
GIT_SYNC = "git sync"  # the maintainers' memory key for the team remote's sync problem
PROBLEM_HEALTH = ("failing", "gone", "suspect", "quiet")


@dataclass
class DigestRun:
    """What one digest pass did."""

    written: list[str] = field(default_factory=list)  # digests/… paths
    queued: list[str] = field(default_factory=list)  # subjects put in the outbox
    skipped: list[str] = field(default_factory=list)  # reports with nothing new
    commit: str | None = None
    flush: FlushResult | None = None


def digest_due(config: Config, memory: DigestMemory, now: datetime) -> bool:
    """Has `digest.schedule` fired since the last digest pass? (No schedule: every run.)"""
    from apscheduler.triggers.cron import CronTrigger

    if not memory.last_run or not config.digest.schedule:
        return True
    trigger = CronTrigger.from_crontab(config.digest.schedule, timezone="UTC")
    last = datetime.fromisoformat(memory.last_run)
    fire = trigger.get_next_fire_time(None, last + timedelta(seconds=1))
    return fire is not None and fire <= now


# ---------------------------------------------------------------- inputs


def source_link(options: SourceOptions) -> str | None:
    """A human page for the source where one exists, else its URL (http/https only)."""
    entity = getattr(options, "entity", None)
    if options.kind == "wikidata" and entity:
        return f"https://www.wikidata.org/wiki/{entity}"
    return safe_href(safe_url(options.url)) if options.url else None  # no query, no login


def source_infos(config: Config, state: State, now: datetime) -> dict[str, SourceInfo]:
    """The digest's view of `tracker sources` (state.source_health): title, link, and the
    error only where the health is bad."""
    infos = {}
    for row in source_health(config, state, now):
        sid, options = row["source"], config.sources[row["source"]]
        bad = row["health"] in ("failing", "gone", "suspect")
        infos[sid] = SourceInfo(
            id=sid,
            title=options.title or sid,
            kind=options.kind,
            link=source_link(options),
            health=row["health"],
            since=row["since"],
            error=row["last_error"] if bad else None,
        )
    return infos


def report_feeds(config: Config, report_id: str) -> list[str]:
    """Sources the report rests on that none of its facts names: the news feeds (when
    anything in it is watched) and the checks of its cited links."""
    report = config.reports[report_id]
    watched = any(f.watch for f in report.facts) or any(s.watch for s in report.sections)
    return [
        sid
        for sid, options in config.sources.items()
        if (options.kind == "rss" and watched)
        or (options.kind == "citations" and getattr(options, "report", None) == report_id)
    ]


def unreported_news(root: Path) -> dict[Any, list[dict[str, Any]]]:
    """Matched, not yet reported news items, by report (newest first)."""
    from tracker.evaluate.news import unreported_matches

    return _by_report(unreported_matches(root), lambda match: match.get("report"))


def _by_report(items: Iterable[T], report_of: Callable[[T], Any]) -> dict[Any, list[T]]:
    grouped: dict[Any, list[T]] = {}
    for item in items:
        grouped.setdefault(report_of(item), []).append(item)
    return grouped


def mark_news_reported(root: Path, ids: list[str], now: datetime) -> None:
    if not ids:
        return
    from tracker.evaluate.news import mark_reported

    mark_reported(root, ids, now)


def report_ids(config: Config, only: str | None) -> list[str]:
    if only:
        if only not in config.reports:
            raise ConfigError(
                f"unknown report {only!r}; known: {', '.join(config.reports) or 'none'}"
            )
        return [only]
    chosen = config.digest.reports or list(config.reports)
    return [r for r in chosen if r in config.reports]


def build_all(
    workspace: Workspace,
    findings: list[Finding],
    now: datetime,
    memory: DigestMemory,
    only: str | None = None,
) -> list[Digest]:
    """One digest per chosen report (nothing written)."""
    from tracker.digest.build import build_digest  # a run with no digest due needs none

    root, config, state = workspace.root, workspace.config, workspace.state
    chosen = report_ids(config, only)
    if not chosen:
        return []
    sources = source_infos(config, state, now)
    maintainers = bool(config.email and config.email.maintainers)
    news = unreported_news(root)
    found = _by_report(findings, lambda finding: finding.report)
    out = []
    for rid in chosen:
        meta = config.reports[rid].meta
        report = ReportInfo(
            id=rid,
            title=meta.title,
            language=meta.language,
            published=meta.published.isoformat() if meta.published else None,
        )
        told = memory.report(rid)
        out.append(
            build_digest(
                report,
                found.get(rid, []),
                memory=told,
                news=news.get(rid, []),
                sources=sources,
                now=now,
                source_errors_to_maintainers=maintainers,
                feeds=report_feeds(config, rid),
                dead_links=_dead_links(workspace, told.last, rid),
            )
        )
    return out


def _dead_links(workspace: Workspace, last: str | None, rid: str) -> list[dict[str, Any]]:
    """Cited links that died since this report's last digest (each is listed once)."""
    from tracker.evaluate.links import dead_citations

    since = datetime.fromisoformat(last) if last else None
    return dead_citations(workspace.config, workspace.store, since, report=rid)


# ---------------------------------------------------------------- the pass


def run_digests(
    writer: Writer,
    findings: list[Finding],
    now: datetime,
    *,
    send: bool,
    force: bool = False,
    only: str | None = None,
) -> DigestRun:
    """Build, save under digests/, commit, queue and send. `force`: even if nothing new."""
    root, config, state = writer.root, writer.config, writer.state
    memory = load_memory(root)
    result = DigestRun()
    email = config.email if send else None  # None: nothing is mailed this time
    send_empty = (
        force
        or config.digest.send_when_empty
        or bool(config.email and config.email.send_when_empty)
    )
    reported_news: list[str] = []
    messages = []
    for digest in build_all(writer.workspace, findings, now, memory, only):
        rid = digest.report.id
        if not digest.has_new and not send_empty:
            result.skipped.append(rid)
            continue
        from tracker.digest.render import render_html, render_text  # Jinja: a digest to write

        text, html = render_text(digest), render_html(digest)
        result.written += write_digest_files(writer, rid, digest.date, text, html)
        if email:
            from tracker.notify.outbox import build_message

            messages.append(
                build_message(
                    sender=email.from_,
                    to=email.to,
                    subject=digest.subject,
                    text=text,
                    html=html,
                    now=now,
                    tag=f"{rid}.{digest.date}",
                )
            )
        facts = next_facts(
            [f for f in findings if f.report == rid], memory.report(rid).facts, now.date()
        )
        memory.reports[rid] = ReportTold(
            last=now.isoformat(), sources=dict(digest.health), facts=facts
        )
        reported_news += digest.reported_news
    if result.written:
        subjects = (
            "; ".join(m["Subject"] for m in messages) or f"{len(result.written) // 2} report(s)"
        )
        result.commit = writer.commit(result.written, f"Digest {now.date()}: {subjects}", when=now)
        if result.commit:  # digests/ only: the findings kept before still hold
            KeptFindings(config, writer.store, state, now).still_hold()
    outbox: Outbox | None = None
    if email:  # the outbox (smtplib, email) only for a run that sends
        from tracker.notify.outbox import Outbox

        outbox = Outbox(root)
        for message in messages:  # queued only once committed: a failed commit sends nothing
            outbox.put(message)
            result.queued.append(str(message["Subject"]))
        if email.maintainers:
            _queue_maintainers(config, state, now, memory, outbox, result, read_sync_problem(root))
    memory.last_run = now.isoformat()
    save_memory(root, memory)  # after the files and the outbox: a crash loses nothing
    mark_news_reported(root, reported_news, now)
    if outbox is not None and email:
        result.flush = outbox.flush(email, workspace_redactor(config, os.environ))
    return result


def write_digest_files(writer: Writer, report_id: str, day: str, text: str, html: str) -> list[str]:
    paths = []
    for ext, body in (("txt", text), ("html", html)):
        rel = f"{DIGESTS}/{day}-{report_id}.{ext}"
        writer.write_file(rel, body)
        paths.append(rel)
    return paths


def flush_outbox(root: Path | str, config: Config) -> FlushResult | None:
    """Send what earlier runs left in the outbox (every run, digest due or not)."""
    if not config.email:
        return None
    from tracker.notify.outbox import Outbox

    outbox = Outbox(root)
    if not outbox.pending():
        return None
    return outbox.flush(config.email, workspace_redactor(config, os.environ))


# ---------------------------------------------------------------- maintainers


def _queue_maintainers(
    config: Config,
    state: State,
    now: datetime,
    memory: DigestMemory,
    outbox: Outbox,
    result: DigestRun,
    sync: SyncProblem | None = None,
) -> None:
    """One message to the maintainers when the set of unhealthy sources (or the team
    remote's sync problem, `.tracker/sync.json`) changed."""
    from tracker.notify.outbox import build_message

    assert config.email is not None
    infos = source_infos(config, state, now)
    problems = {sid: i.health for sid, i in infos.items() if i.health in PROBLEM_HEALTH}
    if sync is not None:
        problems[GIT_SYNC] = sync.kind
    before = memory.maintainers.sources
    if problems == before:
        return
    subject = maintainers_subject(problems)
    lines = [subject, ""]
    for sid, info in infos.items():
        if info.health in PROBLEM_HEALTH:
            lines.append(f"* {sid} ({info.title}): {info.health} since {info.since or '?'}")
            if info.error:
                lines.append(f"    {info.error}")
    if sync is not None:
        lines.append(f"* git {sync.remote}/{sync.branch}: {sync.kind} since {sync.since or '?'}")
        lines.append(f"    {sync.message}")
    recovered = sorted(set(before) - set(problems))
    if recovered:
        lines.append(f"Recovered: {', '.join(recovered)}")
    lines += ["", "`tracker sources` shows every source's health."]
    outbox.put(
        build_message(
            sender=config.email.from_,
            to=config.email.maintainers,
            subject=subject,
            text="\n".join(lines) + "\n",
            html=None,
            now=now,
            tag=f"sources.{now.date()}",
        )
    )
    result.queued.append(subject)
    memory.maintainers = Told(last=now.isoformat(), sources=problems)


def maintainers_subject(problems: dict[str, str]) -> str:
    if not problems:
        return "[report-tracker] all sources healthy again"
    counts: dict[str, int] = {}
    for sid, health in problems.items():
        if sid != GIT_SYNC:
            counts[health] = counts.get(health, 0) + 1
    parts = [f"{n} source{'s' if n != 1 else ''} {h}" for h, n in sorted(counts.items())]
    if GIT_SYNC in problems:
        parts.append(f"git sync: {problems[GIT_SYNC]}")
    return "[report-tracker] " + " · ".join(parts)


# ---------------------------------------------------------------- preview


def preview(
    workspace: Workspace, findings: list[Finding], now: datetime, fmt: str, only: str | None = None
) -> list[tuple[str, str]]:
    """(report id, rendered digest) without writing, sending or remembering anything."""
    from tracker.digest.render import render_html, render_text

    renderer = render_html if fmt == "html" else render_text
    digests = build_all(workspace, findings, now, load_memory(workspace.root), only)
    return [(d.report.id, renderer(d)) for d in digests]


__all__ = [
    "DigestRun",
    "run_digests",
    "run_if_due",
    "flush_outbox",
    "preview",
    "digest_due",
    "load_memory",
]


def run_if_due(
    writer: Writer, findings: list[Finding], now: datetime, *, send: bool
) -> tuple[list[str], list[Notice]]:
    """The `tracker run` hook: the digest when due, else only the outbox. → (files, notices)."""
    root, config = writer.root, writer.config
    written: list[str] = []
    if digest_due(config, load_memory(root), now):
        run = run_digests(writer, findings, now, send=send)
        written, flush = run.written, run.flush
    else:
        flush = flush_outbox(root, config) if send else None
    return written, flush_notices(flush)


def flush_notices(flush: FlushResult | None) -> list[Notice]:
    """What sending did, as typed notices (the CLI prints `message`, keys on `kind`)."""
    if flush is None:
        return []
    notices = (
        [
            Notice(
                NoticeKind.EMAILED, f"emailed: {len(flush.sent)} message(s)", count=len(flush.sent)
            )
        ]
        if flush.sent
        else []
    )
    notices += [
        Notice(
            NoticeKind.EMAIL_REJECTED,
            f"email rejected for good: {why}; the message is kept in "
            ".tracker/outbox/rejected/ and not retried",
            count=1,
            detail=why,
        )
        for why in flush.rejected
    ]
    if flush.error:
        notices.append(
            Notice(
                NoticeKind.EMAIL_WAITING,
                f"email not sent: {flush.error}; {len(flush.waiting)} message(s) "
                "wait in .tracker/outbox/ for the next run",
                count=len(flush.waiting),
                detail=flush.error,
            )
        )
    return notices
