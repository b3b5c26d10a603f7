"""ruamel.yaml's C emitter and parser, driven with libyaml events (see snapshot_yaml).

ruamel's own representer and resolver make a new `Tag` for every node and decode its
suffix one character at a time, and its versioned resolver looks the YAML version up
through a chain of exceptions on every scalar: that, not libyaml, was most of a dump or a
load. Here the data becomes libyaml's events directly and events become data directly:
no node tree, no `Tag` objects, one precompiled answer to "what does this plain scalar
mean?". Both walks keep their own stack, so nesting depth costs memory, never the C stack.

Plain scalars mean what YAML 1.1 *and* 1.2 agree on. The writer quotes every string that
either dialect would read as something else (`'1e3'`, `'0o17'`, `'yes'`), so every file it
writes reads the same under both; a plain scalar the dialects disagree on (`1e3`: a float
in 1.2, a string in 1.1) can only come from a PyYAML-written (YAML 1.1) file, which quoted
everything 1.1 reads as a non-string — so it is the string it was written as.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any, Callable, Iterator

from _ruamel_yaml import CEmitter, CParser  # type: ignore[import-not-found]
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.util import create_timestamp

from tracker.store.yaml_dialects import AMBIGUOUS, PREFIX, plain_meaning


class YamlError(ValueError):
    """Text that is not a snapshot this module can read, or data it cannot write."""


# ------------------------------------------------------------------ writing


def dump(data: Any) -> str:
    """Canonical YAML of `data`: keys sorted, block style, literal blocks, unicode."""
    stream = io.StringIO()
    emitter = CEmitter(stream, indent=2, width=1_000_000, allow_unicode=True)
    try:
        for event in _events(data):
            emitter.emit(event)
    finally:
        emitter.dispose()
    return stream.getvalue()


def _events(data: Any) -> Iterator[Any]:
    """libyaml events for `data`, depth first, with a stack of open collections (a
    collection inside itself is refused: it has no end)."""
    yield StreamStartEvent()
    yield DocumentStartEvent()
    stack: list[tuple[Iterator[Any], Any, int]] = [(iter((data,)), None, 0)]
    open_ids: set[int] = set()
    while stack:
        items, end, ident = stack[-1]
        for item in items:
            opened = _open(item)
            if opened is None:
                yield _scalar_event(item)
                continue
            start, children, closing = opened
            if id(item) in open_ids:
                raise YamlError("data that contains itself cannot be stored as YAML")
            open_ids.add(id(item))
            yield start
            stack.append((children, closing, id(item)))
            break
        else:
            stack.pop()
            open_ids.discard(ident)
            if end is not None:
                yield end
    yield DocumentEndEvent()
    yield StreamEndEvent()


def _open(item: Any) -> tuple[Any, Iterator[Any], Any] | None:
    """(start event, children, end event) of a collection; None for a scalar."""
    if isinstance(item, str):
        return None
    if isinstance(item, dict):
        start = MappingStartEvent(None, None, True, flow_style=False)
        return start, _keys_and_values(item), MappingEndEvent()
    if isinstance(item, (list, tuple)):
        return (
            SequenceStartEvent(None, None, True, flow_style=False),
            iter(item),
            SequenceEndEvent(),
        )
    return None


def _keys_and_values(mapping: dict[Any, Any]) -> Iterator[Any]:
    try:
        keys = sorted(mapping)
    except TypeError:  # keys of mixed types: still one order for one set of keys
        keys = sorted(mapping, key=lambda key: (type(key).__name__, str(key)))
    for key in keys:
        yield key
        yield mapping[key]


def _scalar_event(item: Any) -> Any:
    if isinstance(item, str):
        # plain only when both dialects read it as this string; libyaml quotes otherwise
        plain = plain_meaning(item) == "str"
        style = _literal_style(item) if "\n" in item else None
        return ScalarEvent(None, None, (plain, True), str(item), style=style)
    return ScalarEvent(None, None, (True, False), _scalar_text(item))


def _literal_style(text: str) -> str | None:
    # Literal blocks cannot carry trailing spaces or tabs on a line faithfully: those
    # strings stay quoted (libyaml itself falls back for characters a block cannot hold).
    if any(line != line.rstrip(" \t") for line in text.split("\n")):
        return None
    return "|"


def _scalar_text(data: Any) -> str:
    """Plain text of a non-string scalar, read back as the same type in YAML 1.1 and 1.2."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int):
        return str(int(data))
    if isinstance(data, float):
        return _float_text(float(data))
    if isinstance(data, datetime):
        return data.isoformat(" ")
    if isinstance(data, date):
        return data.isoformat()
    raise YamlError(f"cannot store a {type(data).__name__} in YAML: {data!r:.80}")


