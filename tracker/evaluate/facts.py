"""Evaluate a fact against a snapshot: extract → compare → status (pure functions)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tracker.config import Fact, SourceRef
from tracker.config.numbers import as_decimal
from tracker.evaluate.extract import EXTRACTORS, ExtractError, parse_date
from tracker.evaluate.extract.names import same_person
from tracker.evaluate.paths import step
from tracker.evaluate.suggest import Diagnosis, diagnose
from tracker.models import Finding, FindingDetails, Health, ShareDifference
from tracker.text import fold

DEFAULT_SHARE_TOLERANCE = Decimal("0.05")  # percentage points; the Factbook rounds to 0.1

__all__ = [
    "Health",
    "PathMissing",
    "evaluate",
    "extract",
    "matches",
    "resolve",
    "same_value",
    "shares_differ",
    "within_tolerance",
]


class PathMissing(LookupError):
    """None of a fact's path alternatives exists in the snapshot. The message names the
    nearest existing keys; it is built when read (history meets many missing paths and
    reads none of their messages)."""

    def __init__(self, snapshot: Any, alternatives: list[list[str]]) -> None:
        super().__init__()
        self.snapshot, self.alternatives = snapshot, alternatives

    def diagnosis(self) -> Diagnosis | None:
        """Of the alternative that gets deepest into the snapshot."""
        found = [d for d in (diagnose(self.snapshot, p) for p in self.alternatives) if d]
        return max(found, key=lambda d: d.depth) if found else None

    def __str__(self) -> str:
        shown = " | ".join(" › ".join(p) for p in self.alternatives)
        found = self.diagnosis()
        return f"path not found: {shown}" + (f" ({found.message()})" if found else "")


def resolve(snapshot: Any, alternatives: list[list[str]]) -> tuple[Any, list[str]]:
    """The value at the first path alternative that exists."""
    found = _existing(snapshot, alternatives)
    if not found:
        raise PathMissing(snapshot, alternatives)
    return found[0]


def _existing(snapshot: Any, alternatives: list[list[str]]) -> list[tuple[Any, list[str]]]:
    out = []
    for path in alternatives:
        node, taken = snapshot, []
        for key in path:
            found, node, key = step(node, key)  # `latest` names the period it took
            if not found:
                break
            taken.append(key)
        else:
            out.append((node, taken))
    return out


def extract(snapshot: Any, ref: SourceRef) -> tuple[Any, list[str]]:
    """The extracted value and the path it came from: the first path alternative that
    exists and holds what the extractor reads (a source that changed shape keeps a value).
    Raises PathMissing, or the first alternative's ExtractError."""
    found = _existing(snapshot, ref.alternatives)
    if not found:
        resolve(snapshot, ref.alternatives)  # raises PathMissing with the message
    first_error: ExtractError | None = None
    for value, path in found:
        try:
            return EXTRACTORS[ref.extract](value, ref.params), path
        except ExtractError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


# ---------------------------------------------------------------- comparison


def compare_kind(extractor: str) -> str:
    return EXTRACTORS[extractor].compare


def matches(fact: Fact, current: Any, extractor: str | None = None) -> bool:
    """Does the source's value agree with what the report says (or one of its aliases)?"""
    compare = compare_kind(extractor or fact.extract)
    return any(_equal(compare, e, current, fact.tolerance) for e in _claims(fact))


def respelt(fact: Fact, current: Any) -> bool:
    """The source names the claimed person, but spells the name differently from the claim
    and from every alias."""
    if compare_kind(fact.extract) != "person" or not matches(fact, current):
        return False
    return all(fold(str(e)) != fold(str(current)) for e in _claims(fact))


def _claims(fact: Fact) -> list[Any]:
    return [fact.expect] + list(fact.aliases)


def same_value(compare: str, a: Any, b: Any) -> bool:
    """Two extracted values are the same (no tolerance): for history and reviews."""
    if a is None or b is None:
        return a is None and b is None
    if compare == "shares":
        return _same_shares(a, b)
    return _equal(compare, a, b, None)


def _same_shares(a: Any, b: Any) -> bool:
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    try:
        folded = [{fold(k): as_decimal(v) for k, v in m.items()} for m in (a, b)]
    except ValueError:
        return False
    return folded[0] == folded[1]


def _equal(compare: str, expected: Any, current: Any, tolerance: Any) -> bool:
    try:
        if compare == "number":
            return within_tolerance(as_decimal(expected), as_decimal(current), tolerance)
        if compare == "date":
            return parse_date(_date_text(expected)) == parse_date(_date_text(current))
        if compare == "shares":
            return shares_differ(expected, current, tolerance) == []
        if compare == "person":
            return fold(str(expected)) == fold(str(current)) or same_person(
                str(expected), str(current)
            )
    except (ValueError, TypeError, ArithmeticError):
        return False
    return fold(str(expected)) == fold(str(current))


def _date_text(value: Any) -> Any:
    return value if isinstance(value, date) else str(value)


