"""The fast RSS 2.0 reader gives exactly what feedparser gives, or steps aside."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tracker.sources.rss as rss
from tracker.demo.fixtures import rss_feed
from tracker.errors import SourceError
from tracker.sources.rss_fast import read_plain_rss2

DATA = Path(__file__).parent / "data" / "rss"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from poll import feed as benchmark_feed  # noqa: E402

HOSTILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>T &amp; <![CDATA[<b>bold</b>]]></title><link> https://e.org/ </link>
<item><title><![CDATA[<script>alert(1)</script>Hello &amp; <i>world</i>]]></title>
<link>https://e.org/1</link><guid isPermaLink="false">g1</guid>
<pubDate>Tue, 14 Oct 2025 08:30:00 +0200</pubDate>
<description>&lt;p onclick="x()"&gt;Text&lt;/p&gt;&lt;style&gt;p{}&lt;/style&gt;</description>
<content:encoded><![CDATA[<p>full</p>]]></content:encoded></item>
<item><title>Second</title><link>/relative/2</link><guid>g2</guid>
<pubDate>Wed, 15 Oct 2025 23:59:59 GMT</pubDate><category>x</category></item>
</channel></rss>"""


def documents() -> dict[str, bytes]:
    docs = {p.name: p.read_bytes() for p in sorted(DATA.iterdir())}
    docs.update({f"benchmark-{i}": benchmark_feed(i).encode() for i in (0, 7, 42)})
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    docs.update({f"demo-{n}": rss_feed(n, f"https://demo/{n}", now)
                 for n in ("timesca", "kursiv")})
    docs["hostile-plain"] = HOSTILE
    return docs


@pytest.mark.parametrize("name", list(documents()))
def test_fast_path_equals_feedparser(name, monkeypatch):
    content = documents()[name]
    try:
        fast = rss.normalize_feed(content, {}, "https://e.org/feed.xml")
    except SourceError as exc:
        fast = type(exc)
    monkeypatch.setattr(rss, "read_plain_rss2", lambda *a: None)
    try:
        slow = rss.normalize_feed(content, {}, "https://e.org/feed.xml")
    except SourceError as exc:
        slow = type(exc)
    assert fast == slow


def test_fast_path_is_taken_for_plain_feeds_only():
    docs = documents()
    taken = {name for name, content in docs.items() if read_plain_rss2(content, None)}
    assert {"benchmark-0", "demo-timesca", "hostile-plain"} <= taken
    assert "atom.xml" not in taken and "rdf-rss1.xml" not in taken
    assert "malformed.xml" not in taken and "garbage.xml" not in taken
    assert read_plain_rss2(docs["benchmark-0"], "windows-1251") is None
