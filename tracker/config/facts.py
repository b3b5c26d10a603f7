"""Option types of reports/<id>.yaml: the report, its sections and facts."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import Field, field_validator

from tracker.config.types import Ident, Strict


def normalize_path(value: list[Any]) -> list[Any]:
    """Accept [k1, k2] or [[k1, k2], [k1, k3]]; keys become strings."""
    if value and all(isinstance(v, list) for v in value):
        return [[str(k) for k in alt] for alt in value]
    if any(isinstance(v, (list, dict)) for v in value):
        raise ValueError("path is a list of keys, or a list of alternative key lists")
    return [str(k) for k in value]


class SourceRef(Strict):
    """Where a value lives: source + path (+ path alternatives) + extractor."""

    source: Ident
    path: list[Any] = []
    extract: str = "text"
    params: dict[str, Any] = {}

    @field_validator("path")
    @classmethod
    def _paths(cls, value: list[Any]) -> list[Any]:
        return normalize_path(value)

    @property
    def alternatives(self) -> list[list[str]]:
        """`path` is one key list or a list of alternative key lists (shape drift)."""
        if self.path and isinstance(self.path[0], list):
            return self.path
        return [self.path]


class Reviewed(Strict):
    on: date
    value: Any = None
    note: str | None = None


class Fact(Strict):
    id: Ident
    section: str | None = None
    footnote: int | None = None
    claim: str | None = None
    expect: Any = None
    aliases: list[str] = []
    source: Ident | None = None
    path: list[Any] = []
    extract: str = "text"
    params: dict[str, Any] = {}
    tolerance: float | str | None = None
    valid_until: date | None = None
    watch: list[str] = []
    also: list[SourceRef] = []
    reviewed: Reviewed | None = None
    note: str | None = None

    @field_validator("path")
    @classmethod
    def _paths(cls, value: list[Any]) -> list[Any]:
        return normalize_path(value)

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\s*\d+(\.\d+)?\s*%?\s*", value):
            raise ValueError(f"bad tolerance {value!r}: a number (absolute) or like '0.5%'")
        return value

    @property
    def primary(self) -> SourceRef | None:
        if not self.source:
            return None
        # the fact's own fields were validated as SourceRef's are (the same types and
        # path normalization): evaluation asks for this many times per fact
        return SourceRef.model_construct(
            source=self.source, path=self.path, extract=self.extract, params=self.params
        )


class ReportMeta(Strict):
    id: Ident
    title: str | None = None
    language: str | None = None
    published: date | None = None
    text: str | None = None
    url: str | None = None
    authors: list[str] = []


class Section(Strict):
    """A report section watched for news by keywords (facts carry their own `watch`)."""

    title: Annotated[str, Field(min_length=1)]
    watch: list[Annotated[str, Field(min_length=1)]] = []


class ReportFile(Strict):
    report: ReportMeta
    sections: list[Section] = []
    facts: list[Fact] = []
