"""Source kinds: one module per kind, one class each, registered by its `kind`.

A kind subclasses `Source`, sets `kind`, `Options` (a pydantic model of its settings) and a
docstring (shown by `tracker kinds`), and implements `normalize(raw) -> dict`, a pure
function of the raw document. Kinds that need more than one GET override `fetch`. Kinds
that read JSON read it with `load_json`, which tells an HTML page (a source that moved or
is gone) from broken JSON in one way for all of them.

The contract that lets a run parse in worker processes: `fetch` does all of a kind's I/O
(in the main process); `normalize` and `merge` are pure — bytes and plain data in, plain
data out, no files, no network, no clock but `raw.fetched_at` — so `snapshot_of` may run
anywhere, and a source built in another process from (id, options) behaves the same.
"""

from __future__ import annotations

import gc
import importlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Iterator, TypeVar

from tracker.config import HttpConfig, SourceOptions
from tracker.config.options import SOURCE_OPTIONS
from tracker.errors import ConfigError, FetchError, ParseError, SourceGone
from tracker.models import RawDocument
from tracker.sources.shrink import Suspicion, digest_of

SOURCES: dict[str, type["Source[Any]"]] = {}
# The kinds are config.options.SOURCE_OPTIONS (an explicit list: no plugin discovery),
# each in the module of its name. A module is imported when a source of its kind is made:
# a workspace of feeds never loads ACLED's OAuth stack.


def kind_module(kind: str) -> str:
    return f"tracker.sources.{kind}"


# each kind is a Source over its own options model, so `self.options` is typed per kind
OptionsT = TypeVar("OptionsT", bound=SourceOptions)


@dataclass
class Fetched:
    """A fetch outcome: the raw document (None when the server said 304) + validators."""

    raw: RawDocument | None
    validators: dict[str, str]


class Source(Generic[OptionsT]):
    """Base of all source kinds."""

    kind: ClassVar[str]
    Options: ClassVar[type[SourceOptions]] = SourceOptions
    default_url: ClassVar[str | None] = None
    # How many requests a fetch of this kind budgets for in its default deadline
    deadline_requests: ClassVar[int] = 1

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "kind" in cls.__dict__:
            SOURCES[cls.kind] = cls

    def __init__(self, source_id: str, options: OptionsT) -> None:
        self.id = source_id
        self.options: OptionsT = options
        self.state_dir: Path | None = None  # the workspace's .tracker/, set by the runner

    @property
    def url(self) -> str:
        url = self.options.url or self.default_url
        if not url:
            raise ConfigError(f"source {self.id!r} ({self.kind}) needs a `url`")
        return url

    def deadline(self, http: HttpConfig) -> float:
        """Seconds for this source's whole fetch: `deadline` when set, else what
        `deadline_requests` requests need under the retry policy, every try running to its
        timeout (a Retry-After longer than what is left is not waited for)."""
        if self.options.deadline is not None:
            return self.options.deadline
        return self.deadline_requests * request_budget(self.options.timeout, http)

    # Top-level snapshot keys that change without the document changing (an access date):
    # left out when telling whether two suspicious answers are the same document
    volatile_keys: ClassVar[tuple[str, ...]] = ()

    def shrinkage(self, previous: dict[str, Any], new: dict[str, Any]) -> str | None:
        """Why `new` looks like an upstream fault rather than a change — it lost most of
        `previous`'s content ('no categories left (had 10)') — or None. Pure; kinds
        without a meaningful measure of content keep this default (never suspicious)."""
        return None

    def suspicion(self, previous: Any, new: Any) -> Suspicion | None:
        """The Suspicion of a new snapshot against the previous one (shrink.py), or None."""
        if not isinstance(previous, dict) or not isinstance(new, dict):
            return None
        reason = self.shrinkage(previous, new)
        return Suspicion(reason, digest_of(new, self.volatile_keys)) if reason else None

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        """GET the document, conditionally; 304 → Fetched(raw=None)."""
        response = await http.get(
            self.url,
            validators=validators,
            timeout=self.options.timeout,
            max_bytes=self.options.max_bytes,
        )
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
        return self.merge(previous if isinstance(previous, dict) else None, self.normalize(raw))


