"""kind `worldbank`: the World Bank Indicators API v2 against a fake API on the real local
server (paging, conditional GET, error answers), normalize on its own, and facts that read
`[INDICATOR, latest]` or `[INDICATOR, '2024']`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import utc
from tests.support.worldbank_server import ARCHIVED, FakeWorldBank, Series, answer
from tracker.config import load_config
from tracker.errors import ConfigError, FetchError, ParseError, SourceGone
from tracker.evaluate.history import fact_history, source_changes
from tracker.run.runner import run_once
from tracker.sources.worldbank import normalize_worldbank
from tracker.store.git import GitStore
from tracker.store.state import State

POP, URB, GDP = "SP.POP.TOTL", "SP.URB.TOTL.IN.ZS", "NY.GDP.MKTP.CD"
POPULATION = {
    "2019": 18513930,
    "2020": 18755666,
    "2021": 19000988,
    "2022": 19621972,
    "2023": 20033842,
    "2024": 20286084,
    "2025": None,
}
URBAN = {"2021": 57.7, "2022": 57.9, "2023": 58.2, "2024": None}
T1, T2, T3 = utc("2026-02-10T04:00"), utc("2026-02-17T04:00"), utc("2026-02-24T04:00")


def feeds(base: str, *, indicators=(POP, URB), per_page: int = 3, extra: str = "") -> str:
    return (
        f"sources:\n  wb:\n    kind: worldbank\n    url: {base}\n    country: KAZ\n"
        f"    indicators: [{', '.join(indicators)}]\n    since: 2019\n"
        f"    per_page: {per_page}\n    timeout: 2\n{extra}"
        "http:\n  retries: 0\n"
    )


REPORT = """\
report: {id: kz}
facts:
  - id: population
    expect: 20286084
    source: wb
    path: [SP.POP.TOTL, latest]
    extract: number
    tolerance: 0.5%
  - id: population-2023
    expect: 20033842
    source: wb
    path: [SP.POP.TOTL, "2023"]
    extract: number
  - id: urbanization
    expect: 58.2
    source: wb
    path: [SP.URB.TOTL.IN.ZS, latest]
    extract: number
