"""The Kazakhstan workspace itself: head of state, head of government, population and
capital cross-checked against Wikidata (hand-built Q232 documents, real Factbook data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_DATA, utc
from tests.support.data import factbook_version
from tracker.run.runner import run_once

ROOT = Path(__file__).resolve().parents[1]
WD = TEST_DATA / "wikidata"
CHECKED = ("head-of-state", "head-of-government", "population", "capital")
SOURCES = ("factbook-kz", "wikidata-kz")  # only these: no test touches the internet
MIRROR = "https://github.com/factbook/cache.factbook.json/raw/master/central-asia/kz.json"


@pytest.fixture
def kz(workspace, server):
    feeds = (ROOT / "feeds.yaml").read_text()
    assert MIRROR in feeds and "entity: Q232\n" in feeds
    feeds = feeds.replace(MIRROR, server.url("/kz.json")).replace(
        "entity: Q232\n", f"entity: Q232\n    url: {server.url('')}\n"
    )
    report = (ROOT / "reports" / "kz-security-2025.yaml").read_text()
    server.route("/w/api.php", body=(WD / "labels.json").read_bytes())
    return workspace(feeds, {"kz-security-2025": report})


def serve(server, factbook_day: str, wikidata_file: str) -> None:
    server.route("/kz.json", body=factbook_version(factbook_day))
    server.route("/wiki/Special:EntityData/Q232.json", body=(WD / wikidata_file).read_bytes())


def checked(result) -> dict:
    return {f.fact: f for f in result.findings if f.fact in CHECKED}


def test_the_four_facts_name_wikidata_as_their_second_source(kz, server):
    serve(server, "2025-10-07", "Q232-2025-10.json")
    result = run_once(kz, now=utc("2025-10-08T04:00"), only=SOURCES, send_email=False)
    assert all(s.ok for s in result.sources), [s.error for s in result.sources]
    findings = checked(result)
    assert set(findings) == set(CHECKED)
    for fact, finding in findings.items():  # the report was right when written
        assert finding.status == "current", (fact, finding.note)
        assert finding.details.confirmed_by == ["wikidata-kz"], fact


def test_after_the_last_factbook_edition(kz, server):
    serve(server, "2025-10-07", "Q232-2025-10.json")
    run_once(kz, now=utc("2025-10-08T04:00"), only=SOURCES, send_email=False)
    serve(server, "2026-01-22", "Q232-2025-10.json")
    run_once(kz, now=utc("2026-01-23T04:00"), only=SOURCES, send_email=False)
    serve(server, "2026-01-22", "Q232.json")
    findings = checked(run_once(kz, now=utc("2026-02-10T04:00"), only=SOURCES, send_email=False))
    population = findings["population"]
    assert population.status == "stale" and population.current == 20432662
    assert population.since == "2026-01-23"
    wikidata = population.details.also[0]
    assert (wikidata.value, wikidata.since, wikidata.agrees) == (20495975, "2026-02-10", False)
    head = findings["head-of-government"]
    assert head.status == "current" and "confirmed by wikidata-kz" in head.note
