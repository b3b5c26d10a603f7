"""kind `wikidata`: selected properties of one Wikidata entity, current value + history.

Fetch: `GET {url}/wiki/Special:EntityData/<Q>.json` (conditional) — or, for an item named
by its Wikipedia article (`article:`, `site:`), `wbgetentities` with `sites` and `titles`,
which answers the same entity JSON (the snapshot then says which `item` it read) — then one
`wbgetentities` call per 50 referenced items for their labels (`props=labels`,
`languages=<languages>|mul`), sent one after the other as Wikimedia asks. The shared
client sends the descriptive User-Agent (set `http.contact` in feeds.yaml) and honours
429 `Retry-After`. The raw document is the entity JSON with the label-only entities of
the referenced items added under `entities`, so the same `normalize` reads a plain
`Special:EntityData` file (e.g. for `tracker backfill`); without labels, item values
are `null` and only their `id` is kept.

Snapshot shape (keys sorted by the canonical YAML; no fetch times, no revision ids):

    P6:                                  # one key per configured property that has statements
      value: Olzhas Bektenov             # label in the first configured language (else `mul`)
      id: Q...                           # item values only
      labels: {en: Olzhas Bektenov, pl: Ołżas Bektenow}   # configured languages present
      start: '2024-02-06'                # P580; `end` (P582), `date` (P585) when present
      previous:                          # the other non-deprecated statements, oldest first
        - {value: Askar Mamin, id: Q..., start: '2019-02-25', end: '2022-01-05'}
    P1082:
      value: 20286084                    # quantities are numbers; `unit` if not "1"
      date: '2025-01-01'
      previous: [{value: 20033842, date: '2024-01-01'}, ...]

Dates keep Wikidata's precision: '2024', '2024-02' or '2024-02-06'. When no statement
is current (all ended), `value` is null and everything is under `previous`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.config import WikidataOptions
from tracker.errors import ParseError, SourceGone
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.base import Fetched, Source, load_json
from tracker.sources.sanity import checked_snapshot, read_as
from tracker.sources.shrink import shrunk

START, END, POINT_IN_TIME = "P580", "P582", "P585"
LABEL_BATCH = 50  # wbgetentities accepts at most 50 ids per call
FALLBACK_LANGUAGE = "mul"  # Wikidata's language-independent default label
_TIME = re.compile(r"^([+-]?)(\d+)-(\d\d)-(\d\d)")


class WikidataSource(Source[WikidataOptions]):
    """A Wikidata item's chosen properties (entity JSON): per property the current statement
    (deprecated skipped, ended dropped, preferred rank first, latest start / point in time),
    item values resolved to labels, earlier values kept with their dates."""

    kind = "wikidata"
    deadline_requests = 2  # the entity, then its labels
    Options = WikidataOptions
    default_url = "https://www.wikidata.org"
    options: WikidataOptions

    @property
    def entity_url(self) -> str:
        return f"{self.url.rstrip('/')}/wiki/Special:EntityData/{self.options.entity}.json"

    def item_request(self) -> tuple[str, dict[str, str] | None]:
        """The entity document's URL: Special:EntityData for `entity`, or `wbgetentities`
        by the Wikipedia article for `article` (redirects followed; same entity JSON)."""
        if self.options.article is None:
            return self.entity_url, None
        languages = "|".join(dict.fromkeys([*self.options.languages, FALLBACK_LANGUAGE]))
        return f"{self.url.rstrip('/')}/w/api.php", {
            "action": "wbgetentities",
            "sites": self.options.site,
            "titles": self.options.article,
            "redirects": "yes",
            "props": "info|claims|labels",
            "languages": languages,
            "format": "json",
        }

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        url, params = self.item_request()
        response = await http.get(
            url,
            params=params,
            validators=validators,
            timeout=self.options.timeout,
            max_bytes=self.options.max_bytes,
        )
        if response.not_modified:
            return Fetched(None, validators)
        where = safe_url(response.url)
        with read_as(where, "Wikidata entity JSON"):
            document = load_entity_document(response.content, where)
            if self.options.article is not None:
                document = titled_entity(document, self.options.site, self.options.article, where)
            entity = main_entity(document, self.options.entity, where)
            ids = referenced_items(entity, self.options.properties)
        document["entities"].update(await self._labels(http, ids))
        raw = RawDocument(
            json.dumps(document).encode(), response.url, now, response.headers, response.status
        )
        return Fetched(raw, response.validators)

    async def _labels(self, http: Any, ids: list[str]) -> dict[str, Any]:
        """Label-only entities for `ids`, one wbgetentities call per batch, serially."""
        api = f"{self.url.rstrip('/')}/w/api.php"
        languages = "|".join(dict.fromkeys([*self.options.languages, FALLBACK_LANGUAGE]))
        found: dict[str, Any] = {}
        for batch in batches(ids, LABEL_BATCH):
            params = {
                "action": "wbgetentities",
                "ids": "|".join(batch),
                "props": "labels",
                "languages": languages,
                "format": "json",
            }
            response = await http.get(
                api, params=params, timeout=self.options.timeout, max_bytes=self.options.max_bytes
            )
            with read_as(safe_url(api), "a wbgetentities answer"):
                found.update(label_entities(response.content, safe_url(api)))
        return found

    def shrinkage(self, previous: dict[str, Any], new: dict[str, Any]) -> str | None:
        def properties(snapshot: dict[str, Any]) -> int:
            return sum(1 for key in snapshot if str(key).startswith("P"))  # not `item`

        return shrunk("properties with statements", properties(previous), properties(new))

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        where = safe_url(raw.url)
        with read_as(where, "Wikidata entity JSON"):
            return checked_snapshot(
                normalize_wikidata(
                    raw.content,
                    self.options.entity,
                    self.options.properties,
                    self.options.languages,
                    raw.fetched_at,
                    where=where,
                ),
                where,
            )


# ------------------------------------------------------------------ documents


def load_entity_document(content: bytes, where: str) -> dict[str, Any]:
    document = _load_json(content, where)
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        info = document["error"].get("info") or document["error"].get("code")
        raise ParseError(f"{where}: the Wikidata API answered an error: {str(info)[:200]}")
    return _with_entities(document, where)


def titled_entity(document: dict[str, Any], site: str, title: str, where: str) -> dict[str, Any]:
    """The answer to `wbgetentities&sites=…&titles=…`: the one item, or SourceGone when the
    article has no item (or no longer exists)."""
    found = {
        qid: body
        for qid, body in document["entities"].items()
        if isinstance(body, dict) and "missing" not in body and "claims" in body
    }
    if len(found) != 1:
        raise SourceGone(
            f"{where}: no Wikidata item for the {site} article {title[:80]!r}; "
            "check `article` (its exact name) or set `entity`"
        )
    return {**document, "entities": found}


def _load_json(content: bytes, where: str) -> Any:
    return load_json(content, where, "Wikidata entity JSON")


def _with_entities(document: Any, where: str) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("entities"), dict):
        raise ParseError(
            f"{where}: JSON without an `entities` object; not Wikidata entity "
            "JSON (Special:EntityData/<Q>.json)"
        )
    return document


def main_entity(document: dict[str, Any], entity_id: str | None, where: str) -> dict[str, Any]:
    """The requested entity; after a redirect (merged items), or when no id is given (an
    item found by its article), the one entity with claims."""
    entities = document["entities"]
    entity = entities.get(entity_id) if entity_id else None
    if entity is None:
        with_claims = [e for e in entities.values() if isinstance(e, dict) and "claims" in e]
        entity = with_claims[0] if len(with_claims) == 1 else None
    name = entity_id or "the item"
    if not isinstance(entity, dict) or "missing" in entity:
        raise SourceGone(f"{where}: entity {name} is not in the document (deleted?)")
    if not isinstance(entity.get("claims", {}), dict):
        raise ParseError(f"{where}: entity {name} has no `claims` object")
    return entity


def label_entities(content: bytes, where: str) -> dict[str, Any]:
    """The `entities` of a wbgetentities answer; an API error is a ParseError."""
    document = _load_json(content, where)
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        info = document["error"].get("info") or document["error"].get("code")
        raise ParseError(f"{where}: wbgetentities failed: {str(info)[:200]}")
    document = _with_entities(document, where)
    return {
        qid: {"labels": body.get("labels", {})}
        for qid, body in document["entities"].items()
        if isinstance(body, dict) and "missing" not in body
    }


def referenced_items(entity: dict[str, Any], properties: list[str]) -> list[str]:
    """Ids of the items that statements of `properties` point to (sorted, unique)."""
    ids = {
        _item_id(s["mainsnak"])
        for p in properties
        for s in entity["claims"].get(p, [])
        if isinstance(s, dict) and isinstance(s.get("mainsnak"), dict)
    }
    return sorted((i for i in ids if i), key=lambda q: int(q[1:]))


def batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ------------------------------------------------------------------ normalize


def normalize_wikidata(
    content: bytes,
    entity_id: str | None,
    properties: list[str],
    languages: list[str],
    now: datetime,
    where: str = "document",
) -> dict[str, Any]:
    """Pure: entity JSON (+ label entities) → the snapshot dict described above.

    `now` decides which statements have ended; it is the fetch time of the document.
    Without `entity_id` (an item found by its article) the snapshot names the item read
    (`item: Q…`).
    """
    document = load_entity_document(content, where)
    entity = main_entity(document, entity_id, where)
    labels = {
        qid: body.get("labels") or {}
        for qid, body in document["entities"].items()
        if isinstance(body, dict)
    }
    snapshot: dict[str, Any] = {}
    for prop in properties:
        statements = [s for s in entity["claims"].get(prop, []) if _usable(s)]
        if statements:
            snapshot[prop] = property_entry(statements, labels, languages, now.date())
    if entity_id is None and isinstance(entity.get("id"), str):
        snapshot["item"] = entity["id"]
    return snapshot


def property_entry(
    statements: list[dict[str, Any]], labels: dict[str, Any], languages: list[str], today: date
) -> dict[str, Any]:
    current, previous = select_statement(statements, today)
    entry: dict[str, Any] = (
        _describe(current, labels, languages, with_labels=True) if current else {"value": None}
    )
    if previous:
        entry["previous"] = [_describe(s, labels, languages) for s in previous]
    return entry


def select_statement(
    statements: list[dict[str, Any]], today: date
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The current statement of one property, and the others (oldest first).

    Deprecated statements are ignored; statements whose end time (P582) has passed, or
    whose start time (P580) is still ahead, are not current. Among the rest: for
    values with a point in time (P585, e.g. population) the latest date wins and rank only
    breaks ties, because editors often leave the preferred rank on an older figure; for
    the others preferred rank wins, then the latest start time.
    """
    usable = [s for s in statements if s.get("rank") != "deprecated" and _usable(s)]
    live = [s for s in usable if _is_live(s, today)]
    current = max(live, key=_precedence) if live else None
    previous = sorted((s for s in usable if s is not current), key=_chronology)
    return current, previous


