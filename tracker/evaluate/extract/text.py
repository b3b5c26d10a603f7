"""`text` and `regex`: whitespace-normalized text, a regex group."""
from __future__ import annotations

import re
from typing import Any

from tracker.evaluate.extract.registry import pick, register


@register("text")
def extract_text(text: str, params: dict[str, Any]) -> str:
    return " ".join(text.split())


@register("regex")
def extract_regex(text: str, params: dict[str, Any]) -> str:
    matches = list(re.finditer(str(params["pattern"]), text, re.IGNORECASE | re.DOTALL))
    match = pick(matches, params, "match")
    group = params.get("group", 1 if match.groups() else 0)
    return " ".join((match.group(group) or "").split())
