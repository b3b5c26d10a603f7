"""A fact's value over time, read from the git history of its source's snapshot."""
from __future__ import annotations

from typing import Any

from .config import SourceRef
from .extract import EXTRACTORS, ExtractError
from .facts import PathMissing, extract
from .store import GitStore
from .textutil import fold


def fact_history(store: GitStore, ref: SourceRef) -> list[dict[str, Any]]:
    """One row per change of the extracted value, oldest first: {value, since, commit}.

    Versions where the path is missing or extraction fails are skipped, so a change in the
    source's shape (a field split into subfields) is not a new value when `path` lists
    alternatives. Values compare the way the extractor compares (names case-folded).
    """
    rows: list[dict[str, Any]] = []
    last_key: Any = object()
    for version in store.versions(store.relpath(ref.source)):
        if version.blob is None:
            continue
        try:
            value, _ = extract(store.load_blob(version.blob), ref)
        except (PathMissing, ExtractError):
            continue
        key = comparable(value, ref.extract)
        if key != last_key:
            rows.append({"value": value, "since": version.date.date().isoformat(),
                         "commit": version.commit})
            last_key = key
    return rows


def comparable(value: Any, extractor: str) -> Any:
    if EXTRACTORS[extractor].compare == "text":
        return fold(str(value))
    if isinstance(value, dict):
        return tuple(sorted((fold(k), v) for k, v in value.items()))
    return value


def value_since(store: GitStore, ref: SourceRef, current: Any) -> str | None:
    """Date the current value first appeared (the last row of the history)."""
    rows = fact_history(store, ref)
    if rows and comparable(rows[-1]["value"], ref.extract) == comparable(current, ref.extract):
        return rows[-1]["since"]
    return None
