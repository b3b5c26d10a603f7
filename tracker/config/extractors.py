"""What each extractor accepts: its params and how its values compare (a leaf).

The extractor functions live in `tracker.evaluate.extract`; their declarations live here so
that loading a report can check a fact's `extract` and `params` without importing them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

COMMON_PARAMS = frozenset({"within", "index"})


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    compare: str = "text"          # text | number | date | shares
    params: frozenset[str] = field(default_factory=frozenset)
    required: frozenset[str] = field(default_factory=frozenset)
    takes_structure: bool = False  # gets the subtree at the path, not text
    validate: Callable[[dict[str, Any]], None] | None = None  # param values; ValueError

    def check(self, params: dict[str, Any]) -> None:
        """ValueError naming what is wrong with `params`."""
        allowed = self.params | self.required | COMMON_PARAMS
        unknown = set(params) - allowed
        if unknown:
            raise ValueError(f"unknown {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
        missing = self.required - set(params)
        if missing:
            raise ValueError(f"missing required {sorted(missing)}")
        for key in ("within", "pattern"):
            if key in params:
                try:
                    re.compile(str(params[key]))
                except re.error as exc:
                    raise ValueError(f"`{key}` is not a valid regex: {exc}") from None
        if self.validate is not None:
            self.validate(params)


ACLED_FILTERS = ("event_type", "sub_event_type", "civilian_targeting")


def acled_bound(params: dict[str, Any], name: str) -> date | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"`{name}` must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_acled_params(params: dict[str, Any]) -> None:
    start, end = acled_bound(params, "from"), acled_bound(params, "to")
    if start and end and start > end:
        raise ValueError(f"`from` {start} is after `to` {end}")
    if "civilian_targeting" in params and not isinstance(params["civilian_targeting"], bool):
        raise ValueError("`civilian_targeting` must be true or false")
    for name in ("event_type", "sub_event_type"):
        if name in params and not all(isinstance(v, str) and v.strip()
                                      for v in as_list(params[name])):
            raise ValueError(f"`{name}` must be a name or a list of names")


def _spec(name: str, compare: str = "text", params: tuple[str, ...] = (),
          required: tuple[str, ...] = (), **kw: Any) -> ExtractorSpec:
    return ExtractorSpec(name, compare, frozenset(params), frozenset(required), **kw)


EXTRACTOR_SPECS: dict[str, ExtractorSpec] = {spec.name: spec for spec in (
    _spec("text"),
    _spec("regex", params=("group",), required=("pattern",)),
    _spec("person"),
    _spec("number", "number"),
    _spec("percent", "number", params=("label",)),
    _spec("year", "number"),
    _spec("date", "date", params=("month_first",)),
    _spec("shares", "shares"),
    _spec("acled", "number", params=("from", "to") + ACLED_FILTERS, takes_structure=True,
          validate=check_acled_params),
)}
