"""Read a report's text layer: its footnotes and the sentences that cite them.

Input is the text layer of a report as a PDF extraction gives it (see report_text.py for
PDF and DOCX): body text with footnote markers (`[10]` or superscript `¹⁰`), and at each
page end a block of footnotes, each starting on a line with its number. The extraction
breaks lines inside URLs, lets a footnote continue on the next page after that page's
body, repeats running heads and page numbers; all of that is undone here.

Everything is a pure function of the text: `parse_report(text) -> dict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.evaluate.extract import DATE_RE, parse_date
from tracker.reports.sentences import marker_numbers, sentences
from tracker.text import fold

_FOOTNOTE_START = re.compile(r"^ ?(\d{1,3})\s+(?=\S)")
_URL_START = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
_BARE_URL_AT_END = re.compile(r"(?:https?://|www\.)[^\s<>]*$", re.IGNORECASE)
_ACCESS_LABEL = re.compile(
    r"(?:dostęp|accessed|access date|retrieved|pobrano|"
    r"дата обращения|просмотрено)\s*:?\s*$",
    re.IGNORECASE,
)
_MALFORMED_DATE = re.compile(r"(?<!\d)\d{1,2}\.\d{1,2}\.\d{5,}")
_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


@dataclass
class _Note:
    number: int
    lines: list[str]
    closed_by_page: bool = False


@dataclass
class Layout:
    """The text split into body lines and footnotes (raw lines, before any joining)."""

    body: list[str] = field(default_factory=list)
    notes: list[_Note] = field(default_factory=list)
    markers: set[int] = field(default_factory=set)


# ------------------------------------------------------------------ layout


def split_layout(text: str) -> Layout:
    """Separate footnote blocks from body text.

    A footnote starts on a line with the next expected number whose marker the body has
    already shown, after a blank line or inside a footnote block. A block ends at a page
    start (a line indented by one space that reads as text), or at two blank lines.
    """
    layout = Layout()
    in_area, blank_run, prev_end = False, 0, True
    for line in _without_running_heads(text.replace("\r", "").split("\n")):
        blank = not line.strip()
        number = _footnote_number(line, layout, in_area or prev_end)
        if number is not None:
            _take_continuation(layout)
            layout.notes.append(_Note(number, [_FOOTNOTE_START.sub("", line, count=1)]))
            in_area, blank_run = True, 0
        elif in_area and blank:
            blank_run += 1
            if blank_run >= 2:
                in_area = _close_area(layout)
            layout.notes[-1].lines.append("")
        elif in_area and _is_page_start(line):
            in_area = _close_area(layout)
            while layout.body and not layout.body[-1].strip():
                layout.body.pop()  # the page break is not a paragraph break
            layout.body.append(line)
            layout.markers.update(marker_numbers(line))
        elif in_area:
            blank_run = 0
            layout.notes[-1].lines.append(line)
        else:
            layout.body.append(line)
            layout.markers.update(marker_numbers(line))
        # A footnote block starts after a blank line or a finished sentence (pypdf drops
        # blank lines).
        prev_end = blank or bool(re.search(r"[.!?\]⁰¹²³⁴⁵⁶⁷⁸⁹]\s*$", line))
    return layout


def _footnote_number(line: str, layout: Layout, may_start: bool) -> int | None:
    match = _FOOTNOTE_START.match(line)
    if not match or not may_start:
        return None
    number = int(match.group(1))
    expected = layout.notes[-1].number + 1 if layout.notes else 1
    return number if number == expected and number in layout.markers else None


def _is_page_start(line: str) -> bool:
    """' ujednoliconą hierarchię…' starts a page; ' za.html' is a stray piece of a URL."""
    if not line.startswith(" ") or line.startswith("  "):
        return False
    stripped = line.strip()
    return " " in stripped or not re.search(r"[./]", stripped)


def _close_area(layout: Layout) -> bool:
    layout.notes[-1].closed_by_page = True
    return False


def _take_continuation(layout: Layout) -> None:
    """A footnote cut by a page end goes on after the next page's body, just before the
    next footnote: move that last body paragraph (it carries no markers) back to it."""
    if not layout.notes or not layout.notes[-1].closed_by_page:
        return
    note = layout.notes[-1]
    tail = " ".join(note.lines).rstrip()
    unfinished = tail.count("<") > tail.count(">") or not re.search(r"[.>)\]/\d]$", tail)
    if not unfinished:
        return
    body = layout.body
    end = len(body)
    while end and not body[end - 1].strip():
        end -= 1
    start = end
    while start and body[start - 1].strip():
        start -= 1
    paragraph = body[start:end]
    if paragraph and not any(marker_numbers(line) for line in paragraph):
        note.lines.extend(paragraph)
        del body[start:]
    note.closed_by_page = False


def _without_running_heads(lines: list[str]) -> list[str]:
    """Drop page numbers and running heads (short lines repeated between blank lines)."""
    lines = [
        "" if re.fullmatch(r"\s*\d{1,3}\s*", line) and not nxt.strip() else line
        for line, nxt in zip(lines, lines[1:] + [""])
    ]
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.strip()] = counts.get(line.strip(), 0) + 1
    out = []
    for i, line in enumerate(lines):
        key = line.strip()
        isolated = (i == 0 or not lines[i - 1].strip()) and (
            i + 1 == len(lines) or not lines[i + 1].strip()
        )
        repeated_head = (
            counts[key] > 1
            and isolated
            and 0 < len(key) <= 60
            and not _URL_START.search(key)
            and not key[:1].isdigit()
        )
        out.append("" if repeated_head else line)
    return out


# ------------------------------------------------------------------ footnote text and URLs


def join_note(lines: list[str]) -> str:
    """A footnote's lines as one text, URLs broken across lines made whole again."""
    words = _context_words(lines)
    out = ""
    for raw in lines:
        line = raw.rstrip("\n")
        if not out:
            out = line.strip()
            previous = line
            continue
        if not line.strip():
            if not _inside_angle(out):
                out = out.rstrip() + " "
            continue
        if _inside_angle(out) or _continues_bare_url(out, previous, line):
            out = _join_url_break(out.rstrip(), line.strip(), words)
        elif out.endswith("-") and not out.endswith(" -"):
            out = out + line.strip()
        else:
            out = out.rstrip() + " " + line.strip()
        previous = line
    out = re.sub(r"<([^<>]*)>", lambda m: "<" + re.sub(r"\s+", "", m.group(1)) + ">", out)
    return " ".join(out.split())


