"""`person`: the name in a Factbook-style 'Prime Minister Olzhas BEKTENOV (since …)'."""

from __future__ import annotations

import re
from typing import Any

from tracker.evaluate.extract.registry import ExtractError, register

_TITLE_WORDS = {
    "president",
    "prime",
    "minister",
    "ministers",
    "acting",
    "interim",
    "caretaker",
    "chairman",
    "chairwoman",
    "chair",
    "chairperson",
    "cabinet",
    "council",
    "deputy",
    "first",
    "vice",
    "premier",
    "supreme",
    "leader",
    "head",
    "state",
    "government",
    "of",
    "the",
    "king",
    "queen",
    "emir",
    "sultan",
    "general",
    "governor-general",
    "chancellor",
    "federal",
    "executive",
    "secretary",
    "presidium",
    "mr",
    "mrs",
    "dr",
    "and",
}


@register("person")
def extract_person(text: str, params: dict[str, Any]) -> str:
    """'Acting Prime Minister Alikhan SMAILOV (since 5 January 2022); note - …' → 'Alikhan Smailov'.

    The Factbook writes surnames in capitals, a title before the name, '(since …)' after
    it, and deputies or notes after ';'. Only the first person is the value.
    """
    head = re.split(r";|\n", text, maxsplit=1)[0]
    head = re.sub(r"\([^)]*\)?", " ", head)
    tokens = [t.strip(",.") for t in head.split()]
    tokens = [t for t in tokens if t]
    start = next((i for i, t in enumerate(tokens) if _is_surname(t)), None)
    if start is None:
        words = [t for t in tokens if t.lower() not in _TITLE_WORDS]
        if not words:
            raise ExtractError("no person name found")
        return " ".join(words)
    end = start
    while end + 1 < len(tokens) and _is_surname(tokens[end + 1]):
        end += 1
    given: list[str] = []
    i = start - 1
    while i >= 0 and tokens[i][:1].isupper() and tokens[i].lower() not in _TITLE_WORDS:
        given.insert(0, tokens[i])
        i -= 1
    surname = [_natural_case(t) for t in tokens[start : end + 1]]
    return " ".join(given + surname)


def _is_surname(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _natural_case(token: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), token)
