"""Import archived raw documents as dated commits, through the same normalize code.

Backfill only ever adds history, never rewinds it:

* a file dated after the source's newest snapshot is imported (one commit, dated by the
  file name) when its content differs from the snapshot before it;
* a file whose content is already in the source's history (a re-run, or a folder that
  gained files) is skipped: `known` — matched by the normalized snapshot, or by the raw
  file's git blob id that each backfill commit records (`Backfill-raw:` trailer);
* a file dated before the newest snapshot whose content is not in the history is
  refused (`refused`, nothing written for it): putting it on top would make the current
  snapshot older data. So is a file dated after `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from tracker.config import Config
from tracker.errors import ConfigError, StoreError
from tracker.evaluate.diff import diff_snapshots
from tracker.models import RawDocument
from tracker.run.parse import failed
from tracker.sources.base import Source, make_source
from tracker.store import snapshot_yaml
from tracker.store.git import GitStore, blob_id
from tracker.workspace import Workspace, Writer

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T_ ](\d{2})(\d{2})(\d{2})?)?")
RAW_TRAILER = "Backfill-raw: "

# progress(done, total): called before each file and once at the end
Progress = Callable[[int, int], None]


@dataclass
class BackfillResult:
    commits: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # same content as the snapshot before
    known: list[str] = field(default_factory=list)  # already in the source's history
    refused: list[str] = field(default_factory=list)  # older than the newest snapshot
    failed: list[tuple[str, str]] = field(default_factory=list)
    newest: datetime | None = None  # the source's newest snapshot before this backfill
    future: list[str] = field(default_factory=list)  # dated after `now` (also refused)


def date_from_name(name: str) -> datetime:
    """'2024-05-02T2216.json' → 2024-05-02 22:16 UTC."""
    match = _STAMP.match(name)
    if not match:
        raise ValueError(name)
    day, hour, minute, second = match.groups()
    stamp = f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    try:
        return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(name) from None


def dated_files(directory: Path) -> list[tuple[datetime, Path]]:
    """The folder's files in date order (then name); ConfigError for an undated name."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory")
    dated = []
    for path in directory.iterdir():
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            dated.append((date_from_name(path.name), path))
        except ValueError:
            raise ConfigError(
                f"{path.name}: file names must start with a date YYYY-MM-DD[THHMM]", file=str(path)
            ) from None
    return sorted(dated, key=lambda item: (item[0], item[1].name))


