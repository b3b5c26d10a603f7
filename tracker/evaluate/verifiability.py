"""Which facts a source that can still change checks: a report's verifiability.

A source is *living* unless it is declared `frozen: true` (documented as no longer updated
upstream, like the Factbook mirror) or its health is `gone`. Each fact is then

- `living`: its primary source or one of its `also:` sources is living;
- `frozen`: it has sources, but every one is frozen or gone — it can only ever be current
  against a dead document;
- `unchecked`: no source checks it (tracked by expiry and news only).

A fact whose primary source is frozen or gone but that has living `also:` sources gets
*living checks*: what each living source says (and for which year, with `latest`) and
whether that agrees with the report. The CLI and the digest only display what is here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from tracker.config import Fact, SourceOptions
from tracker.evaluate.paths import latest_key
from tracker.models import Finding

LIVING, FROZEN, UNCHECKED = "living", "frozen", "unchecked"
LEVELS = (LIVING, FROZEN, UNCHECKED)


def source_is_living(options: SourceOptions, health: str) -> bool:
    return not options.frozen and health != "gone"


def source_state(options: SourceOptions, health: str) -> str:
    """`living`, `frozen` or `gone`, for `tracker sources`."""
    if health == "gone":
        return "gone"
    return "frozen" if options.frozen else LIVING


def fact_sources(fact: Fact) -> list[str]:
    """The primary source, then the `also:` ones, each once."""
    ids = ([fact.source] if fact.source else []) + [ref.source for ref in fact.also]
    return list(dict.fromkeys(ids))


def classify(
    fact: Fact, sources: Mapping[str, SourceOptions], health_of: Callable[[str], str]
) -> tuple[str, list[str]]:
    """(level, the fact's living sources)."""
    ids = fact_sources(fact)
    if not ids:
        return UNCHECKED, []
    living = [
        sid for sid in ids if sid in sources and source_is_living(sources[sid], health_of(sid))
    ]
    return (LIVING if living else FROZEN), living


def apply(
    finding: Finding,
    fact: Fact,
    sources: Mapping[str, SourceOptions],
    health_of: Callable[[str], str],
) -> None:
    """Set the finding's verifiability, and its living checks where the primary source is
    frozen or gone (the note then says what the living sources say)."""
    finding.verifiability, living = classify(fact, sources, health_of)
    if not fact.source or fact.source in living or not living:
        return
    finding.living_checks = living_checks(finding, living)
    if finding.living_checks and not finding.details.checked_against:
        # (a gone primary's fallback has said so already)
        suffix = "living check: " + "; ".join(describe_check(c) for c in finding.living_checks)
        finding.note = f"{finding.note}; {suffix}" if finding.note else suffix


def living_checks(finding: Finding, living: list[str]) -> list[dict[str, Any]]:
    """What each living `also:` source that gave a value says: source, value, the path
    read (with `latest` resolved to its year), whether it agrees with the report."""
    checks = []
    for check in finding.details.also:
        if check.source in living and check.value is not None:
            checks.append(
                {
                    "source": check.source,
                    "value": check.value,
                    "path": list(check.resolved_path or check.path),
                    "agrees": check.agrees,
                    "period": _period(check.resolved_path),
                }
            )
    return checks


def describe_check(check: Mapping[str, Any]) -> str:
    """`worldbank-kz says 20391030 for 2025, disagrees`."""
    agrees = check.get("agrees")
    verdict = "agrees" if agrees is True else "disagrees" if agrees is False else "not comparable"
    period = f" for {check['period']}" if check.get("period") else ""
    return f"{check['source']} says {check['value']!r}{period}, {verdict}"


def _period(path: list[str] | None) -> str | None:
    """The period a `latest` path resolved to (its last key, when that is a year)."""
    if path and latest_key({str(path[-1]): True}) is not None:
        return str(path[-1])
    return None


# ------------------------------------------------------------------ per report


@dataclass(frozen=True)
class ReportVerifiability:
    """How many of a report's facts a living source checks, only a frozen or gone one,
    none."""

    report: str
    living: int
    frozen: int
    unchecked: int

    @property
    def total(self) -> int:
        return self.living + self.frozen + self.unchecked

    @property
    def checked(self) -> int:
        """Facts with a source at all (living or not)."""
        return self.living + self.frozen

    @property
    def share(self) -> float | None:
        """The living share of the source-checked facts (None: no fact has a source)."""
        return self.living / self.checked if self.checked else None

    def text(self) -> str:
        """One sentence, the same in `tracker status` and the digest."""
        share = (
            f" ({self.share:.0%} of the {self.checked} with a source)"
            if self.share is not None
            else ""
        )
        return (
            f"{self.living} fact{'s' if self.living != 1 else ''} checked by a living "
            f"source{share}, {self.frozen} only by a frozen or gone one, "
            f"{self.unchecked} by none (unchecked)"
        )


def summarize(findings: Iterable[Finding]) -> list[ReportVerifiability]:
    """One summary per report, in the order the reports first appear."""
    counts: dict[str, Counter[str]] = {}
    for finding in findings:
        counts.setdefault(finding.report, Counter())[finding.verifiability or UNCHECKED] += 1
    return [
        ReportVerifiability(report, c[LIVING], c[FROZEN], c[UNCHECKED])
        for report, c in counts.items()
    ]
