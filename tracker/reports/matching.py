"""Which snapshot value a report sentence cites (pure): the source, path and extractor a
draft fact suggests.

Every text leaf of the workspace's current snapshots is a candidate; a leaf matches when it
holds the sentence's number (within 0.5%), percentage, future year, person or list of
shares, and ranks by the words its path and siblings share with the sentence (Polish and
Russian words through a small glossary) — more when the topic naming the value is the
leaf's own ("ludność" ↔ Population).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from tracker.evaluate.extract import EXTRACTORS, ExtractError, find_numbers
from tracker.reports.keywords import naming_topic, topics_in, words
from tracker.reports.values import MIN_PLAIN_NUMBER, Value
from tracker.text import fold

# Polish/Russian word stems → the English words a Factbook-like source uses.
GLOSSARY = {
    "wybor": "election",
    "senat": "senate upper",
    "mazyl": "mazhilis lower",
    "prezyd": "president",
    "premie": "prime minister",
    "rzadu": "government",
    "rzad": "government",
    "ludno": "population",
    "kolejn": "next",
    "przewi": "expected",
    "plano": "expected",
    "urban": "urban",
    "miesz": "population urban",
    "religi": "religions",
    "etnicz": "ethnic",
    "выбор": "election",
    "сенат": "senate",
    "президент": "president",
    "премьер": "prime",
    "населен": "population",
    "следующ": "next",
}
NUMBER_TOLERANCE = 0.005
PERCENT_SLACK = 0.05


@dataclass(frozen=True)
class Leaf:
    source: str
    path: list[str]
    text: str
    context: str  # the sibling texts


@dataclass
class Match:
    source: str
    path: list[str]
    leaf: str
    score: int
    extract: str
    expect: Any
    extra: dict[str, Any] = field(default_factory=dict)
    value: Value | None = None  # the sentence's value it holds (None: a person, shares)


def snapshot_leaves(snapshots: dict[str, Any]) -> list[Leaf]:
    return [leaf for sid, snap in sorted(snapshots.items()) for leaf in _leaves(sid, snap, ())]


def _leaves(sid: str, node: Any, path: tuple[str, ...]) -> Iterator[Leaf]:
    if not isinstance(node, dict):
        return
    siblings = " ".join(str(v) for v in node.values() if isinstance(v, str))
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaves(sid, value, path + (str(key),))
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield Leaf(sid, list(path + (str(key),)), str(value), siblings)


def best_match(
    sentence: str, values: list[Value], leaves: list[Leaf], future: bool, claim: Value | None
) -> Match | None:
    """The best-ranked leaf holding a value of the sentence. The claim's value (the one
    the sentence's topic word names) ranks above the others, a leaf about the topic (its
    path or siblings use the topic's English words) above one that is not."""
    stems = word_stems(sentence)
    topics = topics_in(sentence)
    found: list[Match] = []
    for leaf in leaves:
        context = _context_stems(leaf)
        for match in _leaf_matches(leaf, len(stems & context), sentence, values, future):
            topic = match.value.topic if match.value is not None else None
            topic = topic or (topics[0] if topics else None)
            if topic is not None and word_stems(topic.english) & context:
                match.score += 2
            if match.value is not None and match.value is claim:
                match.score += 1
            found.append(match)
    if claim is not None and claim.kind == "number" and claim.topic is not None:
        # of several numbers, the sentence's topic word names the one it claims
        found = [m for m in found if m.extract != "number" or m.value is claim]
    found = [
        m
        for m in found
        if m.score >= 1
        or m.extract == "person"
        or (m.extract == "number" and abs(m.expect) >= MIN_PLAIN_NUMBER)
    ]
    if not found:
        return None
    return max(found, key=lambda m: (m.score, -len(m.leaf)))


def _leaf_matches(
    leaf: Leaf, score: int, sentence: str, values: list[Value], future: bool
) -> Iterator[Match]:
    person = _person(leaf.text)
    named = _named_in(sentence, person) if person else None
    if person and named is not None:
        yield Match(leaf.source, leaf.path, leaf.text, score + 2, "person", person, value=named)
    leaf_numbers = find_numbers(leaf.text)
    for value in values:
        if value.kind == "number" and abs(value.value) < MIN_PLAIN_NUMBER:
            if _counts_in(leaf.text, value):
                yield Match(
                    leaf.source, leaf.path, leaf.text, score + 1, "number", value.value, value=value
                )
        elif value.kind == "number" and any(_close(value.value, n) for n in leaf_numbers):
            yield Match(
                leaf.source,
                leaf.path,
                leaf.text,
                score + 1,
                "number",
                value.value,
                _number_tolerance(value.value, leaf_numbers),
                value,
            )
        elif value.kind == "percent" and any(
            abs(value.value - n) < PERCENT_SLACK for n in _percents(leaf.text)
        ):
            index = _index_of(value.value, leaf.text)
            yield Match(
                leaf.source,
                leaf.path,
                leaf.text,
                score,
                "percent",
                value.value,
                {"params": {"index": index}} if index else {},
                value,
            )
        elif value.kind == "year" and future and value.value in leaf.text:
            yield Match(leaf.source, leaf.path, leaf.text, score, "year", value.value, value=value)
    shares = _shares_match(leaf.text, leaf_numbers, values)
    if shares is not None:
        yield Match(leaf.source, leaf.path, leaf.text, score + 3, "shares", shares)