def backfill(
    root: Path | str,
    source_id: str,
    directory: Path | str,
    config: Config | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> BackfillResult:
    """Add the folder's versions the source's history lacks (see the module doc)."""
    workspace = Workspace(root)
    if config is not None:
        workspace.config = config  # already loaded by the caller
    config = workspace.config
    if source_id not in config.sources:
        raise ConfigError(
            f"unknown source {source_id!r}; known: {', '.join(sorted(config.sources)) or 'none'}"
        )
    dated = dated_files(Path(directory))
    when = now or datetime.now(timezone.utc)
    with workspace.writing(now=when, wait=wait) as writer:  # a killed backfill gets repaired
        return _import(writer, source_id, dated, when, progress or _quiet)


def _quiet(done: int, total: int) -> None:
    return None


class _History:
    """What the source's history already holds: its versions' blobs, the raw files that
    backfill imported, the newest snapshot's date."""

    def __init__(self, store: GitStore, relpath: str) -> None:
        self.store = store
        versions = store.versions(relpath)
        self.blobs = {v.blob for v in versions if v.blob}
        self.newest = max((v.date for v in versions), default=None)
        self.raw: set[str] = set()
        self._canonical: set[str] | None = None
        if versions:
            log = store.repo.git.log("--format=%B", "--", relpath)
            self.raw = {
                line[len(RAW_TRAILER) :].strip()
                for line in log.splitlines()
                if line.startswith(RAW_TRAILER)
            }

    def add(self, raw_id: str, committed: bytes, when: datetime) -> None:
        self.raw.add(raw_id)
        self.blobs.add(blob_id(committed))
        if self._canonical is not None:
            self._canonical.add(blob_id(committed))
        self.newest = max(self.newest or when, when)

    def holds(self, *snapshots: Any) -> bool:
        ids = {_canonical_id(s) for s in snapshots}
        return bool(ids & self.blobs) or bool(ids & self.canonical())

    def canonical(self) -> set[str]:
        """The versions as this version writes them: history written by an older version
        holds the same data in another layout (read once, on the first miss)."""
        if self._canonical is None:
            self._canonical = {_canonical_id(self.store.load_blob(b)) for b in self.blobs}
        return self._canonical


def _canonical_id(snapshot: Any) -> str:
    return blob_id(snapshot_yaml.dumps(snapshot).encode("utf-8"))


def _import(
    writer: Writer,
    source_id: str,
    dated: list[tuple[datetime, Path]],
    now: datetime,
    progress: Progress,
) -> BackfillResult:
    importer = _Importer(writer, make_source(source_id, writer.config.sources[source_id]))
    for done, (when, path) in enumerate(dated):
        progress(done, len(dated))
        if when > now:
            importer.result.future.append(path.name)
            importer.result.refused.append(path.name)
            continue
        try:
            importer.add(path, when)
        except (ConfigError, StoreError):
            raise  # the workspace's own failures stop the backfill
        except Exception as exc:  # noqa: BLE001 - one file's failure, never the backfill's
            importer.result.failed.append((path.name, failed(source_id, exc, "reading").message))
    progress(len(dated), len(dated))
    return importer.result


class _Current:
    """The source's snapshot file as the importer last saw or wrote it: read once, then
    carried from file to file instead of read and parsed again for each."""

    def __init__(self, writer: Writer, source_id: str) -> None:
        self.data = writer.store.read_snapshot(source_id)
        path = writer.root / writer.store.relpath(source_id)
        self.raw: bytes | None = path.read_bytes() if self.data is not None else None
        self.canonical = False  # as this version writes it (true once the importer wrote)

    def holds(self, text: str) -> bool:
        """Whether the file already holds the data of the canonical `text`."""
        if self.raw is None:
            return False
        if self.canonical:  # canonical text: the same data is the same bytes
            return self.raw == text.encode("utf-8")
        return snapshot_yaml.unchanged(self.raw, text)  # an older layout compares by data

    def wrote(self, text: str) -> None:
        self.raw, self.canonical = text.encode("utf-8"), True
        self.data = snapshot_yaml.loads(self.raw)  # as a reader of the file gets it


class _Importer:
    """One backfill: each file either known, refused, unchanged or committed."""

    def __init__(self, writer: Writer, source: Source[Any]) -> None:
        self.writer, self.source = writer, source
        self.relpath = writer.store.relpath(source.id)
        self.history = _History(writer.store, self.relpath)
        self.result = BackfillResult(newest=self.history.newest)
        self.current = _Current(writer, source.id)

    def add(self, path: Path, when: datetime) -> None:
        content = path.read_bytes()
        raw_id = blob_id(content)
        newest = self.history.newest
        past = newest is not None and when <= newest
        if past and raw_id in self.history.raw:
            self.result.known.append(path.name)
            return
        previous = self.current.data
        normalized = self.source.normalize(RawDocument(content, str(path), when))
        snapshot = self.source.merge(previous, normalized)
        if past:
            if self.history.holds(normalized, snapshot):
                self.result.known.append(path.name)
                return
            if newest is not None and when < newest:
                self.result.refused.append(path.name)  # older data never goes on top
                return
        self._commit(path.name, when, previous, snapshot, raw_id)

    def _commit(self, name: str, when: datetime, previous: Any, snapshot: Any, raw_id: str) -> None:
        text = snapshot_yaml.dumps(snapshot)
        if self.current.holds(text):
            self.result.unchanged.append(name)
            return
        self.writer.write_file(self.relpath, text)
        self.current.wrote(text)
        changes = diff_snapshots(previous, snapshot, self.source.id)
        message = (
            f"Backfill {self.source.id} from {name}\n\n{len(changes)} change(s)\n\n"
            f"{RAW_TRAILER}{raw_id}"
        )
        sha = self.writer.commit([self.relpath], message, when=when)
        if sha:
            self.result.commits.append(sha)
            self.history.add(raw_id, self.current.raw or b"", when)
