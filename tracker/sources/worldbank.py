"""kind `worldbank`: indicator values by year for one country, World Bank Indicators API v2.

Fetch, per indicator, one after the other:
`GET {url}/country/{country}/indicator/{code}?format=json&per_page=…&page=…[&date=since:year]`,
page after page until the last one the answer announces (`pages`), bounded by `max_pages`.
An indicator whose answer fits one page is asked conditionally next time (ETag /
Last-Modified, kept per indicator; longer answers are read in full, since a revision on a
later page leaves page 1's validators unchanged): when every indicator answers 304 nothing
is parsed and nothing changes; when only some do, those are read again, so the raw
document always holds every indicator.

An answer is `[{page, pages, per_page, total, lastupdated, …}, [row, …]]` with rows
`{indicator: {id, value}, country, countryiso3code, date, value, unit, obs_status, decimal}`;
the API reports a bad country or indicator with HTTP 200 and
`[{"message": [{"id", "key", "value"}]}]`, which is a failure of the source here. The raw
document is the list of the answers read (one per page), so the same `normalize` reads a
single answer saved from the API (e.g. for `tracker backfill`).

Snapshot (canonical: keys sorted, no fetch times; a revised past value is one changed path):

    SP.POP.TOTL:
      name: Population, total
      '2023': 20033842            # one key per year with a value; null years dropped
      '2024': 20286084
    lastupdated: '2025-12-16'     # the newest `lastupdated` of the answers

Facts address `[SP.POP.TOTL, latest]` (the newest year with a value; the finding's path
names that year) or `[SP.POP.TOTL, '2024']`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.config.options import WorldBankOptions
from tracker.errors import FetchError, ParseError
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.base import Fetched, Source, load_json

WHAT = "World Bank API JSON"
_PERIOD = re.compile(r"^(\d{4})(?:([QM])(\d{1,2}))?$")  # 2024, 2024Q1, 2024M01


class WorldBankSource(Source[WorldBankOptions]):
    """World Bank Indicators API v2 (no key): several indicators of one country, every page
    read, values by year (null years dropped) with each indicator's name and the data's
    `lastupdated`. Facts read `[INDICATOR, latest]` or `[INDICATOR, '2024']`."""

    kind = "worldbank"
    Options = WorldBankOptions
    default_url = "https://api.worldbank.org/v2"
    # the per-source deadline of the one HTTP client budgets this many requests: one page
    # per indicator is the usual answer
    deadline_requests = 6
    options: WorldBankOptions

    def indicator_url(self, code: str) -> str:
        return f"{self.url.rstrip('/')}/country/{self.options.country}/indicator/{code}"

    def params(self, page: int, now: datetime) -> dict[str, str]:
        params = {"format": "json", "per_page": str(self.options.per_page), "page": str(page)}
        if self.options.since is not None:
            params["date"] = f"{self.options.since}:{max(now.year, self.options.since)}"
        return params

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        read: dict[str, list[Any]] = {}
        kept: dict[str, str] = {}
        unchanged: list[str] = []
        for code in self.options.indicators:
            mine = own_validators(validators, code)
            pages, fresh = await self._indicator(http, code, mine, now)
            if pages is None:
                unchanged.append(code)
            else:
                read[code] = pages
            kept.update(tagged(fresh, code))
        if not read:
            return Fetched(None, validators)
        for code in unchanged:  # the others changed: the document needs these too
            pages, fresh = await self._indicator(http, code, {}, now)
            read[code] = pages or []
            kept.update(tagged(fresh, code))
        answers = [answer for code in self.options.indicators for answer in read[code]]
        raw = RawDocument(json.dumps(answers).encode(), self.url, now, {}, 200)
        return Fetched(raw, kept)

    async def _indicator(
        self, http: Any, code: str, validators: dict[str, str], now: datetime
    ) -> tuple[list[Any] | None, dict[str, str]]:
        """Every page of one indicator (None: page 1 answered 304) and page 1's validators."""
        url, answers = self.indicator_url(code), []
        paging = Paging(code, self.options.country, self.options.max_pages, safe_url(url))
        first_validators: dict[str, str] = {}
        page = 1
        while True:
            response = await http.get(
                url,
                params=self.params(page, now),
                validators=validators if page == 1 else None,
                timeout=self.options.timeout,
                max_bytes=self.options.max_bytes,
            )
            if response.not_modified:
                return None, validators
            if page == 1:
                first_validators = response.validators
            answer = load_json(response.content, paging.where, WHAT)
            answers.append(answer)
            if paging.done(page, answer):
                # Only a one-page answer is asked conditionally next time: each page has
                # its own validators, and a revision on page 2 leaves page 1's unchanged.
                return answers, first_validators if page == 1 else {}
            page += 1

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        return normalize_worldbank(
            raw.content,
            self.options.country,
            self.options.indicators,
            self.options.since,
            where=raw.url,
        )


