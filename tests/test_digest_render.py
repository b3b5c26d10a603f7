"""Digest content and rendering from plain data: what is new, reminded, resolved; safe HTML."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.conftest import utc
from tracker.digest.build import (
    build_digest,
    next_memory,
    plain_text,
    render_html,
    render_text,
    safe_href,
    show,
)
from tracker.models import Finding, FindingDetails, SecondaryCheck

NOW = utc("2026-03-01T06:00")
REPORT = {"id": "kz-security-2025", "title": "Kazachstan – sytuacja bezpieczeństwa",
          "language": "pl", "published": "2025-10-15"}
SOURCES = {
    "factbook-kz": {"title": "CIA World Factbook – Kazakhstan", "health": "ok",
                    "link": "https://github.com/factbook/cache.factbook.json", "since": None,
                    "error": None},
    "wikidata-kz": {"title": "Wikidata: Kazakhstan", "health": "failing", "since": "2026-02-27",
                    "link": "https://www.wikidata.org/wiki/Q232", "error": "HTTP 503 from API"},
}


def population(status: str = "stale", current=20432662, **details) -> Finding:
    return Finding("kz-security-2025", "population", status, 20260006, current,
                   since="2026-01-22", source="factbook-kz",
                   path=["People and Society", "Population", "total"],
                   claim="Ludność: ok. 20,26 mln (szacunek 2024)", section="Ludność",
                   footnote=1, details=FindingDetails(value_since="2026-01-22", **details))


def premier(status: str = "current", **details) -> Finding:
    return Finding("kz-security-2025", "head-of-government", status, "Olzhas Bektenov",
                   "Olzhas Bektenov", since="2024-02-08", source="factbook-kz",
                   path=["Government", "Executive branch", "head of government"],
                   claim="Premierem jest Ołżas Bektenow (Олжас Бектенов)", section="Rząd",
                   footnote=10, details=FindingDetails(value_since="2024-02-08", **details))


def build(findings, memory=None, news=(), maintainers=False):
    return build_digest(REPORT, findings, memory=memory or {}, news=list(news),
                        sources=SOURCES, now=NOW, source_errors_to_maintainers=maintainers)


def test_a_stale_fact_needs_review_with_everything_an_analyst_needs():
    digest = build([population(), premier()])
    assert [i["fact"] for i in digest["review"]] == ["population"]
    item = digest["review"][0]
    assert item["expected"] == "20,260,006" and item["current"] == "20,432,662"
    assert item["changed_on"] == "2026-01-22" and item["days"] == 38
    assert item["section"] == "Ludność" and item["footnote"] == 1
    assert item["path"] == "People and Society › Population › total"
    assert item["link"] == SOURCES["factbook-kz"]["link"]
    assert digest["subject"] == "[kz-security-2025] 1 fact needs review"
    text = render_text(digest)
    for needle in ("NEEDS REVIEW (1)", "20,260,006", "20,432,662", "2026-01-22 (38 days ago)",
                   "footnote 1", "Ludność", "People and Society › Population › total"):
        assert needle in text


def test_second_digest_turns_the_same_problem_into_a_reminder():
    first = build([population()])
    memory = next_memory([population()], {}, NOW.date())
    later = build_digest(REPORT, [population()], memory=memory, news=[], sources=SOURCES,
                         now=utc("2026-03-05T06:00"))
    assert first["has_new"] and not later["has_new"]
    assert later["review"] == [] and [i["fact"] for i in later["reminders"]] == ["population"]
    assert later["reminders"][0]["first_reported"] == "2026-03-01"
    assert later["reminders"][0]["days"] == 42  # stale since the value changed on 2026-01-22
    assert later["subject"] == "[kz-security-2025] 1 still open"
    assert "STILL OPEN (1)" in render_text(later)


def test_a_new_value_of_a_stale_fact_is_news_again():
    memory = next_memory([population()], {}, NOW.date())
    digest = build([population(current=20500000)], memory)
    assert [i["fact"] for i in digest["review"]] == ["population"] and not digest["reminders"]


def test_resolved_since_the_last_digest():
    memory = next_memory([population()], {}, NOW.date())
    digest = build([population(status="acknowledged")], memory)
    assert [i["fact"] for i in digest["resolved"]] == ["population"]
    assert digest["resolved"][0]["was"] == "stale" and digest["has_new"]
    assert "RESOLVED SINCE THE LAST DIGEST (1)" in render_text(digest)


def test_a_failing_source_is_neither_a_change_nor_a_resolution():
    memory = next_memory([population()], {}, NOW.date())
    failing = population(status="source-failing", current=20260006)
    digest = build([failing], memory)
    assert not digest["review"] and not digest["resolved"] and not digest["has_new"]
    assert [i["fact"] for i in digest["unchecked"]] == ["population"]
    assert next_memory([failing], memory, NOW.date()) == memory  # still remembered as stale


def test_sources_disagreeing_needs_review():
    also = [SecondaryCheck(source="wikidata-kz", value="Roman Sklyar", agrees=False,
                           since="2026-02-20")]
    digest = build([premier(also=also, disagreement=True)])
    item = digest["review"][0]
    assert item["status"] == "disagreement" and item["also"][0]["value"] == "Roman Sklyar"
    assert "Wikidata: Kazakhstan: Roman Sklyar (disagrees, since 2026-02-20)" in \
        render_text(digest)


def test_source_errors_go_to_maintainers_when_configured():
    findings = [premier(also=[SecondaryCheck(source="wikidata-kz")])]
    analysts = render_text(build(findings, maintainers=True))
    assert "could not be read since 2026-02-27" in analysts
    assert "HTTP 503" not in analysts and "went to the maintainers" in analysts
    assert "HTTP 503 from API" in render_text(build(findings, maintainers=False))


def test_news_grouped_by_fact_then_section_then_other():
    news = [
        {"id": "a", "fact": None, "section": "Rząd", "keyword": "rząd", "feed": "f",
         "item": {"title": "Rząd przyjął budżet", "link": "https://e.kz/1"}},
        {"id": "b", "fact": "head-of-government", "keyword": "Бектенов", "feed": "f",
         "item": {"title": "Бектенов провёл совещание", "link": "https://e.kz/2",
                  "published": "2026-02-28T09:00:00Z", "summary": "<p>Премьер-министр…</p>"}},
        {"id": "c", "fact": None, "section": None, "keyword": "x", "feed": "f",
         "item": {"title": "Other", "link": "https://e.kz/3"}},
    ]
    digest = build([premier()], news=news)
    assert [g["heading"] for g in digest["news"]] == \
        ["Fact: head-of-government", "Section: Rząd", "Other news"]
    assert digest["news"][0]["claim"] == "Premierem jest Ołżas Bektenow (Олжас Бектенов)"
    assert digest["news"][0]["entries"][0]["summary"] == "Премьер-министр…"
    assert digest["subject"] == "[kz-security-2025] 3 news items"


HOSTILE = [
    {"title": '<script>alert("t")</script>Bektenov <b onmouseover="alert(1)">wins',
     "link": "javascript:alert(document.cookie)",
     "summary": '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">click</a>'
                '<iframe src="https://evil.example/"></iframe><div style="x" unclosed'},
    {"title": '"><svg onload=alert(4)>', "link": " JaVaScRiPt:alert(5)",
     "summary": "<style>body{display:none}</style><scr<script>ipt>alert(6)</script>"},
    {"title": "tab trick", "link": "java\tscript:alert(7)", "summary": "<p>ok <b>bold"},
    {"title": "data link", "link": "data:text/html;base64,PHNjcmlwdD4=",
     "summary": "</td></tr></table><form action=x><input name=p></form>"},
    {"title": "a fine item", "link": "https://timesca.com/kz?a=1&b=2", "summary": "fine"},
]


class _Audit(HTMLParser):
    """Collects every tag, attribute and href of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    handle_startendtag = handle_starttag


