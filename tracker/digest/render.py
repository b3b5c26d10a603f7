"""Render a Digest with the Jinja2 templates: plain text (at most 80 columns, but for a
link longer than a line: it stays whole on a line of its own) and HTML (autoescaped,
inline CSS, one column for phones)."""

from __future__ import annotations

import functools

import jinja2

from tracker.digest.model import (
    Cause,
    Counts,
    CrossCheck,
    DeadLink,
    Digest,
    FactEntry,
    NewsEntry,
    OpenLine,
    ResolvedLine,
    SourceLine,
)
from tracker.digest.values import TEXT_WIDTH, columns, link_line, safe_href, wrap

LABELS = {
    "stale": "stale",
    "expired": "expired",
    "unverifiable": "unverifiable",
    "disagreement": "sources disagree",
}


def summary_line(counts: Counts) -> str:
    """`79 facts: 34 need review, 35 agree with their sources, 10 only tracked by expiry
    or news` — each fact in one bucket; a fact no source checks never 'agrees'."""
    parts = []
    review = counts.review + counts.still_open
    if review:
        parts.append(f"{review} need{'s' if review == 1 else ''} review")
    if counts.agree:
        agree = "agree with their sources" if counts.agree != 1 else "agrees with its source"
        parts.append(f"{counts.agree} {agree}")
    if counts.acknowledged:
        parts.append(f"{counts.acknowledged} acknowledged")
    if counts.not_checked:
        parts.append(f"{counts.not_checked} not checked this time")
    if counts.unchecked:
        parts.append(
            f"{counts.unchecked} only tracked by expiry or news (no source checks "
            f"{'them' if counts.unchecked != 1 else 'it'})"
        )
    n = counts.tracked
    return f"{n} fact{'s' if n != 1 else ''} tracked" + (": " + ", ".join(parts) if parts else "")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def fact_heading(fact: FactEntry, cause: Cause) -> str:
    """`mazhilis-seats (footnote 11)`; the section too when the card's facts differ."""
    where = [fact.section] if fact.section and not cause.section else []
    where += [f"footnote {fact.footnote}"] if fact.footnote is not None else []
    return fact.fact + (f" ({', '.join(where)})" if where else "")


def values_line(fact: FactEntry) -> str:
    """`Report: 98 · source: 97`."""
    text = f"Report: {fact.expected}"
    if fact.current is not None:
        text += f" · source: {fact.current}"
    return text


def check_line(check: CrossCheck) -> str:
    verdict = {True: "agrees", False: "disagrees", None: "not readable"}[check.agrees]
    since = f", since {check.since}" if check.since else ""
    return f"Also {check.title}: {check.value} ({verdict}{since})"


def news_heading(entry: NewsEntry) -> str:
    where = [w for w in (entry.published, entry.feed) if w]
    return entry.title + (f" ({', '.join(where)})" if where else "")


def open_line(line: OpenLine) -> str:
    """`population: stale since 2026-01-22`."""
    label = LABELS.get(line.status, line.status)
    when = (
        f" since {line.since}"
        if line.since
        else f", reported since {line.first_reported}"
        if line.first_reported
        else ""
    )
    unknown = "" if line.checked else " (not checked this time)"
    return f"{line.fact}: {label}{when}{unknown}"


def resolved_line(line: ResolvedLine) -> str:
    if line.status == "acknowledged":
        how = "acknowledged in review"
    elif line.status == "current":
        how = "the source agrees again"
    else:
        how = "no source checks it now"
    was = LABELS.get(line.was or "", line.was or "?")
    return f"{line.fact}: {how} (was {was}; now {line.current})"


def sources_text(line: SourceLine, outage: bool) -> str:
    """`3 sources could not be read: A (since …), B; 12 facts not checked this time`."""
    if outage and line.health == "failing":
        text = (
            f"{line.text}: none of this report's sources answered, so nothing was checked this time"
        )
        if line.facts_not_checked:
            text += f"; {plural(line.facts_not_checked, 'fact')} keep their last known state"
        return text + " (each source's error: `tracker sources`)."
    names = ", ".join(s.title + (f" (since {s.since})" if s.since else "") for s in line.sources)
    text = f"{line.text}: {names}"
    if line.facts_not_checked:
        text += f"; {plural(line.facts_not_checked, 'fact')} not checked this time"
    return text


def error_lines(line: SourceLine, outage: bool) -> list[str]:
    """The errors to show under a sources line (only when no maintainers take them)."""
    failed = [s for s in line.sources if s.error]
    if len(line.sources) == 1:
        return [s.error for s in failed if s.error]
    prefix = "For example, " if outage and line.health == "failing" else ""
    return [f"{prefix}{s.title}: {s.error}" for s in failed]


def dead_link_line(link: DeadLink) -> str:
    what = f"HTTP {link.status}" if link.status else link.state
    moved = f", now redirects to {link.final_url}" if link.final_url else ""
    notes = ", ".join(str(f) for f in link.footnotes) or "?"
    return f"footnote {notes}: {what}{moved} (since {link.died})"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.digest", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(safe_href=safe_href, wrap=wrap, link=link_line)
    env.globals.update(
        summary_line=summary_line,
        labels=LABELS,
        columns=columns,
        width=TEXT_WIDTH,
        plural=plural,
        fact_heading=fact_heading,
        values_line=values_line,
        check_line=check_line,
        news_heading=news_heading,
        open_line=open_line,
        resolved_line=resolved_line,
        sources_text=sources_text,
        dead_link_line=dead_link_line,
        error_lines=error_lines,
    )
    return env


FORMATS = ("txt", "html")


@functools.cache
def template(fmt: str) -> jinja2.Template:
    """The digest template of `fmt`, compiled once per process (a long-lived process, such
    as the daemon or a test's warm helper, compiles it once for all its runs)."""
    return _environment().get_template(f"digest.{fmt}.j2")


def compile_templates() -> None:
    """Compile every format's template now, rather than at a process's first digest."""
    for fmt in FORMATS:
        template(fmt)


def render(digest: Digest, fmt: str) -> str:
    """fmt 'txt' or 'html'."""
    return template(fmt).render(d=digest)


def render_text(digest: Digest) -> str:
    return render(digest, "txt")


def render_html(digest: Digest) -> str:
    return render(digest, "html")
