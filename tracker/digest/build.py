"""Build and render a report's change digest from plain data (no I/O except templates).

`build_digest` sorts the findings of one report against what the previous digest said
(`memory`: fact → {key, status, first_reported}) into: newly flagged facts that need review,
reminders for facts still flagged, facts resolved since, facts that could not be checked,
plus matched news grouped by fact and section, and the health of the report's sources.
`render_text` / `render_html` turn that dict into the two parts of the email.

Everything from a source or a feed is untrusted: HTML templates are autoescaped, feed
summaries are reduced to plain text with nh3, and a link becomes an href only when it is
an absolute http(s) URL.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from typing import Any, Iterable
from urllib.parse import urlsplit

import jinja2
import nh3

from tracker.models import Finding

FLAGGED = ("stale", "expired", "unverifiable")
RESOLVED = ("current", "acknowledged")
SUMMARY_CHARS = 280
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")

# Why a fact is in the digest, in the analyst's words.
REASONS = {
    "stale": "The source now says something else.",
    "expired": "A time-bound claim has passed its date.",
    "unverifiable": "The value can no longer be checked.",
    "disagreement": "The sources disagree.",
}
HEALTH_TEXT = {
    "failing": "could not be read since {since}",
    "gone": "no longer available since {since}",
    "quiet": "no update since {since}",
    "never-fetched": "never fetched successfully",
}


# ---------------------------------------------------------------- safety helpers


def safe_href(url: Any) -> str | None:
    """An absolute http(s) URL, or None: `javascript:`, `data:` and relative links drop."""
    if not isinstance(url, str):
        return None
    text = _CONTROL.sub("", url.strip())  # browsers ignore these inside a scheme
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def plain_text(markup: Any, limit: int = SUMMARY_CHARS) -> str:
    """Feed HTML → short plain text (tags and script/style content removed)."""
    if not markup:
        return ""
    text = html.unescape(nh3.clean(str(markup), tags=set()))
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def show(value: Any, extract: str | None = None) -> str:
    """A value as an analyst reads it: 20,260,006 · Kazakh 71%, Russian 14.9% · 2029."""
    if value is None:
        return "—"
    if extract == "year" and isinstance(value, (int, float)):
        return str(int(value))  # a year, not a count: no thousands separator
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {show(v)}%" if isinstance(v, (int, float)) else f"{k}: {show(v)}"
                         for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(show(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- classification


def flag_of(finding: Finding) -> str | None:
    """The reason a finding needs review, or None when it does not."""
    if finding.status in FLAGGED:
        return finding.status
    if finding.status == "current" and finding.details.disagreement:
        return "disagreement"
    return None


def memory_key(finding: Finding) -> str:
    """Same key ⇒ same problem as last time (a reminder); a new value is news again."""
    value = json.dumps(finding.current, sort_keys=True, ensure_ascii=False, default=str)
    also = [(c.source, c.value) for c in finding.details.also if c.agrees is False]
    return f"{flag_of(finding)}|{value}|{json.dumps(also, default=str, ensure_ascii=False)}"


def days_between(start: str | None, today: date) -> int | None:
    if not start:
        return None
    try:
        return (today - date.fromisoformat(start[:10])).days
    except ValueError:
        return None


# ---------------------------------------------------------------- building


def build_digest(report: dict[str, Any], findings: list[Finding], *,
                 memory: dict[str, Any], news: Iterable[dict[str, Any]],
                 sources: dict[str, dict[str, Any]], now: datetime,
                 source_errors_to_maintainers: bool = False,
                 known_health: dict[str, str] | None = None) -> dict[str, Any]:
    """The digest of one report as plain data (see the module docstring).

    `sources` maps a source id → {title, link, health, since, error}. `memory` is the
    previous digest's record for this report (see `next_memory`); `known_health` the
    unhealthy sources it showed: when no maintainers are told, a change there is news.
    """
    today = now.date()
    review, reminders, resolved, unchecked = [], [], [], []
    for finding in findings:
        flag, seen = flag_of(finding), memory.get(finding.fact)
        if flag:
            item = _item(finding, flag, sources, today)
            if seen and seen.get("key") == memory_key(finding):
                item["first_reported"] = seen.get("first_reported")
                reminders.append(item)
            else:
                review.append(item)
        elif finding.status == "source-failing":
            unchecked.append(_item(finding, "source-failing", sources, today))
        elif seen and finding.status in RESOLVED:
            resolved.append(_item(finding, finding.status, sources, today) |
                            {"was": seen.get("status")})
    used = _report_sources(findings)
    health = [dict(sources[s], id=s, text=_health_text(sources[s])) for s in used
              if s in sources and sources[s].get("health") not in ("ok", None)]
    if source_errors_to_maintainers:
        for row in health:
            row["error"] = None  # technical detail goes to the maintainers' message
    groups = group_news(list(news), {f.fact: f for f in findings})
    digest = {
        "report": report, "date": today.isoformat(), "generated": now.isoformat(),
        "review": review, "reminders": reminders, "resolved": resolved,
        "unchecked": unchecked, "news": groups, "sources": health,
        "dead_links": [],  # cited links that died: filled by digest_job (citations.py)
        "maintainers_notified": source_errors_to_maintainers,
        # items, not matches: one article matching three facts is one news item
        "news_count": len({(m.get("feed"), _item_key(m.get("item") or {})) for m in news}),
        "tracked": len(findings),
        "current": sum(1 for f in findings if f.status == "current" and not flag_of(f)),
    }
    digest["health"] = {row["id"]: row["health"] for row in health}
    health_news = not source_errors_to_maintainers and digest["health"] != (known_health or {})
    digest["health_news"] = health_news and bool(digest["health"])
    digest["has_new"] = bool(review or resolved or digest["news_count"] or health_news)
    digest["subject"] = subject(digest)
    return digest


def _item(finding: Finding, flag: str, sources: dict[str, dict[str, Any]],
          today: date) -> dict[str, Any]:
    source = sources.get(finding.source or "", {})
    changed_on = finding.since if flag in ("stale", "expired", "unverifiable") else \
        finding.details.value_since
    also = [{"source": c.source, "value": show(c.value), "agrees": c.agrees, "since": c.since,
             "title": sources.get(c.source, {}).get("title") or c.source,
             "link": sources.get(c.source, {}).get("link")}
            for c in finding.details.also]
    return {
        "fact": finding.fact, "status": flag, "reason": _reason(finding, flag),
        "claim": finding.claim, "section": finding.section, "footnote": finding.footnote,
        "expected": show(finding.expected, finding.details.extract),
        "current": show(finding.current, finding.details.extract),
        "source": finding.source, "source_title": source.get("title") or finding.source,
        "link": source.get("link"), "path": " › ".join(_flat_path(finding.path)),
        "changed_on": changed_on, "days": days_between(changed_on, today),
        "note": finding.note, "also": also, "shares": finding.details.shares,
        "first_reported": None, "was": None,
    }


def _reason(finding: Finding, flag: str) -> str:
    if flag == "expired":
        return f"A time-bound claim: valid until {finding.since}."
    if flag == "source-failing":
        return "Not checked this time: the source could not be read; last known value shown."
    if flag in ("current", "acknowledged"):
        return "Acknowledged in review." if flag == "acknowledged" else \
            "The source agrees with the report again."
    return REASONS.get(flag, flag)


def _flat_path(path: Any) -> list[str]:
    if not path:
        return []
    if isinstance(path[0], list):  # alternatives that were never resolved: show the first
        path = path[0]
    return [str(p) for p in path]


def _report_sources(findings: list[Finding]) -> list[str]:
    seen: dict[str, None] = {}
    for finding in findings:
        if finding.source:
            seen[finding.source] = None
        for check in finding.details.also:
            seen[check.source] = None
    return [s for s in seen if s]


def _health_text(row: dict[str, Any]) -> str:
    text = HEALTH_TEXT.get(row.get("health") or "", row.get("health") or "")
    return text.format(since=row.get("since") or "an unknown date")


def group_news(matches: list[dict[str, Any]], facts: dict[str, Finding]) -> list[dict[str, Any]]:
    """News items grouped under the fact they match, else the section, else 'Other news'."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for match in matches:
        item = match.get("item") or {}
        fact = match.get("fact")
        if fact:
            claim = facts[fact].claim if fact in facts else None
            key, heading = ("fact", fact), f"Fact: {fact}"
            sub = claim
        elif match.get("section"):
            key, heading, sub = ("section", match["section"]), f"Section: {match['section']}", None
        else:
            key, heading, sub = ("other", ""), "Other news", None
        group = groups.setdefault(key, {"heading": heading, "claim": sub, "entries": []})
        group["entries"].append({
            "id": match.get("id"), "title": plain_text(item.get("title"), 200) or "(untitled)",
            "link": safe_href(item.get("link")), "published": str(item.get("published") or "")[:10],
            "summary": plain_text(item.get("summary")), "feed": match.get("feed"),
            "keyword": match.get("keyword"),
        })
    order = {"fact": 0, "section": 1, "other": 2}
    return [groups[k] for k in sorted(groups, key=lambda k: (order[k[0]], k[1]))]


