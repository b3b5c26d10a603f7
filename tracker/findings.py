"""Evaluate every fact of a workspace against the current snapshots and source health."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .config import Config, Fact
from .facts import Health, PathMissing, extract, matches
from .extract import ExtractError
from .history import value_since
from .models import Finding
from .state import State
from .store import GitStore
from .facts import evaluate


def evaluate_all(config: Config, store: GitStore, state: State, now: datetime,
                 report: str | None = None) -> list[Finding]:
    """Findings for every fact (of one report, if given), in file order."""
    snapshots: dict[str, Any] = {}
    findings = []
    for report_id, rep in config.reports.items():
        if report and report_id != report:
            continue
        for fact in rep.facts:
            findings.append(evaluate_fact(config, store, state, now, report_id, fact, snapshots))
    return findings


def evaluate_fact(config: Config, store: GitStore, state: State, now: datetime,
                  report_id: str, fact: Fact, cache: dict[str, Any] | None = None) -> Finding:
    cache = {} if cache is None else cache
    snapshot = _snapshot(store, fact.source, cache) if fact.source else None
    health = _health(config, state, fact.source, now)
    since = None
    finding = evaluate(report_id, fact, snapshot, health, now)
    if fact.primary is not None and finding.current is not None:
        since = value_since(store, fact.primary, finding.current)
        if finding.status in ("current", "stale", "acknowledged"):
            finding.since = since
        finding.details["value_since"] = since
    _cross_check(config, store, state, now, fact, finding, cache)
    return finding


def _snapshot(store: GitStore, source_id: str, cache: dict[str, Any]) -> Any:
    if source_id not in cache:
        cache[source_id] = store.read_snapshot(source_id)
    return cache[source_id]


def _health(config: Config, state: State, source_id: str | None, now: datetime) -> Health:
    if not source_id:
        return Health()
    return state.source(source_id).health(config.sources[source_id], now)


def _cross_check(config: Config, store: GitStore, state: State, now: datetime, fact: Fact,
                 finding: Finding, cache: dict[str, Any]) -> None:
    """Secondary sources (`also:`): record each one's value and whether it agrees."""
    checks = []
    for ref in fact.also:
        snapshot = _snapshot(store, ref.source, cache)
        entry: dict[str, Any] = {"source": ref.source, "path": ref.path,
                                 "health": _health(config, state, ref.source, now).health}
        try:
            entry["value"], _ = extract(snapshot, ref) if snapshot is not None else (None, None)
        except (PathMissing, ExtractError) as exc:
            entry["error"] = str(exc)
        if entry.get("value") is not None:
            entry["agrees"] = matches(fact, entry["value"], ref.extract)
            entry["since"] = value_since(store, ref, entry["value"])
        checks.append(entry)
    if checks:
        finding.details["also"] = checks
        disagreeing = [c for c in checks if c.get("agrees") is False]
        if disagreeing:
            names = ", ".join(f"{c['source']} says {c['value']!r}" for c in disagreeing)
            finding.details["disagreement"] = True
            finding.note = ((finding.note + "; ") if finding.note else "") + \
                f"sources disagree: {names}"
