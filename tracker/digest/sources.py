"""The report's unhealthy sources, one line per health, every kind counted (facts'
sources, cross-checks, news feeds, link checks)."""

from __future__ import annotations

from dataclasses import replace

from tracker.digest.model import PROBLEM_HEALTH, SourceInfo, SourceLine
from tracker.digest.values import shorten
from tracker.models import Finding

ERROR_CHARS = 160
WHAT = {
    "failing": "could not be read",
    "gone": "no longer available",
    "suspect": "held back (the latest answer lost most of its content; last good data kept)",
    "quiet": "quiet (no update for longer than expected)",
    "never-fetched": "never fetched successfully",
}


def source_lines(
    ids: list[str], sources: dict[str, SourceInfo], findings: list[Finding], *, with_errors: bool
) -> tuple[list[SourceLine], bool]:
    """→ (one line per problem health, whether this was an outage: every source of the
    report failing or gone, so nothing at all could be checked)."""
    known = [sources[i] for i in ids if i in sources]
    # errors only where a source failed, and only when no maintainers take the detail
    known = [
        s if with_errors and s.health in ("failing", "gone", "suspect") else replace(s, error=None)
        for s in known
    ]
    failing = [s for s in known if s.health == "failing"]
    outage = bool(failing) and all(s.health in ("failing", "gone") for s in known)
    if outage:  # one line for all; one error as an example, `tracker sources` has each
        example = next((s.id for s in failing if s.error), None)
        known = [s if s.id == example else replace(s, error=None) for s in known]
    lines = []
    for health in PROBLEM_HEALTH:
        group = tuple(s for s in known if s.health == health)
        if not group:
            continue
        if with_errors:
            group = tuple(
                replace(s, error=shorten(s.error, ERROR_CHARS)) if s.error else s for s in group
            )
        n = len(group)
        text = f"{n} source{'s' if n != 1 else ''} {WHAT[health]}"
        not_checked = _not_checked(findings, {s.id for s in group}) if health == "failing" else 0
        lines.append(
            SourceLine(health=health, text=text, sources=group, facts_not_checked=not_checked)
        )
    return lines, outage


def _not_checked(findings: list[Finding], ids: set[str]) -> int:
    return sum(1 for f in findings if f.status == "source-failing" and f.source in ids)
