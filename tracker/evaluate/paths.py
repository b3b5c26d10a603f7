"""One step of a fact's path into a snapshot, including the `latest` key.

`latest` (where the snapshot has no key of that name) takes the newest period-keyed entry
that holds a value: `[SP.POP.TOTL, latest]` reads the World Bank's newest year. The path
the finding reports names that period (`[SP.POP.TOTL, '2025']`), so the year travels with
the value.
"""

from __future__ import annotations

import re
from typing import Any

LATEST = "latest"
_PERIOD = re.compile(r"^(\d{4})(?:[QM](\d{1,2}))?$")  # 2024, 2024Q3, 2024M11


def step(node: Any, key: str) -> tuple[bool, Any, str]:
    """(found, the value under `key`, the key actually taken)."""
    if isinstance(node, dict):
        if key in node:
            return True, node[key], key
        if key == LATEST:
            newest = latest_key(node)
            return (True, node[newest], newest) if newest is not None else (False, None, key)
    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return True, node[int(key)], key
    return False, None, key


def latest_key(node: dict[Any, Any]) -> str | None:
    """The newest period key (a year, or a year with a quarter or month) with a value."""
    periods = [
        (_order(k), k)
        for k in node
        if isinstance(k, str) and _PERIOD.match(k) and node[k] is not None
    ]
    return max(periods)[1] if periods else None


def _order(key: str) -> tuple[int, int]:
    match = _PERIOD.match(key)
    assert match is not None
    return int(match.group(1)), int(match.group(2) or 0)
