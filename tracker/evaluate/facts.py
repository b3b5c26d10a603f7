"""Evaluate a fact against a snapshot: extract → compare → status (pure functions)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker.config import Fact, SourceRef
from tracker.evaluate.extract import (
    EXTRACTORS,
    ExtractError,
    find_numbers,
    parse_date,
    parse_number,
)
from tracker.evaluate.paths import step
from tracker.models import Finding, Health
from tracker.text import fold

DEFAULT_SHARE_TOLERANCE = 0.05  # percentage points; the Factbook rounds to 0.1


class PathMissing(LookupError):
    """None of a fact's path alternatives exists in the snapshot."""


def resolve(snapshot: Any, alternatives: list[list[str]]) -> tuple[Any, list[str]]:
    """The value at the first path alternative that exists."""
    for path in alternatives:
        node, taken = snapshot, []
        for key in path:
            found, node, key = step(node, key)  # `latest` names the period it took
            if not found:
                break
            taken.append(key)
        else:
            return node, taken
    shown = " | ".join(" › ".join(p) for p in alternatives)
    raise PathMissing(f"path not found: {shown}")


def extract(snapshot: Any, ref: SourceRef) -> tuple[Any, list[str]]:
    """Resolve the path and run the extractor; raises PathMissing / ExtractError."""
    value, path = resolve(snapshot, ref.alternatives)
    return EXTRACTORS[ref.extract](value, ref.params), path


def matches(fact: Fact, current: Any, extractor: str | None = None) -> bool:
    """Does the source's value agree with what the report says?"""
    compare = EXTRACTORS[extractor or fact.extract].compare
    expected = [fact.expect] + list(fact.aliases)
    return any(_equal(compare, e, current, fact.tolerance) for e in expected)


def _equal(compare: str, expected: Any, current: Any, tolerance: Any) -> bool:
    try:
        if compare == "number":
            return within_tolerance(to_number(expected), to_number(current), tolerance)
        if compare == "date":
            return parse_date(str(expected)) == parse_date(str(current))
        if compare == "shares":
            return shares_differ(expected, current, tolerance) == []
    except (ValueError, TypeError, ExtractError):
        return False
    return fold(str(expected)) == fold(str(current))


def to_number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    numbers = find_numbers(str(value))
    if not numbers:
        raise ValueError(f"not a number: {value!r}")
    return numbers[0]


def within_tolerance(expected: float, current: float, tolerance: Any) -> bool:
    """`tolerance` is absolute (`1000`) or relative to the expected value (`'0.5%'`)."""
    if tolerance is None:
        return abs(expected - current) < 1e-9
    text = str(tolerance).strip()
    if text.endswith("%"):
        return abs(expected - current) <= abs(expected) * parse_number(text[:-1].strip()) / 100
    return abs(expected - current) <= float(text)


def shares_differ(expected: Any, current: Any, tolerance: Any) -> list[dict[str, Any]]:
    """Share-by-share differences: [{name, expected, current}] (folded names)."""
    if not isinstance(expected, dict) or not isinstance(current, dict):
        raise TypeError("shares compare mappings of name → percent")
    tol = tolerance if tolerance is not None else DEFAULT_SHARE_TOLERANCE
    now = {fold(k): (k, v) for k, v in current.items()}
    out = []
    for name, value in expected.items():
        _, got = now.get(fold(name), (name, None))
        if got is None or not within_tolerance(float(value), float(got), tol):
            out.append({"name": name, "expected": value, "current": got})
    return out


def evaluate(report_id: str, fact: Fact, snapshot: Any, health: Health, now: datetime,
             since: str | None = None) -> Finding:
    """The finding for one fact now. `snapshot` is the primary source's, or None."""
    finding = Finding(report=report_id, fact=fact.id, status="current", expected=fact.expect,
                      source=fact.source, claim=fact.claim, section=fact.section,
                      footnote=fact.footnote, path=fact.path or None)
    finding.details["extract"] = fact.extract
    today = now.date()
    if fact.primary is not None and snapshot is not None:
        _read_current(fact, snapshot, finding, since)
    if fact.valid_until and today > fact.valid_until:
        finding.status, finding.since = "expired", fact.valid_until.isoformat()
        finding.note = f"time-bound claim, valid until {fact.valid_until.isoformat()}"
    elif fact.primary is None:
        finding.note = "no machine-readable source: tracked by expiry and news"
    elif health.health == "gone":
        finding.status, finding.since = "unverifiable", health.since
        finding.note = f"source gone since {health.since}; last known value shown"
    elif snapshot is None:
        finding.status = "source-failing" if health.health == "failing" else "unverifiable"
        finding.note = health.error or "source never fetched successfully"
    elif finding.status == "current" and health.health == "failing":
        finding.status, finding.since = "source-failing", health.since
        finding.note = f"source failing since {health.since} ({health.error}); last known value"
    return _acknowledge(fact, finding, today)


def _read_current(fact: Fact, snapshot: Any, finding: Finding, since: str | None) -> None:
    assert fact.primary is not None
    try:
        finding.current, path = extract(snapshot, fact.primary)
    except (PathMissing, ExtractError) as exc:
        finding.status, finding.note = "unverifiable", str(exc)
        return
    finding.path, finding.since = path, since
    _annotate(fact, snapshot, finding)
    if not matches(fact, finding.current):
        finding.status = "stale"
        if EXTRACTORS[fact.extract].compare == "shares":
            finding.details["shares"] = shares_differ(fact.expect, finding.current, fact.tolerance)


def _annotate(fact: Fact, snapshot: Any, finding: Finding) -> None:
    """Extractors may add context to a finding (e.g. how far ACLED's data now reaches);
    they see the whole snapshot, since that context lives beside the value's path."""
    annotate = EXTRACTORS[fact.extract].annotate
    if annotate is None:
        return
    extra = dict(annotate(snapshot, fact.params))
    note = extra.pop("note", None)
    finding.details.update(extra)
    if note:
        finding.note = f"{finding.note}; {note}" if finding.note else note


def _acknowledge(fact: Fact, finding: Finding, today: date) -> Finding:
    """A review recorded for exactly this state silences it (until it changes again)."""
    review = fact.reviewed
    if review is None or finding.status in ("current",):
        return finding
    if finding.status == "stale" and review.value is not None and \
            _same_value(review.value, finding.current):
        finding.status, finding.note = "acknowledged", review.note or "reviewed"
    elif finding.status == "expired" and fact.valid_until and review.on >= fact.valid_until:
        finding.status, finding.note = "acknowledged", review.note or "reviewed after expiry"
    return finding


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return a == b
    return fold(str(a)) == fold(str(b))
