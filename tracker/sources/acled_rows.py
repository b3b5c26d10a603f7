"""ACLED rows as the API sends them: every value a string, checked strictly.

A malformed row is an error naming the row and the field, never a zero in a count.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tracker.errors import ParseError

FIELDS = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "civilian_targeting",
    "fatalities",
    "timestamp",
)
CIVILIAN = "Civilian targeting"
SEP = " › "  # category key separator; ACLED type names contain '/', never '›'

Row = dict[str, str]  # the FIELDS of one event, as sent


def by_id(rows: list[Any]) -> dict[str, Row]:
    """Validate rows strictly and keep only the aggregated fields (the cache stays lean)."""
    out = {}
    for index, row in enumerate(rows):
        parse_row(row, index)
        out[row["event_id_cnty"]] = {k: row[k] for k in FIELDS}
    return out


def parse_row(row: Any, index: int) -> dict[str, Any]:
    """One ACLED row, every value a string, parsed strictly; ParseError names the problem."""
    if not isinstance(row, dict):
        raise ParseError(f"ACLED row {index}: not an object")
    event_id = row.get("event_id_cnty")
    where = f"ACLED row {index} ({event_id!r})" if is_text(event_id) else f"ACLED row {index}"
    if not is_text(event_id):
        raise ParseError(f"{where}: event_id_cnty missing or empty")
    missing = [f for f in FIELDS if f not in row]
    if missing:
        raise ParseError(f"{where}: missing field(s) {', '.join(missing)}")
    for name in ("event_type", "sub_event_type"):
        if not is_text(row[name]) or SEP.strip() in row[name]:
            raise ParseError(f"{where}: bad {name} {row[name]!r}")
    if row["civilian_targeting"] not in ("", CIVILIAN):
        raise ParseError(
            f"{where}: civilian_targeting must be '' or {CIVILIAN!r}, "
            f"got {row['civilian_targeting']!r}"
        )
    return {
        "event_date": _strict_date(row["event_date"], where),
        "event_type": row["event_type"],
        "sub_event_type": row["sub_event_type"],
        "civilian_targeting": row["civilian_targeting"] == CIVILIAN,
        "fatalities": _strict_count(row["fatalities"], "fatalities", where),
        "timestamp": _strict_count(row["timestamp"], "timestamp", where),
    }


def _strict_date(value: Any, where: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ParseError(f"{where}: event_date must be 'YYYY-MM-DD', got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{where}: event_date {value!r} is not a calendar date") from None


def _strict_count(value: Any, name: str, where: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,12}", value.strip()):
        raise ParseError(f"{where}: {name} must be a whole number as text, got {value!r}")
    return int(value)


def is_text(value: Any) -> bool:
    """Non-empty text that is valid Unicode (a lone surrogate would be cached, then fail
    every later run when the snapshot is written)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value)
