"""An ACLED source's local rows under `.tracker/acled/` (git-ignored, mode 0600).

Two files per source:

- `<id>.rows.json` — the query's rows by event id (only the aggregated fields);
- `<id>.sync.json` — when it was fully read and last synced, the newest row timestamp,
  the rows carrying it, the digest of the rows file as written and of the document the
  rows made.

The sync file is what an ordinary run reads (and the rows file's digest). Updates are asked for with `timestamp >=
newest` (an event updated in the same second as the newest one is not missed), so the
API always sends the newest rows again; when it sends only those, unchanged, and deletes
nothing, the rows are as they were and the rows file is not even parsed. The rows file is
checked against its digest instead of row by row: it holds exactly what was validated
when it was written, and any other content (damage, a hand edit) costs one full read.

The rows file is written before the sync file: a run killed between the two leaves a sync
file that asks for the same updates again, or — after a full read — one whose full-sync
time no longer matches the rows, which then count as missing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typing_extensions import NotRequired, TypedDict

from tracker.sources.acled_rows import Row
from tracker.store.files import IsoTime, JsonFile, content_digest
from tracker.version import __version__


class RowFile(TypedDict):
    """`<id>.rows.json`."""

    key: str
    full_sync: IsoTime
    last_sync: NotRequired[IsoTime]  # written by earlier versions
    rows: dict[str, dict[str, str]]


class SyncFile(TypedDict):
    """`<id>.sync.json`."""

    key: str  # the query the rows answer
    full_sync: IsoTime
    last_sync: IsoTime
    newest: int  # the largest row timestamp
    edge: dict[str, dict[str, str]]  # the rows with that timestamp
    rows_digest: str  # of <id>.rows.json as written
    document: str  # of the document the rows made (the fetch's validator)


def document_digest(body: bytes) -> str:
    """Names a fetched document, and the tracker version that will read it: the snapshot
    an upgraded tracker makes of the same rows may differ."""
    return hashlib.sha256(body + f"\0{__version__}".encode()).hexdigest()


def _local_file(path: Path, shape: Any) -> JsonFile[Any]:
    # raw rows stay local and private; a damaged file is removed (it costs one full read)
    return JsonFile(path, shape, lambda: None, damaged="discard", mode=0o600)


class LocalRows:
    """The row cache of one source (no folder: nothing kept, every fetch reads all)."""

    def __init__(self, folder: Path | None, source_id: str, key: str) -> None:
        self.key = key
        self._rows = self._sync = None
        if folder is not None:
            self._rows = _local_file(folder / f"{source_id}.rows.json", RowFile)
            self._sync = _local_file(folder / f"{source_id}.sync.json", SyncFile)

    def synced(self, now: datetime, refresh_every: timedelta) -> SyncFile | None:
        """The last sync, when its rows can be updated (same query, no full read due)."""
        sync = self._sync.load() if self._sync is not None else None
        if sync is None or sync["key"] != self.key:
            return None
        if now - datetime.fromisoformat(sync["full_sync"]) >= refresh_every:
            return None
        if not self._rows_intact(sync):  # damaged rows cost one full read, not two reads
            return None
        return sync

    def _rows_intact(self, sync: SyncFile) -> bool:
        assert self._rows is not None
        try:
            return content_digest(self._rows.path.read_bytes()) == sync["rows_digest"]
        except OSError:
            return False

    def rows(self, sync: SyncFile) -> dict[str, Row] | None:
        """The rows that sync was made with; None when missing or not as written."""
        if self._rows is None:
            return None
        kept = self._rows.load(digest=sync["rows_digest"])
        if kept is None or kept["key"] != self.key or kept["full_sync"] != sync["full_sync"]:
            return None
        return kept["rows"]

    def only_resent(self, sync: SyncFile, updated: dict[str, Row], deleted: list[str]) -> bool:
        """Whether an update changed nothing: the newest rows sent again as they were."""
        edge = sync["edge"]
        return not deleted and all(edge.get(event_id) == row for event_id, row in updated.items())

    def touch(self, sync: SyncFile, now: datetime) -> None:
        """Record a sync that changed nothing (deletions are asked for since then)."""
        if self._sync is not None:
            self._sync.save({**sync, "last_sync": now.isoformat()})

    def save(self, rows: dict[str, Row], full_sync: str, now: datetime, document: str) -> None:
        if self._rows is None or self._sync is None:
            return
        digest = self._rows.save({"key": self.key, "full_sync": full_sync, "rows": rows})
        newest = max((int(row["timestamp"]) for row in rows.values()), default=0)
        edge = {i: row for i, row in rows.items() if int(row["timestamp"]) == newest}
        self._sync.save(
            {
                "key": self.key,
                "full_sync": full_sync,
                "last_sync": now.isoformat(),
                "newest": newest,
                "edge": edge,
                "rows_digest": digest,
                "document": document,
            }
        )
