"""Draft facts from a scanned report, for the analyst to adopt (pure).

A sentence that states a number, a percentage, a date, a future year or a person, and
cites a footnote (directly or through the marker closing its paragraph), becomes a draft
fact with a suggested extractor. Of several values the one the sentence's topic word
names is the claim (`values.claimed`); a claim about the future gets a `valid_until`, never
one before the report's publication. Where a current snapshot holds the value
(`matching.best_match`), the draft names that source and path.

`draft_facts(parsed, report_id, snapshots, published) -> dict` is the content of
reports/<id>.draft.yaml: a valid report file as it is (every draft is checked as the loader
checks a fact), so `tracker report adopt` — or a copy — takes drafts unchanged. Ids say what
a draft is: `fn1-population`, `fn10-prime-minister`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterator

from pydantic import ValidationError

from tracker.config import Fact
from tracker.config.extractors import EXTRACTOR_SPECS
from tracker.evaluate.extract import EXTRACTORS, ExtractError
from tracker.reports.footnotes import citation_date
from tracker.reports.keywords import slug_for, slugify, topics_in
from tracker.reports.matching import Leaf, Match, best_match, snapshot_leaves
from tracker.reports.values import Value, claimed, sentence_values, valid_until

FUTURE = re.compile(
    r"\b(?:kolejn|przewidzian|planowan|zaplanowan|wprowadzi|będzie|nastąpi|"
    r"next|planned|scheduled|will|upcoming|следующ|планир|запланир|состоится|"
    r"будет)",
    re.IGNORECASE,
)
GENERIC_KEYS = {"text", "total", "note", "value", "values", "latest", "name", "label"}
NO_SOURCE = "draft: no current snapshot holds this value; choose a source and path"


def draft_facts(
    parsed: dict[str, Any],
    report_id: str,
    snapshots: dict[str, Any] | None = None,
    published: date | None = None,
) -> dict[str, Any]:
    """`published`: the report's publication date (default: its latest citation date)."""
    published = published or latest_citation(parsed)
    leaves = snapshot_leaves(snapshots or {})
    facts: list[dict[str, Any]] = []
    for sentence, footnotes in _cited_sentences(parsed["sentences"]):
        fact = _draft(sentence, footnotes[0], leaves, published)
        if fact is not None:
            fact["id"] = _unique_id(fact["id"], facts)
            facts.append(fact)
    meta: dict[str, Any] = {"id": report_id}
    if published is not None:
        meta["published"] = published.isoformat()
    return {"report": meta, "facts": facts}


def latest_citation(parsed: dict[str, Any]) -> date | None:
    """The latest date a footnote cites or was accessed on: the report is no older."""
    dates = [d for d in (citation_date(n) for n in parsed.get("footnotes", [])) if d]
    return max(dates) if dates else None


def _cited_sentences(sentences: list[dict[str, Any]]) -> Iterator[tuple[str, list[int]]]:
    """Each sentence with its footnotes; unmarked ones take the marker closing the paragraph."""
    for i, sentence in enumerate(sentences):
        footnotes = sentence["footnotes"]
        if not footnotes:
            later = (s for s in sentences[i + 1 :] if s["paragraph"] == sentence["paragraph"])
            footnotes = next((s["footnotes"] for s in later if s["footnotes"]), [])
        if footnotes:
            yield sentence["text"], footnotes


def _draft(
    sentence: str, footnote: int, leaves: list[Leaf], published: date | None
) -> dict[str, Any] | None:
    values = sentence_values(sentence)
    future = bool(FUTURE.search(sentence))
    interesting = claimed(sentence, values, future, published)
    claim = interesting[0] if interesting else None
    match = best_match(sentence, values, leaves, future, claim)
    until = valid_until(values, published) if future else None
    base: dict[str, Any] = {"footnote": footnote, "claim": sentence}
    if until is not None:
        base["valid_until"] = until.isoformat()
    if match is not None:
        fact = _valid({**base, **_sourced(match)}, _slug(sentence, future, match.value, match))
        if fact is not None:
            return fact
    if claim is None:
        return None
    return _valid(
        {**base, **_unsourced(sentence, values, claim)}, _slug(sentence, future, claim, None)
    )


def _sourced(match: Match) -> dict[str, Any]:
    return {
        "expect": match.expect,
        "source": match.source,
        "path": match.path,
        "extract": match.extract,
        **match.extra,
        "note": f"draft: {match.source} holds {match.leaf[:120]!r}",
    }


def _unsourced(sentence: str, values: list[Value], claim: Value) -> dict[str, Any]:
    percents = [v for v in values if v.kind == "percent"]
    shares = _sentence_shares(sentence) if len(percents) >= 3 else {}
    if shares:
        return {"expect": shares, "extract": "shares", "note": NO_SOURCE}
    return {"expect": claim.value, "extract": claim.kind, "note": NO_SOURCE}


def _slug(sentence: str, future: bool, value: Value | None, match: Match | None) -> str:
    """What the draft is about: the topic naming its value, else the sentence's first
    topic, else the key of the path it reads, else its extractor."""
    topic = value.topic if value is not None and value.topic is not None else None
    if topic is None:
        topics = topics_in(sentence)
        topic = topics[0] if topics else None
    if topic is not None:
        return slug_for(topic, sentence, future)
    if match is not None:
        keys = [k for k in reversed(match.path) if k.strip().lower() not in GENERIC_KEYS]
        slug = slugify(keys[0]) if keys else ""
        if slug:
            return slug
    return match.extract if match is not None else (value.kind if value else "claim")


def _valid(fact: dict[str, Any], slug: str) -> dict[str, Any] | None:
    """`fact` with its id when the loader would accept it as it is, else None."""
    fact = {"id": f"fn{fact['footnote']}-{slug}", **fact}
    try:
        checked = Fact.model_validate(fact)
        spec = EXTRACTOR_SPECS[checked.extract]
        spec.check(checked.params)
        spec.check_expect(checked.expect)
    except (ValidationError, KeyError, ValueError):
        return None
    return fact


def _sentence_shares(sentence: str) -> dict[str, Any]:
    try:
        listing = re.sub(r"(\d),(\d)", r"\1.\2", sentence.split(":", 1)[-1])  # 14,9% → 14.9%
        shares = EXTRACTORS["shares"](listing, {})
    except ExtractError:
        return {}
    return dict(shares) if isinstance(shares, dict) else {}


def _unique_id(base: str, facts: list[dict[str, Any]]) -> str:
    taken = {f["id"] for f in facts}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
