"""Where a path into a snapshot goes wrong, and the nearest paths that exist (pure).

`diagnose(snapshot, path)` walks the path as `resolve` does and, at the first key that is
not there, proposes what the analyst probably meant: the same key in another case or
spacing, keys spelt alike (difflib ratio), keys that contain the word, or the key under
another parent (a level skipped or added). A proposal continues with the rest of the
path where that resolves, so it can be copied into the report as it is.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterator

from tracker.evaluate.paths import step
from tracker.text import fold

CLOSE_ENOUGH = 0.6  # difflib ratio of folded keys: 'Populaton' ~ 'Population'
WORD_CLOSE = 0.8  # of single words: 'Peeple' ~ 'People'
MAX_SUGGESTIONS = 3
MAX_SHOWN_KEYS = 8


@dataclass
class Diagnosis:
    """Why `path` does not resolve in a snapshot, and what does."""

    path: list[str]
    depth: int  # keys of `path` that exist
    missing: str | None  # the first key that does not (None: too deep)
    keys_here: list[str] = field(default_factory=list)  # keys where it went wrong
    suggestions: list[list[str]] = field(default_factory=list)  # whole paths that exist
    leaf: bool = False  # the path goes on below a value

    def message(self) -> str:
        """'no key …', the nearest keys, and 'did you mean …' in report form."""
        found = self.path[: self.depth]
        where = f"under {' › '.join(found)}" if found else "at the top"
        if self.missing is None:
            text = f"{' › '.join(found)} is a value, it has no keys below"
        elif self.leaf:
            text = f"{' › '.join(found)} is a value, it has no key {self.missing!r}"
        else:
            text = f"no key {self.missing!r} {where}"
        if self.suggestions:
            text += "; did you mean " + " or ".join(report_form(s) for s in self.suggestions)
            return text + "?"
        if self.keys_here:
            shown = ", ".join(self.keys_here[:MAX_SHOWN_KEYS])
            more = len(self.keys_here) - MAX_SHOWN_KEYS
            text += f"; keys there: {shown}" + (f" (+{more} more)" if more > 0 else "")
        return text


def diagnose(snapshot: Any, path: list[str]) -> Diagnosis | None:
    """None when `path` resolves; else where and why it does not."""
    node = snapshot
    for depth, key in enumerate(path):
        found, child, _ = step(node, key)
        if found:
            node = child
            continue
        rest = path[depth + 1 :]
        if not isinstance(node, (dict, list)):
            return Diagnosis(path, depth, key, leaf=True)
        keys = [str(k) for k in (node if isinstance(node, dict) else range(len(node)))]
        prefix = path[:depth]
        same, alike = nearest_split(key, keys)
        near = [prefix + [k] for k in same]
        near += [p for p in elsewhere(snapshot, key) if p[:-1] != prefix]
        near += [prefix + [k] for k in alike]
        return Diagnosis(path, depth, key, keys, _completed(snapshot, near, rest))
    return None


def nearest_keys(key: str, keys: list[str]) -> list[str]:
    """Keys spelt like `key`: equal once folded, then alike, then sharing a word."""
    same, alike = nearest_split(key, keys)
    return (same + alike)[:MAX_SUGGESTIONS]


def nearest_split(key: str, keys: list[str]) -> tuple[list[str], list[str]]:
    """([the key equal to `key` once folded], [keys alike, best first])."""
    same, alike = _nearest_split(key, tuple(keys))
    return list(same), list(alike)


# A unit's reports ask about the same few keys among the same keys of the same kind of
# source, and difflib's comparisons are the cost of a path not found.
@functools.lru_cache(maxsize=2048)
def _nearest_split(key: str, keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    target = _norm(key)
    by_norm: dict[str, str] = {}
    for candidate in keys:
        by_norm.setdefault(_norm(candidate), candidate)
    same = [by_norm[target]] if target in by_norm else []
    alike = [
        by_norm[k]
        for k in difflib.get_close_matches(
            target, list(by_norm), n=MAX_SUGGESTIONS, cutoff=CLOSE_ENOUGH
        )
    ]
    alike += [c for n, c in by_norm.items() if target and target in n]
    alike += [c for n, c in by_norm.items() if _words_alike(target, n)]
    return tuple(same), tuple(k for k in _unique(alike) if k not in same)


def _words_alike(a: str, b: str) -> bool:
    """A word of `a` (4 letters or more) spelt like a word of `b` ('Peeple' ~ 'People')."""
    words = [w for w in b.split() if len(w) >= 4]
    return any(
        difflib.get_close_matches(w, words, n=1, cutoff=WORD_CLOSE)
        for w in a.split()
        if len(w) >= 4
    )


def elsewhere(snapshot: Any, key: str, limit: int = MAX_SUGGESTIONS) -> list[list[str]]:
    """Paths to a key spelt exactly like `key` (folded) anywhere in the snapshot."""
    return [list(path) for path in _paths_by_key(snapshot).get(_norm(key), [])[:limit]]


_BY_KEY: "OrderedDict[int, tuple[Any, int, dict[str, list[tuple[str, ...]]]]]" = OrderedDict()


def _paths_by_key(snapshot: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every key path of the snapshot by its last key (normalized), in walk order. Every
    unverifiable fact on a source asks: walked once per snapshot (kept for the few read
    last, by identity and size; snapshots are not changed once loaded)."""
    hit = _BY_KEY.get(id(snapshot))
    size = len(snapshot) if isinstance(snapshot, dict) else -1
    if hit is not None and hit[0] is snapshot and hit[1] == size:
        return hit[2]
    index: dict[str, list[tuple[str, ...]]] = {}
    for path in _key_paths(snapshot, ()):
        index.setdefault(_norm(path[-1]), []).append(path)
    _BY_KEY[id(snapshot)] = (snapshot, size, index)
    if len(_BY_KEY) > 4:
        _BY_KEY.popitem(last=False)
    return index


