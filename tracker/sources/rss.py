"""kind `rss`: an RSS 0.9x/2.0, RSS 1.0 (RDF) or Atom feed.

The shared client fetches the bytes (conditional GET, size cap); feedparser reads them.
The snapshot is `{title, link, items: {item-id: {title, link, published, summary}}}`:

* an item's id is its guid (Atom `id`), else its link, else a hash of title and date, so a
  changed title of the same guid is a changed item, never a new one;
* `published` is ISO 8601 UTC (`2025-10-14T08:30:00Z`) or None;
* title and summary are plain text: `html_to_text` (the stdlib HTML parser, as for the
  Factbook) keeps only the text — tags gone, script/style content dropped — one converter
  for every source; feedparser's own sanitizer is off, as its cleaned HTML would be
  thrown away anyway;
* `merge` keeps the newest `max_items` of the previous and the new items, so new items
  are exactly what the snapshot diff adds.

Refused: documents that declare XML entities (billion laughs, quadratic blowup; checked
with defusedxml's expat parser before feedparser sees them), HTML pages (SourceGone),
and documents without a single readable item unless they are a well-formed empty feed.
"""

from __future__ import annotations

import hashlib
import io
import xml.sax
from typing import Any
from urllib.parse import urljoin

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser

from tracker.config import RssOptions
from tracker.errors import ParseError, SourceGone
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.base import Source
from tracker.sources.feed_dates import (
    horizon,
    item_date,
    latest_of,
    plausible,
    undate_future,
)
from tracker.sources.feed_encoding import feed_as_utf8
from tracker.sources.sanity import checked_snapshot, read_as
from tracker.text import html_to_text

SUMMARY_CHARS = 600  # a digest needs a teaser, not the article; keeps snapshots small


