"""`shares`: 'Kazakh 71%, Russian 14.9%, …' → a mapping compared share by share."""

from __future__ import annotations

import re
from typing import Any

from tracker.config.numbers import parse_number, plain
from tracker.evaluate.extract.registry import ExtractError, register


@register("shares")
def extract_shares(text: str, params: dict[str, Any]) -> dict[str, float | int]:
    """'Kazakh (Qazaq) 68%, Russian 19.3%, …, other 4.4% (2019 est.)' → {name: percent}."""
    shares: dict[str, float | int] = {}
    for part in _split_top_level(text):
        match = re.match(r"\s*(.+?)\s+(\d+(?:[.,]\d+)?)\s*%", re.sub(r"\([^)]*\)", " ", part))
        if match:
            name = " ".join(match.group(1).split()).strip(" :-;")
            shares[name] = plain(parse_number(match.group(2)))
    if not shares:
        raise ExtractError("no 'name NN%' shares found")
    return shares


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]