"""


@pytest.fixture
def api(server) -> FakeWorldBank:
    fake = FakeWorldBank(server)
    fake.add(POP, "Population, total", POPULATION)
    fake.add(URB, "Urban population (% of total population)", URBAN)
    return fake


@pytest.fixture
def wb(workspace, server, api):
    return workspace(feeds(server.url("")), {"kz": REPORT})


def snapshot(root) -> dict:
    return GitStore(root).read_snapshot("wb")


def findings(result) -> dict:
    return {f.fact: f for f in result.findings}


def test_every_page_of_every_indicator_becomes_one_canonical_snapshot(wb, api):
    result = run_once(wb, now=T1, send_email=False)
    assert result.sources[0].ok and result.sources[0].changed, result.sources[0].error
    snap = snapshot(wb)
    assert snap[POP] == {
        "name": "Population, total",
        **{k: v for k, v in POPULATION.items() if v is not None},
    }
    assert snap[URB]["2023"] == 58.2 and "2024" not in snap[URB]  # null years dropped
    assert snap["lastupdated"] == "2025-12-16"
    pop_pages = [q for q in api.queries if q["code"] == POP]
    assert [q["page"] for q in pop_pages] == ["1", "2", "3"]  # 6 years, 3 per page
    assert all(q["date"] == "2019:2026" and q["per_page"] == "3" for q in pop_pages)


def test_latest_reads_the_newest_year_with_a_value_and_names_it(wb):
    found = findings(run_once(wb, now=T1, send_email=False))
    assert found["population"].status == "current"
    assert found["population"].current == 20286084
    assert found["population"].path == [POP, "2024"]  # 2025 is null: not the latest
    assert found["population-2023"].status == "current"
    assert found["population-2023"].path == [POP, "2023"]
    assert found["urbanization"].path == [URB, "2023"]


def test_an_unchanged_answer_is_304_and_no_commit(workspace, server, api):
    wb = workspace(feeds(server.url(""), per_page=100), {"kz": REPORT})
    run_once(wb, now=T1, send_email=False)
    head = GitStore(wb).repo.head.commit.hexsha
    api.queries.clear()
    again = run_once(wb, now=T2, send_email=False)
    outcome = again.sources[0]
    assert outcome.ok and outcome.not_modified and not outcome.changed
    assert GitStore(wb).repo.head.commit.hexsha == head
    assert [q["page"] for q in api.queries] == ["1", "1"]  # page 1 of each, conditionally
    validators = State.load(wb).source("wb").validators
    assert set(validators) == {f"{POP} etag", f"{URB} etag"}


def test_a_revised_past_value_is_one_changed_path(wb, api):
    run_once(wb, now=T1, send_email=False)
    api.series[POP].values["2022"] = 19634983  # the World Bank revised 2022
    result = run_once(wb, now=T2, send_email=False)
    assert result.sources[0].changed
    changes = source_changes(GitStore(wb), "wb")
    assert [(c.path, c.change, c.old, c.new) for c in changes] == [
        ((POP, "2022"), "changed", 19621972, 19634983)
    ]
    assert findings(result)["population"].status == "current"  # latest is still 2024


def test_a_new_year_moves_latest_and_the_finding_says_which(wb, api):
    run_once(wb, now=T1, send_email=False)
    api.series[POP].values["2025"] = 20495975
    api.lastupdated = "2026-07-01"
    result = run_once(wb, now=T2, send_email=False)
    population = findings(result)["population"]
    assert population.status == "stale" and population.current == 20495975
    assert population.path == [POP, "2025"]
    assert findings(result)["population-2023"].status == "current"
    changed = {c.path for c in source_changes(GitStore(wb), "wb")}
    assert changed == {(POP, "2025"), ("lastupdated",)}


def test_a_revision_on_a_later_page_is_seen(wb, api):
    run_once(wb, now=T1, send_email=False)
    api.series[POP].values["2019"] = 18513931  # on the last of three pages
    assert run_once(wb, now=T2, send_email=False).sources[0].changed
    assert snapshot(wb)[POP]["2019"] == 18513931


def test_one_indicator_changed_the_other_answered_304(workspace, server, api):
    wb = workspace(feeds(server.url(""), per_page=100), {"kz": REPORT})
    run_once(wb, now=T1, send_email=False)
    api.series[URB].values["2024"] = 58.5
    result = run_once(wb, now=T2, send_email=False)
    assert result.sources[0].changed
    snap = snapshot(wb)
    assert snap[URB]["2024"] == 58.5 and snap[POP]["2024"] == 20286084  # both still there
    assert findings(result)["urbanization"].status == "stale"
    third = run_once(wb, now=T3, send_email=False)
    assert third.sources[0].not_modified  # the validators of both were kept


@pytest.mark.parametrize("fault", ["repeat_pages", "endless"])
def test_a_server_that_never_ends_paging_fails_clearly(workspace, server, api, fault):
    root = workspace(feeds(server.url(""), per_page=2, extra="    max_pages: 4\n"), {"kz": REPORT})
    setattr(api, fault, True)
    result = run_once(root, now=T1, send_email=False)
    outcome = result.sources[0]
    assert not outcome.ok and not outcome.changed
    assert (
        ("answered page 1" in outcome.error)
        if fault == "repeat_pages"
        else ("more than max_pages (4)" in outcome.error)
    ), outcome.error
    assert snapshot(root) is None
    assert len([q for q in api.queries if q["code"] == POP]) <= 5  # bounded


def test_an_unknown_indicator_is_the_apis_error_answer(workspace, server, api):
    api.route("XX.NOT.REAL")
    root = workspace(feeds(server.url(""), indicators=(POP, "XX.NOT.REAL")), {"kz": REPORT})
    result = run_once(root, now=T1, send_email=False)
    error = result.sources[0].error or ""
    assert not result.sources[0].ok and "\n" not in error
    assert "World Bank API answered an error for indicator XX.NOT.REAL" in error
    assert "120 Invalid value: The provided parameter value is not valid" in error
    assert all(f.status == "source-failing" for f in result.findings)


def test_conditional_get_after_a_failure_starts_afresh_for_that_indicator(wb, api, server):
    run_once(wb, now=T1, send_email=False)
    server.route(api.path(URB), body=b"<html>maintenance</html>", content_type="text/html")
    failed = run_once(wb, now=T2, send_email=False)
    assert not failed.sources[0].ok and "HTML page" in failed.sources[0].error
    api.route(URB)
    again = run_once(wb, now=T3, send_email=False)
    assert again.sources[0].ok and not again.sources[0].changed


# ------------------------------------------------------------------ normalize


def one(values: dict, country: str = "KAZ", **kw) -> bytes:
    return json.dumps(
        answer(POP, Series("Population, total", values), country, 1, 100, "2025-07-01", **kw)
    ).encode()


def test_normalize_reads_one_answer_saved_from_the_api():
    snap = normalize_worldbank(one({"2020": 1.0, "2021": None}), "KAZ", [POP])
    assert snap == {POP: {"2020": 1, "name": "Population, total"}, "lastupdated": "2025-07-01"}


def test_normalize_keeps_only_the_configured_country_indicators_and_years():
    rows = [
        {
            "indicator": {"id": POP, "value": "Population, total"},
            "countryiso3code": c,
            "date": d,
            "value": v,
        }
        for c, d, v in [("KAZ", "2018", 1), ("KAZ", "2020", 2), ("UZB", "2020", 3)]
    ]
    rows.append(
        {
            "indicator": {"id": GDP, "value": "GDP"},
            "countryiso3code": "KAZ",
            "date": "2020",
            "value": 9,
        }
    )
    doc = json.dumps([[{"page": 1, "pages": 1, "lastupdated": "2025-01-01"}, rows]]).encode()
    assert normalize_worldbank(doc, "kaz", [POP], since=2019)[POP] == {
        "2020": 2,
        "name": "Population, total",
    }


@pytest.mark.parametrize("value", ["NaN", "Infinity", "true", '"n/a"', "null"])
def test_normalize_drops_values_that_are_not_numbers(value):
    doc = one({"2020": 5}).replace(b'"value": 5', f'"value": {value}'.encode())
    assert "2020" not in normalize_worldbank(doc, "KAZ", [POP]).get(POP, {})


def test_normalize_is_canonical_for_integral_floats():
    assert normalize_worldbank(one({"2020": 20592571.0}), "KAZ", [POP])[POP]["2020"] == 20592571
    assert type(normalize_worldbank(one({"2020": 20592571.0}), "KAZ", [POP])[POP]["2020"]) is int


def test_normalize_refuses_two_values_for_one_year():
    doc = json.loads(one({"2020": 1}))
    doc[1].append(dict(doc[1][0], value=2))
    with pytest.raises(ParseError, match="two values for 2020"):
        normalize_worldbank(json.dumps(doc).encode(), "KAZ", [POP])


@pytest.mark.parametrize(
    "body, error, words",
    [
        (json.dumps(ARCHIVED).encode(), FetchError, "175 Invalid format: The indicator was not"),
        (b"<!DOCTYPE html><html>Service unavailable</html>", SourceGone, "HTML page"),
        (b'[{"page": 1', ParseError, "not valid JSON"),
        (b'{"page": 1}', ParseError, "not a World Bank API answer"),
        (
            b'[{"page": 1, "pages": 1}, [{"indicator": {"id": "SP.POP.TOTL"}, "date": "last"}]]',
            ParseError,
            "not a year",
        ),
        (b'[{"page": 1, "pages": 1}, ["row"]]', ParseError, "not an object"),
    ],
)
def test_normalize_failures_are_clear(body, error, words):
    with pytest.raises(error, match=words):
        normalize_worldbank(body, "KAZ", [POP], where="wb")


@pytest.mark.parametrize(
    "entry, words",
    [
        ("country: Kazakhstan", "country"),
        ("country: KAZ\n    indicators: []", "indicators"),
        ("country: KAZ\n    indicators: [SP.POP.TOTL, 'bad code']", "bad indicator code"),
        ("country: KAZ\n    indicators: [SP.POP.TOTL, SP.POP.TOTL]", "listed twice"),
        ("country: KAZ\n    indicators: [SP.POP.TOTL]\n    since: 1492", "since"),
    ],
)
def test_bad_options_are_config_errors(workspace, entry, words):
    if "indicators" not in entry:
        entry += "\n    indicators: [SP.POP.TOTL]"
    root = workspace(f"sources:\n  wb:\n    kind: worldbank\n    {entry}\n")
    with pytest.raises(ConfigError, match=words):
        load_config(root)


def test_backfill_reads_answers_saved_from_the_api(workspace, server, tmp_path):
    from tracker.run.backfill import backfill

    root = workspace(feeds(server.url("")), {"kz": REPORT})
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "2025-07-01-pop.json").write_bytes(one({"2023": 20033842, "2024": 20159963}))
    (folder / "2026-07-01-pop.json").write_bytes(
        one({"2023": 20033842, "2024": 20159963, "2025": 20391030})
    )
    backfill(root, "wb", folder)
    rows = [
        r["value"]
        for r in fact_history(GitStore(root), load_config(root).reports["kz"].facts[0].primary)
    ]
    assert rows == [20159963, 20391030]  # [SP.POP.TOTL, latest] over the two releases
