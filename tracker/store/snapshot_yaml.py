"""Canonical YAML for snapshots, drafts and citations files: the same data, the same bytes.

One YAML library, ruamel.yaml (YAML 1.2, the dialect of the config files), through
libyaml's C emitter and parser (ruamel.yaml.clib). Keys are sorted, block style throughout,
multi-line text as literal blocks (quoted where a block cannot hold it exactly: trailing
spaces or tabs on a line, control characters), no line folding, unicode kept. Strings
that YAML 1.1 or 1.2 would read as something else are quoted (`'1e3'`, `'0o17'`,
`'yes'`, `'null'`, `'2024-01-01'`), so a file means the same to every reader — and the
snapshots PyYAML (YAML 1.1) wrote before still read as the data they held.

`unchanged(existing, text)` compares data, not text: a file that differs from the
canonical text only in formatting (as written by an older version) is not a change.
"""

from __future__ import annotations

from typing import Any

from tracker.errors import ParseError


def dumps(data: Any) -> str:
    """Serialize `data` canonically. Raises ParseError for text YAML cannot hold (an
    unpaired surrogate) and YamlError (a ValueError) for a type it does not store."""
    from tracker.store import yaml_codec  # ruamel loads on first use: most runs write nothing

    try:
        return yaml_codec.dump(data)
    except UnicodeEncodeError:
        where = _surrogate_path(data, ())
        raise ParseError(
            f"text with an unpaired surrogate at {where or 'the top'} cannot be stored as YAML"
        ) from None


def loads(text: str | bytes) -> Any:
    """Parse snapshot YAML: plain data only (no tags, anchors or objects); YamlError (a
    ValueError) when it is not valid YAML of that kind."""
    from tracker.store import yaml_codec

    return yaml_codec.load(text)


def unchanged(existing: str | bytes, text: str) -> bool:
    """Whether the file content `existing` holds the same data as the canonical `text`
    (byte-equal, or a re-dump of what it holds gives `text`)."""
    raw = existing.encode("utf-8") if isinstance(existing, str) else existing
    if raw == text.encode("utf-8"):
        return True
    try:
        return dumps(loads(raw)) == text
    except (ValueError, ParseError):
        return False  # damaged or foreign: the new text replaces it


def _surrogate_path(data: Any, path: tuple[Any, ...]) -> str | None:
    """The dotted path of the first string (key or value) with a lone surrogate."""
    if isinstance(data, str):
        return ".".join(map(str, path)) if _has_surrogate(data) else None
    items: Any = (
        data.items()
        if isinstance(data, dict)
        else (enumerate(data) if isinstance(data, (list, tuple)) else ())
    )
    for key, value in items:
        if isinstance(key, str) and _has_surrogate(key):
            return ".".join(map(str, (*path, repr(key))))
        found = _surrogate_path(value, (*path, key))
        if found is not None:
            return found
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