def request_budget(timeout: float, http: HttpConfig) -> float:
    """The longest one request may take under the retry policy without Retry-After: every
    try to its timeout, plus each backoff wait at its largest (50% jitter)."""
    waits = sum(http.backoff * 2**k * 1.5 for k in range(http.retries))
    return timeout * (http.retries + 1) + waits


def source_class(kind: str) -> type[Source[Any]]:
    """The class of `kind` (KeyError for a kind that does not exist), its module
    imported on first use."""
    if kind not in SOURCES and kind in SOURCE_OPTIONS:
        importlib.import_module(kind_module(kind))
    return SOURCES[kind]


def all_kinds() -> dict[str, type[Source[Any]]]:
    """Every kind's class, by kind (`tracker kinds`)."""
    return {kind: source_class(kind) for kind in SOURCE_OPTIONS}


def make_source(source_id: str, options: SourceOptions) -> Source[Any]:
    return source_class(options.kind)(source_id, options)


class Unloadable(Source[SourceOptions]):
    """Stands in for a source whose kind could not be loaded — its module failed to
    import (a broken install, a missing library): that source fails alone, run after
    run, saying why, and its snapshot is kept. Not a kind: nothing registers it."""

    def __init__(self, source_id: str, options: SourceOptions, error: BaseException) -> None:
        super().__init__(source_id, options)
        self.kind = options.kind  # type: ignore[misc]  # the kind it stands in for
        detail = (str(error).splitlines() or ["(no message)"])[0][:200]  # one line
        self.reason = (
            f"the {options.kind!r} source kind cannot be loaded "
            f"({type(error).__name__}: {detail}); check the installation"
        )

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        raise FetchError(f"source {self.id!r}: {self.reason}")


def loaded_source(source_id: str, options: SourceOptions) -> Source[Any]:
    """The source, or its Unloadable stand-in when its kind's module fails to import: one
    broken kind is its sources' failure, never the whole run's."""
    try:
        return make_source(source_id, options)
    except ConfigError:
        raise  # the workspace's configuration stops the run
    except Exception as exc:  # noqa: BLE001 - whatever importing the kind's module raised
        return Unloadable(source_id, options, exc)


# ------------------------------------------------------------------ JSON documents

GONE_HINT = "the source may have moved or be gone"


def is_markup(content: bytes) -> bool:
    """Whether a body that should be JSON is markup instead: an HTML error, login, "we
    moved" or captive-portal page, or an XML error document. JSON never starts with `<`,
    so that is the test, after a byte-order mark and white space, in whatever encoding
    (UTF-8, -16 or -32) the body uses."""
    head = content[:1024]
    try:
        text = head.decode(json.detect_encoding(head), errors="ignore")
    except LookupError:
        return False
    return text.lstrip(" \t\r\n\f\ufeff").startswith("<")


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: json's decoder recurses (in C) once per level
    of nesting, up to the interpreter's limit on a hostile document, and a collection
    there would run some unrelated object's finalizer with no stack left, so that it
    fails (and its error is printed, or fails a test's check for such errors)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_json(content: bytes, where: str, what: str, hint: str = GONE_HINT) -> Any:
    """The JSON document in `content`. Markup instead is SourceGone ("an HTML page where
    `what` was expected; `hint`"); anything else that is not JSON — invalid text, nesting
    deeper than the parser goes, a number too long to convert — is a ParseError."""
    if is_markup(content):
        raise SourceGone(f"{where}: an HTML page where {what} was expected; {hint}")
    try:
        with collector_paused():
            return json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise ParseError(
            f"{where}: not valid JSON ({type(exc).__name__}: "
            f"{str(exc)[:80] or 'nested too deeply'})"
        ) from None
