"""`text` and `regex`: whitespace-normalized text, a regex group."""

from __future__ import annotations

import re
from typing import Any

from tracker.evaluate.extract.registry import ExtractError, pick, register


@register("text")
def extract_text(text: str, params: dict[str, Any]) -> str:
    return " ".join(text.split())


@register("regex")
def extract_regex(text: str, params: dict[str, Any]) -> str:
    matches = list(re.finditer(str(params["pattern"]), text, re.IGNORECASE | re.DOTALL))
    match = pick(matches, params, "match")
    group = params.get("group", 1 if match.groups() else 0)
    try:
        found = match.group(group)
    except (IndexError, TypeError):
        raise ExtractError(f"the pattern has no group {group!r}") from None
    if found is None:
        raise ExtractError(f"the pattern matched, but its group {group!r} did not")
    return " ".join(found.split())
