"""Holding back a suspicious answer (sources/shrink.py) until it is confirmed.

A new snapshot that lost most of the previous one's content is not written or committed:
the previous snapshot stays, so facts keep the last good value (their note says why), the
source's health is `suspect` (`tracker sources`, the digest, the maintainers' message), and
the run's notices name it. The same document arriving on `confirm_shrink` runs in a row
is a real change after all, and is committed then; any other answer ends the suspicion.

The pure parse step finds the Suspicion (`Source.suspicion`, beside the snapshot it
compares); `held` is the bookkeeping in the main process, before anything is written.
"""

from __future__ import annotations

from datetime import datetime

from tracker.models import Notice, NoticeKind, RunResult, SourceResult
from tracker.sources.shrink import Suspicion
from tracker.store.state import SourceState


def held(
    source_id: str, needed: int, entry: SourceState, suspicion: Suspicion | None, now: datetime
) -> SourceResult | None:
    """The held-back result when the new snapshot is suspicious and not yet confirmed;
    None when it is to be stored as usual."""
    if suspicion is None:
        return None
    if not entry.held_back(now, suspicion.digest, suspicion.reason, needed):
        return None  # confirmed: stored and committed, `succeeded` ends the suspicion
    return SourceResult(source_id, ok=True, suspect=message(source_id, entry, needed))


def message(source_id: str, entry: SourceState, needed: int) -> str:
    more = needed - entry.suspect_count
    return (
        f"{source_id}: answer held back as suspect ({entry.suspect_reason}); the last "
        f"good snapshot stays. Committed if the same answer comes {more} more "
        f"time{'s' if more != 1 else ''} in a row (confirm_shrink: {needed})"
    )


def held_notices(result: RunResult) -> list[Notice]:
    """One notice per source held back in this run."""
    return [
        Notice(NoticeKind.SOURCE_HELD, s.suspect, count=1, detail=s.source)
        for s in result.sources
        if s.suspect
    ]