@dataclass(frozen=True, order=True)
class WikiTime:
    """A Wikidata time value reduced to its precision: year, month (0 = unknown), day."""

    year: int
    month: int = 0
    day: int = 0

    def as_date(self) -> date:
        return date(max(self.year, 1), self.month or 1, self.day or 1)

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        return (
            text
            + (f"-{self.month:02d}" if self.month else "")
            + (f"-{self.day:02d}" if self.month and self.day else "")
        )


def parse_time(value: dict[str, Any]) -> WikiTime | None:
    """{'time': '+2024-02-06T00:00:00Z', 'precision': 11} → WikiTime(2024, 2, 6)."""
    match = _TIME.match(str(value.get("time", "")))
    if not match:
        return None
    sign, year, month, day = match.groups()
    precision = int(value.get("precision", 11))
    return WikiTime(
        int(year) * (-1 if sign == "-" else 1),
        int(month) if precision >= 10 else 0,
        int(day) if precision >= 11 else 0,
    )


def _usable(statement: Any) -> bool:
    """A statement with a real value ('unknown value' / 'no value' snaks carry none)."""
    snak = statement.get("mainsnak") if isinstance(statement, dict) else None
    return isinstance(snak, dict) and snak.get("snaktype") == "value" and "datavalue" in snak


