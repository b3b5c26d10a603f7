"""The pure part of a run for one fetched document: bytes in, data out.

`parse(job)` normalizes the document, merges the previous snapshot's content in, writes
the canonical YAML text (and checks that it encodes), and diffs it against the previous
version. No files, no git, no network: it runs the same in the main process or in a
worker (pool.py), and it never raises — any exception, whatever its type, becomes that
one source's `Failed`, with a one-line message naming the stage and the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tracker.config import SourceOptions
from tracker.errors import ParseError, SourceError, StoreError
from tracker.evaluate.diff import diff_snapshots
from tracker.models import Change, Failure, RawDocument
from tracker.sources import make_source
from tracker.sources.shrink import Suspicion
from tracker.store import snapshot_yaml

MESSAGE_CHARS = 300  # a failure message is one line of a table, a log and a digest
_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")  # user:password@ in a URL quoted by a library


@dataclass(frozen=True)
class ParseJob:
    """One document to parse: the source (as id + options, so a worker can rebuild it),
    the raw document, and the previous snapshot file's bytes (None when there is none)."""

    source: str
    options: SourceOptions
    raw: RawDocument
    previous: bytes | None = None


@dataclass(frozen=True)
class Parsed:
    """A document read: the merged snapshot, its canonical YAML, and what changed."""

    source: str
    snapshot: dict[str, Any]
    text: str  # canonical YAML, known to encode as UTF-8
    changed: bool  # text differs from the previous file
    changes: list[Change] = field(default_factory=list)
    suspicion: Suspicion | None = None  # lost most of the previous content (shrink.py)


@dataclass(frozen=True)
class Failed:
    """A source that ends this run without a new snapshot (the previous one stays)."""

    source: str
    message: str
    failure: Failure
    gone: bool = False


def parse(job: ParseJob) -> Parsed | Failed:
    """Never raises (but BaseExceptions such as KeyboardInterrupt pass)."""
    stage = "reading the previous snapshot"
    try:
        previous = snapshot_yaml.loads(job.previous) if job.previous is not None else None
        stage = "parsing"
        source = make_source(job.source, job.options)
        snapshot = source.snapshot_of(job.raw, previous)
        if not isinstance(snapshot, dict):
            raise ParseError(f"the snapshot is a {type(snapshot).__name__}, not a mapping")
        stage = "writing the snapshot as YAML"
        text = snapshot_yaml.dumps(snapshot)
        text.encode("utf-8")  # what cannot be written fails here, before any file
        # data, not text: a file that differs only in formatting (an older version's) is
        # not a change
        changed = job.previous is None or not snapshot_yaml.unchanged(job.previous, text)
        stage = "comparing with the previous snapshot"
        changes = diff_snapshots(previous, snapshot, job.source) if changed else []
        suspicion = source.suspicion(previous, snapshot) if changed else None
        return Parsed(job.source, snapshot, text, changed, changes, suspicion)
    except Exception as exc:  # noqa: BLE001 - one source's failure, never the run's
        return failed(job.source, exc, stage)


def failed(source: str, exc: BaseException, stage: str) -> Failed:
    """The Failed record for an exception raised while `stage` ran for `source`."""
    if isinstance(exc, SourceError):
        kind = (
            Failure.GONE
            if exc.gone
            else Failure.PARSE
            if isinstance(exc, ParseError)
            else Failure.FETCH
        )
        return Failed(source, one_line(str(exc)), kind, gone=exc.gone)
    if isinstance(exc, StoreError):  # its own local files (ACLED's rows): a clear message
        return Failed(source, one_line(str(exc)), Failure.FETCH)
    detail = one_line(str(exc)) or "(no message)"
    return Failed(
        source,
        one_line(f"unexpected {type(exc).__name__} while {stage}: {detail}"),
        Failure.UNEXPECTED,
    )


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A message fit for one line: control characters escaped, credentials in quoted URLs
    hidden, cut at `limit` characters."""
    text = _USERINFO.sub("***@", text[: limit * 2])  # a library may quote a whole document
    out = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in text.replace("\n", " ").replace("\r", " ")
    ).strip()
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"
