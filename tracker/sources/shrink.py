"""Suspicious shrink: a valid answer that has lost most of what the source held.

An empty Factbook profile (`categories: []`), one with half its categories missing, a
Wikidata entity without most of its statements, an ACLED query that suddenly counts half
the events: far more often an upstream fault (a half-built mirror, an API hiccup) than a
change of the world. Committed at once, every fact of the source turns `unverifiable`, a
"needs review" mail goes out, and the next good fetch commits it all back.

So each kind says how much content a snapshot holds (`Source.shrinkage`); a new snapshot
with at most half of the previous one's is a `Suspicion`, which the run holds back until
the same document arrives on `confirm_shrink` consecutive runs (tracker/run/suspect.py).
Pure functions of two snapshots, like `normalize`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

SHARE = 0.5  # at most this share of the previous content left: suspicious


@dataclass(frozen=True)
class Suspicion:
    """Why a new snapshot looks like a fault, and which document it was (its digest)."""

    reason: str
    digest: str


def shrunk(what: str, before: int, after: int) -> str | None:
    """'3 of 10 categories left' when `after` is at most half of `before`, else None."""
    if before <= 0 or after > before * SHARE:
        return None
    return f"{after} of {before} {what} left" if after else f"no {what} left (had {before})"


def first_shrink(measures: Iterable[tuple[str, int, int]]) -> str | None:
    """The first of (what, before, after) that shrank."""
    return next((why for why in (shrunk(*m) for m in measures) if why), None)


def digest_of(snapshot: Any, volatile: Iterable[str] = ()) -> str:
    """A digest of the snapshot's content, top-level `volatile` keys (e.g. an access
    date) left out: the same document on the next run has the same digest."""
    if isinstance(snapshot, dict):
        snapshot = {k: v for k, v in snapshot.items() if k not in set(volatile)}
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def count_nested(snapshot: Any) -> tuple[int, int]:
    """(top-level keys, second-level keys): a Factbook's categories and fields."""
    top = mapping(snapshot)
    return len(top), sum(len(mapping(v)) for v in top.values())
