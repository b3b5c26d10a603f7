"""What a plain YAML scalar means in YAML 1.2 and in YAML 1.1 as PyYAML read it.

Snapshots were written by PyYAML (YAML 1.1) before the tracker moved to ruamel.yaml (YAML
1.2, like the config files). The two disagree on some plain scalars: `1e3` is a float in
1.2 and a string to PyYAML, `yes` a string in 1.2 and a boolean in 1.1, `017` is 17 in one
and 15 in the other. `plain_meaning` answers for both at once: the writer keeps a string
plain only when both read it as that string, and the reader takes a plain scalar as data
only when both agree on what it is.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.resolver import implicit_resolvers

PREFIX = "tag:yaml.org,2002:"
# Tags a plain scalar may resolve to and still be data; anything else a resolver knows
# (merge `<<`, value `=`) is read as a string and always written quoted.
VALUE_KINDS = ("null", "bool", "int", "float", "timestamp")
AMBIGUOUS = "ambiguous"  # what the dialects disagree on: a string, always written quoted


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