def _float_text(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)  # 1e+17 → 1.0e+17, a float in YAML 1.1 too
    return text


# ------------------------------------------------------------------ reading


def load(text: str | bytes) -> Any:
    """The data of one YAML document: plain dicts, lists and scalars. Refuses anchors and
    aliases, tags other than YAML's own, duplicate keys and non-scalar keys (a snapshot
    never has them)."""
    parser = CParser(text)
    try:
        return _Builder().run(parser.get_event)
    except (YAMLError, UnicodeError) as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    finally:
        parser.dispose()


_MISSING = object()
_TRUE = frozenset(("true", "True", "TRUE"))


def _int(text: str) -> int:
    text = text.replace("_", "")
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(lowered)


def _timestamp(text: str) -> Any:
    match = SafeConstructor.timestamp_regexp.match(text)
    if match is None:
        raise ValueError(text)
    return create_timestamp(**match.groupdict())


SCALARS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "null": lambda _: None,
    "bool": lambda text: text in _TRUE,
    "int": _int,
    "float": _float,
    "timestamp": _timestamp,
}
_NON_SPECIFIC = (None, "!")


class _Builder:
    """Events → data, with a stack of open collections: [collection, pending key]."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []
        self.root: Any = None
        self.documents = 0

    def run(self, next_event: Callable[[], Any]) -> Any:
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                self.add(self.scalar(event), event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.check(event, "map" if kind is MappingStartEvent else "seq")
                self.stack.append([{} if kind is MappingStartEvent else [], _MISSING])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self.add(self.stack.pop()[0], event)
            elif kind is AliasEvent:
                raise YamlError(f"line {_line(event)}: an alias; snapshots have no anchors")
            elif kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise YamlError(f"line {_line(event)}: a second document")
            elif kind is StreamEndEvent:
                return self.root

    def add(self, value: Any, event: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        collection, key = top
        if type(collection) is list:
            collection.append(value)
        elif key is _MISSING:
            try:
                duplicate = value in collection
            except TypeError:
                raise YamlError(f"line {_line(event)}: a key that is not a scalar") from None
            if duplicate:
                raise YamlError(f"line {_line(event)}: duplicate key {value!r:.80}")
            top[1] = value
        else:
            collection[key] = value
            top[1] = _MISSING

    def scalar(self, event: Any) -> Any:
        self.check(event, None)
        value, tag = event.value, event.ctag
        if tag in _NON_SPECIFIC:
            meaning = plain_meaning(value) if tag is None and event.implicit[0] else "str"
            if meaning == "str" or meaning == AMBIGUOUS:
                return value
            try:
                return SCALARS[meaning](value)
            except (ValueError, OverflowError):
                return value  # a plain scalar that only looks like a number
        kind = str(tag)[len(PREFIX) :] if str(tag).startswith(PREFIX) else ""
        if kind not in SCALARS:
            raise YamlError(f"line {_line(event)}: unsupported tag {tag}")
        try:
            return SCALARS[kind](value)
        except (ValueError, OverflowError):
            raise YamlError(f"line {_line(event)}: not a valid {tag}: {value!r:.80}") from None

    def check(self, event: Any, kind: str | None) -> None:
        if event.anchor is not None:
            raise YamlError(f"line {_line(event)}: an anchor; snapshots have none")
        if (
            kind is not None
            and event.ctag not in _NON_SPECIFIC
            and str(event.ctag) != PREFIX + kind
        ):
            raise YamlError(f"line {_line(event)}: unsupported tag {event.ctag}")


def _line(event: Any) -> int | str:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else "?"
