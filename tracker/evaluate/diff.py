"""Structured differences between two snapshots (deepdiff, flattened to key paths)."""

from __future__ import annotations

from typing import Any, Iterator

from tracker.models import Change

_KINDS = {
    "dictionary_item_added": "added",
    "iterable_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_removed": "removed",
    "values_changed": "changed",
    "type_changes": "changed",
}


def diff_snapshots(
    old: Any, new: Any, source: str = "", commit: str | None = None, date: str | None = None
) -> list[Change]:
    """Every path-level change from `old` to `new`, in path order.

    A whole new subtree is reported once at its root (not leaf by leaf), which keeps the
    diff of a feed that gained an item, or a profile that gained a field, readable.
    """
    if old is None:
        old = {}
    if new is None:
        new = {}
    changes: list[Change] = []
    for path, before, after in _differing(old, new, ()):
        changes.extend(_deep_diff(before, after, path, source, commit, date))
    changes.sort(key=lambda c: c.path)
    return changes


def _differing(
    old: Any, new: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """The (path, old, new) pairs left to diff once the mappings both sides share are
    walked and their equal entries skipped: a snapshot changes in a few places, and
    deepdiff would otherwise walk all of it."""
    if old == new:
        return
    if not (isinstance(old, dict) and isinstance(new, dict)) or not all(
        isinstance(k, str) for k in (*old, *new)
    ):  # deepdiff's own way
        yield path, old, new
        return
    for key in old.keys() & new.keys():
        yield from _differing(old[key], new[key], (*path, key))
    if old.keys() != new.keys():  # entries added or removed here: deepdiff reports them
        yield (
            path,
            {k: old[k] for k in old.keys() - new.keys()},
            {k: new[k] for k in new.keys() - old.keys()},
        )


def _deep_diff(
    old: Any, new: Any, prefix: tuple[str, ...], source: str, commit: str | None, date: str | None
) -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict) and not (old and new):
        # entries only added or only removed (a new snapshot, a feed's new items): each is
        # what deepdiff reports (its path names a key as text), without building its tree
        return [
            Change(source, (*prefix, str(k)), "added", None, v, commit, date)
            for k, v in new.items()
        ] + [
            Change(source, (*prefix, str(k)), "removed", v, None, commit, date)
            for k, v in old.items()
        ]
    from deepdiff import DeepDiff  # ~170 ms to import: only when something changed

    tree = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    changes = []
    for report_type, kind in _KINDS.items():
        for level in tree.get(report_type, []):
            path = prefix + tuple(str(p) for p in level.path(output_format="list"))
            old_value = None if kind == "added" else level.t1
            new_value = None if kind == "removed" else level.t2
            changes.append(Change(source, path, kind, old_value, new_value, commit, date))
    return changes


def summarize(changes: list[Change], limit: int = 20) -> list[str]:
    """One short line per change, for commit messages and logs."""
    lines = []
    for change in changes[:limit]:
        where = " › ".join(change.path)
        lines.append(f"  {change.change}: {where}")
    if len(changes) > limit:
        lines.append(f"  … and {len(changes) - limit} more")
    return lines
