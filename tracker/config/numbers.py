"""Numbers as reports and sources write them, read exactly (a leaf: imports nothing of tracker).

Digits with any grouping ('20,260,006', '20 260 006', '3.692'), decimals with a point or a
comma, scale words ('$32.221 billion', '20,26 mln', '2 tys.', '5 млрд') and number words in
English, Polish and Russian ('five-year term', 'dwa tysiące pięćset', 'пятилетний срок').
Values are `Decimal`, so a scaled figure is exact: 32.221 × 10⁹ is 32221000000, not a float
near it. Config validation reads `expect` with this module; the extractors read sources with
it, so both agree on what a number is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from tracker.config.number_words import FRACTION_WORDS, SCALE_WORDS, WORDS, compound_prefix

# Scale words after digits: each pattern with its power of ten. Polish 'bilion' is 10^12
# (long scale), English 'billion' 10^9.
_SCALE_PATTERNS = (
    (r"thousands?|tys\.?|tysi[aą]c\w*|tysi[eę]cy|тыс\.?|тысяч\w*", 3),
    (r"millions?|mln\.?|mio\.?|milion\w*|млн\.?|миллион\w*", 6),
    (r"billions?|bn|mld\.?|mlrd\.?|miliard\w*|млрд\.?|миллиард\w*", 9),
    (r"trillions?|trn|bilion\w*|трлн\.?|триллион\w*", 12),
)
_SCALE_RE = "|".join(p for p, _ in _SCALE_PATTERNS)
NUMBER_RE = re.compile(
    r"(?<![\w.,])[-−]?(?:\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:[.]\d+)?"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?(?=\s|$|[^\d.,])"
    r"|\d+(?:[.,]\d+)?)"
    rf"(?:\s*({_SCALE_RE})(?!\w))?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
_JOINER = re.compile(r"[\s\u00a0-]*(?:and[\s\u00a0]+)?", re.IGNORECASE)  # "hundred and five"
_DETERMINERS = {"no", "any", "every", "some", "each", "this", "that", "the", "which", "anyone"}


@dataclass(frozen=True)
class Reading:
    """One number found in a text: its exact value and where it was written."""

    value: Decimal
    start: int
    end: int


def scale_power(word: str) -> int:
    """10's exponent of a scale word ('mln' → 6); ValueError if it is not one."""
    for pattern, power in _SCALE_PATTERNS:
        if re.fullmatch(pattern, word.strip(), re.IGNORECASE):
            return power
    raise ValueError(f"not a scale word: {word!r}")


