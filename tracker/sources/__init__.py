"""Source kinds: `base.py` (the Source base, the registry, sniffing) and one module per kind.

The explicit imports below register the kinds (no silent plugin discovery).
"""

from __future__ import annotations

from tracker.sources import acled, citations, factbook, rss, wikidata, worldbank  # noqa: F401
from tracker.sources.base import SOURCES, Fetched, Source, make_source

__all__ = ["SOURCES", "Fetched", "Source", "make_source"]
