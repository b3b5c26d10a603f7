"""The values a report sentence states, and the one a draft fact should track (pure).

A sentence often holds several numbers ("zginęło 238 osób, ponad 2 tys. zostało
rannych"); the topic word beside each (`keywords.naming_topic`) says what it counts, and
the sentence's first topic word says what the sentence is about, so the value that word
names is the claim. Numbers are read exactly with their scale words by the same reader
the extractors and the config use (`tracker.config.numbers`): "2 tys." is 2000,
"20,26 mln" 20260000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.config.numbers import Reading, plain, read_numbers
from tracker.evaluate.extract import DATE_RE, parse_date
from tracker.reports.keywords import Topic, counted, naming_topic, topics_in

MIN_PLAIN_NUMBER = 1000  # a smaller bare number, named by no count, matches by chance
PERCENT_RE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(?:%|proc\.?(?!\w)|procent\w*|процент\w*)", re.IGNORECASE
)
KIND_RANK = ("number", "percent", "year", "date")  # a date beside a count dates it
YEAR_RE = re.compile(r"(?:1[89]|2[01])\d\d")


@dataclass(frozen=True)
class Value:
    kind: str  # number | percent | year | date
    value: Any  # int/float, or ISO text for a year or a date
    text: str  # as the sentence writes it
    start: int = 0
    end: int = 0
    topic: Topic | None = None  # the topic word that names it, if one does

    @property
    def as_date(self) -> date | None:
        """The last day it may stand for: a date itself, a year's 31 December."""
        if self.kind == "date":
            return date.fromisoformat(self.value)
        if self.kind == "year":
            return date(int(self.value), 12, 31)
        return None


def sentence_values(sentence: str) -> list[Value]:
    """Dates, percentages, numbers (with their scales) and years, in that order; each
    with the topic word naming it."""
    out: list[Value] = []
    taken: list[tuple[int, int]] = []
    for match in DATE_RE.finditer(sentence):
        try:
            iso = parse_date(match.group(0)).isoformat()
        except ValueError:
            continue
        out.append(_value(sentence, "date", iso, match.start(), match.end()))
        taken.append(match.span())
    for match in PERCENT_RE.finditer(sentence):
        if _overlaps(match.span(), taken):
            continue
        number = plain(read_numbers(match.group(1), words=False)[0].value)
        out.append(_value(sentence, "percent", number, match.start(), match.end()))
        taken.append(match.span())
    for reading in read_numbers(sentence, words=False):
        if not _overlaps((reading.start, reading.end), taken):
            value = _number(sentence, reading)
            if value is not None:
                out.append(value)
    return out


def _number(sentence: str, reading: Reading) -> Value | None:
    text = sentence[reading.start : reading.end]
    if YEAR_RE.fullmatch(text.strip()):
        return _value(sentence, "year", text.strip(), reading.start, reading.end)
    found = _value(sentence, "number", plain(reading.value), reading.start, reading.end)
    scaled = text.strip()[-1:].isalpha() or text.strip().endswith(".")
    small = abs(reading.value) < MIN_PLAIN_NUMBER and not scaled
    if small and not (
        counted(sentence, reading.end) or (found.topic is not None and found.topic.counts)
    ):
        return None
    return found


def _value(sentence: str, kind: str, value: Any, start: int, end: int) -> Value:
    return Value(kind, value, sentence[start:end], start, end, naming_topic(sentence, start, end))


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(a < span[1] and span[0] < b for a, b in taken)


def claimed(
    sentence: str, values: list[Value], future: bool, published: date | None = None
) -> list[Value]:
    """The values worth a draft, the claim first: the one the sentence's first topic word
    names (each topic word in turn), then the others in order. A year is a claim only
    about the future ("the next election is planned for 2026"), so not one before the
    report's publication."""
    interesting = [
        v
        for v in values
        if v.kind != "year"
        or (future and (published is None or (v.as_date or published) >= published))
    ]
    for topic in topics_in(sentence):
        named = sorted(
            (v for v in interesting if v.topic == topic), key=lambda v: KIND_RANK.index(v.kind)
        )
        if named:
            first = named[0]
            return [first] + [v for v in interesting if v is not first]
    return interesting


def valid_until(values: list[Value], published: date | None) -> date | None:
    """The horizon of a claim about the future: its latest date or year — never one before
    the report's publication ("since 2014 … will" does not expire in 2014)."""
    ahead = [
        d
        for d in (v.as_date for v in values)
        if d is not None and (published is None or d >= published)
    ]
    return max(ahead) if ahead else None
