"""Body text of a report → paragraphs → sentences, with the footnote markers each cites."""

from __future__ import annotations

import re
from typing import Any

MARKER = re.compile(r"\[(\d{1,3})\]|([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # [10] or ¹⁰
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def marker_numbers(text: str) -> list[int]:
    out = []
    for match in MARKER.finditer(text):
        digits = match.group(1) or match.group(2).translate(_SUPERSCRIPT)
        out.append(int(digits))
    return out


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters) and not MARKER.search(line)


def paragraphs(body: list[str]) -> list[str]:
    """Body lines → paragraphs: headings dropped, hyphenated words joined. A blank line
    inside a sentence (an extraction artefact) does not end the paragraph."""
    out, current, pending_break = [], "", False
    for raw in body:
        line = raw.strip()
        if not line or _is_heading(line):
            pending_break = True
            if _is_heading(line) and current:
                out.append(current)
                current = ""
            continue
        finished = re.search(r"[.!?:…”\"»)\]⁰¹²³⁴⁵⁶⁷⁸⁹]$", current)
        if current and pending_break and (finished or line[:1].isupper()):
            out.append(current)
            current = ""
        if current.endswith("-") and line[:1].islower() and current[-2:-1].isalpha():
            current = current[:-1] + line
        elif current.endswith("-") and line[:1].isdigit() and current[-2:-1].isalnum():
            current += line
        else:
            current = f"{current} {line}".strip()
        pending_break = False
    return out + ([current] if current else [])


_SENTENCE_END = re.compile(r"[.!?…]+[\"”»’)]*((?:\[\d{1,3}\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)*)\s+")


def split_sentences(paragraph: str) -> list[str]:
    out, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        following = paragraph[match.end() : match.end() + 2].lstrip('„"«(')
        short = len(paragraph[start : match.start()].split()) < 3 and not match.group(1)
        if not short and (following[:1].isupper() or (following[:1].isdigit() and match.group(1))):
            out.append(paragraph[start : match.end()].strip())
            start = match.end()
    tail = paragraph[start:].strip()
    return out + ([tail] if tail else [])


def sentences(body: list[str]) -> list[dict[str, Any]]:
    """Every body sentence: its text (markers removed), the footnotes it cites, its paragraph."""
    out = []
    for index, para in enumerate(paragraphs(body)):
        for sentence in split_sentences(para):
            text = " ".join(MARKER.sub("", sentence).split())
            text = re.sub(r"\s+([,.;:])", r"\1", text)
            out.append(
                {
                    "text": text,
                    "footnotes": sorted(set(marker_numbers(sentence))),
                    "paragraph": index,
                }
            )
    return out
