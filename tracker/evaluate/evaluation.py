"""Evaluate facts: each against its source's current snapshot, its history, its secondary
sources and the sources' health (findings.py keeps the results and reads them back)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.config import Config, Fact, SourceRef
from tracker.evaluate import verifiability
from tracker.evaluate.extract import ExtractError
from tracker.evaluate.facts import Health, PathMissing, evaluate, extract, matches
from tracker.evaluate.history import prefetch_histories, value_since
from tracker.models import Finding, SecondaryCheck
from tracker.store.git import GitStore
from tracker.store.state import State


def evaluate_every(
    config: Config, store: GitStore, state: State, now: datetime, report: str | None = None
) -> list[Finding]:
    """Findings for every fact (of one report, if given), in file order: evaluated."""
    snapshots = RecentSnapshots()
    chosen = [
        (report_id, fact)
        for report_id, rep in config.reports.items()
        if not report or report_id == report
        for fact in rep.facts
    ]
    prefetch_histories(store, [ref for _, fact in chosen for ref in _refs(fact)])
    return [
        evaluate_fact(config, store, state, now, report_id, fact, snapshots)
        for report_id, fact in chosen
    ]


class RecentSnapshots(OrderedDict[str, Any]):
    """The current snapshots read last, by source id. Facts come report by report, and a
    report reads a few sources: holding every source's snapshot at once (hundreds of
    Factbook profiles) would cost memory, not time."""

    def __init__(self, keep: int = 48) -> None:
        super().__init__()
        self.keep = keep

    def __getitem__(self, source_id: str) -> Any:
        self.move_to_end(source_id)
        return super().__getitem__(source_id)

    def __setitem__(self, source_id: str, snapshot: Any) -> None:
        super().__setitem__(source_id, snapshot)
        if len(self) > self.keep:
            self.popitem(last=False)


def _refs(fact: Fact) -> list[SourceRef]:
    """Where a fact's values come from: the histories `value_since` will read."""
    return ([fact.primary] if fact.primary is not None else []) + list(fact.also)


@dataclass
class _Sources:
    """What evaluating a fact reads of its sources: the current snapshots (through a
    cache shared by the facts of a pass) and each source's health at `now`."""

    config: Config
    store: GitStore
    state: State
    now: datetime
    cache: dict[str, Any]

    def snapshot(self, source_id: str) -> Any:
        if source_id not in self.cache:
            self.cache[source_id] = self.store.read_snapshot(source_id)
        return self.cache[source_id]

    def health(self, source_id: str | None) -> Health:
        if not source_id:
            return Health()
        return self.state.source(source_id).health(self.config.sources[source_id], self.now)


def evaluate_fact(
    config: Config,
    store: GitStore,
    state: State,
    now: datetime,
    report_id: str,
    fact: Fact,
    cache: dict[str, Any] | None = None,
) -> Finding:
    sources = _Sources(config, store, state, now, {} if cache is None else cache)
    snapshot = sources.snapshot(fact.source) if fact.source else None
    health = sources.health(fact.source)
    since = None
    finding = evaluate(report_id, fact, snapshot, health, now)
    primary = fact.primary
    if primary is not None and finding.current is not None:
        since = value_since(store, primary, finding.current)
        if finding.status in ("current", "stale", "acknowledged"):
            finding.since = since
        finding.details.value_since = since
    if fact.source:
        finding.details.primary_health = health.health
        if health.health == "gone":
            finding.details.gone_since = health.since
    _cross_check(sources, fact, finding)
    verifiability.apply(finding, fact, config.sources, lambda sid: sources.health(sid).health)
    return finding


