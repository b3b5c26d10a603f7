"""Holding back a suspicious answer (sources/shrink.py) until it is confirmed.

A new snapshot that lost most of the previous one's content is not written or committed:
the previous snapshot stays, so facts keep the last good value (their note says why), the
source's health is `suspect` (`tracker sources`, the digest, the maintainers' message), and
the run's notices name it. The same document arriving on `confirm_shrink` runs in a row
is a real change after all, and is committed then; any other answer ends the suspicion.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.models import SourceResult
from tracker.sources.base import Source
from tracker.sources.shrink import Suspicion
from tracker.store.state import SourceState


def hold_back(source: Source, entry: SourceState, previous: Any, snapshot: Any,
              now: datetime) -> SourceResult | None:
    """The held-back result when `snapshot` is suspicious and not yet confirmed; None
    when it is to be stored as usual."""
    suspicion = source.suspicion(previous, snapshot)
    return held(source.id, source.options.confirm_shrink, entry, suspicion, now)


def held(source_id: str, needed: int, entry: SourceState, suspicion: Suspicion | None,
         now: datetime) -> SourceResult | None:
    """The bookkeeping half, for a Suspicion computed where the snapshot was made (a pure
    parse step may do that part: `Source.suspicion` needs no I/O)."""
    if suspicion is None:
        return None
    if not entry.held_back(now, suspicion.digest, suspicion.reason, needed):
        return None  # confirmed: stored and committed, `succeeded` ends the suspicion
    return SourceResult(source_id, ok=True, suspect=notice(source_id, entry, needed))


def notice(source_id: str, entry: SourceState, needed: int) -> str:
    more = needed - entry.suspect_count
    return (f"{source_id}: answer held back as suspect ({entry.suspect_reason}); the last "
            f"good snapshot stays. Committed if the same answer comes {more} more "
            f"time{'s' if more != 1 else ''} in a row (confirm_shrink: {needed})")
