"""Display helpers for the digest: safe links, plain one-line text, values, text wrapping.

Everything from a source, a feed or a report is untrusted: `clean` keeps no control
characters (an ESC sequence in a feed title must not reach a terminal that shows the text
digest, nor a bidi override reorder what an analyst reads), feed HTML becomes text with
`tracker.text.html_to_text`, and a link is kept only as an absolute http(s) URL.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from tracker.text import html_to_text

SUMMARY_CHARS = 280
TEXT_WIDTH = 80
_SPACE = re.compile(r"\s+")
_URL_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
# Bidi embeddings, overrides and isolates: they reorder the text around them.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)], " ")


# Unicode's control characters (category Cc) and the line and paragraph separators (Zl,
# Zp): exactly these code points.
_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(value: Any) -> str:
    """One line of plain text: control characters gone, whitespace runs one space."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():  # ASCII has no bidi controls and is already NFC
        text = unicodedata.normalize("NFC", text.translate(_BIDI))
    return _SPACE.sub(" ", _BREAKING.sub(" ", text)).strip()


def clean_or_none(value: Any) -> str | None:
    return clean(value) or None


def safe_href(url: Any) -> str | None:
    """An absolute http(s) URL, or None: `javascript:`, `data:` and relative links drop."""
    if not isinstance(url, str):
        return None
    text = _URL_CONTROL.sub("", url.strip())  # browsers ignore these inside a scheme
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def plain_text(markup: Any, limit: int = SUMMARY_CHARS) -> str:
    """Feed HTML → short plain text (tags and script/style content removed)."""
    if not markup:
        return ""
    return shorten(clean(html_to_text(str(markup))), limit)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def show(value: Any, extract: str | None = None) -> str:
    """A value as an analyst reads it: 20,260,006 · Kazakh 71%, Russian 14.9% · 2029."""
    return clean(_show(value, extract))


def _show(value: Any, extract: str | None = None) -> str:
    if value is None:
        return "—"
    if extract == "year" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value))  # a year, not a count: no thousands separator
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(
            f"{k} {_show(v)}%" if isinstance(v, (int, float)) else f"{k}: {_show(v)}"
            for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    return str(value)


def ago(days: int | None) -> str:
    """`today`, `yesterday`, `38 days ago`; "" for no date or a date still to come."""
    if days is None or days < 0:
        return ""
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


# ---------------------------------------------------------------- text layout


def columns(text: str) -> int:
    """Columns a line takes in a terminal (wide characters count two)."""
    import wcwidth  # loaded by the text layout only: a nightly run with no digest due skips it

    return int(wcwidth.width(text))


def wrap(
    text: str, width: int = TEXT_WIDTH, indent: str = "", subsequent: str | None = None
) -> str:
    """`text` as lines of at most `width` columns. Words stay whole (a fact id is not cut
    at its hyphens) unless one is longer than a line."""
    text, later = clean(text), indent if subsequent is None else subsequent
    if text.isascii() and indent.isascii() and later.isascii():
        # every character one column: the standard library's wrap, which is much faster,
        # gives wcwidth's lines (on clean text, whose spaces are single) but for the
        # trailing space it may leave where it broke a long word
        lines = textwrap.wrap(
            text, width, initial_indent=indent, subsequent_indent=later, break_on_hyphens=False
        )
        lines = [line.rstrip() or line for line in lines]
    else:
        import wcwidth

        lines = wcwidth.wrap(
            text, width, initial_indent=indent, subsequent_indent=later, break_on_hyphens=False
        )
    return "\n".join(lines) or indent.rstrip()


def link_line(url: str, indent: str = "") -> str:
    """A URL on a line of its own, never split (so that it stays clickable)."""
    return indent + clean(url)
