"""Source kinds: one module per kind, one class each, registered by its `kind`.

A kind subclasses `Source`, sets `kind`, `Options` (a pydantic model of its settings) and a
docstring (shown by `tracker kinds`), and implements `normalize(raw) -> dict`, a pure
function of the raw document. Kinds that need more than one GET override `fetch`.

The contract that lets a run parse in worker processes: `fetch` does all of a kind's I/O
(in the main process); `normalize` and `merge` are pure — bytes and plain data in, plain
data out, no files, no network, no clock but `raw.fetched_at` — so `snapshot_of` may run
anywhere, and a source built in another process from (id, options) behaves the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from tracker.config import SourceOptions
from tracker.errors import ConfigError
from tracker.models import RawDocument

SOURCES: dict[str, type["Source"]] = {}


@dataclass
class Fetched:
    """A fetch outcome: the raw document (None when the server said 304) + validators."""

    raw: RawDocument | None
    validators: dict[str, str]


class Source:
    """Base of all source kinds."""

    kind: ClassVar[str]
    Options: ClassVar[type[SourceOptions]] = SourceOptions
    default_url: ClassVar[str | None] = None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "kind" in cls.__dict__:
            SOURCES[cls.kind] = cls

    def __init__(self, source_id: str, options: SourceOptions) -> None:
        self.id = source_id
        self.options = options
        self.state_dir: Path | None = None  # the workspace's .tracker/, set by the runner

    @property
    def url(self) -> str:
        url = self.options.url or self.default_url
        if not url:
            raise ConfigError(f"source {self.id!r} ({self.kind}) needs a `url`")
        return url

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        """GET the document, conditionally; 304 → Fetched(raw=None)."""
        response = await http.get(self.url, validators=validators, timeout=self.options.timeout,
                                  max_bytes=self.options.max_bytes)
        if response.not_modified:
            return Fetched(None, validators)
        raw = RawDocument(response.content, response.url, now, response.headers, response.status)
        return Fetched(raw, response.validators)

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        """Raw document → snapshot dict. Pure; raises ParseError / SourceGone."""
        raise NotImplementedError

    def merge(self, previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
        """Combine with the previous snapshot (e.g. feeds keep older items). Default: replace.
        Pure, like `normalize`."""
        return new

    def snapshot_of(self, raw: RawDocument, previous: Any) -> dict[str, Any]:
        """The pure step of a run for one document: normalize it, merge the previous
        snapshot's content in (None when there is none)."""
        return self.merge(previous if isinstance(previous, dict) else None,
                          self.normalize(raw))


def make_source(source_id: str, options: SourceOptions) -> Source:
    return SOURCES[options.kind](source_id, options)


