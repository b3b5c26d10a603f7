"""Hostile content in every field that reaches the HTML digest stays inert.

Each vector of tests/security/data/xss-vectors.txt (100+, after the OWASP XSS filter
evasion patterns) goes in through the real parsers where there is one — an RSS item's
title, summary and link (normalize_feed), a Factbook field (normalize_factbook), a
Wikidata label (normalize_wikidata) — and raw into everything else a digest shows: report
title, claim, section, note, path, source title, link and error, news feed name and
keyword, a dead link, what the previous digest remembered. The rendered HTML is parsed (html5lib, as a browser does) and must
hold only the elements and attributes a benign digest has, with http(s) links only."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import html5lib
import pytest

from tracker.digest.build import build_digest
from tracker.digest.grouping import memory_key
from tracker.digest.memory import Remembered, ReportTold
from tracker.digest.model import Digest, ReportInfo, SourceInfo
from tracker.digest.render import render_html
from tracker.models import Finding, FindingDetails, SecondaryCheck, ShareDifference
from tracker.sources.factbook import normalize_factbook
from tracker.sources.rss import normalize_feed
from tracker.sources.wikidata import normalize_wikidata

NOW = datetime(2026, 3, 1, 6, tzinfo=timezone.utc)
CORPUS = Path(__file__).parent / "data" / "xss-vectors.txt"
URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "xlink:href",
    "data",
    "poster",
    "srcdoc",
}
ACTIVE = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "base",
    "link",
    "style",
    "img",
    "video",
    "audio",
    "source",
    "details",
    "marquee",
    "isindex",
    "template",
    "noscript",
    "xmp",
    "applet",
}


def vectors() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    out = [
        line.replace("\\n", "\n").replace("\\t", "\t").replace("\\0", "\0")
        for line in lines
        if line.strip() and not line.startswith("# ")
    ]
    assert len(out) >= 60
    return out


def via_feed(vector: str) -> dict:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(vector)}</title><link>https://news.example.org</link>"
        f"<item><guid>g1</guid><title>{escape(vector)} Bektenov</title>"
        f"<link>{escape(vector)}</link>"
        f"<description>{escape(vector)} and raw: {escape(vector)}</description></item>"
        f"<item><guid>g2</guid><title>second</title><link>https://news.example.org/2</link>"
        f"<description><![CDATA[{vector.replace(']]>', '')}]]></description></item>"
        "</channel></rss>"
    ).encode("utf-8", "surrogatepass")
    return normalize_feed(body, {"content-type": "application/rss+xml"}, where="hostile")


def via_factbook(vector: str) -> str:
    document = {
        "categories": [
            {
                "title": "Government",
                "fields": [
                    {
                        "name": "Executive branch",
                        "subfields": [{"name": "head of government", "content": vector}],
                    }
                ],
            }
        ]
    }
    snapshot = normalize_factbook(json.dumps(document).encode(), where="hostile")
    return snapshot["Government"]["Executive branch"]["head of government"]


def via_wikidata(vector: str) -> str:
    claim = {
        "id": "Q1$1",
        "rank": "normal",
        "type": "statement",
        "qualifiers": {},
        "mainsnak": {
            "snaktype": "value",
            "property": "P6",
            "datatype": "wikibase-item",
            "datavalue": {
                "type": "wikibase-entityid",
                "value": {"entity-type": "item", "id": "Q10"},
            },
        },
    }
    document = {
        "entities": {
            "Q1": {"id": "Q1", "claims": {"P6": [claim]}},
            "Q10": {"labels": {"en": {"language": "en", "value": vector}}},
        }
    }
    snapshot = normalize_wikidata(json.dumps(document).encode(), "Q1", ["P6"], ["en"], NOW)
    return snapshot["P6"]["value"]


def hostile_digest(vector: str) -> Digest:
    feed = via_feed(vector)
    sources = {
        name: SourceInfo(
            id=name, title=vector, link=vector, health=health, since=vector, error=vector
        )
        for name, health in (("fb", "failing"), ("wd", "gone"), ("rss", "quiet"))
    }
    findings = [
        Finding(
            "r",
            "head-of-government",
            "stale",
            via_wikidata(vector),
            via_factbook(vector),
            since="2026-02-01",
            source="fb",
            path=[vector, "x"],
            note=vector,
            claim=vector,
            section=vector,
            footnote=1,
            details=FindingDetails(
                also=[SecondaryCheck("wd", value=vector, agrees=False, since=vector)],
                shares=[ShareDifference(name=vector, expected=1, current=vector)],
            ),
        ),
        Finding(
            "r",
            "capital",
            "unverifiable",
            vector,
            None,
            source="wd",
            note=vector,
            claim=vector,
            path=[[vector]],
        ),
        Finding(
            "r",
            "premier",
            "current",
            vector,
            vector,
            source="fb",
            claim=vector,
            details=FindingDetails(
                also=[SecondaryCheck("wd", value=vector, agrees=False)], disagreement=True
            ),
        ),
        Finding(
            "r", "senate", "expired", vector, None, since="2026-01-31", claim=vector, section=vector
        ),
        Finding("r", "population", "source-failing", 1, vector, source="fb", note=vector),
        Finding("r", "fixed", "current", vector, vector, source="fb", claim=vector),
    ]
    news = [
        {
            "id": key,
            "fact": "head-of-government" if n == 0 else None,
            "section": vector if n == 1 else None,
            "feed": vector,
            "keyword": vector,
            "item": item,
        }
        for n, (key, item) in enumerate(feed["items"].items())
    ]
    news.append(
        {
            "id": "unattached",
            "fact": "nowhere",
            "feed": vector,
            "keyword": vector,
            "item": dict(feed["items"][next(iter(feed["items"]))], id="other"),
        }
    )
    dead = [
        {
            "url": vector,
            "footnotes": [1],
            "status": None,
            "state": vector,
            "final_url": vector,
            "died": vector,
            "facts": [vector],
        }
    ]
    # one problem reported before (a still-open line) and one resolved since
    remembered = ReportTold(
        facts={
            "capital": Remembered(memory_key(findings[1]), vector, vector),
            "fixed": Remembered("old", vector, vector),
        }
    )
    return build_digest(
        ReportInfo(id="r", title=vector, published=vector),
        findings,
        memory=remembered,
        news=news,
        sources=sources,
        now=NOW,
        feeds=["rss"],
        dead_links=dead,
    )


def audit(markup: str) -> tuple[set[str], set[str], list[tuple[str, str]]]:
    """Elements, attribute names and (attribute, value) of URL attributes, as parsed."""
    tree = html5lib.parse(markup, namespaceHTMLElements=False)
    tags, attrs, urls = set(), set(), []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tags.add(element.tag.split("}")[-1].lower())
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            attrs.add(name)
            if name in URL_ATTRS:
                urls.append((name, value))
    return tags, attrs, urls


@pytest.fixture(scope="module")
def benign() -> tuple[set[str], set[str]]:
    tags, attrs, _ = audit(render_html(hostile_digest("Olzhas Bektenov https://ok.example/")))
    return tags, attrs


@pytest.mark.parametrize("vector", vectors())
def test_no_active_content_in_the_html_digest(vector, benign):
    markup = render_html(hostile_digest(vector))
    tags, attrs, urls = audit(markup)
    allowed_tags, allowed_attrs = benign
    assert not tags & ACTIVE, f"active element(s) {tags & ACTIVE}"
    assert markup.count("<meta") == 3 and "http-equiv" not in attrs  # the template's own
    assert tags <= allowed_tags, f"unexpected element(s) {tags - allowed_tags}"
    assert attrs <= allowed_attrs, f"unexpected attribute(s) {attrs - allowed_attrs}"
    assert not [a for a in attrs if a.startswith("on")]
    for name, value in urls:
        scheme = value.strip().split(":", 1)[0].lower()
        assert name == "href" and scheme in ("http", "https"), (name, value)
    for style in _styles(markup):
        assert not any(
            bad in style.lower() for bad in ("expression(", "url(", "javascript", "binding")
        ), style


def _styles(markup: str) -> list[str]:
    tree = html5lib.parse(markup, namespaceHTMLElements=False)
    return [
        el.attrib["style"] for el in tree.iter() if isinstance(el.tag, str) and "style" in el.attrib
    ]


def test_the_words_survive_as_text():
    """Inert is not blank: an analyst still reads what the source said."""
    markup = render_html(hostile_digest("<b>Bektenov</b> <script>alert(1)</script>"))
    text = "".join(html5lib.parse(markup, namespaceHTMLElements=False).itertext())
    assert "Bektenov" in text and "<script>alert(1)</script>" in text
