"""`number`, `percent`, `year`: numbers as reports and sources write them.

The reading itself (digits, scale words, number words; exact decimals) is
`tracker.config.numbers`, shared with the validation of `expect` at load.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tracker.config.numbers import NUMBER_RE, numbers_in, parse_number, plain
from tracker.evaluate.extract.registry import pick, register

__all__ = ["NUMBER_RE", "find_numbers", "parse_number", "tidy_number"]


def find_numbers(text: str) -> list[float]:
    """The numbers of a text as floats, for code that ranks or compares roughly (drafts);
    exact values come from `tracker.config.numbers.numbers_in`."""
    return [float(n) for n in numbers_in(text)]


def tidy_number(value: Decimal | float | int) -> float | int:
    """An int when whole, else the float whose repr is the decimal (no 0.30000000000000004)."""
    return plain(value if isinstance(value, Decimal) else Decimal(repr(value)))


@register("number")
def extract_number(text: str, params: dict[str, Any]) -> float | int:
    return plain(pick(numbers_in(text), params, "number"))


@register("percent")
def extract_percent(text: str, params: dict[str, Any]) -> float | int:
    label = params.get("label")
    prefix = rf"{re.escape(str(label))}\W{{0,3}}" if label else ""
    pattern = prefix + r"([-−]?\d+(?:[.,]\d+)?)\s*(?:%|percent|proc|процент)"
    found = [parse_number(m.group(1)) for m in re.finditer(pattern, text, re.IGNORECASE)]
    return plain(pick(found, params, "percentage"))


@register("year")
def extract_year(text: str, params: dict[str, Any]) -> int:
    years = [int(y) for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)", text)]
    return pick(years, params, "year")
