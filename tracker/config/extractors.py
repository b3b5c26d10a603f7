"""What each extractor accepts: its params, the `expect` it can compare, and how its values
compare (a leaf).

The extractor functions live in `tracker.evaluate.extract`; their declarations live here so
that loading a report can check a fact's `extract`, `params` and `expect` without importing
them. Every check raises ValueError with what is wrong and what is allowed; the loader adds
the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from tracker.config.dates import is_full_date
from tracker.config.numbers import as_decimal

COMMON_PARAMS = frozenset({"within", "index"})
COMPARES = ("text", "person", "number", "date", "shares")


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    compare: str = "text"  # one of COMPARES
    params: frozenset[str] = field(default_factory=frozenset)
    required: frozenset[str] = field(default_factory=frozenset)
    takes_structure: bool = False  # gets the subtree at the path, not text
    validate: Callable[[dict[str, Any]], None] | None = None  # param values; ValueError
    whole_numbers: bool = False  # counts: `expect` must be a whole number ≥ 0

    def check(self, params: dict[str, Any]) -> None:
        """ValueError naming what is wrong with `params`."""
        allowed = (
            self.params | self.required | (frozenset() if self.takes_structure else COMMON_PARAMS)
        )
        unknown = set(params) - allowed
        if unknown:
            raise ValueError(f"unknown {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
        missing = self.required - set(params)
        if missing:
            raise ValueError(f"missing required {sorted(missing)}")
        if "within" in params:
            _check_within(params["within"])
        if "index" in params and (
            not isinstance(params["index"], int) or isinstance(params["index"], bool)
        ):
            raise ValueError(
                f"`index` must be a whole number (0 = the first occurrence, -1 = "
                f"the last), got {params['index']!r}"
            )
        if self.validate is not None:
            self.validate(params)

    def check_expect(self, value: Any, what: str = "`expect`") -> None:
        """ValueError when `value` cannot be compared the way this extractor compares."""
        EXPECT_CHECKS[self.compare](value, what)
        if self.whole_numbers:
            number = as_decimal(value)
            if number != number.to_integral_value() or number < 0:
                raise ValueError(
                    f"{what} of a `{self.name}` fact is a count: a whole number ≥ 0, got {value!r}"
                )


def _compile(key: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"`{key}` must be a regex (a non-empty string), got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"`{key}` is not a valid regex: {exc}") from None


def _check_within(pattern: Any) -> None:
    if _compile("within", pattern).groups == 0:
        raise ValueError(
            f"`within` {pattern!r} has no group: put ( ) around the part to read, "
            r"e.g. 'Senate \((\d+) seats'"
        )


def check_regex_params(params: dict[str, Any]) -> None:
    compiled = _compile("pattern", params["pattern"])
    group = params.get("group")
    if group is None:
        return
    if isinstance(group, bool) or not isinstance(group, (int, str)):
        raise ValueError(f"`group` must be a group number or name, got {group!r}")
    if isinstance(group, int) and not 0 <= group <= compiled.groups:
        raise ValueError(
            f"`group` {group} does not exist: the pattern has {compiled.groups} group(s)"
        )
    if isinstance(group, str) and group not in compiled.groupindex:
        names = ", ".join(compiled.groupindex) or "none"
        raise ValueError(f"`group` {group!r} is not a named group of the pattern (names: {names})")


def check_flag(name: str) -> Callable[[dict[str, Any]], None]:
    def check(params: dict[str, Any]) -> None:
        if name in params and not isinstance(params[name], bool):
            raise ValueError(f"`{name}` must be true or false, got {params[name]!r}")

    return check


def check_label(params: dict[str, Any]) -> None:
    if "label" in params and (not isinstance(params["label"], str) or not params["label"]):
        raise ValueError(f"`label` must be a text, got {params['label']!r}")


# ---------------------------------------------------------------- expect, by comparison


def _expect_text(value: Any, what: str) -> None:
    if isinstance(value, (dict, list)) or value is None:
        raise ValueError(f"{what} must be a text, got {value!r}")
    if not str(value).strip():
        raise ValueError(f"{what} is empty")


def _expect_person(value: Any, what: str) -> None:
    if not isinstance(value, str) or not any(c.isalpha() for c in value):
        raise ValueError(f"{what} must be a name, got {value!r}")


def _expect_number(value: Any, what: str) -> None:
    try:
        as_decimal(value)
    except ValueError:
        raise ValueError(
            f"{what} must be a number (20260006, 20.26, '20,26 mln', '$32.221 "
            f"billion'), got {value!r}"
        ) from None


def _expect_date(value: Any, what: str) -> None:
    if not is_full_date(value):
        raise ValueError(
            f"{what} must be a date with day, month and year (2024-02-06, "
            f"'6 February 2024', '06.02.2024'), got {value!r}"
        )


def _expect_shares(value: Any, what: str) -> None:
    example = "e.g. {Kazakh: 71, Russian: 14.9}"
    if not isinstance(value, dict) or not value:
        raise ValueError(
            f"{what} of a `shares` fact must be a mapping of name → percent "
            f"({example}), got {value!r}"
        )
    for name, share in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{what}: share names must be texts, got {name!r}")
        try:
            as_decimal(share)
        except ValueError:
            raise ValueError(
                f"{what}: the share of {name!r} must be a percentage, got {share!r}"
            ) from None


EXPECT_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "text": _expect_text,
    "person": _expect_person,
    "number": _expect_number,
    "date": _expect_date,
    "shares": _expect_shares,
}


# ---------------------------------------------------------------- acled


ACLED_FILTERS = ("event_type", "sub_event_type", "civilian_targeting")


def acled_bound(params: dict[str, Any], name: str) -> date | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"`{name}` must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_acled_params(params: dict[str, Any]) -> None:
    start, end = acled_bound(params, "from"), acled_bound(params, "to")
    if start and end and start > end:
        raise ValueError(f"`from` {start} is after `to` {end}")
    if "civilian_targeting" in params and not isinstance(params["civilian_targeting"], bool):
        raise ValueError("`civilian_targeting` must be true or false")
    for name in ("event_type", "sub_event_type"):
        if name in params and not all(
            isinstance(v, str) and v.strip() for v in as_list(params[name])
        ):
            raise ValueError(f"`{name}` must be a name or a list of names")


def _spec(
    name: str,
    compare: str = "text",
    params: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    **kw: Any,
) -> ExtractorSpec:
    return ExtractorSpec(name, compare, frozenset(params), frozenset(required), **kw)


EXTRACTOR_SPECS: dict[str, ExtractorSpec] = {
    spec.name: spec
    for spec in (
        _spec("text"),
        _spec("regex", params=("group",), required=("pattern",), validate=check_regex_params),
        _spec("person", "person"),
        _spec("number", "number"),
        _spec("percent", "number", params=("label",), validate=check_label),
        _spec("year", "number"),
        _spec("date", "date", params=("month_first",), validate=check_flag("month_first")),
        _spec("shares", "shares"),
        _spec(
            "acled",
            "number",
            params=("from", "to") + ACLED_FILTERS,
            takes_structure=True,
            validate=check_acled_params,
            whole_numbers=True,
        ),
    )
}
