"""A fast reader for the most common feed shape: plain, well-formed RSS 2.0 in UTF-8.

feedparser spends ~6 ms on a 20-item feed; ElementTree reads the same document in well
under 1 ms. This reader handles only the unambiguous case — every item has exactly one
title, link, guid and an RFC 822 pubDate, no element whose meaning feedparser would
interpret (dc:date, atom:link, …) — and hands back entries shaped like feedparser's, so
rss.py builds items from them with the very same code. Anything else returns None and
feedparser reads the document. A test holds both paths to identical snapshots.
"""
from __future__ import annotations

import email.utils
import time
import xml.etree.ElementTree as ET
from typing import Any

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_IGNORED = {"category", "author", "comments", "enclosure", "source",
            "{http://purl.org/dc/elements/1.1/}creator",
            "{http://purl.org/dc/elements/1.1/}subject",
            "{http://purl.org/rss/1.0/modules/slash/}comments",
            "{http://wellformedweb.org/CommentAPI/}commentRss"}
_SINGLE = {"title", "link", "guid", "pubDate", "description", CONTENT}
_UTF8 = {None, "utf-8", "utf8", "us-ascii"}


def read_plain_rss2(content: bytes, charset: str | None) -> tuple[dict, list[dict]] | None:
    """(feed, entries) in feedparser's shape, or None when feedparser must read it."""
    if (charset or "").lower() not in _UTF8 and charset is not None:
        return None
    try:
        root = ET.fromstring(content)  # entity declarations were refused before this
    except (ET.ParseError, ValueError):
        return None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None or root.get("version") != "2.0" or len(root.findall("channel")) != 1:
        return None
    entries = []
    for element in channel.iterfind("item"):
        entry = _entry(element)
        if entry is None:
            return None
        entries.append(entry)
    if not entries:
        return None  # empty or odd: feedparser tells a well-formed empty feed from junk
    feed = {"title": channel.findtext("title"), "link": (channel.findtext("link") or "").strip()}
    return feed, entries


def _entry(element: ET.Element) -> dict[str, Any] | None:
    fields: dict[str, ET.Element] = {}
    for child in element:
        if child.tag in _IGNORED:
            continue
        if child.tag not in _SINGLE or child.tag in fields or len(child):
            return None  # unknown, repeated or nested: not the plain case
        fields[child.tag] = child
    if not {"title", "link", "guid", "pubDate"} <= set(fields):
        return None
    stamp = email.utils.parsedate_tz((fields["pubDate"].text or "").strip())
    guid, link = (fields["guid"].text or "").strip(), (fields["link"].text or "").strip()
    if stamp is None or not guid or not link:
        return None
    entry: dict[str, Any] = {"title": fields["title"].text or "", "link": link, "id": guid,
                             "published": fields["pubDate"].text,
                             "published_parsed": time.gmtime(email.utils.mktime_tz(stamp))}
    if "description" in fields:
        entry["summary"] = fields["description"].text or ""
    if CONTENT in fields:
        entry["content"] = [{"value": fields[CONTENT].text or ""}]
    return entry