def parse_number(token: str, scale: str | None = None) -> Decimal:
    """'20,260,006' '20 260 006' '20,26' (+ 'mln') '3.692' (dot thousands) → exact Decimal."""
    raw = token.strip().replace("−", "-").replace("\u00a0", " ").replace("\u202f", " ")
    if scale and re.fullmatch(r"-?\d+[.,]\d+", raw):  # '181.194 billion', '20,26 mln'
        raw = raw.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "").replace(" ", "")
    elif re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?", raw):
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not a number: {token!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number: {token!r}")
    return value.scaleb(scale_power(scale)) if scale else value


def read_numbers(text: str, words: bool = True) -> list[Reading]:
    """Every number in `text`, in order: digits (with scale words) and number words."""
    return list(_read_numbers(text, words))


@lru_cache(maxsize=1 << 12)  # drafts read the same source texts for every footnote
def _read_numbers(text: str, words: bool) -> tuple[Reading, ...]:
    found = [Reading(_digits_value(m), m.start(), m.end()) for m in NUMBER_RE.finditer(text)]
    if words:
        taken = [(r.start, r.end) for r in found]
        found += [
            r for r in _word_numbers(text) if not any(a < r.end and r.start < b for a, b in taken)
        ]
    return tuple(sorted(found, key=lambda r: r.start))


def numbers_in(text: str, words: bool = True) -> list[Decimal]:
    return [r.value for r in read_numbers(text, words)]


def _digits_value(match: re.Match[str]) -> Decimal:
    if match.group(1):
        return parse_number(match.group(0)[: match.start(1) - match.start(0)], match.group(1))
    return parse_number(match.group(0))


def as_decimal(value: Any) -> Decimal:
    """A number from YAML or a source: ints, floats (by their shortest repr, so 14.9 is
    14.9), Decimals, or the first number a text writes. ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a number: {value!r}")
        number = Decimal(repr(value))
    elif isinstance(value, str):
        numbers = numbers_in(value)
        if not numbers:
            raise ValueError(f"not a number: {value!r}")
        number = numbers[0]
    else:
        raise ValueError(f"not a number: {value!r}")
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def plain(value: Decimal) -> int | float:
    """What YAML and JSON can hold: an int when whole, else the float nearest the decimal
    (whose shortest repr is the decimal itself for up to 15 significant digits)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# ---------------------------------------------------------------- number words


# A place already filled blocks these ('twenty five' composes, 'five twenty' does not).
_BLOCKED_BY = {
    "unit": {"unit", "teen"},
    "teen": {"unit", "teen", "ten"},
    "ten": {"unit", "teen", "ten"},
    "hundreds": {"hundreds", "unit", "teen", "ten"},
}


class _Composer:
    """Builds one number from words, 'two hundred and five thousand' style; refuses a word
    that cannot continue the number ('five six' is two numbers)."""

    def __init__(self) -> None:
        self.total = 0
        self.group = 0  # below the last scale word
        self.places: set[str] = set()
        self.last_scale: int | None = None

    def add(self, kind: str, value: int) -> bool:
        if kind == "scale":
            if self.last_scale is not None and value >= self.last_scale:
                return False
            self.total += (self.group or 1) * value
            self.group, self.places, self.last_scale = 0, set(), value
        elif kind == "hundred":  # English 'hundred' multiplies what came before
            if "hundreds" in self.places or self.group >= 100:
                return False
            self.group = (self.group or 1) * 100
            self.places = {"hundreds"}
        else:
            if self.places & _BLOCKED_BY[kind]:
                return False
            self.group += value
            self.places.add(kind)
        return True

    @property
    def value(self) -> int:
        return self.total + self.group


def _word_numbers(text: str) -> list[Reading]:
    out: list[Reading] = []
    tokens = [t for t in _WORD.finditer(text) if t.group(0).lower() != "and"]
    i = 0
    while i < len(tokens):
        end, value = _number_from(text, tokens, i)
        if end > i:
            if value is not None:
                out.append(Reading(Decimal(value), tokens[i].start(), tokens[end - 1].end()))
            i = end
            continue
        prefix = compound_prefix(tokens[i].group(0))
        if prefix is not None:
            out.append(Reading(Decimal(prefix), tokens[i].start(), tokens[i].end()))
        i += 1
    return out


def _number_from(text: str, tokens: list[re.Match[str]], i: int) -> tuple[int, int | None]:
    """(index after the number's words, value) — value None for a fraction ('two-thirds',
    'one half': not a count); (i, None) when no number starts at token i."""
    first, start = tokens[i].group(0).lower(), i
    if first in ("a", "an") and _scale_follows(text, tokens, i):
        start = i + 1  # 'a million', 'a hundred'
    elif first not in WORDS or (first == "one" and _after_determiner(text, tokens, i)):
        return i, None
    elif WORDS[first][0] in ("scale", "hundred") and first not in SCALE_WORDS:
        return i, None  # English 'million', 'hundred' alone ('millions of') are no number
    composer, j = _Composer(), start
    while j < len(tokens):
        word = tokens[j].group(0).lower()
        if j > start and not _joined(text, tokens[j - 1].end(), tokens[j].start()):
            break
        if word not in WORDS or not composer.add(*WORDS[word]):
            break
        j += 1
    if (
        j < len(tokens)
        and tokens[j].group(0).lower() in FRACTION_WORDS
        and _joined(text, tokens[j - 1].end(), tokens[j].start())
    ):
        return j + 1, None
    return j, composer.value


def _scale_follows(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    if i + 1 >= len(tokens) or not _joined(text, tokens[i].end(), tokens[i + 1].start()):
        return False
    return tokens[i + 1].group(0).lower() in (
        "hundred",
        "thousand",
        "million",
        "billion",
        "trillion",
    )


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return bool(_JOINER.fullmatch(gap)) and "\n" not in gap


def _after_determiner(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    return (
        i > 0
        and tokens[i - 1].group(0).lower() in _DETERMINERS
        and _joined(text, tokens[i - 1].end(), tokens[i].start())
    )
