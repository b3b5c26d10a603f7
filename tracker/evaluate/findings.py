"""Every fact of a workspace evaluated — or read back from the last evaluation when none of
its inputs changed (kept.py); the evaluation itself is in evaluation.py, imported only
when something must be evaluated."""

from __future__ import annotations

from datetime import datetime

from tracker.config import Config
from tracker.evaluate.kept import KeptFindings, finding_texts
from tracker.models import Finding
from tracker.store.git import GitStore
from tracker.store.state import State


def evaluate_all(
    config: Config, store: GitStore, state: State, now: datetime, report: str | None = None
) -> list[Finding]:
    """Findings for every fact (of one report, if given), in file order; read back from
    the last evaluation when none of its inputs changed (evaluate/kept.py)."""
    if not config.reports:
        return []  # nothing to evaluate (a workspace of news feeds only)
    kept = KeptFindings(config, store, state, now)
    found = kept.load(report)
    if found is None:
        found = _evaluate_all(config, store, state, now, report)
        # with their JSON: `status --format json` after the nightly run prints these
        kept.save(report, found, _texts_or_none(found))
    return found


def _texts_or_none(found: list[Finding]) -> list[tuple[str, str]] | None:
    try:
        return finding_texts(found)
    except (ValueError, TypeError, RecursionError):  # a value JSON cannot write: made
        return None  # when asked for (and the error is the JSON command's, not this one's)


def findings_json(
    config: Config, store: GitStore, state: State, now: datetime, report: str | None = None
) -> list[tuple[str, str]]:
    """(status, JSON text) of each finding `evaluate_all` gives, in the same order — kept
    with the findings, so an unchanged workspace prints them without building them."""
    if not config.reports:
        return []
    kept = KeptFindings(config, store, state, now)
    texts = kept.load_json(report)
    if texts is None:
        found = evaluate_all(config, store, state, now, report)  # kept with their texts
        texts = kept.load_json(report)  # (not when kept was refused: racy, unpicklable)
        if texts is None:
            texts = finding_texts(found)
    return texts


def _evaluate_all(
    config: Config, store: GitStore, state: State, now: datetime, report: str | None
) -> list[Finding]:
    from tracker.evaluate.evaluation import evaluate_every

    return evaluate_every(config, store, state, now, report)
