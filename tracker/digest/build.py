"""Build one report's digest (tracker.digest.model) from findings; no I/O.

Findings are sorted against what the previous digest said (`ReportTold.facts`): newly flagged
facts become cards, one per cause (grouping.py), with the news that explains them
attached once (news.py); facts already reported become one line each; facts resolved
since, the report's unhealthy sources (grouped by health, every kind counted) and cited
links that died complete it. A run in which every source of the report failed says so in
one line instead of listing each fact that could not be checked.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Iterable

from tracker.digest.grouping import (
    RESOLVED,
    cause_key,
    checked_against,
    days_between,
    disagreeing,
    flag_of,
    is_unchecked,
    memory_key,
    problem_since,
)
from tracker.digest.memory import ReportTold
from tracker.digest.model import (
    FLAGS,
    Cause,
    Counts,
    CrossCheck,
    DeadLink,
    Digest,
    FactEntry,
    OpenLine,
    ReportInfo,
    ResolvedLine,
    ShareDiff,
    SourceInfo,
)
from tracker.digest.news import attach, news_entries
from tracker.digest.sources import source_lines
from tracker.digest.values import ago, clean, clean_or_none, safe_href, show
from tracker.evaluate.verifiability import summarize
from tracker.models import Finding, SecondaryCheck, ShareDifference


def build_digest(
    report: ReportInfo,
    findings: list[Finding],
    *,
    memory: ReportTold,
    news: Iterable[dict[str, Any]],
    sources: dict[str, SourceInfo],
    now: datetime,
    source_errors_to_maintainers: bool = False,
    feeds: Iterable[str] = (),
    dead_links: Iterable[dict[str, Any]] = (),
) -> Digest:
    """The digest of one report. `sources` maps every source id to its SourceInfo;
    `feeds` are the report's sources no fact names (news feeds, link checks)."""
    today = now.date()
    report, sources = _clean_report(report), {k: _clean_source(v) for k, v in sources.items()}
    new, still_open, resolved = [], [], []
    for finding in findings:
        flag, seen = flag_of(finding), memory.facts.get(finding.fact)
        if flag and seen and seen.key == memory_key(finding):
            since = problem_since(finding)
            still_open.append(
                (finding, OpenLine(clean(finding.fact), flag, since, seen.first_reported))
            )
        elif flag:
            new.append(finding)
        elif finding.status == "source-failing" and seen:  # reported, unknown now
            still_open.append(
                (
                    finding,
                    OpenLine(
                        clean(finding.fact), seen.status, None, seen.first_reported, checked=False
                    ),
                )
            )
        elif seen and (finding.status in RESOLVED or is_unchecked(finding)):
            resolved.append(
                ResolvedLine(
                    clean(finding.fact), clean(finding.status), seen.status, _current(finding)
                )
            )
    causes = group_causes(new, sources, today)
    entries = news_entries(news)
    unhealthy, outage = source_lines(
        _report_sources(findings, feeds),
        sources,
        findings,
        with_errors=not source_errors_to_maintainers,
    )
    digest = Digest(
        report=report,
        date=today.isoformat(),
        generated=now.isoformat(),
        counts=_counts(findings, len(new), [line for _, line in still_open]),
        review=causes,
        still_open=[line for _, line in sorted(still_open, key=_open_order)],
        resolved=resolved,
        news=attach(entries, causes),
        news_count=len(entries),
        sources=unhealthy,
        outage=outage,
        dead_links=[_dead_link(d) for d in dead_links],
        maintainers_notified=source_errors_to_maintainers,
    )
    digest.health = {s.id: s.health for line in unhealthy for s in line.sources}
    health_news = not source_errors_to_maintainers and digest.health != memory.sources
    digest.health_news = health_news and bool(digest.health)
    digest.has_new = bool(causes or resolved or entries or health_news or digest.dead_links)
    digest.subject = subject(digest)
    digest.verifiability = "; ".join(clean(v.text()) for v in summarize(findings))
    return digest


