"""Parsed values of a YAML file, kept per content in .tracker/cache/yaml/.

ruamel's safe loader (YAML 1.2, the semantics the config files are written for) builds
values in Python: ~0.13 s for a feeds.yaml of 1,000 sources, on every run. A file whose
bytes are the same as last time gets its values back from a JSON copy (~5 ms) instead.
Only a successful parse is cached, so every error is still reported by the parser. Values
JSON cannot hold (dates, timestamps) are tagged; anything else is simply not cached.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

VERSION = 1  # bump when the parser or the encoding below changes what a file gives
_MISSING = object()


class YamlCache:
    """Parsed values per file content under `folder` (`.tracker/cache/yaml/`): the
    `tracker.config.yamlfile.ValueCache` the workspace hands to the config loader."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def load(
        self, path: Path, raw: bytes, parse: Callable[[], Any]
    ) -> tuple[Any, Callable[[], None] | None]:
        """(`parse()`'s result for `path`, whose current bytes are `raw`; a function that
        caches it, or None when it came from the cache). The caller caches only once the
        whole configuration is valid: a run refused for bad config writes nothing."""
        digest = hashlib.sha1(raw + f"/v{VERSION}".encode()).hexdigest()
        entry = self.folder / (hashlib.sha1(str(path.resolve()).encode()).hexdigest() + ".json")
        hit = _read(entry, digest)
        if hit is not _MISSING:
            return hit, None
        data = parse()
        return data, lambda: _write(entry, digest, data)


def _read(entry: Path, digest: str) -> Any:
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
        if stored.get("content") == digest:
            return _decode(stored["data"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing or damaged: parse again
    return _MISSING


def _write(entry: Path, digest: str, data: Any) -> None:
    from tracker.store.files import (
        write_atomic,  # (store imports config, which imports this module)
    )

    try:
        text = json.dumps({"content": digest, "data": _encode(data)}, ensure_ascii=False)
        write_atomic(entry, text)
    except (TypeError, ValueError, OSError):
        pass  # a value JSON cannot hold, or a read-only workspace: just no cache


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("non-string key")
        if len(value) == 1 and next(iter(value)).startswith("$"):
            raise TypeError("a mapping that looks like a tag")
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"not cached: {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            [(key, item)] = value.items()
            if key == "$datetime":
                return datetime.fromisoformat(item)
            if key == "$date":
                return date.fromisoformat(item)
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
