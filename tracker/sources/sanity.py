"""What every snapshot must be before it is stored: plain data that YAML and git can hold.

A hostile or broken answer can be valid JSON and still not be storable: a lone surrogate
(`"x\\ud800"`) cannot be written as UTF-8, a mapping with keys of mixed types cannot be
sorted, a number of more than 4,300 digits cannot be turned into text, and data nested
hundreds of levels deep overflows every recursive walker after it (YAML, diff, history).
Each kind's `normalize` ends with `checked_snapshot`, so any of these is that source's
clear ParseError — naming where in the snapshot it is — and never an exception half-way
through writing a run's files.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from tracker.errors import ParseError

MAX_DEPTH = 24  # the deepest kind (wikidata: property › previous › statement) needs 5
MAX_INT_BITS = 14_000  # about 4,200 decimal digits: below Python's limit for int → text
_SCALARS = (str, bool, int, float, type(None))


# What reading parsed JSON of an unexpected shape raises: a string where an object was
# expected (AttributeError), a number where a list was (TypeError), a missing key, a value
# no conversion takes, data nested deep enough for a recursive repr to overflow
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError)


@contextmanager
def read_as(where: str, what: str) -> Iterator[None]:
    """Reading a document as `what`: any error of its shape is the source's ParseError
    ("not Wikidata entity JSON as expected (TypeError: …)"), never another exception."""
    try:
        yield
    except SHAPE_ERRORS as exc:
        detail = printable(str(exc), 100) or "nested too deeply"
        raise ParseError(
            f"{where}: not {what} as expected ({type(exc).__name__}: {detail})"
        ) from None


def checked_snapshot(snapshot: Any, where: str) -> Any:
    """`snapshot` itself, or a ParseError saying what in it cannot be stored, and where."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(snapshot, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                _check_text(value, path, where)
        elif isinstance(value, dict):
            _check_depth(path, where)
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ParseError(f"{where}: a key that is not text ({key!r}) at {_shown(path)}")
                if not key.isascii():
                    _check_text(key, path + (key,), where)
                stack.append((item, path + (key,)))
        elif isinstance(value, list):
            _check_depth(path, where)
            stack.extend((item, path + (index,)) for index, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > MAX_INT_BITS:
                raise ParseError(f"{where}: a number of more than 4,200 digits at {_shown(path)}")
        elif not isinstance(value, _SCALARS):
            raise ParseError(f"{where}: a {type(value).__name__} at {_shown(path)}, not plain data")
    return snapshot


def _check_text(text: str, path: tuple[Any, ...], where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ParseError(
            f"{where}: text at {_shown(path)} holds {bad!r}, a lone surrogate "
            "(not a character; broken or hostile data)"
        ) from None


def _check_depth(path: tuple[Any, ...], where: str) -> None:
    if len(path) >= MAX_DEPTH:
        raise ParseError(
            f"{where}: data nested more than {MAX_DEPTH} levels deep (at {_shown(path[:4])} …)"
        )


def _shown(path: tuple[Any, ...]) -> str:
    return printable(" › ".join(str(part) for part in path)) if path else "the top"


def printable(text: str, limit: int = 120) -> str:
    """Text from a document made fit for a one-line message: control characters and
    surrogates escaped (`\\n`, `\\ud800`), cut at `limit` characters."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return out if len(out) <= limit else out[: limit - 1] + "…"
