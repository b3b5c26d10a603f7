"""A fact's value over time, read from the git history of its source's snapshot."""
from __future__ import annotations

from typing import Any

from tracker.config import SourceRef
from tracker.evaluate.extract import EXTRACTORS, ExtractError
from tracker.evaluate.facts import PathMissing, extract
from tracker.store.git import GitStore
from tracker.text import fold


def fact_history(store: GitStore, ref: SourceRef) -> list[dict[str, Any]]:
    """One row per change of the extracted value, oldest first: {value, since, commit}.

    Versions where the path is missing or extraction fails are skipped, so a change in the
    source's shape (a field split into subfields) is not a new value when `path` lists
    alternatives. Values compare the way the extractor compares (names case-folded).
    """
    versions = store.versions(store.relpath(ref.source))
    memo_key = ("history", ref.model_dump_json(), versions[-1].commit if versions else None)
    if memo_key in store.derived:
        return [dict(row) for row in store.derived[memo_key]]
    rows: list[dict[str, Any]] = []
    last_key: Any = object()
    for version in versions:
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
    store.derived[memo_key] = rows
    return [dict(row) for row in rows]


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


def source_changes(store: GitStore, source_id: str, since: str | None = None) -> list[Any]:
    """Changes between consecutive versions of a source's snapshot.

    `since` is an ISO date (versions committed on or after it) or a git revision (versions
    after it). Without it, only the latest version's changes are returned.
    """
    from datetime import date

    from tracker.evaluate.diff import diff_snapshots

    versions = store.versions(store.relpath(source_id))
    pairs = list(zip([None] + versions[:-1], versions))
    if since is None:
        pairs = pairs[-1:]
    else:
        try:
            day = date.fromisoformat(since[:10])
            pairs = [(a, b) for a, b in pairs if b.date.date() >= day]
        except ValueError:
            after = set(_revisions_after(store, since))
            pairs = [(a, b) for a, b in pairs if b.commit in after]
    changes: list[Any] = []
    for before, after in pairs:
        old = store.load_blob(before.blob) if before and before.blob else None
        new = store.load_blob(after.blob) if after.blob else None
        changes.extend(diff_snapshots(old, new, source_id, after.commit,
                                      after.date.isoformat()))
    return changes


def _revisions_after(store: GitStore, since: str) -> list[str]:
    """Commits after revision `since` (ConfigError when it is not one of this workspace)."""
    from git import GitCommandError

    from tracker.errors import ConfigError

    if since.startswith("-"):  # never an option to git
        raise ConfigError(f"--since {since!r}: not a date or a revision")
    try:
        return str(store.repo.git.rev_list(f"{since}..HEAD", "--")).split()
    except GitCommandError:
        raise ConfigError(f"--since {since!r}: neither an ISO date (YYYY-MM-DD) nor a "
                          "revision of this workspace") from None
