"""Digest content and rendering from findings: what is new, reminded, resolved; safe HTML."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from tests.conftest import utc
from tracker.digest.build import build_digest
from tracker.digest.memory import ReportTold, next_facts
from tracker.digest.model import ReportInfo, SourceInfo
from tracker.digest.render import render_html, render_text
from tracker.digest.values import plain_text, safe_href, show
from tracker.models import Finding, FindingDetails, SecondaryCheck

NOW = utc("2026-03-01T06:00")
REPORT = ReportInfo(
    id="kz-security-2025",
    title="Kazachstan – sytuacja bezpieczeństwa",
    language="pl",
    published="2025-10-15",
)
SOURCES = {
    "factbook-kz": SourceInfo(
        id="factbook-kz",
        title="CIA World Factbook – Kazakhstan",
        kind="factbook",
        health="ok",
        link="https://github.com/factbook/cache.factbook.json",
    ),
    "wikidata-kz": SourceInfo(
        id="wikidata-kz",
        title="Wikidata: Kazakhstan",
        kind="wikidata",
        health="failing",
        since="2026-02-27",
        link="https://www.wikidata.org/wiki/Q232",
        error="HTTP 503 from API",
    ),
}


def population(status: str = "stale", current=20432662, **details) -> Finding:
    return Finding(
        "kz-security-2025",
        "population",
        status,
        20260006,
        current,
        since="2026-01-22",
        source="factbook-kz",
        path=["People and Society", "Population", "total"],
        claim="Ludność: ok. 20,26 mln (szacunek 2024)",
        section="Ludność",
        footnote=1,
        details=FindingDetails(value_since="2026-01-22", **details),
    )


def premier(status: str = "current", **details) -> Finding:
    return Finding(
        "kz-security-2025",
        "head-of-government",
        status,
        "Olzhas Bektenov",
        "Olzhas Bektenov",
        since="2024-02-08",
        source="factbook-kz",
        path=["Government", "Executive branch", "head of government"],
        claim="Premierem jest Ołżas Bektenow (Олжас Бектенов)",
        section="Rząd",
        footnote=10,
        details=FindingDetails(value_since="2024-02-08", **details),
    )


def build(findings, memory=None, news=(), maintainers=False, sources=SOURCES, feeds=(), now=NOW):
    return build_digest(
        REPORT,
        findings,
        memory=memory or ReportTold(),
        news=list(news),
        sources=sources,
        now=now,
        source_errors_to_maintainers=maintainers,
        feeds=feeds,
    )


def remember(findings) -> ReportTold:
    return ReportTold(facts=next_facts(findings, {}, NOW.date()))


def test_a_stale_fact_needs_review_with_everything_an_analyst_needs():
    digest = build([population(), premier()])
    [card] = digest.review
    [entry] = card.facts
    assert card.status == "stale" and card.date == "2026-01-22" and card.days == 38
    assert card.source == SOURCES["factbook-kz"]
    assert entry.fact == "population" and entry.expected == "20,260,006"
    assert entry.current == "20,432,662" and entry.footnote == 1
    assert entry.path == "People and Society › Population › total"
    assert digest.subject == "[kz-security-2025] 1 fact needs review"
    text = render_text(digest)
    for needle in (
        "NEEDS REVIEW (1)",
        "20,260,006",
        "20,432,662",
        "2026-01-22 (38 days ago)",
        "In the source:",
        "footnote 1",
        "Ludność",
        "People and Society › Population › total",
        "CIA World Factbook – Kazakhstan changed on 2026-01-22",
    ):
        assert needle in text


def test_second_digest_turns_the_same_problem_into_a_one_line_reminder():
    first = build([population()])
    later = build([population()], remember([population()]), now=utc("2026-03-05T06:00"))
    assert first.has_new and not later.has_new
    assert later.review == []
    [line] = later.still_open
    assert (line.fact, line.status, line.since, line.first_reported) == (
        "population",
        "stale",
        "2026-01-22",
        "2026-03-01",
    )
    assert later.subject == "[kz-security-2025] 1 still open"
    text = render_text(later)
    assert "STILL OPEN (1)\n--------------\n- population: stale since 2026-01-22\n" in text
    assert "20,432,662" not in text  # a reminder is one line, not the card again


def test_a_new_value_of_a_stale_fact_is_news_again():
    digest = build([population(current=20500000)], remember([population()]))
    assert [f.fact for c in digest.review for f in c.facts] == ["population"]
    assert not digest.still_open


def test_resolved_since_the_last_digest():
    digest = build([population(status="acknowledged")], remember([population()]))
    [line] = digest.resolved
    assert (line.fact, line.was) == ("population", "stale") and digest.has_new
    text = render_text(digest)
    assert "RESOLVED SINCE THE LAST DIGEST (1)" in text
    assert "population: acknowledged in review (was stale; now 20,432,662)" in text


def test_a_failing_source_is_neither_a_change_nor_a_resolution():
    memory = remember([population()])
    failing = population(status="source-failing", current=20260006)
    digest = build([failing], memory)
    assert not digest.review and not digest.resolved and not digest.has_new
    assert digest.counts.still_open == 1 and not digest.still_open[0].checked
    assert next_facts([failing], memory.facts, NOW.date()) == memory.facts  # still stale


def test_sources_disagreeing_need_review():
    also = [SecondaryCheck("wikidata-kz", value="Roman Sklyar", agrees=False, since="2026-02-20")]
    digest = build([premier(also=also, disagreement=True)])
    [card] = digest.review
    assert card.status == "disagreement" and card.facts[0].also[0].value == "Roman Sklyar"
    assert (
        card.headline == "CIA World Factbook – Kazakhstan and Wikidata: Kazakhstan "
        "disagree on 1 fact"
    )
    assert "Also Wikidata: Kazakhstan: Roman Sklyar (disagrees, since 2026-02-20)" in render_text(
        digest
    )


def test_source_errors_go_to_maintainers_when_configured():
    findings = [premier(also=[SecondaryCheck("wikidata-kz", value=None)])]
    analysts = render_text(build(findings, maintainers=True))
    assert "1 source could not be read: Wikidata: Kazakhstan (since 2026-02-27)" in analysts
    assert "HTTP 503" not in analysts and "went to the maintainers" in analysts
    assert "HTTP 503 from API" in render_text(build(findings, maintainers=False))


# ---------------------------------------------------------------- grouped by cause


def expired(fact: str, until: str, section: str = "Parlament", source=None) -> Finding:
    return Finding(
        "kz-security-2025",
        fact,
        "expired",
        98,
        98 if source else None,
        since=until,
        source=source,
        claim=f"Claim of {fact}.",
        section=section,
        footnote=11,
        note=f"time-bound claim, valid until {until}",
    )


def acled(fact: str, current: int, since: str = "2026-02-20") -> Finding:
    return Finding(
        "kz-security-2025",
        fact,
        "stale",
        current - 1,
        current,
        since=since,
        source="acled-kz",
        path=["fatalities"],
        section="Statystyki",
        details=FindingDetails(value_since=since),
    )


def test_facts_that_expired_together_form_one_card():
    findings = [expired(f"seats-{n}", "2026-02-28", source="factbook-kz") for n in range(19)]
    findings += [expired("mci-2025", "2025-12-31", section="Swoboda")]
    digest = build(findings)
    assert [(c.headline, len(c.facts)) for c in digest.review] == [
        ("19 time-bound claims expired on 2026-02-28 (yesterday)", 19),
        ("A time-bound claim expired on 2025-12-31 (60 days ago)", 1),
    ]
    first, second = digest.review
    assert first.section == "Parlament" and first.source == SOURCES["factbook-kz"]
    assert second.source is None  # no source: the claim only expires
    text = render_text(digest)
    assert text.count("expired on 2026-02-28") == 1 and text.count("Report: 98") == 20
    assert all(f"- seats-{n} (footnote 11)" in text for n in range(19))
    assert digest.subject == "[kz-security-2025] 20 facts need review"


def test_facts_stale_from_one_source_version_form_one_card():
    sources = dict(SOURCES, **{"acled-kz": SourceInfo(id="acled-kz", title="ACLED")})
    digest = build(
        [
            acled("deaths-2024", 6),
            acled("civilian-deaths", 11),
            acled("protests", 320, since="2026-01-05"),
        ],
        sources=sources,
    )
    assert [(c.headline, [f.fact for f in c.facts]) for c in digest.review] == [
        (
            "ACLED changed on 2026-02-20 (9 days ago): 2 facts no longer match the report",
            ["deaths-2024", "civilian-deaths"],
        ),
        (
            "ACLED changed on 2026-01-05 (55 days ago): 1 fact no longer matches the report",
            ["protests"],
        ),
    ]


NEWS_ITEM = {
    "id": "guid-5",
    "title": "New constitution: the Kurultai replaces Parliament",
    "link": "https://astanatimes.com/5",
    "published": "2026-02-28T10:00:00Z",
    "summary": "<p>Parliament's two chambers cease to exist.</p>",
}


def news_match(fact: str | None, section: str | None = None, n: int = 0) -> dict:
    return {
        "id": f"m{n}",
        "report": "kz-security-2025",
        "fact": fact,
        "section": section,
        "keyword": "Parliament",
        "feed": "astanatimes",
        "item": NEWS_ITEM,
    }


def test_the_news_that_explains_a_card_is_attached_to_it_once():
    findings = [expired(f"seats-{n}", "2026-02-28") for n in range(3)]
    senate = expired("senate-next-election", "2026-01-31")  # reported before: still open
    memory = remember([senate])
    news = [
        news_match("seats-1", n=1),
        news_match("senate-next-election", n=2),
        news_match("government-type", n=3),
        news_match(None, "Parlament", n=4),
    ]
    digest = build(findings + [senate], memory, news=news)
    [card] = digest.review
    assert [n.title for n in card.news] == [NEWS_ITEM["title"]] and digest.news == []
    assert card.news[0].facts == ("seats-1", "senate-next-election", "government-type")
    assert sorted(digest.reported_news) == ["m1", "m2", "m3", "m4"]
    assert digest.news_count == 1 and "1 news item" in digest.subject
    for rendered in (render_text(digest), render_html(digest)):
        assert rendered.count("New constitution: the Kurultai replaces Parliament") == 1
        assert rendered.count("cease to exist") == 1
    text = render_text(digest)
    assert text.index("News that may explain this") < text.index("- seats-0")


def test_news_no_card_explains_is_listed_once_with_what_it_is_about():
    news = [
        news_match("head-of-government", n=1),
        news_match(None, "Rząd", n=2),
        {
            "id": "x",
            "fact": None,
            "section": None,
            "feed": "f",
            "keyword": "k",
            "item": {"title": "Other", "link": "https://e.kz/3"},
        },
    ]
    digest = build([premier()], news=news)
    assert [(n.title, n.facts, n.sections) for n in digest.news] == [
        (NEWS_ITEM["title"], ("head-of-government",), ("Rząd",)),
        ("Other", (), ()),
    ]
    assert digest.news[0].summary == "Parliament's two chambers cease to exist."
    text = render_text(digest)
    assert "NEWS (2)" in text and "About: head-of-government, Rząd" in text
    assert digest.subject == "[kz-security-2025] 2 news items"


# ---------------------------------------------------------------- outages, unchecked


def failing_sources(n_feeds: int) -> dict[str, SourceInfo]:
    ids = ["factbook-kz", "wikidata-kz"] + [f"feed-{n}" for n in range(n_feeds)]
    return {
        i: SourceInfo(
            id=i,
            title=f"Title {i}",
            kind="rss" if i.startswith("feed") else "x",
            health="failing",
            since="2026-03-01",
            error=f"{i}: connection failed",
        )
        for i in ids
    }


def test_an_outage_is_one_line_counting_every_kind_of_source():
    sources = failing_sources(8)
    findings = [
        population(status="source-failing"),
        premier(status="source-failing"),
        premier(status="source-failing", also=[SecondaryCheck("wikidata-kz")]),
    ]
    findings[2].fact = "head-of-state"
    digest = build(
        findings, maintainers=True, sources=sources, feeds=[f"feed-{n}" for n in range(8)]
    )
    assert digest.outage and [line.health for line in digest.sources] == ["failing"]
    assert digest.sources[0].text == "10 sources could not be read"
    assert digest.subject == "[kz-security-2025] no changes"  # the maintainers are told
    for rendered in (render_text(digest), html.unescape(render_html(digest))):
        assert "10 sources could not be read: none of this report's sources answered" in rendered
        assert "3 facts keep their last known state" in rendered
        assert "head-of-state" not in rendered and "connection failed" not in rendered
    unannounced = build(findings, sources=sources, feeds=[f"feed-{n}" for n in range(8)])
    assert unannounced.subject == "[kz-security-2025] 10 sources failing"
    text = render_text(unannounced)  # no maintainers: one error as an example, no more
    assert text.count("connection failed") == 1 and "`tracker sources`" in text
    assert "For example, Title factbook-kz: factbook-kz: connection failed" in text


def test_a_problem_reported_before_stays_open_while_its_source_cannot_be_read():
    memory = remember([population()])
    digest = build([population(status="source-failing"), premier()], memory)
    assert [(o.fact, o.status, o.checked) for o in digest.still_open] == [
        ("population", "stale", False)
    ]
    assert (digest.counts.still_open, digest.counts.not_checked) == (1, 0)
    assert "- population: stale, reported since 2026-03-01 (not checked this time)" in render_text(
        digest
    )


def test_a_partial_failure_names_the_sources_and_counts_the_facts():
    sources = dict(SOURCES, **failing_sources(1))
    sources["factbook-kz"] = SOURCES["factbook-kz"]
    digest = build(
        [population(status="source-failing")], sources=sources, feeds=["feed-0"], maintainers=True
    )
    assert not digest.outage
    text = render_text(digest)
    assert "* 1 source could not be read: Title feed-0 (since 2026-03-01)" in text


def unsourced(fact: str, status: str = "current") -> Finding:
    return Finding(
        "kz-security-2025",
        fact,
        status,
        "x",
        None,
        claim="A claim.",
        note="no machine-readable source: tracked by expiry and news",
    )


def test_facts_no_source_checks_never_agree_with_a_source():
    findings = [
        premier(),
        unsourced("death-penalty"),
        unsourced("taliban", "unchecked"),
        expired("mci-2025", "2026-01-31"),
    ]
    digest = build(findings)
    counts = digest.counts
    assert (counts.agree, counts.unchecked, counts.review) == (1, 2, 1)
    line = (
        "4 facts tracked: 1 needs review, 1 agrees with its source, 2 only tracked by "
        "expiry or news (no source checks them)"
    )
    assert line in " ".join(render_text(digest).split())
    assert "agree with their sources" not in render_text(build([unsourced("a")]))


# ---------------------------------------------------------------- text safety and width


HOSTILE_TEXT = "Bektenov\x1b]0;owned\x07\x1b[2J\x9b31m\u202egnp.exe\r\nBell\x00"


def test_text_from_sources_reaches_the_text_digest_without_control_characters():
    finding = population(current=HOSTILE_TEXT)
    finding.claim, finding.note = HOSTILE_TEXT, HOSTILE_TEXT
    sources = dict(SOURCES)
    sources["wikidata-kz"] = SourceInfo(
        id="wikidata-kz", title=HOSTILE_TEXT, health="failing", error=HOSTILE_TEXT
    )
    finding.details.also = [SecondaryCheck("wikidata-kz", value=HOSTILE_TEXT, agrees=False)]
    news = [
        {
            "id": "1",
            "fact": "population",
            "feed": HOSTILE_TEXT,
            "keyword": HOSTILE_TEXT,
            "item": {"title": HOSTILE_TEXT, "summary": HOSTILE_TEXT, "link": "https://e.kz/\x1b[1"},
        }
    ]
    for rendered in (
        render_text(build([finding], news=news, sources=sources)),
        render_html(build([finding], news=news, sources=sources)),
    ):
        bad = [
            c
            for c in rendered
            if (ord(c) < 32 and c != "\n")
            or 0x7F <= ord(c) < 0xA0
            or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        ]
        assert not bad, bad
        assert "Bektenov" in rendered and "gnp.exe" in rendered


def test_every_text_line_fits_80_columns():
    long_claim = "Długie zdanie raportu " * 20
    wide = "日本語のニュース見出し" * 5  # two columns per character
    finding = population()
    finding.claim = long_claim
    finding.fact = "a-very-long-fact-identifier-" * 3
    news = [
        {
            "id": "1",
            "fact": None,
            "section": None,
            "feed": "f",
            "keyword": "k",
            "item": {"title": wide, "summary": "x" * 400, "link": "https://e.kz/1"},
        }
    ]
    text = render_text(build([finding], news=news))
    from tracker.digest.values import columns

    assert max(columns(line) for line in text.splitlines()) <= 80
    assert "a-very-long-fact-identifier-" in text


# ---------------------------------------------------------------- the HTML is inert


HOSTILE = [
    {
        "title": '<script>alert("t")</script>Bektenov <b onmouseover="alert(1)">wins',
        "link": "javascript:alert(document.cookie)",
        "summary": '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">click</a>'
        '<iframe src="https://evil.example/"></iframe><div style="x" unclosed',
    },
    {
        "title": '"><svg onload=alert(4)>',
        "link": " JaVaScRiPt:alert(5)",
        "summary": "<style>body{display:none}</style><scr<script>ipt>alert(6)</script>",
    },
    {"title": "tab trick", "link": "java\tscript:alert(7)", "summary": "<p>ok <b>bold"},
    {
        "title": "data link",
        "link": "data:text/html;base64,PHNjcmlwdD4=",
        "summary": "</td></tr></table><form action=x><input name=p></form>",
    },
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
    news = [
        {
            "id": str(i),
            "fact": "head-of-government",
            "keyword": "Bektenov",
            "feed": '<b onclick="x()">feed</b>',
            "item": dict(item, id=str(i)),
        }
        for i, item in enumerate(HOSTILE)
    ]
    sources = {"factbook-kz": SourceInfo(id="factbook-kz", title="Factbook")}  # no link
    markup = render_html(build([premier()], news=news, sources=sources))
    audit = _Audit()
    audit.feed(markup)
    assert not {"script", "img", "iframe", "svg", "form", "input", "style", "object"} & set(
        audit.tags
    )
    assert not [name for name, _ in audit.attrs if name.startswith("on")]
    hrefs = [value for name, value in audit.attrs if name in ("href", "src", "action")]
    assert hrefs == ["https://timesca.com/kz?a=1&b=2"]  # only the one safe link survives
    assert "evil.example" not in markup and "javascript" not in markup.lower()
    # the words survive as text: an analyst still sees what the feed said
    assert "Bektenov wins" in markup and "click" in markup
    assert "&lt;b onclick=&#34;x()&#34;&gt;feed&lt;/b&gt;" in markup  # escaped, not markup


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://timesca.com/a?b=1", "https://timesca.com/a?b=1"),
        ("http://x.kz/", "http://x.kz/"),
        ("javascript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\nscript:x", None),
        ("data:text/html,x", None),
        ("vbscript:x", None),
        ("/relative", None),
        ("//evil", None),
        ("mailto:a@b", None),
        (None, None),
        ("https://", None),
    ],
)
def test_safe_href(url, expected):
    assert safe_href(url) == expected


def test_plain_text_and_values():
    assert plain_text("<p>a &amp; b<script>x()</script></p>") == "a & b"
    assert plain_text("<p>one</p><p>two</p>") == "one two"
    assert plain_text("x" * 400).endswith("…") and len(plain_text("x" * 400)) == 280
    assert show(20432662.0) == "20,432,662" and show(None) == "—"
    assert show({"Kazakh": 71.0, "Russian": 14.9}) == "Kazakh 71%, Russian 14.9%"
    assert show(2029, "year") == "2029" and show(2029) == "2,029"


def test_news_count_counts_items_not_matches():
    item = {"id": "guid-1", "title": "Bektenov and the Senate", "link": "https://e.kz/1"}
    news = [
        {"id": f"m{n}", "fact": fact, "keyword": "k", "feed": "f", "item": item}
        for n, fact in enumerate(["head-of-government", "population"])
    ]
    assert build([premier(), population()], news=news).news_count == 1


def test_a_year_reads_as_a_year():
    finding = Finding(
        "kz-security-2025",
        "senate-next-election",
        "expired",
        "2026",
        2026,
        since="2026-01-31",
        source="factbook-kz",
        details=FindingDetails(extract="year"),
    )
    assert "2,026" not in render_text(build([finding]))


def test_nothing_to_report_says_so():
    digest = build([premier()])
    assert not digest.has_new and digest.subject == "[kz-security-2025] no changes"
    assert "Nothing needs attention" in render_text(digest)
    assert "Nothing needs attention" in render_html(digest)


def test_wrapped_lines_keep_fact_ids_whole():
    facts = [f"pm-appointed-by-president-{n}" for n in range(8)]
    news = [
        {
            "id": f"m{n}",
            "fact": fact,
            "feed": "f",
            "keyword": "k",
            "item": {"id": "one", "title": "One item about many facts"},
        }
        for n, fact in enumerate(facts)
    ]
    text = render_text(build([premier()], news=news))
    assert all(fact in text for fact in facts)  # never split at a hyphen


def _clean_by_category(value: str) -> str:
    """`clean` as defined: bidi controls and Unicode categories Cc, Zl, Zp become spaces."""
    import re
    import unicodedata

    from tracker.digest.values import _BIDI

    text = unicodedata.normalize("NFC", value.translate(_BIDI))
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


def test_clean_is_its_definition_for_any_text():
    from hypothesis import given
    from hypothesis import strategies as st

    from tracker.digest.values import clean

    @given(st.text())
    def check(value: str) -> None:
        assert clean(value) == _clean_by_category(value)

    check()
    for sample in ("a\x1bb", "x\u2028y\u2029z", "\u202eevil", "e\u0301", "\x85\x9f", "tab\tnl\n"):
        assert clean(sample) == _clean_by_category(sample)


def test_wrap_of_ascii_text_is_wcwidths():
    """The fast path for one-column text lays out exactly what wcwidth would."""
    import string

    import wcwidth
    from hypothesis import given
    from hypothesis import strategies as st

    from tracker.digest.values import clean, wrap

    words = st.text(alphabet=string.printable, max_size=300)

    @given(
        words,
        st.integers(5, 90),
        st.sampled_from(["", "  ", "    "]),
        st.sampled_from([None, "  ", "      "]),
    )
    def check(text: str, width: int, indent: str, subsequent: str | None) -> None:
        later = indent if subsequent is None else subsequent
        lines = wcwidth.wrap(
            clean(text),
            width,
            initial_indent=indent,
            subsequent_indent=later,
            break_on_hyphens=False,
        )
        assert wrap(text, width, indent, subsequent) == ("\n".join(lines) or indent.rstrip())

    check()
