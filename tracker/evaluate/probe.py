"""What a fact would read, before it is written: a snapshot's leaf paths and a probe of
one path with one extractor, now and over the snapshot's history (pure readers).

`tracker paths` lists `leaf_paths(snapshot)`; `tracker probe` prints `probe(...)`, the
equivalent of urlwatch's `--test-filter`: the same extraction a fact runs (`extract`),
and the same history `tracker history` shows for a fact (`fact_history`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from tracker.config import SourceRef
from tracker.evaluate.extract import ExtractError
from tracker.evaluate.facts import PathMissing, extract, resolve
from tracker.evaluate.history import fact_history
from tracker.evaluate.suggest import Diagnosis
from tracker.store.git import GitStore
from tracker.text import fold


@dataclass(frozen=True)
class Leaf:
    path: list[str]
    value: Any


def leaf_paths(snapshot: Any) -> list[Leaf]:
    """Every value of a snapshot with its path, in the snapshot's order. A field
    `{text: …}` is a leaf at `[…, text]`, the form a fact's path takes."""
    return list(_leaves(snapshot, ()))


def _leaves(node: Any, prefix: tuple[str, ...]) -> Iterator[Leaf]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, prefix + (str(key),))
    elif isinstance(node, list) and any(isinstance(v, (dict, list)) for v in node):
        for index, value in enumerate(node):
            yield from _leaves(value, prefix + (str(index),))
    elif prefix:
        yield Leaf(list(prefix), node)


def matching(leaves: list[Leaf], text: str | None) -> list[Leaf]:
    """Leaves whose path or value contains `text` (case, accents and spacing ignored):
    those whose path does first, then those whose value does."""
    if not text:
        return leaves
    wanted = fold(text)
    by_path = [leaf for leaf in leaves if wanted in fold(" › ".join(leaf.path))]
    chosen = {id(leaf) for leaf in by_path}
    return by_path + [
        leaf for leaf in leaves if id(leaf) not in chosen and wanted in fold(_flat(leaf.value))
    ]


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


@dataclass
class Probe:
    """What `ref` reads in the current snapshot, and its values over the history."""

    ref: SourceRef
    value: Any = None
    path: list[str] | None = None  # the path taken (a `latest` key names its period)
    raw: Any = None  # what the path holds, before extraction
    reason: str | None = None  # why nothing is read (None: a value was read)
    diagnosis: Diagnosis | None = None  # for a path that does not exist
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def read(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.ref.source,
            "path": self.ref.path,
            "extract": self.ref.extract,
            "params": self.ref.params,
            "read": self.read,
            "value": self.value,
            "taken": self.path,
            "raw": self.raw,
            "reason": self.reason,
            "suggestions": self.diagnosis.suggestions if self.diagnosis else [],
            "history": self.history,
        }


def probe(store: GitStore, ref: SourceRef, snapshot: Any) -> Probe:
    """Probe `ref` against `snapshot` (the source's current one, None when there is none)."""
    result = Probe(ref)
    if snapshot is None:
        result.reason = f"no snapshot of {ref.source} yet (run or backfill it first)"
        return result
    try:
        result.raw, result.path = resolve(snapshot, ref.alternatives)
        result.value, result.path = extract(snapshot, ref)
    except PathMissing as missing:
        result.reason, result.diagnosis = str(missing), missing.diagnosis()
    except ExtractError as exc:
        result.reason = f"{ref.extract}: {exc}"
    result.history = fact_history(store, ref)
    return result