def _counts_in(text: str, value: Value) -> bool:
    """A small count matches only where the leaf counts the same thing: the number, then
    within two words the topic's English word ('17 provinces'), not a rate ('10
    deaths/100,000') or a share ('2%')."""
    if value.topic is None or not value.topic.english:
        return False
    stems = tuple(w[:5] for w in value.topic.english.split())
    number = re.escape(str(value.value))
    pattern = rf"(?<![\d.,]){number}(?![\d.,%/])\s+(?:[^\W\d_]+\s+){{0,2}}?([^\W\d_]+)(?![/\w])"
    return any(fold(m.group(1)).startswith(stems) for m in re.finditer(pattern, text))


def _named_in(sentence: str, person: str) -> Value | None:
    """Where the sentence writes `person` (given name and surname, folded), as a value
    with the topic word naming it ('premier Olzhas Bektenov' → prime minister)."""
    found = words(sentence)
    given, surname = fold(person.split()[0]), fold(person.split()[-1])
    first = next((w for w in found if w.text == given), None)
    if first is None or not any(w.text == surname for w in found):
        return None
    return Value(
        "person",
        person,
        sentence[first.start : first.end],
        first.start,
        first.end,
        naming_topic(sentence, first.start, first.end),
    )


def _number_tolerance(number: float, leaf_numbers: list[float]) -> dict[str, Any]:
    """A figure the report rounded ('20,26 mln' for 20,260,006) is compared within 0.5%;
    one the source writes as it is, exactly."""
    return {} if number in leaf_numbers else {"tolerance": "0.5%"}


def _shares_match(
    text: str, leaf_numbers: list[float], values: list[Value]
) -> dict[str, Any] | None:
    percents = [v.value for v in values if v.kind == "percent"]
    if (
        len(percents) < 3
        or sum(any(abs(p - n) < PERCENT_SLACK for n in leaf_numbers) for p in percents) < 3
    ):
        return None
    try:
        shares = EXTRACTORS["shares"](text, {})
    except ExtractError:
        return None
    if not isinstance(shares, dict) or not shares:
        return None
    if all(any(abs(p - s) < PERCENT_SLACK for s in shares.values()) for p in percents):
        return dict(shares)
    return None


def _percents(text: str) -> list[float]:
    return [
        float(m.group(1).replace(",", ".")) for m in re.finditer(r"(\d+(?:[.,]\d+)?)\s*%", text)
    ]


def _index_of(value: float, text: str) -> int:
    found = _percents(text)
    return next((i for i, n in enumerate(found) if abs(n - value) < PERCENT_SLACK), 0)


def _close(a: float, b: float) -> bool:
    return b != 0 and abs(a - b) / abs(b) <= NUMBER_TOLERANCE


def _person(text: str) -> str | None:
    """A name the `person` extractor reads, when the text writes a surname in capitals."""
    if not re.search(r"\b[^\W\d_]{2,}\b", text) or not re.search(r"\b[A-ZÀ-Ž]{3,}\b", text):
        return None
    try:
        name = EXTRACTORS["person"](text.split("\n")[0], {})
    except ExtractError:
        return None
    if not isinstance(name, str):
        return None
    return name if len(name.split()) >= 2 and len(name) < 60 else None


def word_stems(text: str) -> set[str]:
    """Five-letter stems of the words of `text`, with the glossary's English for them."""
    words = [w for w in re.findall(r"[^\W\d_]+", fold(text)) if len(w) >= 4]
    stems = {w[:5] for w in words}
    for word in words:
        for stem, english in GLOSSARY.items():
            if word.startswith(fold(stem)):
                stems |= {e[:5] for e in english.split()}
    return stems


def _context_stems(leaf: Leaf) -> frozenset[str]:
    return _stems(" ".join(leaf.path) + " " + leaf.context)


@lru_cache(maxsize=1 << 14)  # every footnote is matched against the same leaves
def _stems(text: str) -> frozenset[str]:
    return frozenset(w[:5] for w in re.findall(r"[^\W\d_]+", fold(text)) if len(w) >= 4)