def _inside_angle(text: str) -> bool:
    return text.rfind("<") > text.rfind(">")


def _continues_bare_url(out: str, previous: str, line: str) -> bool:
    """A URL ending the line with no space after it goes on at the start of the next line."""
    found = _BARE_URL_AT_END.search(out.rstrip())
    if not found:
        return False
    if line[:1].isspace() or _URL_START.match(line) or _FOOTNOTE_START.match(line):
        return False
    url = found.group(0)
    return not previous[-1:].isspace() or url.endswith(("-", "_"))


def _join_url_break(left: str, right: str, words: set[str]) -> str:
    """Join two pieces of a URL broken at a line end; decide what a final '-' was.

    Typesetters repeat a real hyphen on the next line ('-\\n-') but also hyphenate words
    ('nastoy-\\naschee'). The footnote's own words decide: a joined word found in the title
    was hyphenated; a piece found as a word keeps its hyphen; else a hyphen is real only if
    the path segment has other hyphens (slugs do, single words do not).
    """
    if not left.endswith("-"):
        return left + right
    if right.startswith("-"):
        return left + right[1:]
    lpiece = re.search(r"([^\W_]+)-$", left)
    rpiece = re.match(r"[^\W_]+", right)
    if not lpiece or not rpiece:
        return left + right
    lword, rword = fold(lpiece.group(1)), fold(rpiece.group(0))
    if lword + rword in words:
        return left[:-1] + right
    if lword in words or rword in words or re.search(r"\d", lword + rword):
        return left + right
    segment = left[left.rfind("/") + 1 : -1] + right.split("/")[0]
    return left + right if "-" in segment else left[:-1] + right


def _context_words(lines: list[str]) -> set[str]:
    """The footnote's words outside URLs (folded, Cyrillic also transliterated)."""
    text = " ".join(lines)
    text = re.sub(r"<[^>]*(?:>|$)", " ", text)
    text = " ".join(t for t in text.split() if "/" not in t and "://" not in t)
    words = set(re.findall(r"[^\W_]+", fold(text)))
    variants = {"".join(_TRANSLIT.get(c, c) for c in w) for w in words}
    variants |= {v.replace("h", "kh") for v in variants}
    return words | variants


def find_urls(text: str) -> list[str]:
    urls = [m.group(1) for m in re.finditer(r"<((?:https?://|www\.)[^<>]+)>", text, re.I)]
    bare = re.sub(r"<[^<>]*>", " ", text)
    for match in re.finditer(r"(?:https?://|www\.)[^\s<>]+", bare, re.I):
        url = match.group(0).rstrip(".,;:")
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        urls.append(url)
    return list(dict.fromkeys(urls))


# ------------------------------------------------------------------ dates and fields


def footnote_dates(text: str) -> dict[str, list[str]]:
    """published / accessed / period dates (ISO) of a footnote; `malformed` as written."""
    out: dict[str, list[str]] = {"published": [], "accessed": [], "period": [], "malformed": []}
    scrubbed = re.sub(r"<[^<>]*>|(?:https?://|www\.)\S+", lambda m: " " * len(m.group(0)), text)
    matches = [
        m for m in DATE_RE.finditer(scrubbed) if not scrubbed[m.end() : m.end() + 1].isdigit()
    ]
    out["malformed"] = _MALFORMED_DATE.findall(scrubbed)
    skip = set()
    for i, match in enumerate(matches):
        if i in skip:
            continue
        when = _iso(match.group(0))
        if when is None:
            continue
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt and re.fullmatch(r"\s*[-–]\s*", scrubbed[match.end() : nxt.start()]):
            out["period"] = [when, _iso(nxt.group(0)) or ""]
            skip.add(i + 1)
        elif _ACCESS_LABEL.search(scrubbed[max(0, match.start() - 30) : match.start()]):
            out["accessed"].append(when)
        else:
            out["published"].append(when)
    return out


