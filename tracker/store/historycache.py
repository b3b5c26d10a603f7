"""What a fact's history was, per source, kept under `.tracker/cache/history/`.

`status` needs, for every fact, the date its current value first appeared: the last row of
the fact's history, which reads every version of the source's snapshot. Versions never
change, so each history is kept with the versions it was read from (a digest of their
commit ids); the next command reads only the versions committed since. Entries are
rebuilt whenever that prefix of history is not the same (a rewritten or merged history),
the tracker version changes, or the file is damaged — it is only a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.store.files import STATE_DIR, JsonFile
from tracker.version import __version__

FORMAT = 1  # bump when what an entry means changes (an extractor's output, the row shape)


@dataclass
class Entry:
    """A history read from the first `count` versions, whose commit ids hash to `prefix`;
    `head`: the commit HEAD named when they were all of the versions (then, while HEAD is
    the same, the history is whole without asking git for the versions)."""

    count: int
    prefix: str
    rows: list[dict[str, Any]]
    head: str | None = None


@dataclass
class _File:
    key: str = ""
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)


def prefix_digest(commits: list[str]) -> str:
    return hashlib.sha1(" ".join(commits).encode()).hexdigest()


class HistoryCache:
    """History entries per source id, loaded on first use, written by `flush()`."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / STATE_DIR / "cache" / "history"
        self.key = f"{__version__}/{FORMAT}"
        self._files: dict[str, _File] = {}
        self._dirty: set[str] = set()

    def get(self, source_id: str, ref_key: str) -> Entry | None:
        raw = self._file(source_id).entries.get(ref_key)
        if raw is None:
            return None
        try:
            head = raw.get("head")
            return Entry(
                int(raw["count"]),
                str(raw["prefix"]),
                [_decode_row(row) for row in raw["rows"]],
                head if isinstance(head, str) else None,
            )
        except (KeyError, TypeError, ValueError):
            return None  # an entry of the wrong shape: read the history again

    def put(self, source_id: str, ref_key: str, entry: Entry) -> None:
        try:
            rows = [_encode_row(row) for row in entry.rows]
        except (TypeError, UnicodeEncodeError):  # a value JSON cannot give back as it was: not kept
            return
        self._file(source_id).entries[ref_key] = {
            "count": entry.count,
            "prefix": entry.prefix,
            "rows": rows,
            "head": entry.head,
        }
        self._dirty.add(source_id)

    def flush(self) -> None:
        """Write what changed (best effort: a read-only workspace just has no cache)."""
        for source_id in sorted(self._dirty):
            data = self._files[source_id]
            with contextlib.suppress(OSError):
                self._json(source_id).save({"key": data.key, "entries": data.entries})
        self._dirty.clear()

    def _file(self, source_id: str) -> _File:
        if source_id not in self._files:
            stored = self._load(source_id)
            self._files[source_id] = stored if stored.key == self.key else _File(self.key)
        return self._files[source_id]

    def _load(self, source_id: str) -> _File:
        try:
            data = self._json(source_id).load()
        except Exception:  # noqa: BLE001 - unreadable: only a cache, start afresh
            return _File(self.key)
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            return _File(self.key)
        return _File(str(data.get("key", "")), data["entries"])

    def _json(self, source_id: str) -> JsonFile[Any]:
        name = hashlib.sha1(source_id.encode()).hexdigest()  # any id makes a safe name
        return JsonFile(self.folder / f"{name}.json", Any, dict, damaged="discard")


def _encode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"value": encode(row["value"]), "since": row["since"], "commit": row["commit"]}


def _decode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"value": decode(row["value"]), "since": str(row["since"]), "commit": row["commit"]}


def encode(value: Any) -> Any:
    """JSON for an extracted value that `decode` gives back equal and of the same types;
    TypeError for anything else."""
    if isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate would not come back: UnicodeEncodeError
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError("not kept: a float that is not finite")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("non-text key")
        # pairs, not an object: the file is written with sorted keys, order must survive
        return {"$map": [[key, encode(item)] for key, item in value.items()]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"not kept: {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    [(tag, item)] = value.items()
    if tag == "$map":
        return {str(key): decode(inner) for key, inner in item}
    if tag == "$decimal":
        return Decimal(item)
    if tag == "$datetime":
        return datetime.fromisoformat(item)
    if tag == "$date":
        return date.fromisoformat(item)
    raise ValueError(f"unknown tag {tag!r}")
