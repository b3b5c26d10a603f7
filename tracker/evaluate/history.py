"""A fact's value over time, read from the git history of its source's snapshot."""
from __future__ import annotations

from typing import Any

from tracker.config import SourceRef
from tracker.evaluate.extract import ExtractError
from tracker.evaluate.facts import PathMissing, compare_kind, extract, same_value
from tracker.store.git import GitStore, Version


def fact_history(store: GitStore, ref: SourceRef) -> list[dict[str, Any]]:
    """One row per change of the extracted value, oldest first: {value, since, commit}.

    A version where the value cannot be read (the path is gone, extraction fails, the
    snapshot was deleted) is a gap: a row with value None, and another row when the value
    comes back — so the last row is always what the source says now. The history starts
    with the first version that holds a value. A source that changed shape is not a gap
    when `path` lists the alternatives. Values compare the way the extractor compares
    (names case-folded and spelling-insensitive, numbers exactly).
    """
    versions = store.versions(store.relpath(ref.source))
    memo_key = ("history", ref.model_dump_json(), versions[-1].commit if versions else None)
    if memo_key in store.derived:
        return [dict(row) for row in store.derived[memo_key]]
    compare = compare_kind(ref.extract)
    rows: list[dict[str, Any]] = []
    for version in versions:
        value = _value_at(store, version, ref)
        if (not rows and value is None) or \
                (rows and same_value(compare, rows[-1]["value"], value)):
            continue
        rows.append({"value": value, "since": version.date.date().isoformat(),
                     "commit": version.commit})
    store.derived[memo_key] = rows
    return [dict(row) for row in rows]


def _value_at(store: GitStore, version: Version, ref: SourceRef) -> Any:
    if version.blob is None:
        return None
    try:
        return extract(store.load_blob(version.blob), ref)[0]
    except (PathMissing, ExtractError):
        return None


def value_since(store: GitStore, ref: SourceRef, current: Any) -> str | None:
    """Date the current value first appeared (the last row of the history)."""
    rows = fact_history(store, ref)
    if rows and same_value(compare_kind(ref.extract), rows[-1]["value"], current):
        return str(rows[-1]["since"])
    return None


def source_changes(store: GitStore, source_id: str, since: str | None = None) -> list[Any]:
    """Changes between consecutive versions of a source's snapshot.

    `since` is an ISO date (versions committed on or after it) or a git revision (versions
    after it). Without it, only the latest version's changes are returned.
    """
    from datetime import date

    from tracker.evaluate.diff import diff_snapshots

    versions = store.versions(store.relpath(source_id))
    earlier: list[Version | None] = [None, *versions[:-1]]
    pairs = list(zip(earlier, versions))
    if since is None:
        pairs = pairs[-1:]
    else:
        try:
            day = date.fromisoformat(since[:10])
            pairs = [(a, b) for a, b in pairs if b.date.date() >= day]
        except ValueError:
            later = set(_revisions_after(store, since))
            pairs = [(a, b) for a, b in pairs if b.commit in later]
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