def _key_paths(node: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = prefix + (str(key),)
            yield here
            yield from _key_paths(value, here)


def _completed(snapshot: Any, candidates: list[list[str]], rest: list[str]) -> list[list[str]]:
    """Each candidate followed by the rest of the path, its later keys corrected the same
    way; only whole paths that resolve when there are any, else the candidates alone."""
    whole = [full for full in (_follow(snapshot, c, rest) for c in candidates) if full is not None]
    return _unique_paths(whole or candidates)[:MAX_SUGGESTIONS]


def _follow(snapshot: Any, candidate: list[str], rest: list[str]) -> list[str] | None:
    """`candidate + rest` with each missing key of `rest` replaced by its nearest sibling;
    None when some key has no near sibling."""
    node, out = snapshot, []
    for key in candidate:
        _, node, _ = step(node, key)
        out.append(key)
    for key in rest:
        found, child, _ = step(node, key)
        if not found:
            if not isinstance(node, dict):
                return None
            near = nearest_keys(key, [str(k) for k in node])
            if not near:
                return None
            key = near[0]
            child = node[key]
        node = child
        out.append(key)
    return out


def report_form(path: list[str]) -> str:
    """A path as a report file writes it: `[People and Society, Population, total]`."""
    return "[" + ", ".join(yaml_key(k) for k in path) + "]"


# A plain YAML scalar that reads back as this very string inside a flow sequence.
_PLAIN = re.compile(r"[^\W\d_][\w ()/'.-]*", re.UNICODE)
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yaml_key(key: str) -> str:
    """`key` as a flow-sequence item: plain where YAML reads it back as the same text,
    else double-quoted (JSON's escaping is valid YAML)."""
    if (
        _PLAIN.fullmatch(key)
        and key == key.strip()
        and key.lower() not in _RESERVED
        and "  " not in key
        and not key.endswith((" -", "-"))
        and " '" not in key
    ):
        return key
    return json.dumps(key, ensure_ascii=False)


def _norm(key: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", fold(key)).split())


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unique_paths(paths: list[list[str]]) -> list[list[str]]:
    seen: dict[tuple[str, ...], list[str]] = {}
    for path in paths:
        seen.setdefault(tuple(path), path)
    return list(seen.values())
