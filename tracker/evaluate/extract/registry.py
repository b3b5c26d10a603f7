"""The extractor registry: each extractor is a function plus its declaration
(`tracker.config.extractors`: params, how its values compare).

An extractor is `(value, params) -> extracted`. All that read text accept two common
params: `within`, a regex whose first group narrows the text first, and `index`, which
occurrence to take (0 = first, -1 = last).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from tracker.config.extractors import EXTRACTOR_SPECS, ExtractorSpec
from tracker.models import FindingDetails

# (snapshot, params, details) -> a note for the finding, or None
Annotate = Callable[[Any, dict[str, Any], FindingDetails], str | None]


class ExtractError(ValueError):
    """The text at the path does not hold what the extractor looks for."""


@dataclass(frozen=True)
class Extractor:
    """An extractor function with its declaration (`tracker.config.extractors`)."""

    spec: ExtractorSpec
    func: Callable[[Any, dict[str, Any]], Any]
    annotate: Annotate | None = None  # adds context to a finding's details

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def compare(self) -> str:
        return self.spec.compare

    def check(self, params: dict[str, Any]) -> None:
        self.spec.check(params)

    def __call__(self, value: Any, params: dict[str, Any] | None = None) -> Any:
        params = params or {}
        if self.spec.takes_structure:
            return self.func(value, params)
        text = as_text(value)
        if "within" in params:
            text = _narrow(text, str(params["within"]))
        return self.func(text, params)


EXTRACTORS: dict[str, Extractor] = {}
Func = Callable[[Any, dict[str, Any]], Any]


def register(name: str, annotate: Annotate | None = None) -> Callable[[Func], Func]:
    """Attach the function to its declaration in EXTRACTOR_SPECS (which must exist)."""

    def wrap(func: Func) -> Func:
        EXTRACTORS[name] = Extractor(EXTRACTOR_SPECS[name], func, annotate)
        return func

    return wrap


def as_text(value: Any) -> str:
    """A field dict {text: …} reads as its text; other scalars as str."""
    if isinstance(value, dict):
        if "text" in value and isinstance(value["text"], str):
            return value["text"]
        raise ExtractError(
            f"path leads to a group of fields ({', '.join(list(value)[:6])}), not a text"
        )
    if value is None:
        raise ExtractError("no value at path")
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _narrow(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.IGNORECASE | re.DOTALL)
    if not match:
        raise ExtractError(f"`within` pattern {pattern!r} not found")
    narrowed = match.group(1) if match.groups() else match.group(0)
    if narrowed is None:
        raise ExtractError(f"`within` pattern {pattern!r} matched, but its group did not")
    return narrowed


def pick(items: list[Any], params: dict[str, Any], what: str) -> Any:
    index = params.get("index", 0)
    if not isinstance(index, int):
        raise ExtractError(f"`index` must be a whole number, got {index!r}")
    if not items:
        raise ExtractError(f"no {what} found")
    if not -len(items) <= index < len(items):
        raise ExtractError(f"only {len(items)} {what}(s) found, index {index} asked")
    return items[index]
