"""A fact's value over time, read from the git history of its source's snapshot."""

from __future__ import annotations

from typing import Any

from tracker.config import SourceRef
from tracker.store.git import GitStore, Version
from tracker.store.historycache import Entry, prefix_digest


def fact_history(store: GitStore, ref: SourceRef) -> list[dict[str, Any]]:
    """One row per change of the extracted value, oldest first: {value, since, commit}.

    A version where the value cannot be read (the path is gone, extraction fails, the
    snapshot was deleted) is a gap: a row with value None, and another row when the value
    comes back — so the last row is always what the source says now. The history starts
    with the first version that holds a value. A source that changed shape is not a gap
    when `path` lists the alternatives. Values compare the way the extractor compares
    (names case-folded and spelling-insensitive, numbers exactly).
    """
    rows = _histories(store, [ref])[_key(ref)]
    store.history_cache.flush()
    return [dict(row) for row in rows]


def prefetch_histories(store: GitStore, refs: list[SourceRef]) -> None:
    """Read the histories of many facts at once: each version of a source's snapshot is
    loaded once for all the facts on it, not once per fact (then `fact_history` and
    `value_since` answer from memory)."""
    _histories(store, refs)
    store.history_cache.flush()


def _relpath(store: GitStore, source_id: str) -> str:
    """The snapshot's path as a git pathspec, checked once per command (git's history is
    read from its objects, never through the work tree)."""
    key = ("relpath", source_id)
    if key not in store.derived:
        store.derived[key] = store.relpath(source_id)
    return str(store.derived[key])


def _key(ref: SourceRef) -> str:
    return ref.model_dump_json()


def _histories(store: GitStore, refs: list[SourceRef]) -> dict[str, list[dict[str, Any]]]:
    by_source: dict[str, dict[str, SourceRef]] = {}
    for ref in refs:
        by_source.setdefault(ref.source, {})[_key(ref)] = ref
    store.read_all_versions(_relpath(store, source_id) for source_id in by_source)
    out: dict[str, list[dict[str, Any]]] = {}
    for source_id, wanted in by_source.items():
        out.update(_source_histories(store, source_id, wanted))
    return out


def _source_histories(
    store: GitStore, source_id: str, refs: dict[str, SourceRef]
) -> dict[str, list[dict[str, Any]]]:
    """The histories of `refs` (all on `source_id`), from memory, the history cache, or
    the versions not read yet — each of those loaded once for all of them."""
    whole = _whole_at_head(store, source_id, refs)
    if whole is not None:
        return whole
    head = store.head()
    versions = store.versions(_relpath(store, source_id))
    last = versions[-1].commit if versions else None
    out: dict[str, list[dict[str, Any]]] = {}
    todo: dict[str, tuple[SourceRef, list[dict[str, Any]], int]] = {}
    cached_heads: dict[str, str | None] = {}
    prefixes = _Prefixes(versions)
    for key, ref in refs.items():
        memo_key = ("history", key, last)
        if memo_key in store.derived:
            out[key] = store.derived[memo_key]
            continue
        entry = store.history_cache.get(source_id, key)
        cached_heads[key] = entry.head if entry is not None else None
        if (
            entry is not None
            and 0 < entry.count <= len(versions)
            and prefixes.digest(entry.count) == entry.prefix
        ):
            todo[key] = (ref, entry.rows, entry.count)
        else:
            todo[key] = (ref, [], 0)
    if todo:
        start = min(done for _, _, done in todo.values())
        for index in range(start, len(versions)):
            version, snapshot = versions[index], _Lazy(store, versions[index])
            for ref, rows, done in todo.values():
                if index >= done:
                    _add(rows, ref, version, snapshot)
        for key, (_, rows, done) in todo.items():
            out[key] = rows
            store.derived[("history", key, last)] = rows
            if versions and (done < len(versions) or cached_heads.get(key) != head):
                entry = Entry(len(versions), prefixes.digest(len(versions)), rows, head)
                store.history_cache.put(source_id, key, entry)
    return {key: [dict(row) for row in rows] for key, rows in out.items()}