def test_hostile_feed_items_cannot_inject_markup_or_script():
    news = [{"id": str(i), "fact": "head-of-government", "keyword": "Bektenov",
             "feed": '<b onclick="x()">feed</b>', "item": item} for i, item in enumerate(HOSTILE)]
    html = render_html(build([premier()], news=news))
    audit = _Audit()
    audit.feed(html)
    assert not {"script", "img", "iframe", "svg", "form", "input", "style", "object"} & \
        set(audit.tags)
    assert not [name for name, _ in audit.attrs if name.startswith("on")]
    hrefs = [value for name, value in audit.attrs if name in ("href", "src", "action")]
    assert hrefs == ["https://timesca.com/kz?a=1&b=2"]  # only the one safe link survives
    assert "evil.example" not in html and "javascript" not in html.lower()
    # the words survive as text: an analyst still sees what the feed said
    assert "Bektenov wins" in html and "click" in html
    assert "&lt;b onclick=&#34;x()&#34;&gt;feed&lt;/b&gt;" in html  # escaped, not markup


@pytest.mark.parametrize("url,expected", [
    ("https://timesca.com/a?b=1", "https://timesca.com/a?b=1"),
    ("http://x.kz/", "http://x.kz/"),
    ("javascript:alert(1)", None), (" javascript:alert(1)", None), ("java\nscript:x", None),
    ("data:text/html,x", None), ("vbscript:x", None), ("/relative", None), ("//evil", None),
    ("mailto:a@b", None), (None, None), ("https://", None),
])
def test_safe_href(url, expected):
    assert safe_href(url) == expected


def test_plain_text_and_values():
    assert plain_text("<p>a &amp; b<script>x()</script></p>") == "a & b"
    assert plain_text("x" * 400).endswith("…") and len(plain_text("x" * 400)) == 280
    assert show(20432662.0) == "20,432,662" and show(None) == "—"
    assert show({"Kazakh": 71.0, "Russian": 14.9}) == "Kazakh 71%, Russian 14.9%"
    assert show(2029, "year") == "2029" and show(2029) == "2,029"


def test_news_count_counts_items_not_matches():
    item = {"id": "guid-1", "title": "Bektenov and the Senate", "link": "https://e.kz/1"}
    news = [{"id": f"m{n}", "fact": fact, "keyword": "k", "feed": "f", "item": item}
            for n, fact in enumerate(["head-of-government", "population"])]
    assert build([premier(), population()], news=news)["news_count"] == 1


def test_a_year_reads_as_a_year():
    finding = Finding("kz-security-2025", "senate-next-election", "expired", "2026", 2026,
                      since="2026-01-31", source="factbook-kz",
                      details=FindingDetails(extract="year"))
    assert "2,026" not in render_text(build([finding]))


def test_nothing_to_report_says_so():
    digest = build([premier()])
    assert not digest["has_new"] and digest["subject"] == "[kz-security-2025] no changes"
    assert "Nothing needs attention" in render_text(digest)
    assert "Nothing needs attention" in render_html(digest)
