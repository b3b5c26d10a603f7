"""Source kinds: `base.py` (the Source base, the registry, sniffing) and one module per kind.

`base.KINDS` lists the kinds and their modules (no silent plugin discovery); a kind's
module is imported when a source of that kind is made.
"""

from __future__ import annotations

from tracker.sources.base import KINDS, SOURCES, Fetched, Source, all_kinds, make_source

__all__ = ["KINDS", "SOURCES", "Fetched", "Source", "all_kinds", "make_source"]
