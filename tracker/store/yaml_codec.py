"""ruamel.yaml's C emitter and parser, driven with prepared tags (see snapshot_yaml).

ruamel's own representer and resolver make a new `Tag` for every node and decode its
suffix one character at a time, and its versioned resolver looks the YAML version up
through a chain of exceptions on every scalar: that, not libyaml, was most of a dump or a
load. Here the node tree is built directly, with one `Tag` object per type made once and
its text computed up front, and the resolver answers from two tables built at import.

Plain scalars mean what YAML 1.1 *and* 1.2 agree on. The writer quotes every string that
either dialect would read as something else (`'1e3'`, `'0o17'`, `'yes'`), so every file it
writes reads the same under both; a plain scalar the dialects disagree on (`1e3`: a float
in 1.2, a string in 1.1) can only come from a PyYAML-written (YAML 1.1) file, which quoted
everything 1.1 reads as a non-string — so it is the string it was written as.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any, Callable

from _ruamel_yaml import CEmitter, CParser  # type: ignore[import-not-found]
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import implicit_resolvers
from ruamel.yaml.tag import Tag
from ruamel.yaml.util import create_timestamp

PREFIX = "tag:yaml.org,2002:"
# Tags a plain scalar may resolve to and still be data; anything else a resolver knows
# (merge `<<`, value `=`) is read as a string and always written quoted.
VALUE_KINDS = ("null", "bool", "int", "float", "timestamp")
AMBIGUOUS = "ambiguous"  # no scalar carries this tag: a resolver answer that forces quotes


class YamlError(ValueError):
    """Text that is not a snapshot this module can read, or data it cannot write."""


def _prepared(kind: str) -> Tag:
    tag = Tag(suffix=PREFIX + kind)
    _ = tag.trval  # compute (and keep) its text now, not once per node
    hash(tag)
    return tag


TAGS = {kind: _prepared(kind) for kind in ("str", "map", "seq", AMBIGUOUS, *VALUE_KINDS)}
_TEXT = {kind: PREFIX + kind for kind in TAGS}
STR, MAP, SEQ = TAGS["str"], TAGS["map"], TAGS["seq"]
NULL, BOOL, INT, FLOAT, TIMESTAMP = (TAGS[k] for k in VALUE_KINDS)


Table = dict[str, list[tuple[str, "re.Pattern[str]"]]]  # first character → (kind, regexp)


def _table(rows: list[tuple[str, str, Any]]) -> Table:
    table: Table = {}
    for kind, pattern, firsts in rows:
        compiled = re.compile(pattern, re.X)
        for first in firsts:
            table.setdefault(first, []).append((kind, compiled))
    return table


# YAML 1.2 as ruamel.yaml (and so the config loader) resolves it.
_YAML12 = _table(
    [
        (tag[len(PREFIX) :], regexp.pattern, firsts)
        for versions, tag, regexp, firsts in implicit_resolvers
        if (1, 2) in versions
    ]
)
# YAML 1.1 as PyYAML resolved it when it wrote the snapshots of earlier versions (its
# regular expressions, which differ from the 1.1 spec: no `y`/`n` booleans, and a float
# needs a dot and a signed exponent — `1e3` was a string to it).
_PYYAML11 = _table(
    [
        (
            "bool",
            r"""^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE
                 |on|On|ON|off|Off|OFF)$""",
            "yYnNtTfFoO",
        ),
        (
            "float",
            r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                  |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                  |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""",
            "-+0123456789.",
        ),
        (
            "int",
            r"""^(?:[-+]?0b[0-1_]+
                |[-+]?0[0-7_]+
                |[-+]?(?:0|[1-9][0-9_]*)
                |[-+]?0x[0-9a-fA-F_]+
                |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
            "-+0123456789",
        ),
        ("merge", r"^(?:<<)$", "<"),
        ("null", r"""^(?: ~ |null|Null|NULL | )$""", ["~", "n", "N", ""]),
        (
            "timestamp",
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                      |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                      (?:[Tt]|[ \t]+)[0-9][0-9]?
                      :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                      (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
            "0123456789",
        ),
        ("value", r"^(?:=)$", "="),
        ("yaml", r"^(?:!|&|\*)$", "!&*"),
    ]
)
_OCTAL11 = re.compile(r"^[-+]?0[0-7_]+$")
# One pattern for "might be anything but a string in either dialect": most text fails it
# at once, and only what passes is resolved per dialect.
_MAYBE_DATA = re.compile(
    "|".join(
        sorted(
            {
                f"(?:{regexp.pattern})"
                for table in (_PYYAML11, _YAML12)
                for rows in table.values()
                for _, regexp in rows
            }
        )
    ),
    re.X,
)


def _resolve_in(table: Table, value: str) -> str:
    for kind, regexp in table.get(value[:1], ()):
        if regexp.match(value):
            return kind
    return "str"


def plain_meaning(value: str) -> str:
    """What a plain scalar `value` is in both YAML 1.1 and 1.2: a VALUE_KINDS kind,
    "str", or AMBIGUOUS when the dialects disagree (or agree on a non-data tag)."""
    if not _MAYBE_DATA.match(value):
        return "str"
    kind = _resolve_in(_YAML12, value)
    if kind != _resolve_in(_PYYAML11, value) or (kind == "int" and _OCTAL11.match(value)):
        return AMBIGUOUS  # (`017` is an int to both, but 15 to one and 17 to the other)
    return kind if kind == "str" or kind in VALUE_KINDS else AMBIGUOUS


def _resolve_tag(kind: Any, value: Any, implicit: Any) -> Tag:
    if kind is ScalarNode:
        return TAGS[plain_meaning(value)] if implicit[0] else STR
    return SEQ if kind is SequenceNode else MAP


# ------------------------------------------------------------------ writing


class _Emitter(CEmitter):  # type: ignore[misc]
    """libyaml's emitter; `resolve` decides which scalars may stay plain."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        # A string stays plain only when this answers its tag: AMBIGUOUS (or int for
        # "12") makes libyaml quote it. Text, not a Tag: it is compared with `node.tag`.
        if kind is ScalarNode:
            return _TEXT[plain_meaning(value)] if implicit[0] else _TEXT["str"]
        return _TEXT["seq"] if kind is SequenceNode else _TEXT["map"]

    def descend_resolver(self, *args: Any) -> None:
        pass

    def ascend_resolver(self, *args: Any) -> None:
        pass


def dump(data: Any) -> str:
    stream = io.StringIO()
    emitter = _Emitter(stream, indent=2, width=1_000_000, allow_unicode=True)
    try:
        emitter.open()
        emitter.serialize(to_node(data))
        emitter.close()
    finally:
        emitter.dispose()
    return stream.getvalue()


def _literal_style(text: str) -> str | None:
    # Literal blocks cannot carry trailing spaces or tabs on a line faithfully: those
    # strings stay quoted (libyaml itself falls back for characters a block cannot hold).
    if any(line != line.rstrip(" \t") for line in text.split("\n")):
        return None
    return "|"


def to_node(data: Any) -> Node:
    """The node tree of `data`, keys sorted, block style; plain types only."""
    kind = type(data)  # exact types first: this runs once per value of a snapshot
    if kind is str:
        return ScalarNode(STR, data, style=_literal_style(data) if "\n" in data else None)
    if kind is dict:
        return MappingNode(
            MAP,
            [(to_node(key), to_node(value)) for key, value in _sorted_items(data)],
            flow_style=False,
        )
    if kind is list:
        return SequenceNode(SEQ, [to_node(item) for item in data], flow_style=False)
    if isinstance(data, str):
        return to_node(str(data))
    if isinstance(data, dict):
        return to_node(dict(data))
    if isinstance(data, (list, tuple)):
        return to_node(list(data))
    return ScalarNode(*_scalar(data))


def _scalar(data: Any) -> tuple[Tag, str]:
    if data is None:
        return NULL, "null"
    if isinstance(data, bool):
        return BOOL, "true" if data else "false"
    if isinstance(data, int):
        return INT, str(int(data))
    if isinstance(data, float):
        return FLOAT, _float_text(float(data))
    if isinstance(data, datetime):
        return TIMESTAMP, data.isoformat(" ")
    if isinstance(data, date):
        return TIMESTAMP, data.isoformat()
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


def _sorted_items(data: dict[Any, Any]) -> list[tuple[Any, Any]]:
    try:
        return [(key, data[key]) for key in sorted(data)]
    except TypeError:  # keys of mixed types: still one order for one set of keys
        return sorted(data.items(), key=lambda item: (type(item[0]).__name__, str(item[0])))


# ------------------------------------------------------------------ reading


class _Parser(CParser):  # type: ignore[misc]
    """libyaml's parser and composer; scalars resolved as in `plain_meaning`."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
        tag = _resolve_tag(kind, value, implicit)
        return STR if tag is TAGS[AMBIGUOUS] else tag

    def descend_resolver(self, *args: Any) -> None:
        pass

    def ascend_resolver(self, *args: Any) -> None:
        pass


def load(text: str | bytes) -> Any:
    parser = _Parser(text)
    try:
        node = parser.get_single_node()
    except YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    finally:
        parser.dispose()
    return None if node is None else _Builder().build(node)


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
_RESOLVED = {id(TAGS[kind]): kind for kind in SCALARS}  # tags the parser got from resolve


class _Builder:
    """Nodes → plain dicts, lists and scalars; refuses aliases, unknown tags and
    duplicate keys (a snapshot never has them)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if id(node) in self.seen:
            raise YamlError(f"line {_line(node)}: an alias; snapshots have no anchors")
        self.seen.add(id(node))
        if isinstance(node, SequenceNode):
            self.expect(node, "seq")
            return [self.build(item) for item in node.value]
        self.expect(node, "map")
        return self.mapping(node)  # type: ignore[arg-type]  # the composer makes no other

    def mapping(self, node: MappingNode) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            try:
                if key in out:
                    raise YamlError(f"line {_line(key_node)}: duplicate key {key!r:.80}")
            except TypeError:
                raise YamlError(f"line {_line(key_node)}: a key that is not a scalar") from None
            out[key] = self.build(value_node)
        return out

    def scalar(self, node: ScalarNode) -> Any:
        kind = _RESOLVED.get(id(node.ctag))
        try:
            return SCALARS[kind or _explicit(node)](node.value)
        except (ValueError, OverflowError):
            if kind is not None:
                return node.value  # a plain scalar that only looks like a number: "_"
            raise YamlError(
                f"line {_line(node)}: not a valid {node.ctag}: {node.value!r:.80}"
            ) from None

    def expect(self, node: Node, kind: str) -> None:
        if node.ctag is not TAGS[kind] and str(node.ctag) != PREFIX + kind:
            raise YamlError(f"line {_line(node)}: unsupported tag {node.ctag}")


def _explicit(node: ScalarNode) -> str:
    name = str(node.ctag)
    kind = name[len(PREFIX) :] if name.startswith(PREFIX) else ""
    if kind not in SCALARS:
        raise YamlError(f"line {_line(node)}: unsupported tag {name}")
    return kind


def _line(node: Node) -> int | str:
    mark = node.start_mark
    return mark.line + 1 if mark is not None else "?"
