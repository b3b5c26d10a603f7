"""Source lifecycle end to end (local server, real git): ok → failing → gone, quiet,
recovery; facts of a gone source; secondary sources (`also:`) that confirm or disagree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_DATA, utc
from tests.support.server import Reply
from tracker.cli.app import app
from tracker.run.runner import run_once
from tracker.store.git import GitStore
from tracker.store.state import State

SOURCES_KEYS = {
    "source",
    "kind",
    "health",
    "last_success",
    "failures",
    "first_failure",
    "last_error",
    "frozen",
    "since",
}
FAREWELL = (
    b"<!DOCTYPE html><html><head><title>Spotlighting The World Factbook as We Bid a "
    b"Fond Farewell</title></head><body>...</body></html>"
)


def geos(head_of_government: str, population: str) -> bytes:
    """A minimal document in the CIA's geos JSON format."""

    def field(name: str, subfield: str, content: str) -> dict:
        return {"name": name, "subfields": [{"name": subfield, "content": content}]}

    return json.dumps(
        {
            "categories": [
                {
                    "title": "Government",
                    "fields": [field("Executive branch", "head of government", head_of_government)],
                },
                {
                    "title": "People and Society",
                    "fields": [field("Population", "total", population)],
                },
            ]
        }
    ).encode()


BEKTENOV = geos("Prime Minister Olzhas BEKTENOV (since 6 February 2024)", "20,260,006 (2024 est.)")
SMAILOV = geos("Prime Minister Alikhan SMAILOV (since 11 January 2022)", "20,260,006 (2024 est.)")

REPORT = """\
report: {id: kz}
facts:
  - id: population
    expect: 20260006
    source: fb
    path: [People and Society, Population, total]
    extract: number
    tolerance: 0.5%
  - id: head-of-government
    expect: Olzhas Bektenov
    aliases: [Olżas Bektenow]
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
    also:
      - {source: wd, path: [P6, value], extract: person}
  - id: population-checked
    expect: 20260006
    source: fb
    path: [People and Society, Population, total]
    extract: number
    tolerance: 0.5%
    also:
      - {source: wd, path: [P1082, value], extract: number}
"""


def feeds(server, extra: str = "") -> str:
    return f"""\
sources:
  fb:
    kind: factbook
    url: {server.url("/kz.json")}
    expect_update_within: 45d
    timeout: 2
{extra}
  wd:
    kind: wikidata
    url: {server.url("")}
    entity: Q232
    properties: [P6, P1082]
    languages: [en, pl]
http:
  retries: 0
  contact: test@example.org
"""


def serve_wikidata(server, population_2026: bool = True) -> None:
    document = json.loads((TEST_DATA / "wikidata" / "Q232.json").read_text())
    if not population_2026:  # Wikidata before the 2026 figure was added
        document["entities"]["Q232"]["claims"]["P1082"] = [
            s
            for s in document["entities"]["Q232"]["claims"]["P1082"]
            if "2026" not in s["qualifiers"]["P585"][0]["datavalue"]["value"]["time"]
        ]
    server.route("/wiki/Special:EntityData/Q232.json", body=json.dumps(document).encode())
    server.route("/w/api.php", body=(TEST_DATA / "wikidata" / "labels.json").read_bytes())


@pytest.fixture
def ws(workspace, server):
    serve_wikidata(server)
    return workspace(feeds(server), {"kz": REPORT})


def run(ws: Path, when: str, *sources: str):
    result = run_once(ws, now=utc(when), only=sources or ("fb", "wd"), send_email=False)
    # what failed, for the report of a failing assertion further on
    print(when, {s.source: s.error for s in result.sources if not s.ok})
    return result


