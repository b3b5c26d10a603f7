"""Which findings need review and why, and which of them share a cause.

A cause is what one card of the digest explains once: time-bound claims that expired on
the same day; facts that went stale from the same version of a source (the same source,
the same date their new values first appeared); facts a source can no longer give (gone
since the same day); facts on which the same sources disagree.
"""

from __future__ import annotations

import json
from datetime import date

from tracker.digest.values import clean
from tracker.models import Finding, SecondaryCheck

RESOLVED = ("current", "acknowledged")


def disagreeing(finding: Finding) -> list[SecondaryCheck]:
    """The `also:` sources whose value contradicts the claim."""
    return [check for check in finding.details.also if check.agrees is False]


def is_unchecked(finding: Finding) -> bool:
    """No source checks the fact: it is tracked by expiry or news only."""
    return finding.status == "unchecked" or (finding.source is None and finding.status == "current")


def flag_of(finding: Finding) -> str | None:
    """The reason a finding needs review, or None when it does not."""
    if finding.status in ("stale", "expired", "unverifiable"):
        return finding.status
    if finding.status == "current" and finding.details.disagreement:
        return "disagreement"
    return None


def memory_key(finding: Finding) -> str:
    """Same key ⇒ same problem as last time (a reminder); a new value is news again."""
    value = json.dumps(finding.current, sort_keys=True, ensure_ascii=False, default=str)
    also = [(check.source, check.value) for check in disagreeing(finding)]
    return f"{flag_of(finding)}|{value}|{json.dumps(also, default=str, ensure_ascii=False)}"


def checked_against(finding: Finding) -> str | None:
    """The source the finding's current value comes from (a live secondary source when
    the primary one is gone)."""
    return finding.details.checked_against or finding.source


def problem_since(finding: Finding) -> str | None:
    """The day the problem began: the claim's end, the day the new value appeared, the day
    the source went away."""
    flag = flag_of(finding)
    if flag == "expired":
        day = finding.since
    elif flag == "stale":
        day = finding.details.value_since or finding.since
    elif flag == "unverifiable":
        day = finding.details.gone_since or finding.since
    elif flag == "disagreement":
        candidates = [check.since for check in disagreeing(finding)]
        dates = [d for d in [*candidates, finding.details.value_since] if d]
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
        others = sorted(check.source for check in disagreeing(finding))
        return (flag, finding.source or "", *others)
    if flag == "unverifiable" and not finding.details.gone_since:
        return (flag, finding.source or "", "")  # unreadable paths: one card per source
    return (flag, checked_against(finding) or "", since)


def days_between(start: str | None, today: date) -> int | None:
    if not start:
        return None
    try:
        return (today - date.fromisoformat(str(start)[:10])).days
    except ValueError:
        return None