def _clean_report(report: ReportInfo) -> ReportInfo:
    return replace(
        report,
        id=clean(report.id),
        title=clean_or_none(report.title),
        language=clean_or_none(report.language),
        published=clean_or_none(report.published),
    )


@functools.lru_cache(maxsize=4096)  # each report's digest cleans every source: once will do
def _clean_source(source: SourceInfo) -> SourceInfo:
    return replace(
        source,
        id=clean(source.id),
        title=clean(source.title) or clean(source.id),
        kind=clean(source.kind),
        link=safe_href(source.link),
        health=clean(source.health),
        since=clean_or_none(source.since),
        error=clean_or_none(source.error),
    )


# ---------------------------------------------------------------- cards


def group_causes(
    findings: list[Finding], sources: dict[str, SourceInfo], today: date
) -> list[Cause]:
    """One card per cause, worst first (FLAGS order), then the most recent first."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(cause_key(finding), []).append(finding)
    causes = [_cause(group, sources, today) for group in groups.values()]
    causes.sort(key=lambda c: c.date or "", reverse=True)  # undated ones last
    causes.sort(key=lambda c: FLAGS.index(c.status))
    return causes


def _cause(group: list[Finding], sources: dict[str, SourceInfo], today: date) -> Cause:
    first = group[0]
    flag = flag_of(first) or ""
    since = problem_since(first)
    shared = {checked_against(f) for f in group}
    source = sources.get(shared.pop() or "") if len(shared) == 1 else None
    cause = Cause(
        status=flag,
        headline="",
        date=since,
        days=days_between(since, today),
        source=source,
        facts=[_entry(f, flag, sources) for f in group],
    )
    cause.headline = _headline(cause, first)
    return cause


def _headline(cause: Cause, first: Finding) -> str:
    n = len(cause.facts)
    facts = f"{n} fact{'s' if n != 1 else ''}"
    title = cause.source.title if cause.source else clean(checked_against(first) or "")
    when = f" on {cause.date}" if cause.date else ""
    when += f" ({ago(cause.days)})" if cause.date and ago(cause.days) else ""
    if cause.status == "expired":
        claims = "A time-bound claim" if n == 1 else f"{n} time-bound claims"
        return f"{claims} expired{when}"
    if cause.status == "stale":
        verb = "no longer matches" if n == 1 else "no longer match"
        return f"{title} changed{when}: {facts} {verb} the report"
    if cause.status == "unverifiable":
        if first.details.gone_since:
            return f"{title} is gone since{when[3:]}: {facts} can no longer be checked"
        return f"{facts} can no longer be read from {title}"
    others = sorted({_title(check.source, _sources_of(cause)) for check in disagreeing(first)})
    return f"{title} and {', '.join(others)} disagree on {facts}"


def _sources_of(cause: Cause) -> dict[str, str]:
    return {c.source: c.title for f in cause.facts for c in f.also}


def _title(source_id: str, titles: dict[str, str]) -> str:
    return titles.get(source_id) or clean(source_id)


def _entry(finding: Finding, flag: str, sources: dict[str, SourceInfo]) -> FactEntry:
    extract = finding.details.extract
    has_source = bool(finding.source)
    gone = bool(finding.details.gone_since)
    return FactEntry(
        fact=clean(finding.fact),
        status=flag,
        expected=show(finding.expected, extract),
        current=show(finding.current, extract) if has_source else None,
        claim=clean_or_none(finding.claim),
        section=clean_or_none(finding.section),
        footnote=finding.footnote if isinstance(finding.footnote, int) else None,
        path=(" › ".join(_flat_path(finding.path)) or None) if has_source else None,
        note=clean_or_none(finding.note) if flag == "unverifiable" and not gone else None,
        also=tuple(_cross_check(check, sources) for check in finding.details.also),
        shares=tuple(_share(share) for share in finding.details.shares),
    )


def _current(finding: Finding) -> str:
    return show(finding.current, finding.details.extract) if finding.source else "—"


def _cross_check(check: SecondaryCheck, sources: dict[str, SourceInfo]) -> CrossCheck:
    info = sources.get(check.source)
    return CrossCheck(
        source=clean(check.source),
        title=info.title if info else clean(check.source),
        value=show(check.value),
        agrees=check.agrees,
        since=clean_or_none(check.since),
    )


def _share(share: ShareDifference) -> ShareDiff:
    return ShareDiff(
        name=clean(share.name),
        expected=show(share.expected),
        current="—" if share.current is None else show(share.current),
    )


def _flat_path(path: Any) -> list[str]:
    if not path:
        return []
    if not isinstance(path, (list, tuple)):
        return [clean(path)]
    if isinstance(path[0], (list, tuple)):  # alternatives never resolved: show the first
        path = path[0]
    return [clean(p) for p in path]


def _open_order(pair: tuple[Finding, OpenLine]) -> tuple[int, str, str]:
    finding, line = pair
    rank = FLAGS.index(line.status) if line.status in FLAGS else len(FLAGS)
    return (rank, "\0".join(cause_key(finding)), line.since or "")


# ---------------------------------------------------------------- the rest


def _counts(findings: list[Finding], review: int, still_open: list[OpenLine]) -> Counts:
    """Every fact in one bucket: flagged ones are new (review) or still open, and so is a
    reported one whose source could not be read now; the rest split by status."""
    rest = [f for f in findings if not flag_of(f)]
    unchecked = sum(1 for f in rest if is_unchecked(f))
    agree = sum(1 for f in rest if f.status == "current" and not is_unchecked(f))
    acknowledged = sum(1 for f in rest if f.status == "acknowledged")
    open_unknown = sum(1 for line in still_open if not line.checked)
    return Counts(
        tracked=len(findings),
        agree=agree,
        unchecked=unchecked,
        review=review,
        still_open=len(still_open),
        acknowledged=acknowledged,
        not_checked=len(rest) - unchecked - agree - acknowledged - open_unknown,
    )


def _report_sources(findings: list[Finding], feeds: Iterable[str]) -> list[str]:
    """Every source the report rests on: its facts' sources, their cross-checks, and the
    feeds and link checks it is watched with, in that order."""
    seen: dict[str, None] = {}
    for finding in findings:
        if finding.source:
            seen[finding.source] = None
        for check in finding.details.also:
            if check.source:
                seen[check.source] = None
    seen.update(dict.fromkeys(feeds))
    return list(seen)


def _dead_link(link: dict[str, Any]) -> DeadLink:
    status = link.get("status")
    return DeadLink(
        url=clean(link.get("url")),
        state=clean(link.get("state")),
        footnotes=tuple(f for f in link.get("footnotes") or [] if isinstance(f, int)),
        died=clean(link.get("died")),
        status=status if isinstance(status, int) else None,
        final_url=clean_or_none(link.get("final_url")),
        facts=tuple(clean(f) for f in link.get("facts") or []),
    )


def subject(digest: Digest) -> str:
    """`[kz-security-2025] 2 facts need review · 1 still open · 5 news items`."""
    parts = []
    if digest.review:
        n = digest.review_facts
        parts.append(f"{n} fact{'s' if n != 1 else ''} need{'s' if n == 1 else ''} review")
    if digest.still_open:
        parts.append(f"{len(digest.still_open)} still open")
    if digest.resolved:
        parts.append(f"{len(digest.resolved)} resolved")
    if digest.news_count:
        n = digest.news_count
        parts.append(f"{n} news item{'s' if n != 1 else ''}")
    if digest.health_news:
        for health in ("failing", "gone", "suspect", "quiet"):
            n = sum(1 for h in digest.health.values() if h == health)
            if n:
                parts.append(f"{n} source{'s' if n != 1 else ''} {health}")
    if not parts:
        parts.append("no changes")
    return clean(f"[{digest.report.id}] " + " · ".join(parts))
