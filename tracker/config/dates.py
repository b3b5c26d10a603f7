"""Dates as reports and sources write them: ISO, D.M.YYYY, D/M/YYYY, English, Polish and
Russian month names (a leaf: config validates a date fact's `expect` with it, the `date`
extractor reads sources with it)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from dateutil import parser as dateparser

_DATE_PATTERNS = [
    r"\d{4}-\d{2}-\d{2}",
    r"\d{1,2}\.\d{1,2}\.\d{4}",
    r"\d{1,2}/\d{1,2}/\d{4}",  # day first unless `month_first` (the Factbook's '3/19/2023')
    r"\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}",
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s*\d{4}",
]
# Polish and Russian month names (genitive, as in dates) and the Roman-numeral months of
# Polish bibliographies ('28 xi 2021'); dateutil knows neither.
_LOCAL_MONTHS = {
    "stycz": 1,
    "lut": 2,
    "marz": 3,
    "marc": 3,
    "kwie": 4,
    "maj": 5,
    "czerw": 6,
    "lip": 7,
    "sierp": 8,
    "wrze": 9,
    "paźdz": 10,
    "pazdz": 10,
    "listop": 11,
    "grud": 12,
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_ROMAN_MONTHS = {
    r: i for i, r in enumerate("i ii iii iv v vi vii viii ix x xi xii".split(), start=1)
}
_LOCAL_DATE = re.compile(
    r"(?<![\w.])(\d{1,2})\s+("
    + "|".join(sorted(_ROMAN_MONTHS, key=len, reverse=True))
    + r"|(?:stycz|lut|mar|kwie|maj|czerw|lip|sierp|wrze|pa[źz]dz|listop|grud|январ|феврал|март"
    r"|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*)\.?\s+(\d{4}|\d{2})(?!\d)"
    r"(?:\s*(?:r\.|г\.|года))?",
    re.IGNORECASE,
)
_DATE_PATTERNS.append(_LOCAL_DATE.pattern)
DATE_RE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE)


def parse_date(text: str | date, month_first: bool = False) -> date:
    """A date written as ISO, 'DD.MM.YYYY', '6 February 2024' or 'February 6, 2024';
    ValueError if it is none."""
    if isinstance(text, date):
        return text
    # dateutil fills what a text leaves out from today: today is part of the answer
    parsed = _parse_text(str(text), month_first, date.today())
    if parsed is None:
        raise ValueError(f"not a date: {text!r}")
    return parsed


@lru_cache(maxsize=4096)  # status reads the same dates for every fact on a source
def _parse_text(text: str, month_first: bool, today: date) -> date | None:
    local = parse_local_date(text)
    if local is not None:
        return local
    try:
        return dateparser.parse(text, dayfirst=not month_first, default=None).date()
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def is_full_date(value: object) -> bool:
    """A whole date (day, month and year), as a YAML date or a text that writes one."""
    if isinstance(value, date):
        return True
    if not isinstance(value, str) or not DATE_RE.fullmatch(value.strip()):
        return False
    try:
        parse_date(value)
    except ValueError:
        return False
    return True


def parse_local_date(text: str) -> date | None:
    """'1 stycznia 2025 r.', '28 xi 2021', '5 марта 2014 г.' → date; None if not that form."""
    match = _LOCAL_DATE.fullmatch(text.strip()) or _LOCAL_DATE.match(text.strip())
    if not match:
        return None
    day, month_word, year = int(match.group(1)), match.group(2).lower(), match.group(3)
    month = _ROMAN_MONTHS.get(month_word) or next(
        (
            n
            for stem, n in sorted(_LOCAL_MONTHS.items(), key=lambda kv: -len(kv[0]))
            if month_word.startswith(stem)
        ),
        None,
    )
    if len(year) == 2 and month_word == "i":  # '5 i 10' is more often 'five and ten'
        return None
    full_year = int(year) + (2000 if len(year) == 2 else 0)  # '10 iv 15' in a bibliography
    try:
        return date(full_year, month, day) if month else None
    except ValueError:
        return None
