"""Which findings need review and why, and which of them share a cause.

A cause is what one card of the digest explains once: time-bound claims that expired on
the same day; facts that went stale from the same version of a source (the same source,
the same date their new values first appeared); facts a source can no longer give (gone
since the same day); facts on which the same sources disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from tracker.digest.values import clean
from tracker.models import Finding

RESOLVED = ("current", "acknowledged")


def detail(finding: Finding, name: str, default: Any = None) -> Any:
    """One entry of `finding.details`, whether details are a mapping or a typed record."""
    return field_of(finding.details, name, default)


def field_of(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    value = getattr(record, name, default)
    return default if value is None else value


def cross_checks(finding: Finding) -> list[Any]:
    checks = detail(finding, "also", None)
    return list(checks) if isinstance(checks, (list, tuple)) else []


def is_unchecked(finding: Finding) -> bool:
    """No source checks the fact: it is tracked by expiry or news only."""
    return finding.status == "unchecked" or (finding.source is None and finding.status == "current")


def flag_of(finding: Finding) -> str | None:
    """The reason a finding needs review, or None when it does not."""
    if finding.status in ("stale", "expired", "unverifiable"):
        return finding.status
    if finding.status == "current" and detail(finding, "disagreement"):
        return "disagreement"
    return None


def memory_key(finding: Finding) -> str:
    """Same key ⇒ same problem as last time (a reminder); a new value is news again."""
    value = json.dumps(finding.current, sort_keys=True, ensure_ascii=False, default=str)
    also = [
        (field_of(c, "source"), field_of(c, "value"))
        for c in cross_checks(finding)
        if field_of(c, "agrees") is False
    ]
    return f"{flag_of(finding)}|{value}|{json.dumps(also, default=str, ensure_ascii=False)}"


def checked_against(finding: Finding) -> str | None:
    """The source the finding's current value comes from (a live secondary source when
    the primary one is gone)."""
    return detail(finding, "checked_against") or finding.source


def problem_since(finding: Finding) -> str | None:
    """The day the problem began: the claim's end, the day the new value appeared, the day
    the source went away."""
    flag = flag_of(finding)
    if flag == "expired":
        day = finding.since
    elif flag == "stale":
        day = detail(finding, "value_since") or finding.since
    elif flag == "unverifiable":
        day = detail(finding, "gone_since") or finding.since
    elif flag == "disagreement":
        dates = [
            field_of(c, "since") for c in cross_checks(finding) if field_of(c, "agrees") is False
        ]
        dates = [str(d) for d in dates + [detail(finding, "value_since")] if d]
        day = max(dates) if dates else None
    else:
        day = None
    return clean(day) or None


def cause_key(finding: Finding) -> tuple[str, ...]:
    """Findings with the same key are explained by one card."""
    flag = flag_of(finding) or ""
    since = problem_since(finding) or ""
    if flag == "expired":
        return (flag, since)
    if flag == "disagreement":
        others = sorted(
            str(field_of(c, "source"))
            for c in cross_checks(finding)
            if field_of(c, "agrees") is False
        )
        return (flag, finding.source or "", *others)
    if flag == "unverifiable" and not detail(finding, "gone_since"):
        return (flag, finding.source or "", "")  # unreadable paths: one card per source
    return (flag, checked_against(finding) or "", since)


def days_between(start: str | None, today: date) -> int | None:
    if not start:
        return None
    try:
        return (today - date.fromisoformat(str(start)[:10])).days
    except ValueError:
        return None
