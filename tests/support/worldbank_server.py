"""A fake World Bank Indicators API v2 on the real local test server (tests/support/server.py).

Plays what the tracker relies on: `/country/{ISO3}/indicator/{code}?format=json` with
`date=A:B`, `per_page` and `page`, answers `[{page, pages, per_page, total, sourceid,
lastupdated}, [row, …]]` with rows newest year first (as the API does), `per_page` as a
string (as the API sends it), an ETag (a 304 for a repeated question), and the API's
error answer, HTTP 200 with `[{"message": [{"id", "key", "value"}]}]`, for an unknown
indicator or country. Broken servers on demand: `repeat_pages` (every page is page 1),
`endless` (every page announces one more). The values are whatever a test puts in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.server import LocalServer, Reply

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
ARCHIVED = [
    {
        "message": [
            {
                "id": "175",
                "key": "Invalid format",
                "value": "The indicator was not found. It may have been deleted or archived.",
            }
        ]
    }
]


@dataclass
class Series:
    name: str
    values: dict[str, float | int | None]


def answer(
    code: str,
    series: Series,
    country: str,
    page: int,
    per_page: int,
    lastupdated: str,
    years: tuple[int, int] | None = None,
    pages_override: int | None = None,
) -> list[Any]:
    """One page of the API's answer for one indicator, in its real shape."""
    dates = sorted(series.values, reverse=True)
    if years:
        dates = [d for d in dates if years[0] <= int(d[:4]) <= years[1]]
    pages = max(1, -(-len(dates) // per_page)) if dates else 0
    chunk = dates[(page - 1) * per_page : page * per_page]
    rows = [
        {
            "indicator": {"id": code, "value": series.name},
            "country": {"id": "KZ", "value": "Kazakhstan"},
            "countryiso3code": country,
            "date": d,
            "value": series.values[d],
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
        for d in chunk
    ]
    meta = {
        "page": page,
        "pages": pages if pages_override is None else pages_override,
        "per_page": str(per_page),
        "total": len(dates),
        "sourceid": "2",
        "sourcename": "World Development Indicators",
        "lastupdated": lastupdated,
    }
    return [meta, rows or None]


@dataclass
class FakeWorldBank:
    server: LocalServer
    country: str = "KAZ"
    series: dict[str, Series] = field(default_factory=dict)
    lastupdated: str = "2025-12-16"
    repeat_pages: bool = False
    endless: bool = False
    queries: list[dict[str, str]] = field(default_factory=list)

    def add(self, code: str, name: str, values: dict[str, Any]) -> None:
        """Serve `code` (its path routed now) with these values by year."""
        self.series[code] = Series(name, dict(values))
        self.route(code)

    def route(self, code: str) -> None:
        """Answer `code` (also one that does not exist: the API's error answer)."""
        self.server.handler(self.path(code), lambda h, c=code: self._answer(h, c))

    def path(self, code: str) -> str:
        return f"/country/{self.country}/indicator/{code}"

    def _answer(self, handler: Any, code: str) -> Reply:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        self.queries.append({"code": code, **query})
        if query.get("format") != "json":
            return Reply(200, b'<?xml version="1.0"?><wb:data/>', content_type="text/xml")
        if code not in self.series:
            return Reply(200, json.dumps(INVALID_VALUE).encode(), etag=True)
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "50"))
        if self.repeat_pages:
            page = 1
        years = None
        if "date" in query:
            low, _, high = query["date"].partition(":")
            years = (int(low), int(high or low))
        pages = page + 1 if self.endless else None
        body = answer(
            code, self.series[code], self.country, page, per_page, self.lastupdated, years, pages
        )
        return Reply(200, json.dumps(body).encode(), etag=True)