def _cross_check(sources: _Sources, fact: Fact, finding: Finding) -> None:
    """Secondary sources (`also:`): each one's value, whether it agrees with the claim and
    with the primary source, and — when the sources disagree — which value is newer."""
    checks = [_secondary(sources, fact, finding, ref) for ref in fact.also]
    if not checks:
        return
    finding.details.also = checks
    if _fall_back(fact, finding, checks):
        return
    disagreeing = [c for c in checks if c.matches_primary is False]
    if disagreeing:
        finding.details.disagreement = True
        finding.details.newer = _newest(fact.source, finding.details.value_since, disagreeing)
        _add_note(
            finding,
            "sources disagree: "
            + "; ".join(_disagreement(fact.source, finding, c) for c in disagreeing),
        )
    elif finding.status == "current":
        confirmed = [c.source for c in checks if c.agrees]
        if confirmed:
            finding.details.confirmed_by = confirmed
            _add_note(finding, f"confirmed by {', '.join(confirmed)}")


def _secondary(sources: _Sources, fact: Fact, finding: Finding, ref: SourceRef) -> SecondaryCheck:
    snapshot = sources.snapshot(ref.source)
    check = SecondaryCheck(
        source=ref.source, path=ref.path, health=sources.health(ref.source).health
    )
    if snapshot is None:
        check.error = "no snapshot yet"
        return check
    try:
        check.value, resolved = extract(snapshot, ref)
    except (PathMissing, ExtractError) as exc:
        check.error = str(exc)
        return check
    if resolved != ref.path:  # e.g. [SP.POP.TOTL, latest] → [SP.POP.TOTL, '2024']
        check.resolved_path = resolved
    check.agrees = matches(fact, check.value, ref.extract)
    check.since = value_since(sources.store, ref, check.value)
    if fact.primary is not None and finding.current is not None:
        check.matches_primary = _same_as_primary(fact, finding.current, check, ref)
    return check


def _same_as_primary(fact: Fact, primary: Any, check: SecondaryCheck, ref: SourceRef) -> bool:
    """Do the two sources say the same? Both matching the claim counts as the same (the
    claim's aliases cover spellings: 'Kasym-Zhomart' / 'Kassym-Jomart' Tokayev)."""
    primary_agrees = matches(fact, primary)
    if primary_agrees or check.agrees:
        return bool(primary_agrees and check.agrees)
    as_primary = fact.model_copy(update={"expect": primary, "aliases": []})
    return matches(as_primary, check.value, ref.extract)


def _fall_back(fact: Fact, finding: Finding, checks: list[SecondaryCheck]) -> bool:
    """The primary source is gone: a live secondary source decides instead (a fact is
    unverifiable only when its only source is gone)."""
    if finding.status != "unverifiable" or finding.details.primary_health != "gone":
        return False
    live = [c for c in checks if c.error is None and c.health in ("ok", "quiet")]
    if not live:
        return False
    check = live[0]
    last = finding.current
    finding.status = "current" if check.agrees else "stale"
    finding.current, finding.since = check.value, check.since
    finding.details.checked_against = check.source
    finding.note = (
        f"{fact.source} gone since {finding.details.gone_since} (last value "
        f"{last!r}); checked against {check.source}"
    )
    return True


def _newest(
    primary: str | None, primary_since: str | None, checks: list[SecondaryCheck]
) -> str | None:
    """The source whose value appeared last (by the date each value first appeared)."""
    candidates = [(primary_since, primary)] + [(c.since, c.source) for c in checks]
    dated = [(since, source) for since, source in candidates if since]
    if len(dated) < 2:
        return None
    latest = max(since for since, _ in dated)
    newest = [source for since, source in dated if since == latest]
    return newest[0] if len(newest) == 1 else None


def _disagreement(primary: str | None, finding: Finding, check: SecondaryCheck) -> str:
    ours, theirs = finding.details.value_since, check.since
    text = (
        f"{check.source} says {check.value!r} (since {theirs or '?'}), "
        f"{primary} says {finding.current!r} (since {ours or '?'})"
    )
    if not ours or not theirs:
        return text + "; which is newer is unknown"
    if ours == theirs:
        return text + "; both first seen the same day"
    return text + f"; {check.source if theirs > ours else primary} is newer"


def _add_note(finding: Finding, text: str) -> None:
    finding.note = f"{finding.note}; {text}" if finding.note else text