# ------------------------------------------------------------------ validators


def own_validators(validators: dict[str, str], code: str) -> dict[str, str]:
    """One indicator's ETag / Last-Modified out of the source's (`CODE etag`, …)."""
    prefix = f"{code} "
    return {k[len(prefix) :]: v for k, v in validators.items() if k.startswith(prefix)}


def tagged(validators: dict[str, str], code: str) -> dict[str, str]:
    return {f"{code} {k}": v for k, v in validators.items()}


# ------------------------------------------------------------------ answers


@dataclass
class Paging:
    """Follows one indicator's pages: the page asked must be the page answered, with rows
    of that indicator and country only, not the rows of the page before, and the answer
    must end within `max_pages`."""

    code: str
    country: str
    max_pages: int
    where: str
    previous: Any = None

    def done(self, page: int, answer: Any) -> bool:
        meta, rows = split_answer(answer, f"{self.where} (page {page})", self.code)
        pages = _count(meta.get("pages"), "pages", self.where)
        answered = meta.get("page")
        if answered is not None and _count(answered, "page", self.where) not in (page, 0):
            raise ParseError(
                f"{self.where}: asked for page {page} of {self.code}, the API "
                f"answered page {answered}; it is not paging (stopped)"
            )
        if pages > self.max_pages:
            raise ParseError(
                f"{self.where}: {self.code} has {pages} pages, more than "
                f"max_pages ({self.max_pages}); narrow `since` or raise "
                "`max_pages`"
            )
        for row in rows:
            self._check(row, page)
        if page > 1 and rows and rows == self.previous:
            raise ParseError(
                f"{self.where}: page {page} of {self.code} repeats page "
                f"{page - 1}; the API is not paging (stopped)"
            )
        self.previous = rows
        return page >= pages

    def _check(self, row: Any, page: int) -> None:
        """A row of another indicator or country means the server answered another
        question: taking it would drop this indicator's values, a false change."""
        indicator = row.get("indicator") if isinstance(row, dict) else None
        code = indicator.get("id") if isinstance(indicator, dict) else None
        if code != self.code:
            raise ParseError(
                f"{self.where}: page {page} for {self.code} holds a row of "
                f"{str(code)[:40]!r}; not the indicator asked for"
            )
        if not _same_country(row, self.country):
            raise ParseError(
                f"{self.where}: page {page} for {self.code} holds a row of "
                f"{str(row.get('countryiso3code'))[:10]!r}, not {self.country}"
            )


def split_answer(
    answer: Any, where: str, code: str | None = None
) -> tuple[dict[str, Any], list[Any]]:
    """An answer's metadata and rows; an error answer raises with the API's own words."""
    if (
        isinstance(answer, list)
        and answer
        and isinstance(answer[0], dict)
        and "message" in answer[0]
    ):
        what = f" for indicator {code}" if code else ""
        raise FetchError(
            f"{where}: the World Bank API answered an error{what}: "
            f"{api_messages(answer[0]['message'])}"
        )
    if not (
        isinstance(answer, list)
        and len(answer) == 2
        and isinstance(answer[0], dict)
        and isinstance(answer[1], (list, type(None)))
    ):
        raise ParseError(f"{where}: not a World Bank API answer ([metadata, rows] expected)")
    return answer[0], answer[1] or []


