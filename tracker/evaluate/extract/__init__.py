"""Value extractors: turn the value at a snapshot path into a comparable value.

`registry` holds EXTRACTORS; each other module registers its extractors on import, so
importing this package gives the complete registry.
"""

from __future__ import annotations

from tracker.evaluate.extract import acled, dates, numbers, people, shares, text  # noqa: F401
from tracker.evaluate.extract.dates import DATE_RE, parse_date, parse_local_date
from tracker.evaluate.extract.numbers import NUMBER_RE, find_numbers, parse_number, tidy_number
from tracker.evaluate.extract.registry import EXTRACTORS, ExtractError, Extractor, as_text

__all__ = [
    "DATE_RE",
    "EXTRACTORS",
    "ExtractError",
    "Extractor",
    "NUMBER_RE",
    "as_text",
    "find_numbers",
    "parse_date",
    "parse_local_date",
    "parse_number",
    "tidy_number",
]