class RssSource(Source[RssOptions]):
    """RSS/Atom feed (RSS 2.0, RSS 1.0/RDF, Atom 1.0); keeps the newest `max_items` items;
    `include`/`exclude` keywords filter which items are matched to reports."""

    kind = "rss"

    Options = RssOptions
    options: RssOptions

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        where = safe_url(raw.url)
        with read_as(where, "an RSS or Atom feed"):
            snapshot = normalize_feed(raw.content, raw.headers, where=where)
            undate_future(snapshot["items"], horizon(raw.fetched_at))  # feed_dates.py
            return checked_snapshot(snapshot, where)

    def merge(self, previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
        return merge_feeds(previous, new, self.options.max_items)


def normalize_feed(
    content: bytes, headers: dict[str, str] | None = None, where: str = "feed"
) -> dict[str, Any]:
    """Pure: feed bytes (+ HTTP headers, for the charset) → the snapshot dict."""
    if not content.strip():
        raise ParseError(f"{where}: empty document, not a feed")
    content, parser_headers = _trust_declared_encoding(content, _parser_headers(headers), where)
    refuse_entity_declarations(content, where)
    import feedparser  # ~100 ms to import: only when a feed arrived

    # The one parser for every feed shape. No sanitizing or URI resolving: html_to_text
    # below keeps only the text (script and style content dropped), so both would be
    # thrown-away work — half of feedparser's time on a typical feed.
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers=parser_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = parsed.entries
    if entries and _ends_early(content):
        entries = entries[:-1]  # cut off mid-document: the last item is incomplete
    snapshot = _snapshot(parsed.feed, entries, where)
    if not snapshot["items"]:
        _check_empty(parsed, content, headers or {}, where)
    return snapshot


def _snapshot(feed: Any, entries: list[Any], where: str) -> dict[str, Any]:
    items: dict[str, dict[str, Any]] = {}
    for entry in entries:
        item = _item(entry, where)
        if item is not None:
            items.setdefault(_item_id(entry, item), item)  # duplicate guid: the first wins
    return {
        "title": html_to_text(feed.get("title")) or None,
        "link": feed.get("link") or None,
        "items": items,
    }


def merge_feeds(previous: Any, new: dict[str, Any], limit: int) -> dict[str, Any]:
    """New items over previous ones (same id: the new text wins), newest `limit` kept."""
    old = previous if isinstance(previous, dict) else {}
    items = {key: dict(item) for key, item in new["items"].items()}
    latest = latest_of(item.get("published") for item in items.values())
    for key, item in (old.get("items") or {}).items():
        if key not in items:
            items[key] = item
        elif items[key].get("published") is None and plausible(
            item.get("published"), latest
        ):  # an item that lost its date
            items[key]["published"] = item.get("published")
    # Stable sort: undated items rank last, those in the current document first; a kept
    # item dated past what the feed now shows counts as undated (feed_dates.py).
    ranked = sorted(items, key=lambda k: _rank(items[k].get("published"), latest), reverse=True)
    return {
        "title": new.get("title") or old.get("title"),
        "link": new.get("link") or old.get("link"),
        "items": {key: items[key] for key in ranked[:limit]},
    }


# ------------------------------------------------------------------ XML safety


class _RootReached(Exception):
    """The prolog (where entities are declared) is over; no need to read further."""


class _StopAtRoot(xml.sax.handler.ContentHandler):
    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - SAX API
        raise _RootReached


def refuse_entity_declarations(content: bytes, where: str) -> None:
    """Refuse a document whose DTD declares entities: feeds never need them, and expanding
    them (billion laughs, quadratic blowup) can exhaust memory — feedparser's lenient
    fallback parser expands "safe" ones itself, past expat's amplification limits."""
    parser = create_parser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setContentHandler(_StopAtRoot())
    try:
        parser.parse(io.BytesIO(content))
    except _RootReached:
        return
    except DefusedXmlException as exc:
        raise ParseError(
            f"{where}: the document declares XML entities ({type(exc).__name__}); "
            "refused, as feeds never need them (entity expansion attack?)"
        ) from None
    except xml.sax.SAXException:
        # Malformed before the root: feedparser will still try, so look for declarations
        # byte-wise (NULs dropped, which also covers UTF-16/32).
        if b"<!entity" in content.replace(b"\x00", b"").lower():
            raise ParseError(
                f"{where}: a malformed document that declares XML entities; "
                "refused (entity expansion attack?)"
            ) from None


# ------------------------------------------------------------------ encoding, truncation


def _charset(headers: dict[str, str]) -> str | None:
    content_type = headers.get("content-type", "")
    _, _, charset = content_type.partition("charset=")
    return charset.strip().strip('"').lower() or None


def _trust_declared_encoding(
    content: bytes, headers: dict[str, str], where: str
) -> tuple[bytes, dict[str, str]]:
    """The document as UTF-8, read in its own encoding (feed_encoding.py: BOM, declaration,
    header, UTF-8), for the parser: expat reads no multi-byte legacy encoding, and a
    feed it cannot read strictly would be guessed as windows-1252 (every title mojibake)."""
    decoded = feed_as_utf8(content, _charset(headers), where)
    return decoded.content, {"content-type": "application/xml; charset=utf-8"}


def _ends_early(content: bytes) -> bool:
    """The document stops before a closing tag (or a trailing comment): truncated."""
    tail = content[-64:].replace(b"\x00", b"").rstrip()
    return not tail.endswith(b">")


# ------------------------------------------------------------------ items


def _item(entry: Any, where: str) -> dict[str, Any] | None:
    title = html_to_text(entry.get("title"))
    summary = html_to_text(_summary_html(entry))
    link = (entry.get("link") or "").strip() or None
    if not (title or summary or link or entry.get("id")):
        return None  # the debris of a broken document, not an item
    return {
        "title": title,
        "link": _joined(where, link) if link else None,
        "published": _published(entry),
        "summary": _shorten(summary, SUMMARY_CHARS),
    }


def _joined(base: str, link: str) -> str:
    """`link` resolved against the feed's URL; kept as written when it is no URL (e.g.
    an unclosed IPv6 bracket, which urljoin refuses)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _summary_html(entry: Any) -> str:
    if entry.get("summary"):
        return entry["summary"]
    content = entry.get("content") or []
    return content[0].get("value", "") if content else ""


def _item_id(entry: Any, item: dict[str, Any]) -> str:
    # Verbatim guid or link (never resolved against the feed URL): a feed moved to a
    # mirror keeps its item ids.
    guid = (entry.get("id") or "").strip()
    if guid:
        return guid
    raw_link = (entry.get("link") or "").strip()
    if raw_link:
        return raw_link
    basis = f"{item['title']}\n{item['published'] or ''}".encode("utf-8")
    return "sha1:" + hashlib.sha1(basis).hexdigest()[:20]


def _published(entry: Any) -> str | None:
    return item_date(entry)  # feedparser gives UTC struct_time; implausible dates: None


def _rank(published: Any, latest: str | None) -> str:
    return published if plausible(published, latest) else ""


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + " …"


# ------------------------------------------------------------------ failures


def _parser_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Only the content type (for the charset). No Content-Location: feedparser would
    resolve relative guids against it, and item ids would change with the feed URL."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    return {"content-type": lowered["content-type"]} if "content-type" in lowered else {}


def _check_empty(parsed: Any, content: bytes, headers: dict[str, str], where: str) -> None:
    """No items: fine for a well-formed empty feed, an error otherwise."""
    if not parsed.get("version"):
        if _looks_like_html(content, headers):
            raise SourceGone(
                f"{where}: an HTML page where a feed was expected; the feed may "
                "have moved, be gone, or be behind an anti-bot check"
            )
        raise ParseError(f"{where}: not an RSS or Atom feed")
    import feedparser  # loaded already: only feedparser's results get here

    reason = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(reason, feedparser.ThingsNobodyCaresAboutButMe):
        raise ParseError(
            f"{where}: malformed feed without a readable item "
            f"({type(reason).__name__}: {str(reason)[:80]})"
        )


def _looks_like_html(content: bytes, headers: dict[str, str]) -> bool:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    head = content[:1024].lstrip().lower()
    return (
        "html" in content_type or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
    )
