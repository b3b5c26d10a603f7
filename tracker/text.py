"""Text helpers shared by sources and extractors: HTML → plain text, folding for comparison."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

_BLOCK = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
_SKIP = {"script", "style", "template", "noscript", "iframe", "object"}
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


class _TextParser(HTMLParser):
    """Collects text, turns block tags into line breaks, drops script/style content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, spacing tidied.

    Paragraph breaks (`<br><br>`) survive as one blank line; runs of spaces (including
    no-break spaces) collapse, so cosmetic markup changes upstream are not changes here.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _tidy(html)
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    if "\n" not in text and "\r" not in text:  # one line (most titles): the same, sooner
        return _SPACES.sub(" ", text).strip()
    return _tidy_lines(text)


def _tidy_lines(text: str) -> str:
    """Spaces folded line by line; a run of blank lines kept as one."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def fold(text: str) -> str:
    """Case-, diacritics- and spacing-insensitive form for comparisons and matching."""
    text = text if isinstance(text, str) else str(text)
    # the same names and categories are folded over and over; long texts are not kept
    return _fold_short(text) if len(text) <= 120 else _fold(text)


@lru_cache(maxsize=1 << 14)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    if text.isascii():  # nothing to decompose
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("đ", "d")
    return " ".join(stripped.casefold().split())