def cli_json(ws: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["-w", str(ws), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_id(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows}


def finding(result, fact: str):
    return next(f for f in result.findings if f.fact == fact)


# ------------------------------------------------------------------ gone


@pytest.mark.parametrize(
    "answer",
    [
        Reply(404, b"not found", content_type="text/plain"),
        Reply(410, b"gone", content_type="text/plain"),
        Reply(200, FAREWELL, content_type="text/html"),  # what cia.gov did in February 2026
    ],
    ids=["404", "410", "html-farewell"],
)
def test_repeated_gone_answers_make_the_source_gone_with_its_date(ws, server, answer):
    server.route("/kz.json", Reply(body=BEKTENOV), answer)
    store = GitStore(ws)
    run(ws, "2026-01-22T04:00")
    snapshot_before = (ws / "snapshots" / "fb.yaml").read_bytes()
    commits_before = len(store.versions(store.relpath("fb")))

    first = run(ws, "2026-02-05T04:00", "fb")
    sources = by_id(cli_json(ws, "sources", "--now", "2026-02-05T05:00"), "source")
    assert sources["fb"]["health"] == "failing"  # one answer is not yet "gone"
    assert finding(first, "population").status == "source-failing"

    second = run(ws, "2026-02-12T04:00", "fb")
    rows = cli_json(ws, "sources", "--now", "2026-02-12T05:00")
    assert all(set(r) == SOURCES_KEYS for r in rows)  # the shape DESIGN.md promises
    fb = by_id(rows, "source")["fb"]
    assert (fb["health"], fb["failures"]) == ("gone", 2)
    assert fb["first_failure"].startswith("2026-02-05")  # gone since the first such answer
    assert fb["last_success"].startswith("2026-01-22") and fb["last_error"]
    assert by_id(rows, "source")["wd"]["health"] == "ok"

    population = finding(second, "population")
    assert population.status == "unverifiable"
    assert population.current == 20260006  # the last known value is still shown
    assert population.since == "2026-02-05"
    assert "gone since 2026-02-05" in population.note
    # nothing stored was lost, and a failure never committed anything
    assert (ws / "snapshots" / "fb.yaml").read_bytes() == snapshot_before
    assert len(store.versions(store.relpath("fb"))) == commits_before

    status = by_id(cli_json(ws, "status", "--now", "2026-02-12T05:00"), "fact")
    assert status["population"]["status"] == "unverifiable"
    assert status["population"]["current"] == 20260006


def test_a_different_failure_in_between_restarts_the_gone_count(ws, server):
    server.route("/kz.json", Reply(body=BEKTENOV), Reply(404), Reply(503), Reply(404))
    run(ws, "2026-01-22T04:00")
    for day in ("2026-02-05", "2026-02-06", "2026-02-07"):
        run(ws, f"{day}T04:00", "fb")
    entry = State.load(ws).source("fb")
    assert entry.failures == 3
    health = by_id(cli_json(ws, "sources", "--now", "2026-02-07T05:00"), "source")["fb"]
    assert health["health"] == "failing" and "404" in health["last_error"]


def test_a_gone_source_that_answers_again_is_ok(ws, server):
    server.route("/kz.json", Reply(body=BEKTENOV), Reply(410), Reply(410), Reply(body=BEKTENOV))
    for day in ("2026-01-22", "2026-02-05", "2026-02-12"):
        run(ws, f"{day}T04:00", "fb")
    assert (
        by_id(cli_json(ws, "sources", "--now", "2026-02-12T05:00"), "source")["fb"]["health"]
        == "gone"
    )
    back = run(ws, "2026-02-19T04:00", "fb")
    fb = by_id(cli_json(ws, "sources", "--now", "2026-02-19T05:00"), "source")["fb"]
    assert (fb["health"], fb["failures"], fb["first_failure"]) == ("ok", 0, None)
    assert finding(back, "population").status == "current"


def test_only_source_gone_vs_a_live_secondary_source(ws, server):
    """A fact is unverifiable only when its only source is gone: with a live `also:`
    source it is checked against that one, and says so."""
    server.route("/kz.json", Reply(body=BEKTENOV), Reply(410))
    run(ws, "2026-01-22T04:00")
    run(ws, "2026-02-05T04:00", "fb")
    result = run(ws, "2026-02-12T04:00", "fb")
    only = finding(result, "population")
    assert only.status == "unverifiable"
    checked = finding(result, "head-of-government")
    assert checked.status == "current" and checked.current == "Olzhas Bektenov"
    assert checked.details.checked_against == "wd"
    assert "fb gone since 2026-02-05" in checked.note and "checked against wd" in checked.note


# ------------------------------------------------------------------ quiet


def test_unchanged_longer_than_expect_update_within_is_quiet(ws, server):
    server.route("/kz.json", body=BEKTENOV, etag=True)
    run(ws, "2026-01-22T04:00")
    run(ws, "2026-02-20T04:00", "fb")  # 304: fetched fine, nothing new
    assert (
        by_id(cli_json(ws, "sources", "--now", "2026-02-20T05:00"), "source")["fb"]["health"]
        == "ok"
    )
    run(ws, "2026-03-09T04:00", "fb")  # 46 days after the last change
    rows = by_id(cli_json(ws, "sources", "--now", "2026-03-09T05:00"), "source")
    assert rows["fb"]["health"] == "quiet"
    assert rows["fb"]["last_success"].startswith("2026-03-09")
    assert rows["wd"]["health"] == "ok"  # no expect_update_within: never quiet
    table = CliRunner().invoke(app, ["-w", str(ws), "sources", "--now", "2026-03-09T05:00"])
    assert "quiet" in table.stdout and "2026-01-22" in table.stdout  # quiet since


def test_a_change_ends_quiet(ws, server):
    server.route("/kz.json", Reply(body=SMAILOV), Reply(body=SMAILOV), Reply(body=BEKTENOV))
    run(ws, "2024-01-01T04:00")
    run(ws, "2024-02-20T04:00", "fb")
    assert (
        by_id(cli_json(ws, "sources", "--now", "2024-02-20T05:00"), "source")["fb"]["health"]
        == "quiet"
    )
    run(ws, "2024-02-21T04:00", "fb")
    assert (
        by_id(cli_json(ws, "sources", "--now", "2024-02-21T05:00"), "source")["fb"]["health"]
        == "ok"
    )


def test_never_fetched(ws):
    rows = by_id(cli_json(ws, "sources", "--now", "2026-01-01"), "source")
    assert rows["fb"] == {
        "source": "fb",
        "kind": "factbook",
        "health": "never-fetched",
        "last_success": None,
        "failures": 0,
        "first_failure": None,
        "last_error": None,
        "frozen": False,
        "since": None,
    }


# ------------------------------------------------------------------ secondary sources


def test_secondary_source_confirms(ws, server):
    server.route("/kz.json", body=BEKTENOV)
    result = run(ws, "2026-01-22T04:00")
    head = finding(result, "head-of-government")
    assert head.status == "current"
    assert head.details.confirmed_by == ["wd"] and "confirmed by wd" in head.note
    assert head.details.also[0].value == "Olzhas Bektenov"


def test_disagreeing_sources_say_which_is_newer(workspace, server):
    server.route("/kz.json", body=BEKTENOV)
    serve_wikidata(server, population_2026=False)
    ws = workspace(feeds(server), {"kz": REPORT})
    first = run(ws, "2026-01-22T04:00")
    assert not finding(first, "population-checked").details.disagreement

    serve_wikidata(server, population_2026=True)  # Wikidata adds the 1 Jan 2026 figure
    result = run(ws, "2026-02-10T04:00", "wd")
    pop = finding(result, "population-checked")
    assert pop.status == "current"  # the primary source still agrees with the report
    assert pop.details.disagreement is True and pop.details.newer == "wd"
    check = pop.details.also[0]
    assert (check.value, check.since, check.agrees) == (20495975, "2026-02-10", False)
    assert "wd says 20495975 (since 2026-02-10)" in pop.note
    assert "fb says 20260006 (since 2026-01-22)" in pop.note and "wd is newer" in pop.note


def test_disagreement_is_between_sources_not_only_with_the_claim(workspace, server):
    """The primary is stale and the secondary says the same new value: no disagreement."""
    report = REPORT.replace("expect: Olzhas Bektenov", "expect: Alikhan Smailov").replace(
        "aliases: [Olżas Bektenow]", "aliases: []"
    )
    server.route("/kz.json", body=BEKTENOV)
    serve_wikidata(server)
    ws = workspace(feeds(server), {"kz": report})
    head = finding(run(ws, "2026-01-22T04:00"), "head-of-government")
    assert head.status == "stale"
    assert head.details.also[0].agrees is False
    assert not head.details.disagreement and not head.details.confirmed_by


def test_spellings_covered_by_the_claims_aliases_are_not_a_disagreement(workspace, server):
    report = """\
report: {id: kz}
facts:
  - id: head-of-state
    expect: Kasym-Zhomart Tokayev
    aliases: [Kassym-Jomart Tokayev]
    source: fb
    path: [Government, Executive branch, chief of state]
    extract: person
    also:
      - {source: wd, path: [P35, value], extract: person}
"""
    document = json.dumps(
        {
            "categories": [
                {
                    "title": "Government",
                    "fields": [
                        {
                            "name": "Executive branch",
                            "subfields": [
                                {
                                    "name": "chief of state",
                                    "content": "President Kasym-Zhomart TOKAYEV (since 20 March 2019)",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    server.route("/kz.json", body=document.encode())
    serve_wikidata(server)
    feeds_yaml = feeds(server).replace("properties: [P6, P1082]", "properties: [P35]")
    ws = workspace(feeds_yaml, {"kz": report})
    head = finding(run(ws, "2026-01-22T04:00"), "head-of-state")
    assert head.status == "current" and head.current == "Kasym-Zhomart Tokayev"
    assert head.details.also[0].value == "Kassym-Jomart Tokayev"
    assert not head.details.disagreement and head.details.confirmed_by == ["wd"]