def _whole_at_head(
    store: GitStore, source_id: str, refs: dict[str, SourceRef]
) -> dict[str, list[dict[str, Any]]] | None:
    """Every history from the cache when each was whole at the very commit HEAD names now
    (the same HEAD is the same history): no `git log` at all. None otherwise."""
    head = store.head()
    if head is None:
        return None
    out = {}
    for key in refs:
        entry = store.history_cache.get(source_id, key)
        if entry is None or entry.head != head:
            return None
        out[key] = entry.rows
    return {key: [dict(row) for row in rows] for key, rows in out.items()}


def _add(rows: list[dict[str, Any]], ref: SourceRef, version: Version, snapshot: "_Lazy") -> None:
    from tracker.evaluate.facts import compare_kind, same_value  # (a history read whole
    # from the cache at the same HEAD extracts nothing: `tracker history` starts without)

    value = _value_at(snapshot, version, ref)
    if (not rows and value is None) or (
        rows and same_value(compare_kind(ref.extract), rows[-1]["value"], value)
    ):
        return
    rows.append(
        {"value": value, "since": version.date.date().isoformat(), "commit": version.commit}
    )


class _Lazy:
    """A version's parsed snapshot, loaded on first use (never for a deletion)."""

    def __init__(self, store: GitStore, version: Version) -> None:
        self.store, self.version, self._data, self._loaded = store, version, None, False

    def get(self) -> Any:
        if not self._loaded:
            assert self.version.blob is not None
            self._data, self._loaded = self.store.load_blob(self.version.blob), True
        return self._data


class _Prefixes:
    """Digests of the first n versions' commit ids, computed once per n."""

    def __init__(self, versions: list[Version]) -> None:
        self.commits = [v.commit for v in versions]
        self._digests: dict[int, str] = {}

    def digest(self, count: int) -> str:
        if count not in self._digests:
            self._digests[count] = prefix_digest(self.commits[:count])
        return self._digests[count]


def _value_at(snapshot: _Lazy, version: Version, ref: SourceRef) -> Any:
    from tracker.evaluate.extract import ExtractError
    from tracker.evaluate.facts import PathMissing, extract

    if version.blob is None:
        return None
    try:
        return extract(snapshot.get(), ref)[0]
    except (PathMissing, ExtractError):
        return None


def value_since(store: GitStore, ref: SourceRef, current: Any) -> str | None:
    """Date the current value first appeared (the last row of the history)."""
    from tracker.evaluate.facts import compare_kind, same_value

    rows = _kept_rows(store, ref)
    if rows and same_value(compare_kind(ref.extract), rows[-1]["value"], current):
        return str(rows[-1]["since"])
    return None


def _kept_rows(store: GitStore, ref: SourceRef) -> list[dict[str, Any]]:
    """The history of `ref` as kept in memory by prefetch_histories (read it if not):
    its rows not copied (read only) — every fact asks once."""
    key = _key(ref)
    last = store.last_version(_relpath(store, ref.source))
    memo_key = ("history", key, last.commit if last else None)
    rows = store.derived.get(memo_key)
    return list(rows) if rows is not None else _histories(store, [ref])[key]


def source_changes(store: GitStore, source_id: str, since: str | None = None) -> list[Any]:
    """Changes between consecutive versions of a source's snapshot.

    `since` is an ISO date (versions committed on or after it) or a git revision (versions
    after it). Without it, only the latest version's changes are returned.
    """
    from datetime import date

    from tracker.evaluate.diff import diff_snapshots

    versions = store.versions(_relpath(store, source_id))
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
        changes.extend(diff_snapshots(old, new, source_id, after.commit, after.date.isoformat()))
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
        raise ConfigError(
            f"--since {since!r}: neither an ISO date (YYYY-MM-DD) nor a revision of this workspace"
        ) from None