def _iso(text: str) -> str | None:
    try:
        return parse_date(" ".join(text.split())).isoformat()
    except ValueError:
        return None


def footnote_fields(text: str) -> dict[str, str | None]:
    """Best effort: author, title and outlet of the (first) work a footnote cites."""
    first = re.split(r";\s+(?![^<]*>)", text, maxsplit=1)[0]
    online = re.search(r",\s*([^,]+?)\s*\[online", first)
    if online or re.search(r"dostęp|<https?://", first):
        author = re.match(
            r"((?:[^\W\d_]{1,2}\.\s*)+[^\s,]+(?:,\s*(?:[^\W\d_]{1,2}\.\s*)+"
            r"[^\s,]+)*),\s*",
            first,
        )
        start = author.end() if author else 0
        end = online.start() if online else len(first)
        title = first[start:end].strip(" ,.") or None
        outlet = online.group(1).strip(' ,„”"') if online else _quoted(first)
        return {"author": author.group(1) if author else None, "title": title, "outlet": outlet}
    head = re.split(r",\s*(?=\d{1,2}[./]|\d{4}\b|https?://)", first, maxsplit=1)[0]
    parts = _top_level_split(head)
    return {
        "author": None,
        "outlet": parts[0].strip() or None,
        "title": ", ".join(p.strip() for p in parts[1:]).strip(" ,") or None,
    }


def _quoted(text: str) -> str | None:
    match = re.search(r"„([^”]+)”", text)
    return match.group(1) if match else None


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char == "," and depth == 0 and text[i + 1 : i + 2] == " ":
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def parse_footnote(note: _Note) -> dict[str, Any]:
    text = join_note(note.lines)
    dates = footnote_dates(text)
    entry: dict[str, Any] = {
        "number": note.number,
        "text": text,
        **footnote_fields(text),
        "urls": find_urls(text),
        "dois": [d.rstrip(".,;") for d in re.findall(r"doi:\s*(10\.\d{4,9}/\S+)", text, re.I)],
    }
    for key in ("published", "accessed", "period"):
        entry[key] = dates[key]
    entry["malformed_dates"] = dates["malformed"]
    return entry


# ------------------------------------------------------------------ the whole report


def parse_report(text: str) -> dict[str, Any]:
    """Text layer → {footnotes: [...], sentences: [...], warnings: [...]}."""
    layout = split_layout(text)
    notes = [parse_footnote(n) for n in layout.notes]
    all_sentences = sentences(layout.body)
    for note in notes:
        note["cited_in"] = [
            i for i, s in enumerate(all_sentences) if note["number"] in s["footnotes"]
        ]
    return {
        "footnotes": notes,
        "sentences": all_sentences,
        "warnings": _warnings(notes, layout.markers),
    }


def _warnings(notes: list[dict[str, Any]], markers: set[int]) -> list[str]:
    found = {n["number"] for n in notes}
    out = [f"marker [{m}] in the text has no footnote" for m in sorted(markers - found)]
    for note in notes:
        where = f"footnote {note['number']}"
        for bad in note["malformed_dates"]:
            out.append(f"{where}: {bad!r} is not a valid date (typo in the report?)")
        if not note["urls"] and (note["published"] or "[online" in note["text"]):
            out.append(f"{where}: no URL in the text layer (lost in extraction?)")
        if not note["cited_in"]:
            out.append(f"{where}: no sentence cites it")
    return out


def citations_document(parsed: dict[str, Any], report_id: str, source: str) -> dict[str, Any]:
    """The canonical content of reports/<id>.citations.yaml (no per-run noise)."""
    sentences_out = [s for s in parsed["sentences"] if s["footnotes"]]
    index = {id(s): i for i, s in enumerate(sentences_out)}
    footnotes = []
    for note in parsed["footnotes"]:
        entry = {
            k: v
            for k, v in note.items()
            if v not in (None, [], "") and k not in ("cited_in", "malformed_dates")
        }
        entry["sentences"] = [index[id(parsed["sentences"][i])] for i in note["cited_in"]]
        footnotes.append(entry)
    return {
        "report": report_id,
        "file": source,
        "footnotes": footnotes,
        "sentences": [{"text": s["text"], "footnotes": s["footnotes"]} for s in sentences_out],
        "warnings": parsed["warnings"],
    }


def citation_date(note: dict[str, Any]) -> date | None:
    """The access date, or the cited date when no access date is marked."""
    values = note.get("accessed") or note.get("published") or []
    return date.fromisoformat(max(values)) if values else None
