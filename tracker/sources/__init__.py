"""Source kinds: `base.py` (the Source base, the registry, sniffing) and one module per kind.

The kinds are `config.options.SOURCE_OPTIONS` (no silent plugin discovery), each in the
module of its name, imported when a source of that kind is made.
"""

from __future__ import annotations

from tracker.sources.base import SOURCES, Fetched, Source, all_kinds, make_source

__all__ = ["SOURCES", "Fetched", "Source", "all_kinds", "make_source"]
