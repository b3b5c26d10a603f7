"""HAND-BUILT answers of the demo's living sources: World Bank indicators and the Wikidata
items the example workspace names by article. Nothing here was recorded from the real
services; every answer has the service's real format (World Bank Indicators API v2,
Wikidata's `wbgetentities` / entity JSON) and every value says where it comes from.

World Bank (`worldbank-kz`), two releases of the indicators:

| release (`lastupdated`) | SP.POP.TOTL | SP.URB.TOTL.IN.ZS |
|---|---|---|
| 2025-07-01 | 2024: 20,159,963 | 2023: 58.2 |
| 2026-07-01 | 2024: 20,159,963; 2025: 20,391,030 | 2023: 58.2 |

Population: the mean of the Bureau of National Statistics' 1 January figures of the year
and the next (20,033,842 on 1 Jan 2024, 20,286,084 on 1 Jan 2025, 20,495,975 on 1 Jan 2026;
tests/data/wikidata/README.md) — a mid-year figure, as the World Bank's series is, but not
the World Bank's published number. Urban share: 58.2% for 2023, the UN World Urbanization
Prospects estimate the Factbook gives (the World Bank's series comes from the same UN
estimates). Other years are left out rather than invented.

Wikidata items (ids from Q990000001 on are placeholders; the real ones are found by article
at run time): seats, term lengths, election dates and party seats as the Factbook edition
of 2025-10-07 gives them; the January 2022 unrest's 238 deaths as the report's footnote 25;
the armed forces' founding decree of 7 May 1992; Astana's names as the Factbook's note
dates them (Nur-Sultan from 23 March 2019, Astana again from 17 September 2022). After the
referendum of 15 March 2026 the 2023 Mazhilis election is followed by the 2026 Kurultai
election (data-sources.md §5.1), so the report's "next Mazhilis election in 2028" meets a
living source that disagrees.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

CALENDAR = "http://www.wikidata.org/entity/Q1985727"
YEAR_UNIT = "http://www.wikidata.org/entity/Q577"
REFERENDUM = datetime(2026, 3, 16, tzinfo=timezone.utc)

# ------------------------------------------------------------------ World Bank

WDI_RELEASES: list[tuple[datetime, str, dict[str, dict[str, float | int]]]] = [
    (
        datetime(2025, 7, 1, tzinfo=timezone.utc),
        "2025-07-01",
        {"SP.POP.TOTL": {"2024": 20159963}, "SP.URB.TOTL.IN.ZS": {"2023": 58.2}},
    ),
    (
        datetime(2026, 7, 1, tzinfo=timezone.utc),
        "2026-07-01",
        {"SP.POP.TOTL": {"2024": 20159963, "2025": 20391030}, "SP.URB.TOTL.IN.ZS": {"2023": 58.2}},
    ),
]
INDICATOR_NAMES = {
    "SP.POP.TOTL": "Population, total",
    "SP.URB.TOTL.IN.ZS": "Urban population (% of total population)",
}
INVALID_VALUE = [
    {
        "message": [
            {
                "id": "120",
                "key": "Invalid value",
                "value": "The provided parameter value is not valid",
            }
        ]
    }
]


def worldbank_answer(code: str, query: dict[str, str], today: datetime) -> Any:
    """One page of `/country/KAZ/indicator/{code}?format=json…` as the API answers it."""
    releases = [r for r in WDI_RELEASES if r[0] <= today]
    if code not in INDICATOR_NAMES or not releases:
        return INVALID_VALUE
    _, updated, values = releases[-1]
    years = sorted(values.get(code, {}), reverse=True)  # newest first, as the API sends
    per_page, page = int(query.get("per_page") or 50), int(query.get("page") or 1)
    chunk = years[(page - 1) * per_page : page * per_page]
    rows = [
        {
            "indicator": {"id": code, "value": INDICATOR_NAMES[code]},
            "country": {"id": "KZ", "value": "Kazakhstan"},
            "countryiso3code": "KAZ",
            "date": year,
            "value": values[code][year],
            "unit": "",
            "obs_status": "",
            "decimal": 0 if code == "SP.POP.TOTL" else 1,
        }
        for year in chunk
    ]
    meta = {
        "page": page,
        "pages": max(1, -(-len(years) // per_page)),
        "per_page": per_page,
        "total": len(years),
        "sourceid": "2",
        "sourcename": "World Development Indicators",
        "lastupdated": updated,
    }
    return [meta, rows]


# ------------------------------------------------------------------ Wikidata


def _time(day: str) -> dict[str, Any]:
    return {
        "type": "time",
        "value": {
            "time": f"+{day}T00:00:00Z",
            "timezone": 0,
            "before": 0,
            "after": 0,
            "precision": 11,
            "calendarmodel": CALENDAR,
        },
    }


def _quantity(amount: int, unit: str = "1") -> dict[str, Any]:
    return {"type": "quantity", "value": {"amount": f"+{amount}", "unit": unit}}


def _item(qid: str) -> dict[str, Any]:
    return {
        "type": "wikibase-entityid",
        "value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
    }


def _text(text: str, language: str) -> dict[str, Any]:
    return {"type": "monolingualtext", "value": {"text": text, "language": language}}


def _statement(
    qid: str, prop: str, n: int, value: dict[str, Any], qualifiers: dict[str, str] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "mainsnak": {"snaktype": "value", "property": prop, "datavalue": value},
        "type": "statement",
        "id": f"{qid}$HANDBUILT-{prop}-{n}",
        "rank": "normal",
    }
    if qualifiers:
        statement["qualifiers"] = {
            q: [{"snaktype": "value", "property": q, "datavalue": _time(day)}]
            for q, day in qualifiers.items()
        }
    return statement


# article → (placeholder id, {property: [(datavalue, qualifiers)]}); built per date below
def _items(today: datetime) -> dict[str, tuple[str, dict[str, list[Any]]]]:
    next_mazhilis = "Q990000103" if today >= REFERENDUM else "Q990000102"
    return {
        "President of Kazakhstan": ("Q990000001", {"P2097": [(_quantity(7, YEAR_UNIT), None)]}),
        "Senate of Kazakhstan": (
            "Q990000002",
            {
                "P1342": [(_quantity(50), {"P585": "2023-01-14"})],
                "P2097": [(_quantity(6, YEAR_UNIT), None)],
            },
        ),
        "Mazhilis": (
            "Q990000003",
            {
                "P1342": [(_quantity(98), {"P585": "2023-03-19"})],
                "P2097": [(_quantity(5, YEAR_UNIT), None)],
            },
        ),
        "2022 Kazakh presidential election": (
            "Q990000004",
            {
                "P585": [(_time("2022-11-20"), None)],
                "P1346": [(_item("Q1338209"), None)],
                "P156": [(_item("Q990000101"), None)],
            },
        ),
        "2023 Kazakh legislative election": (
            "Q990000005",
            {"P585": [(_time("2023-03-19"), None)], "P156": [(_item(next_mazhilis), None)]},
        ),
        "2023 Kazakh Senate election": (
            "Q990000006",
            {"P585": [(_time("2023-01-14"), None)], "P156": [(_item("Q990000104"), None)]},
        ),
        "Armed Forces of the Republic of Kazakhstan": (
            "Q990000007",
            {"P571": [(_time("1992-05-07"), None)]},
        ),
        "2022 Kazakh unrest": ("Q990000008", {"P1120": [(_quantity(238), None)]}),
        **{
            article: (qid, {"P1410": [(_quantity(seats), {"P585": "2023-03-19"})]})
            for article, qid, seats in [
                ("Amanat (party)", "Q990000011", 62),
                ("Auyl People's Democratic Patriotic Party", "Q990000012", 8),
                ("Ak Zhol Democratic Party", "Q990000013", 6),
                ("People's Party of Kazakhstan", "Q990000014", 5),
                ("Nationwide Social Democratic Party", "Q990000015", 4),
            ]
        },
    }


LABELS = {
    "Q990000101": "2029 Kazakh presidential election",
    "Q990000102": "2028 Kazakh legislative election",
    "Q990000103": "2026 Kazakh legislative election",
    "Q990000104": "2026 Kazakh Senate election",
}

ASTANA_NAMES = [
    ("Astana", "1998-05-06", "2019-03-23"),
    ("Nur-Sultan", "2019-03-23", "2022-09-17"),
    ("Astana", "2022-09-17", None),
]


def _entity(qid: str, article: str | None, claims: dict[str, list[Any]]) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "type": "item",
        "id": qid,
        "claims": {
            prop: [
                _statement(qid, prop, n, value, qualifiers)
                for n, (value, qualifiers) in enumerate(values)
            ]
            for prop, values in claims.items()
        },
    }
    if article:
        entity["labels"] = {"en": {"language": "en", "value": article}}
        entity["sitelinks"] = {"enwiki": {"site": "enwiki", "title": article, "badges": []}}
    return entity


def item_by_article(site: str, article: str, today: datetime) -> bytes:
    """`wbgetentities&sites=enwiki&titles=…`: the item, or Wikidata's 'missing' answer."""
    found = _items(today).get(article) if site == "enwiki" else None
    if found is None:
        entities = {"-1": {"site": site, "title": article, "missing": ""}}
    else:
        qid, claims = found
        entities = {qid: _entity(qid, article, claims)}
    return json.dumps({"entities": entities, "success": 1}).encode()


def astana() -> bytes:
    """`Special:EntityData/Q1520.json`, trimmed to P1448 (official name)."""
    names = [
        (_text(name, "en"), {"P580": start, **({"P582": end} if end else {})})
        for name, start, end in ASTANA_NAMES
    ]
    return json.dumps({"entities": {"Q1520": _entity("Q1520", None, {"P1448": names})}}).encode()


def with_labels(base: bytes) -> bytes:
    """The bundled label answer plus the labels of the placeholder items."""
    document = json.loads(base)
    document["entities"].update(
        {
            qid: {"id": qid, "labels": {"en": {"language": "en", "value": label}}}
            for qid, label in LABELS.items()
        }
    )
    return json.dumps(document, ensure_ascii=False).encode()