def _item_key(item: dict[str, Any]) -> Any:
    return item.get("id") or item.get("link") or item.get("title")


def subject(digest: dict[str, Any]) -> str:
    """`[kz-security-2025] 2 facts need review · 1 still open · 5 news items`."""
    parts = []
    if digest["review"]:
        n = len(digest["review"])
        parts.append(f"{n} fact{'s' if n != 1 else ''} need{'s' if n == 1 else ''} review")
    if digest["reminders"]:
        parts.append(f"{len(digest['reminders'])} still open")
    if digest["resolved"]:
        parts.append(f"{len(digest['resolved'])} resolved")
    if digest["news_count"]:
        n = digest["news_count"]
        parts.append(f"{n} news item{'s' if n != 1 else ''}")
    if digest.get("health_news"):
        for health in ("failing", "gone", "quiet"):
            n = sum(1 for h in digest["health"].values() if h == health)
            if n:
                parts.append(f"{n} source{'s' if n != 1 else ''} {health}")
    if not parts:
        parts.append("no changes")
    return f"[{digest['report']['id']}] " + " · ".join(parts)


def next_memory(findings: list[Finding], memory: dict[str, Any], today: date) -> dict[str, Any]:
    """What to remember after this digest went out: the facts flagged now, since when."""
    out: dict[str, Any] = {}
    for finding in findings:
        seen = memory.get(finding.fact)
        if finding.status == "source-failing" and seen:
            out[finding.fact] = seen  # unknown now: neither resolved nor new
        elif flag_of(finding):
            key = memory_key(finding)
            first = seen["first_reported"] if seen and seen.get("key") == key else \
                today.isoformat()
            out[finding.fact] = {"key": key, "status": flag_of(finding), "first_reported": first}
    return out


# ---------------------------------------------------------------- rendering


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.digest", "templates"),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["safe_href"] = safe_href
    return env


_ENV: jinja2.Environment | None = None


def render(digest: dict[str, Any], fmt: str) -> str:
    """fmt 'txt' or 'html'."""
    global _ENV
    _ENV = _ENV or _environment()
    return _ENV.get_template(f"digest.{fmt}.j2").render(d=digest)


def render_text(digest: dict[str, Any]) -> str:
    return render(digest, "txt")


def render_html(digest: dict[str, Any]) -> str:
    return render(digest, "html")
