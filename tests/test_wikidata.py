"""kind `wikidata`: statement selection (table-driven), normalize, fetch against a local server."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import TEST_DATA, utc
from tests.support.server import Reply
from tracker.config import HttpConfig
from tracker.errors import ConfigError, ParseError, SourceGone
from tracker.fetch.client import Http
from tracker.sources.wikidata import (
    WikidataOptions,
    WikidataSource,
    batches,
    normalize_wikidata,
    parse_time,
    select_statement,
)

WD = TEST_DATA / "wikidata"
TODAY = date(2026, 3, 1)


def time_snak(day: str, precision: int = 11) -> dict:
    return {
        "snaktype": "value",
        "property": "P",
        "datatype": "time",
        "datavalue": {
            "type": "time",
            "value": {"time": f"+{day}T00:00:00Z", "precision": precision, "timezone": 0},
        },
    }


def st(
    value: str,
    rank: str = "normal",
    start: str | None = None,
    end: str | None = None,
    when: str | None = None,
) -> dict:
    """A statement whose item value is `value` (used as its id), with qualifiers."""
    qualifiers = {
        p: [time_snak(d)] for p, d in (("P580", start), ("P582", end), ("P585", when)) if d
    }
    return {
        "id": f"Q1${value}",
        "rank": rank,
        "type": "statement",
        "qualifiers": qualifiers,
        "mainsnak": {
            "snaktype": "value",
            "property": "P6",
            "datatype": "wikibase-item",
            "datavalue": {
                "type": "wikibase-entityid",
                "value": {"entity-type": "item", "id": value},
            },
        },
    }


def chosen(statements: list[dict], today: date = TODAY) -> tuple[str | None, list[str]]:
    current, previous = select_statement(statements, today)
    ids = [s["mainsnak"]["datavalue"]["value"]["id"] for s in previous]
    return (current["mainsnak"]["datavalue"]["value"]["id"] if current else None), ids


SELECTION = [
    (
        "preferred beats a normal one with a later start",
        [st("Q10", "normal", start="2025-01-01"), st("Q11", "preferred", start="2020-01-01")],
        "Q11",
        ["Q10"],
    ),
    (
        "without preferred: the latest start among normal",
        [
            st("Q10", start="2019-02-25"),
            st("Q11", start="2024-02-06"),
            st("Q12", start="2022-01-05"),
        ],
        "Q11",
        ["Q10", "Q12"],
    ),
    (
        "an ended statement is not current, even when preferred",
        [
            st("Q10", "preferred", start="2022-01-05", end="2024-02-05"),
            st("Q11", start="2024-02-06"),
        ],
        "Q11",
        ["Q10"],
    ),
    (
        "end time in the future: still current",
        [st("Q10", start="2020-01-01", end="2030-01-01"), st("Q11", start="2010-01-01")],
        "Q10",
        ["Q11"],
    ),
    (
        "start time in the future: not current yet",
        [st("Q10", start="2020-01-01"), st("Q11", start="2027-01-01")],
        "Q10",
        ["Q11"],
    ),
    (
        "a deprecated statement is skipped entirely, even the newest",
        [st("Q10", start="2020-01-01"), st("Q11", "deprecated", start="2025-01-01")],
        "Q10",
        [],
    ),
    (
        "every statement ended: no current value, all kept as previous",
        [
            st("Q10", start="2014-04-02", end="2016-09-08"),
            st("Q11", start="2016-09-09", end="2019-02-21"),
        ],
        None,
        ["Q10", "Q11"],
    ),
    (
        "several population values: latest point in time wins",
        [st("Q10", when="2024-01-01"), st("Q11", when="2026-01-01"), st("Q12", when="2025-01-01")],
        "Q11",
        ["Q10", "Q12"],
    ),
    (
        "point in time: a newer normal figure beats an older preferred one",
        [st("Q10", "preferred", when="2025-01-01"), st("Q11", "normal", when="2026-01-01")],
        "Q11",
        ["Q10"],
    ),
    (
        "point in time tie: rank decides",
        [st("Q10", "normal", when="2025-01-01"), st("Q11", "preferred", when="2025-01-01")],
        "Q11",
        ["Q10"],
    ),
    ("only deprecated: nothing at all", [st("Q10", "deprecated", start="2020-01-01")], None, []),
]


@pytest.mark.parametrize(
    "name,statements,current,previous", SELECTION, ids=[c[0] for c in SELECTION]
)
def test_statement_selection(name, statements, current, previous):
    assert chosen(statements) == (current, previous)


def test_selection_depends_on_the_injected_date():
    statements = [st("Q10", start="2022-01-05", end="2024-02-05"), st("Q11", start="2024-02-06")]
    assert chosen(statements, date(2023, 6, 1))[0] == "Q10"
    assert chosen(statements, date(2024, 2, 6))[0] == "Q11"


@pytest.mark.parametrize(
    "time,precision,text",
    [
        ("+2024-02-06T00:00:00Z", 11, "2024-02-06"),
        ("+2024-02-00T00:00:00Z", 10, "2024-02"),
        ("+2024-00-00T00:00:00Z", 9, "2024"),
        ("+1929-05-01T00:00:00Z", 9, "1929"),
    ],
)
def test_time_keeps_precision(time, precision, text):
    assert str(parse_time({"time": time, "precision": precision})) == text


def entity_document(claims: dict, labels: dict | None = None) -> bytes:
    entities = {"Q1": {"type": "item", "id": "Q1", "claims": claims}}
    entities.update(
        {
            q: {"labels": {lang: {"language": lang, "value": v} for lang, v in names.items()}}
            for q, names in (labels or {}).items()
        }
    )
    return json.dumps({"entities": entities}).encode()


def test_labels_in_configured_languages_and_missing_label():
    claims = {
        "P6": [st("Q10", start="2024-02-06"), st("Q9", start="2019-01-01", end="2024-02-05")],
        "P35": [st("Q20", start="2019-03-20")],
        "P36": [st("Q30", start="1997-12-10")],
    }
    labels = {
        "Q10": {"en": "Olzhas Bektenov", "pl": "Olżas Bektenow", "de": "x"},
        "Q20": {"mul": "Kassym-Jomart Tokayev"},
    }
    snap = normalize_wikidata(
        entity_document(claims, labels), "Q1", ["P6", "P35", "P36"], ["en", "pl"], utc("2026-03-01")
    )
    assert snap["P6"] == {
        "value": "Olzhas Bektenov",
        "id": "Q10",
        "start": "2024-02-06",
        "labels": {"en": "Olzhas Bektenov", "pl": "Olżas Bektenow"},
        "previous": [{"value": None, "id": "Q9", "start": "2019-01-01", "end": "2024-02-05"}],
    }
    assert snap["P35"]["value"] == "Kassym-Jomart Tokayev"  # the `mul` default label
    assert snap["P35"]["labels"] == {}
    # A missing label is null (→ the fact is unverifiable), never the bare id as a "name".
    assert snap["P36"] == {"value": None, "id": "Q30", "start": "1997-12-10", "labels": {}}


def test_quantities_and_properties_without_statements():
    population = [
        {
            **st("Q0", when=d),
            "mainsnak": {
                "snaktype": "value",
                "property": "P1082",
                "datatype": "quantity",
                "datavalue": {"type": "quantity", "value": {"amount": f"+{n}", "unit": "1"}},
            },
        }
        for n, d in ((20286084, "2025-01-01"), (20495975, "2026-01-01"))
    ]
    unknown = {**st("Q0"), "mainsnak": {"snaktype": "somevalue", "property": "P35"}}
    snap = normalize_wikidata(
        entity_document({"P1082": population, "P35": [unknown]}),
        "Q1",
        ["P1082", "P35", "P6"],
        ["en"],
        utc("2026-03-01"),
    )
    assert snap == {
        "P1082": {
            "value": 20495975,
            "date": "2026-01-01",
            "previous": [{"value": 20286084, "date": "2025-01-01"}],
        }
    }


def test_the_bundled_kazakhstan_document():
    document = json.loads((WD / "Q232.json").read_text())
    labels = json.loads((WD / "labels.json").read_text())["entities"]
    document["entities"].update({q: {"labels": e["labels"]} for q, e in labels.items()})
    snap = normalize_wikidata(
        json.dumps(document).encode(),
        "Q232",
        ["P6", "P35", "P1082", "P36"],
        ["en", "pl"],
        utc("2026-03-01"),
    )
    assert snap["P6"]["value"] == "Olzhas Bektenov" and snap["P6"]["start"] == "2024-02-06"
    assert [p["value"] for p in snap["P6"]["previous"]][-2:] == ["Askar Mamin", "Alikhan Smailov"]
    assert snap["P35"]["value"] == "Kassym-Jomart Tokayev"
    assert snap["P36"]["labels"] == {"en": "Astana", "pl": "Astana"}
    assert (snap["P1082"]["value"], snap["P1082"]["date"]) == (20495975, "2026-01-01")
    # As read in October 2025 (the report's time) Smailov had already gone: same result.
    earlier = normalize_wikidata(
        json.dumps(document).encode(), "Q232", ["P6"], ["en"], utc("2023-06-01")
    )
    assert earlier["P6"]["value"] == "Alikhan Smailov"


@pytest.mark.parametrize(
    "body,error",
    [
        (b"<!DOCTYPE html><html>Wikimedia error</html>", SourceGone),
        (b"{not json", ParseError),
        (b'{"error": {"code": "no-such-entity"}}', ParseError),
        (b'{"entities": {"Q1": {"id": "Q1", "missing": ""}}}', SourceGone),
    ],
)
def test_bad_documents_raise_clear_errors(body, error):
    with pytest.raises(error) as info:
        normalize_wikidata(body, "Q1", ["P6"], ["en"], utc("2026-01-01"), where="wd/Q1.json")
    assert "wd/Q1.json" in str(info.value)


def test_options_validate_ids(workspace):
    bad = """
        sources:
          wd: {kind: wikidata, entity: Q232, properties: [P6, population]}
    """
    from tracker.config import load_config

    with pytest.raises(ConfigError) as info:
        load_config(workspace(bad))
    assert "population" in str(info.value) and "feeds.yaml:3" in str(info.value)
    assert WikidataOptions(kind="wikidata", entity="Q232", properties=["P6"]).languages == ["en"]


def test_batches_of_at_most_fifty():
    ids = [f"Q{i}" for i in range(1, 121)]
    assert [len(b) for b in batches(ids, 50)] == [50, 50, 20]


# ------------------------------------------------------------------ against the local server


def kz_server(server, entity: bytes | None = None, labels: bytes | None = None) -> None:
    server.route(
        "/wiki/Special:EntityData/Q232.json",
        body=entity or (WD / "Q232.json").read_bytes(),
        etag=True,
    )
    server.route("/w/api.php", body=labels or (WD / "labels.json").read_bytes())


def kz_source(server, **extra) -> WikidataSource:
    options = WikidataOptions(
        kind="wikidata",
        entity="Q232",
        url=server.url(""),
        properties=["P6", "P35", "P1082", "P36"],
        languages=["en", "pl"],
        **extra,
    )
    return WikidataSource("wikidata-kz", options)


async def fetch(
    source, config: HttpConfig, sleeps: list[float] | None = None, validators: dict | None = None
):
    async def record(seconds: float) -> None:
        (sleeps if sleeps is not None else []).append(seconds)

    async with Http(config, sleep=record) as http:
        return await source.fetch(http, validators or {}, utc("2026-03-01"))


def test_fetch_resolves_labels_with_one_call_and_a_descriptive_user_agent(server):
    kz_server(server)
    source = kz_source(server)
    fetched = asyncio.run(fetch(source, HttpConfig(contact="coi-it@example.org")))
    snap = source.normalize(fetched.raw)
    assert snap["P6"]["labels"]["pl"] == "Olżas Bektenow"
    api = [p for _, p, _ in server.requests if p.startswith("/w/api.php")]
    assert len(api) == 1
    query = parse_qs(urlsplit(api[0]).query)
    assert query["action"] == ["wbgetentities"] and query["props"] == ["labels"]
    assert query["languages"] == ["en|pl|mul"]
    assert set(query["ids"][0].split("|")) == {
        "Q122953316",
        "Q20511640",
        "Q4074337",
        "Q4076830",
        "Q1702577",
        "Q1338209",
        "Q129307",
        "Q1520",
        "Q35493",
    }
    agents = {h.get("User-Agent") for _, _, h in server.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("report-tracker/") and "coi-it@example.org" in agent


def test_fetch_batches_label_calls_by_fifty(server):
    claims = {"P6": [st(f"Q{100 + i}", start=f"{1900 + i}-01-01") for i in range(51)]}
    server.route("/wiki/Special:EntityData/Q1.json", body=entity_document(claims))
    seen: list[list[str]] = []

    def labels(handler):
        ids = parse_qs(urlsplit(handler.path).query)["ids"][0].split("|")
        seen.append(ids)
        return Reply(
            body=json.dumps(
                {
                    "entities": {
                        q: {"id": q, "labels": {"en": {"language": "en", "value": f"Person {q}"}}}
                        for q in ids
                    }
                }
            ).encode()
        )

    server.handler("/w/api.php", labels)
    source = WikidataSource(
        "wd", WikidataOptions(kind="wikidata", entity="Q1", url=server.url(""), properties=["P6"])
    )
    snap = source.normalize(asyncio.run(fetch(source, HttpConfig())).raw)
    assert [len(b) for b in seen] == [50, 1]
    assert snap["P6"]["value"] == "Person Q150"


def test_429_retry_after_is_honoured(server):
    server.route(
        "/wiki/Special:EntityData/Q232.json",
        Reply(429, b"slow down", headers={"Retry-After": "7"}, content_type="text/plain"),
        Reply(body=(WD / "Q232.json").read_bytes()),
    )
    server.route("/w/api.php", body=(WD / "labels.json").read_bytes())
    sleeps: list[float] = []
    source = kz_source(server)
    fetched = asyncio.run(fetch(source, HttpConfig(retries=2), sleeps))
    assert sleeps == [7.0]  # waited what the server asked, not the default backoff
    assert server.hits("/wiki/Special:EntityData/Q232.json") == 2
    assert source.normalize(fetched.raw)["P35"]["value"] == "Kassym-Jomart Tokayev"


def test_retry_after_longer_than_allowed_fails_the_source(server):
    server.route(
        "/wiki/Special:EntityData/Q232.json",
        Reply(429, b"", headers={"Retry-After": "3600"}, content_type="text/plain"),
    )
    from tracker.errors import FetchError

    with pytest.raises(FetchError) as info:
        asyncio.run(fetch(kz_source(server), HttpConfig(retries=3, max_retry_after=60)))
    assert "429" in str(info.value) and "3600" in str(info.value)
    assert server.hits("/wiki/Special:EntityData/Q232.json") == 1


def test_not_modified_fetches_no_labels(server):
    kz_server(server)
    source = kz_source(server)
    first = asyncio.run(fetch(source, HttpConfig()))
    second = asyncio.run(fetch(source, HttpConfig(), validators=first.validators))
    assert second.raw is None
    assert server.hits("/w/api.php") == 1


def test_label_api_failure_fails_the_fetch(server):
    kz_server(server, labels=b'{"error": {"code": "maxlag", "info": "Waiting for a server"}}')
    with pytest.raises(ParseError, match="Waiting for a server"):
        asyncio.run(fetch(kz_source(server), HttpConfig()))


# ------------------------------------------------------------------ an item named by its article


def titled_api(server, entities: dict) -> list[dict]:
    """/w/api.php answering `wbgetentities` by `sites`+`titles` with `entities`, and by
    `ids` with labels (as Wikidata does, both on one endpoint)."""
    asked: list[dict] = []

    def answer(handler):
        query = {k: v[-1] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        asked.append(query)
        if "titles" in query:
            return Reply(body=json.dumps({"entities": entities, "success": 1}).encode())
        return Reply(body=(WD / "labels.json").read_bytes())

    server.handler("/w/api.php", answer)
    return asked


def titled_source(server, title: str = "Senate of Kazakhstan") -> WikidataSource:
    return WikidataSource(
        "wd-senate",
        WikidataOptions(
            kind="wikidata", article=title, url=server.url(""), properties=["P1342", "P6"]
        ),
    )


def test_an_item_named_by_its_wikipedia_article(server):
    quantity = {
        "snaktype": "value",
        "property": "P1342",
        "datatype": "quantity",
        "datavalue": {"type": "quantity", "value": {"amount": "+50", "unit": "1"}},
    }
    claims = {
        "P1342": [{"id": "Q9$1", "rank": "normal", "mainsnak": quantity}],
        "P6": [st("Q1338209", start="2019-03-20")],
    }
    asked = titled_api(server, {"Q9": {"type": "item", "id": "Q9", "claims": claims, "labels": {}}})
    source = titled_source(server)
    snap = source.normalize(asyncio.run(fetch(source, HttpConfig())).raw)
    assert snap["item"] == "Q9" and snap["P1342"]["value"] == 50
    assert snap["P6"]["value"] == "Kassym-Jomart Tokayev"  # labels as for any item
    first = asked[0]
    assert (first["action"], first["sites"], first["titles"], first["redirects"]) == (
        "wbgetentities",
        "enwiki",
        "Senate of Kazakhstan",
        "yes",
    )
    assert "ids" in asked[1]


def test_an_article_without_an_item_is_a_clear_failure(server):
    titled_api(server, {"-1": {"site": "enwiki", "title": "Senat of Kazakstan", "missing": ""}})
    with pytest.raises(
        SourceGone,
        match="no Wikidata item for the enwiki article 'Senat of Kazakstan'; check `article`",
    ):
        asyncio.run(fetch(titled_source(server, "Senat of Kazakstan"), HttpConfig()))


@pytest.mark.parametrize("extra", [{}, {"entity": "Q9", "article": "Senate of Kazakhstan"}])
def test_entity_or_title_one_of_the_two(extra):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="set `entity`"):
        WikidataOptions(kind="wikidata", properties=["P6"], **extra)