def api_messages(messages: Any) -> str:
    """`120 Invalid value: The provided parameter value is not valid` (at most 300 chars)."""
    items = messages if isinstance(messages, list) else [messages]
    texts = []
    for item in items:
        if isinstance(item, dict):
            parts = [str(item.get(k, "")).strip() for k in ("id", "key")]
            head = " ".join(p for p in parts if p)
            value = str(item.get("value", "")).strip()
            texts.append(f"{head}: {value}" if head and value else head or value)
        else:
            texts.append(str(item))
    text = " ".join("; ".join(t for t in texts if t).split())
    return text[:300] or "no message given"


def _count(value: Any, name: str, where: str) -> int:
    """A page count or number; the API sends some as strings (`"per_page": "50"`)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ParseError(
            f"{where}: the answer's `{name}` is not a number: {str(value)[:40]!r}"
        ) from None
    if number < 0:
        raise ParseError(f"{where}: the answer's `{name}` is negative ({number})")
    return number


# ------------------------------------------------------------------ normalize


def normalize_worldbank(
    content: bytes,
    country: str,
    indicators: list[str],
    since: int | None = None,
    where: str = "document",
) -> dict[str, Any]:
    """Pure: the answers (or one answer) → the snapshot dict described above."""
    document = load_json(content, where, WHAT)
    answers = document if _is_bundle(document) else [document]
    values: dict[str, dict[str, int | float]] = {code: {} for code in indicators}
    names: dict[str, set[str]] = {code: set() for code in indicators}
    updated: list[str] = []
    for number, answer in enumerate(answers, 1):
        meta, rows = split_answer(answer, f"{where} (answer {number})")
        if isinstance(meta.get("lastupdated"), str) and meta["lastupdated"].strip():
            updated.append(meta["lastupdated"].strip())
        for row in rows:
            _add_row(row, country, since, values, names, where)
    snapshot: dict[str, Any] = {}
    for code in indicators:
        if names[code] or values[code]:
            entry: dict[str, Any] = dict(values[code])
            if names[code]:
                entry["name"] = sorted(names[code])[0]
            snapshot[code] = entry
    if updated:
        snapshot["lastupdated"] = max(updated)
    return snapshot


def _is_bundle(document: Any) -> bool:
    return (
        isinstance(document, list) and bool(document) and all(isinstance(a, list) for a in document)
    )


def _add_row(
    row: Any,
    country: str,
    since: int | None,
    values: dict[str, dict[str, Any]],
    names: dict[str, set[str]],
    where: str,
) -> None:
    if not isinstance(row, dict):
        raise ParseError(f"{where}: a row is not an object")
    indicator = row.get("indicator")
    if (
        not isinstance(indicator, dict)
        or indicator.get("id") not in values
        or not _same_country(row, country)
    ):
        return  # another indicator or country than configured: not this source's data
    code, name = indicator["id"], indicator.get("value")
    if isinstance(name, str) and name.strip():
        names[code].add(" ".join(name.split()))
    period = str(row.get("date", "")).strip()
    match = _PERIOD.match(period)
    if not match:
        raise ParseError(f"{where}: {code} has a row dated {period[:20]!r}, not a year")
    if since is not None and int(match.group(1)) < since:
        return
    value = number(row.get("value"))
    if value is None:
        return
    known = values[code].get(period)
    if known is not None and known != value:
        raise ParseError(f"{where}: {code} has two values for {period} ({known}, {value})")
    values[code][period] = value


def _same_country(row: dict[str, Any], country: str) -> bool:
    iso3 = row.get("countryiso3code")
    return not iso3 or str(iso3).strip().upper() == country.upper()


def number(value: Any) -> int | float | None:
    """A finite number (integral ones as int, so `20592571.0` and `20592571` are one
    value), or None for null, NaN, infinities and anything that is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
