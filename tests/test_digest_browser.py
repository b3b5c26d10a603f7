"""The HTML digest in a real headless Chromium: it renders on a phone-sized window, and
hostile feed content stays inert even in a browser that runs scripts.

Skipped, with the reason shown, when no Chromium is installed (`scripts/test` installs
Debian's `chromium` when it runs as root). The demo's own digest is looked at in
tests/test_digest_demo.py; the README's picture comes from `scripts/digest-picture`.
"""

from __future__ import annotations

import pytest

from tests.conftest import utc
from tests.support.chromium import CHROMIUM, dump_dom, page_size, screenshot
from tracker.digest.build import build_digest
from tracker.digest.memory import ReportTold
from tracker.digest.model import Digest, ReportInfo, SourceInfo
from tracker.digest.render import render_html
from tracker.models import Finding, FindingDetails

pytestmark = pytest.mark.browser
NOW = utc("2026-03-02T06:00")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (apt-get install chromium); "
    "the HTML digest was not looked at in a browser",
)


def demo_digest(news_items: list[dict] | None = None) -> Digest:
    """What the Kazakhstan workspace's digest looks like in March 2026."""
    factbook = SourceInfo(
        id="factbook-kz",
        title="CIA World Factbook – Kazakhstan (frozen mirror)",
        health="quiet",
        since="2026-01-22",
        link="https://github.com/factbook/cache.factbook.json",
    )
    acled = SourceInfo(
        id="acled-kz",
        title="ACLED – Kazakhstan",
        health="failing",
        since="2026-02-28",
        error="HTTP 401 from acleddata.com",
        link="https://acleddata.com",
    )
    findings = [
        Finding(
            "kz-security-2025",
            "population",
            "stale",
            20260006,
            20432662.0,
            since="2026-01-22",
            source="factbook-kz",
            path=["People and Society", "Population", "total"],
            claim="Kazakhstan has about 20.26 million inhabitants (2024 estimate).",
            section="Ludność",
            footnote=1,
            details=FindingDetails(value_since="2026-01-22"),
        ),
        Finding(
            "kz-security-2025",
            "head-of-government",
            "current",
            "Olzhas Bektenov",
            "Olzhas Bektenov",
            since="2024-02-08",
            source="factbook-kz",
            path=["Government", "Executive branch", "head of government"],
            claim="Olzhas Bektenov heads the government as prime minister.",
            section="Rząd i premier",
            footnote=10,
        ),
        Finding(
            "kz-security-2025",
            "acled-civilian-events-2024",
            "source-failing",
            41,
            41,
            source="acled-kz",
            claim="ACLED recorded 41 events targeting civilians in 2024.",
            section="Przemoc wobec cywilów",
            footnote=52,
        ),
    ]
    news = (
        news_items
        if news_items is not None
        else [
            {
                "id": "1",
                "fact": "head-of-government",
                "keyword": "Бектенов",
                "feed": "Kazinform",
                "item": {
                    "title": "Олжас Бектенов провёл заседание правительства",
                    "link": "https://www.inform.kz/ru/",
                    "published": "2026-03-01T08:10:00Z",
                    "summary": "<p>Премьер-министр обсудил с министрами ход реализации "
                    "поручений Главы государства.</p>",
                },
            },
            {
                "id": "2",
                "fact": None,
                "section": "Rząd i premier",
                "keyword": "rząd",
                "feed": "Times of Central Asia",
                "item": {
                    "title": "Kazakhstan’s government outlines its 2026 priorities",
                    "link": "https://timesca.com/",
                    "published": "2026-02-27",
                    "summary": "The cabinet presented its plan for the year.",
                },
            },
        ]
    )
    report = ReportInfo(
        id="kz-security-2025",
        title="Kazachstan – sytuacja bezpieczeństwa",
        language="pl",
        published="2025-10-15",
    )
    return build_digest(
        report,
        findings,
        memory=ReportTold(),
        news=news,
        sources={"factbook-kz": factbook, "acled-kz": acled},
        now=NOW,
    )


@needs_chromium
def test_digest_renders_on_a_phone_sized_window(tmp_path):
    page = tmp_path / "digest.html"
    markup = render_html(demo_digest())
    page.write_text(markup, encoding="utf-8")
    shot = tmp_path / "digest.png"
    assert screenshot(page, shot, 390, 1600) == (390, 1600)
    assert shot.stat().st_size > 20_000  # a blank or unstyled page compresses far smaller
    height, width = page_size(markup, 390)
    assert width <= 390, "wider than a phone: it would scroll sideways"
    assert 300 < height < 1600
    dom = dump_dom(page, "--window-size=420,1600")
    assert "Ludność" in dom and "Олжас Бектенов" in dom


@needs_chromium
def test_hostile_feed_items_stay_inert_in_a_real_browser(tmp_path):
    # Each payload would stamp the marker on <body> if it ever ran; the marker is only
    # assembled at run time, so finding it in the DOM proves a script executed.
    stamp = "document.body.setAttribute('data-pwned','PW'+'NED')"
    hostile = [
        {
            "title": f"<script>{stamp}</script>Bektenov",
            "link": f"javascript:{stamp}",
            "summary": f'<img src=x onerror="{stamp}"><svg onload="{stamp}"></svg>',
        },
        {
            "title": f'"><img src=x onerror="{stamp}">',
            "link": " javascript:void(0)",
            "summary": f'<iframe srcdoc="<script>parent.{stamp}</script>"></iframe><b>unclosed',
        },
        {
            "title": "<a href='javascript:x'>link",
            "link": "data:text/html,<script>x</script>",
            "summary": f"<style>@import 'x';</style><body onload=\"{stamp}\">",
        },
    ]
    news = [
        {"id": str(i), "fact": "head-of-government", "keyword": "x", "feed": "feed", "item": item}
        for i, item in enumerate(hostile)
    ]
    page = tmp_path / "hostile.html"
    page.write_text(render_html(demo_digest(news)), encoding="utf-8")
    dom = dump_dom(page)
    assert "<body" in dom
    assert "PWNED" not in dom and "data-pwned" not in dom
    assert "<script" not in dom and "<iframe" not in dom