def _qualifier_time(statement: dict[str, Any], prop: str) -> WikiTime | None:
    times = [
        parse_time(q["datavalue"]["value"])
        for q in (statement.get("qualifiers") or {}).get(prop, [])
        if q.get("snaktype") == "value" and "datavalue" in q
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _is_live(statement: dict[str, Any], today: date) -> bool:
    end, start = _qualifier_time(statement, END), _qualifier_time(statement, START)
    ended = end is not None and end.as_date() <= today
    not_yet = start is not None and start.as_date() > today
    return not ended and not not_yet


def _when(statement: dict[str, Any]) -> WikiTime:
    return (
        _qualifier_time(statement, POINT_IN_TIME)
        or _qualifier_time(statement, START)
        or WikiTime(-(10**9))
    )


def _precedence(statement: dict[str, Any]) -> tuple[Any, ...]:
    preferred = statement.get("rank") == "preferred"
    if _qualifier_time(statement, POINT_IN_TIME) is not None:
        return (_when(statement), preferred, statement.get("id", ""))
    return (preferred, _when(statement), statement.get("id", ""))


def _chronology(statement: dict[str, Any]) -> tuple[Any, ...]:
    return (_when(statement), str(statement.get("id", "")))


def _item_id(snak: dict[str, Any]) -> str | None:
    value = (snak.get("datavalue") or {}).get("value")
    if isinstance(value, dict) and value.get("entity-type", "item") == "item" and "id" in value:
        return str(value["id"])
    return None


def _describe(
    statement: dict[str, Any],
    labels: dict[str, Any],
    languages: list[str],
    with_labels: bool = False,
) -> dict[str, Any]:
    out = _snak_value(statement["mainsnak"], labels, languages, with_labels)
    for key, prop in (("start", START), ("end", END), ("date", POINT_IN_TIME)):
        when = _qualifier_time(statement, prop)
        if when is not None:
            out[key] = str(when)
    return out


def _snak_value(
    snak: dict[str, Any], labels: dict[str, Any], languages: list[str], with_labels: bool
) -> dict[str, Any]:
    datavalue = snak["datavalue"]
    kind, value = datavalue.get("type"), datavalue.get("value")
    item = _item_id(snak)
    if item:
        names = _labels_of(labels.get(item) or {}, languages)
        out: dict[str, Any] = {"value": _first_label(labels.get(item) or {}, languages), "id": item}
        if with_labels:
            out["labels"] = names
        return out
    if kind == "quantity":
        out = {"value": _number(value.get("amount"))}
        unit = str(value.get("unit", "1")).rsplit("/", 1)[-1]
        return out if unit == "1" else {**out, "unit": unit}
    if kind == "time":
        when = parse_time(value)
        return {"value": str(when) if when else None}
    if kind == "monolingualtext":
        return {"value": value.get("text")}
    return {"value": value if isinstance(value, (str, int, float)) else json.dumps(value)}


def _labels_of(entity_labels: dict[str, Any], languages: list[str]) -> dict[str, str]:
    return {
        lang: entity_labels[lang]["value"]
        for lang in languages
        if isinstance(entity_labels.get(lang), dict) and "value" in entity_labels[lang]
    }


def _first_label(entity_labels: dict[str, Any], languages: list[str]) -> str | None:
    names = _labels_of(entity_labels, [*languages, FALLBACK_LANGUAGE])
    return next(iter(names.values()), None)


def _number(amount: Any) -> int | float | None:
    try:
        number = float(str(amount))
    except ValueError:
        return None
    return int(number) if number.is_integer() else number
