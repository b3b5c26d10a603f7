"""Draft facts from a scanned report, for the analyst to confirm.

A sentence that states a number, a percentage, a date, a future year or a person, and
cites a footnote (directly or through the marker closing its paragraph), becomes a draft
fact with a suggested extractor. A claim about the future ("the next Senate election is
planned for 2026") gets a `valid_until`. Where a current snapshot holds a matching value
("20,26 mln" ↔ "20,260,006 (2024 est.)"), the draft names that source and path.

Pure: `draft_facts(parsed, report_id, snapshots) -> dict` (the reports/<id>.draft.yaml
content). Each fact has the keys of a real fact, so confirmed drafts can be copied into
reports/<id>.yaml as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from tracker.evaluate.extract import (
    DATE_RE,
    EXTRACTORS,
    NUMBER_RE,
    ExtractError,
    find_numbers,
    parse_date,
)
from tracker.text import fold

FUTURE = re.compile(r"\b(?:kolejn|przewidzian|planowan|zaplanowan|wprowadzi|będzie|nastąpi|"
                    r"next|planned|scheduled|will|upcoming|следующ|планир|запланир|состоится|"
                    r"будет)", re.IGNORECASE)
# Polish/Russian word stems → the English words a Factbook-like source uses.
GLOSSARY = {
    "wybor": "election", "senat": "senate upper", "mazyl": "mazhilis lower", "prezyd": "president",
    "premie": "prime minister", "rzadu": "government", "rzad": "government",
    "ludno": "population", "kolejn": "next", "przewi": "expected", "plano": "expected",
    "urban": "urban", "miesz": "population urban", "religi": "religions", "etnicz": "ethnic",
    "выбор": "election", "сенат": "senate", "президент": "president", "премьер": "prime",
    "населен": "population", "следующ": "next",
}
NUMBER_TOLERANCE = 0.005
MIN_PLAIN_NUMBER = 1000  # smaller bare numbers match too much by chance


@dataclass
class Value:
    kind: str        # number | percent | year | date
    value: Any
    text: str


@dataclass
class Match:
    source: str
    path: list[str]
    leaf: str
    score: int
    extract: str
    expect: Any
    extra: dict[str, Any] = field(default_factory=dict)


def draft_facts(parsed: dict[str, Any], report_id: str,
                snapshots: dict[str, Any] | None = None) -> dict[str, Any]:
    leaves = [(sid, path, text, context) for sid, snap in sorted((snapshots or {}).items())
              for path, text, context in _leaves(snap)]
    facts: list[dict[str, Any]] = []
    for sentence, footnotes in _cited_sentences(parsed["sentences"]):
        fact = _draft(sentence, footnotes, leaves)
        if fact is not None:
            fact["id"] = _unique_id(f"fn{footnotes[0]}-{fact['extract']}", facts)
            facts.append(fact)
    return {"report": {"id": report_id},
            "note": "Draft facts for review: confirm, edit or delete each, then copy it into "
                    f"reports/{report_id}.yaml.",
            "facts": [{k: v for k, v in f.items() if v is not None} for f in facts]}


def _cited_sentences(sentences: list[dict[str, Any]]) -> Iterator[tuple[str, list[int]]]:
    """Each sentence with its footnotes; unmarked ones take the marker closing the paragraph."""
    for i, sentence in enumerate(sentences):
        footnotes = sentence["footnotes"]
        if not footnotes:
            later = (s for s in sentences[i + 1:] if s["paragraph"] == sentence["paragraph"])
            footnotes = next((s["footnotes"] for s in later if s["footnotes"]), [])
        if footnotes:
            yield sentence["text"], footnotes


def _draft(sentence: str, footnotes: list[int],
           leaves: list[tuple[str, list[str], str, str]]) -> dict[str, Any] | None:
    values = sentence_values(sentence)
    future = bool(FUTURE.search(sentence))
    match = _best_match(sentence, values, leaves, future)
    interesting = [v for v in values if v.kind != "year" or future]
    if match is None and not interesting:
        return None
    fact: dict[str, Any] = {"id": "", "footnote": footnotes[0], "claim": sentence,
                            "valid_until": _valid_until(values) if future else None}
    if match is not None:
        fact.update(expect=match.expect, source=match.source, path=match.path,
                    extract=match.extract, **match.extra,
                    note=f"draft: {match.source} holds {match.leaf[:120]!r}")
        return fact
    first = interesting[0]
    percents = [v for v in values if v.kind == "percent"]
    if len(percents) >= 3:
        fact.update(expect=_sentence_shares(sentence), extract="shares")
    else:
        fact.update(expect=first.value, extract=first.kind)
    fact["note"] = "draft: no current snapshot holds this value; choose a source and path"
    return fact


def sentence_values(sentence: str) -> list[Value]:
    """Numbers (with 'mln', 'tys.' scales), percentages, years and dates, in order."""
    out: list[Value] = []
    taken: list[tuple[int, int]] = []
    for match in DATE_RE.finditer(sentence):
        try:
            out.append(Value("date", parse_date(match.group(0)).isoformat(), match.group(0)))
            taken.append(match.span())
        except ValueError:
            continue
    for match in re.finditer(r"(\d+(?:[.,]\d+)?)\s*%", sentence):
        out.append(Value("percent", find_numbers(match.group(1))[0], match.group(0)))
        taken.append(match.span())
    for match in NUMBER_RE.finditer(sentence):
        if any(a <= match.start() < b for a, b in taken):
            continue
        text = match.group(0)
        numbers = find_numbers(text)
        if not numbers:
            continue
        number = numbers[0]
        if re.fullmatch(r"(?:19|20)\d\d", text.strip()):
            out.append(Value("year", text.strip(), text))
        elif match.group(1) or number >= MIN_PLAIN_NUMBER:
            out.append(Value("number", int(number) if number.is_integer() else number, text))
    return out


def _best_match(sentence: str, values: list[Value], leaves: list[tuple[str, list[str], str, str]],
                future: bool) -> Match | None:
    stems = _stems(sentence)
    found: list[Match] = []
    for sid, path, text, context in leaves:
        score = len(stems & _context_stems(path, context))
        found.extend(m for m in _leaf_matches(sid, path, text, score, sentence, values, future))
    found = [m for m in found if m.score >= 1 or m.extract in ("number", "person")]
    if not found:
        return None
    return max(found, key=lambda m: (m.score, -len(m.leaf)))


def _leaf_matches(sid: str, path: list[str], text: str, score: int, sentence: str,
                  values: list[Value], future: bool) -> Iterator[Match]:
    person = _person(text)
    if person and all(fold(part) in fold(sentence) for part in person.split()[-1:]) and \
            fold(person.split()[0]) in fold(sentence):
        yield Match(sid, path, text, score + 2, "person", person)
    leaf_numbers = find_numbers(text)
    for value in values:
        if value.kind == "number" and any(_close(value.value, n) for n in leaf_numbers):
            extra = {"tolerance": "0.5%"} if value.value != round(value.value, -3) or \
                value.text.strip()[-1:].isalpha() or "." in value.text else {}
            yield Match(sid, path, text, score + 1, "number", value.value, extra)
        elif value.kind == "percent" and any(abs(value.value - n) < 0.05 for n in leaf_numbers):
            yield Match(sid, path, text, score, "percent", value.value,
                        {"params": {"index": _index_of(value.value, text)}} if
                        _index_of(value.value, text) else {})
        elif value.kind == "year" and future and value.value in text:
            yield Match(sid, path, text, score, "year", value.value)
    percents = [v.value for v in values if v.kind == "percent"]
    if len(percents) >= 3 and sum(any(abs(p - n) < 0.05 for n in leaf_numbers)
                                  for p in percents) >= 3:
        try:
            shares = EXTRACTORS["shares"](text, {})
        except ExtractError:
            return
        if all(any(abs(p - s) < 0.05 for s in shares.values()) for p in percents):
            yield Match(sid, path, text, score + 3, "shares", shares)


def _index_of(value: float, text: str) -> int:
    found = [float(m.group(1).replace(",", ".")) for m in
             re.finditer(r"(\d+(?:[.,]\d+)?)\s*%", text)]
    return next((i for i, n in enumerate(found) if abs(n - value) < 0.05), 0)


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
    return name if len(name.split()) >= 2 and len(name) < 60 else None


def _sentence_shares(sentence: str) -> dict[str, Any]:
    try:
        listing = re.sub(r"(\d),(\d)", r"\1.\2", sentence.split(":", 1)[-1])  # 14,9% → 14.9%
        return EXTRACTORS["shares"](listing, {})
    except ExtractError:
        return {}


def _valid_until(values: list[Value]) -> str | None:
    dates = [v.value for v in values if v.kind == "date"]
    if dates:
        return max(dates)
    years = [v.value for v in values if v.kind == "year"]
    return f"{max(years)}-12-31" if years else None


def _stems(text: str) -> set[str]:
    words = [w for w in re.findall(r"[^\W\d_]+", fold(text)) if len(w) >= 4]
    stems = {w[:5] for w in words}
    for word in words:
        for stem, english in GLOSSARY.items():
            if word.startswith(fold(stem)):
                stems |= {e[:5] for e in english.split()}
    return stems


def _context_stems(path: list[str], context: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[^\W\d_]+", fold(" ".join(path) + " " + context))
            if len(w) >= 4}


def _leaves(snapshot: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[list[str], str, str]]:
    """(path, text, context) for each text in a snapshot; context = the sibling texts."""
    if not isinstance(snapshot, dict):
        return
    siblings = " ".join(str(v) for v in snapshot.values() if isinstance(v, str))
    for key, value in snapshot.items():
        if isinstance(value, dict):
            yield from _leaves(value, path + (str(key),))
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield list(path + (str(key),)), str(value), siblings


def _unique_id(base: str, facts: list[dict[str, Any]]) -> str:
    taken = {f["id"] for f in facts}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