def within_tolerance(expected: Decimal, current: Decimal, tolerance: Any) -> bool:
    """`tolerance` is absolute (`1000`) or relative to the expected value (`'0.5%'`);
    without one, the values must be equal (exactly: decimals, not floats)."""
    if tolerance is None:
        return expected == current
    text = str(tolerance).strip()
    if text.endswith("%"):
        return abs(expected - current) <= abs(expected) * as_decimal(text[:-1].strip()) / 100
    return abs(expected - current) <= as_decimal(tolerance)


def shares_differ(expected: Any, current: Any, tolerance: Any) -> list[ShareDifference]:
    """Share-by-share differences (names folded for matching, shown as the report has them)."""
    if not isinstance(expected, dict) or not isinstance(current, dict):
        raise TypeError("shares compare mappings of name → percent")
    tol = tolerance if tolerance is not None else DEFAULT_SHARE_TOLERANCE
    now = {fold(k): v for k, v in current.items()}
    out = []
    for name, value in expected.items():
        got = now.get(fold(name))
        if got is None or not within_tolerance(as_decimal(value), as_decimal(got), tol):
            out.append(ShareDifference(name=name, expected=value, current=got))
    return out


# ---------------------------------------------------------------- status


def evaluate(
    report_id: str,
    fact: Fact,
    snapshot: Any,
    health: Health,
    now: datetime,
    since: str | None = None,
) -> Finding:
    """The finding for one fact now. `snapshot` is the primary source's, or None."""
    finding = Finding(
        report=report_id,
        fact=fact.id,
        status="current",
        expected=fact.expect,
        source=fact.source,
        claim=fact.claim,
        section=fact.section,
        footnote=fact.footnote,
        path=fact.path or None,
        details=FindingDetails(extract=fact.extract),
    )
    today = now.date()
    primary = fact.primary
    if primary is not None and snapshot is not None:
        _read_current(fact, primary, snapshot, finding, since)
    if fact.valid_until and today > fact.valid_until:
        finding.status, finding.since = "expired", fact.valid_until.isoformat()
        finding.note = f"time-bound claim, valid until {fact.valid_until.isoformat()}"
    elif primary is None:
        finding.status = "unchecked"
        finding.note = "no source checks this claim: " + (
            f"tracked by its date (valid until {fact.valid_until.isoformat()}) and news"
            if fact.valid_until
            else "tracked by news only"
        )
    elif health.health == "gone":
        finding.status, finding.since = "unverifiable", health.since
        finding.note = f"source gone since {health.since}; last known value shown"
    elif snapshot is None:
        finding.status = "source-failing" if health.health == "failing" else "unverifiable"
        finding.note = health.error or "source never fetched successfully"
    elif finding.status == "current" and health.health == "failing":
        finding.status, finding.since = "source-failing", health.since
        finding.note = f"source failing since {health.since} ({health.error}); last known value"
    elif health.health == "suspect":  # run/suspect.py: the answer was not committed
        _add_note(
            finding,
            f"the source's latest answer was held back as suspect since "
            f"{health.since} ({health.error}); last good value shown",
        )
    return _acknowledge(fact, finding, today)


def _read_current(
    fact: Fact, primary: SourceRef, snapshot: Any, finding: Finding, since: str | None
) -> None:
    try:
        finding.current, path = extract(snapshot, primary)
    except (PathMissing, ExtractError) as exc:
        finding.status, finding.note = "unverifiable", str(exc)
        return
    finding.path, finding.since = path, since
    _annotate(fact, snapshot, finding)
    if not matches(fact, finding.current):
        finding.status = "stale"
        if (
            compare_kind(fact.extract) == "shares"
            and isinstance(fact.expect, dict)
            and isinstance(finding.current, dict)
        ):
            finding.details.shares = shares_differ(fact.expect, finding.current, fact.tolerance)
    elif respelt(fact, finding.current):
        finding.details.spelling = str(finding.current)
        _add_note(
            finding,
            f"same person, spelt {finding.current!r} by the source (the report: {fact.expect!r})",
        )


def _annotate(fact: Fact, snapshot: Any, finding: Finding) -> None:
    """Extractors may add context to a finding (e.g. how far ACLED's data now reaches);
    they see the whole snapshot, since that context lives beside the value's path."""
    annotate = EXTRACTORS[fact.extract].annotate
    if annotate is not None:
        note = annotate(snapshot, fact.params, finding.details)
        if note:
            _add_note(finding, note)


def _acknowledge(fact: Fact, finding: Finding, today: date) -> Finding:
    """A review recorded for exactly this state silences it (until it changes again)."""
    review = fact.reviewed
    if review is None or finding.status == "current":
        return finding
    if (
        finding.status == "stale"
        and review.value is not None
        and same_value(compare_kind(fact.extract), review.value, finding.current)
    ):
        finding.status, finding.note = "acknowledged", review.note or "reviewed"
    elif finding.status == "expired" and fact.valid_until and review.on >= fact.valid_until:
        finding.status, finding.note = "acknowledged", review.note or "reviewed after expiry"
    return finding


def _add_note(finding: Finding, text: str) -> None:
    finding.note = f"{finding.note}; {text}" if finding.note else text
