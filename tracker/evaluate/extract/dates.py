"""`date`: the first (or `index`-th) date a text writes, as ISO (see tracker.config.dates)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.config.dates import DATE_RE, parse_local_date
from tracker.config.dates import parse_date as _parse_date
from tracker.evaluate.extract.registry import ExtractError, pick, register

__all__ = ["DATE_RE", "parse_date", "parse_local_date"]


def parse_date(text: str | date, month_first: bool = False) -> date:
    """tracker.config.dates.parse_date, failing with ExtractError."""
    try:
        return _parse_date(text, month_first)
    except ValueError as exc:
        raise ExtractError(str(exc)) from None


@register("date")
def extract_date(text: str, params: dict[str, Any]) -> str:
    month_first = bool(params.get("month_first", False))
    found = [parse_date(m.group(0), month_first) for m in DATE_RE.finditer(text)]
    return pick(found, params, "date").isoformat()
