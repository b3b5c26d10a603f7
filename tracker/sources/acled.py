"""kind `acled`: ACLED conflict events for one country, stored as aggregates only.

ACLED's terms forbid giving others access to raw event rows, so the snapshot (and with it
every commit and digest) holds only counts: events and fatalities by day × event type ×
sub-event type × civilian targeting, plus the query, the access date and ACLED's
attribution line. The rows themselves live in a local cache under `.tracker/acled/`
(git-ignored), which also makes weekly updates incremental: rows changed since the last
run (`timestamp >=`), minus events ACLED deleted (`/api/deleted/read`).

Snapshot shape (keys sorted by the canonical YAML writer):

    accessed: '2025-09-17'      # date the current content was retrieved
    attribution: …
    data_through: '2025-09-12'  # latest event date in the data
    events:     {'2025-06-14': {'Protests › Peaceful protest': 3, …}, …}
    fatalities: {'2025-07-02': {'Violence against civilians › Attack › civilian targeting': 1}}
    query: {country: Kazakhstan, event_date_from: '2023-01-01', fields: …}
    years: {'2025': {events: 320, fatalities: 6}}

`fatalities` lists only non-zero counts. One line per day and category keeps three years
of a country small and makes a weekly update's `git diff` read as a few changed days.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import AfterValidator
from typing_extensions import NotRequired, TypedDict

from tracker.config import AcledOptions
from tracker.errors import FetchError, ParseError
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.acled_api import DELETED_PATH, READ_PATH, AcledClient
from tracker.sources.base import Fetched, Source, load_json
from tracker.sources.sanity import checked_snapshot, read_as
from tracker.sources.shrink import mapping, shrunk
from tracker.store.files import IsoTime, JsonFile

ATTRIBUTION = (
    "Armed Conflict Location & Event Data Project (ACLED); https://acleddata.com. "
    "Counts aggregated by report-tracker from the ACLED API for the query below; "
    "raw event data is not redistributed."
)
FIELDS = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "civilian_targeting",
    "fatalities",
    "timestamp",
)
CIVILIAN = "Civilian targeting"
SEP = " › "  # category key separator; ACLED type names contain '/', never '›'
CIVILIAN_KEY = "civilian targeting"
DELETED_MARGIN = timedelta(days=1)  # overlap between runs, so no deletion slips through
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class AcledSource(Source[AcledOptions]):
    """ACLED events for one country (OAuth API, since Sept 2025); the snapshot keeps only
    counts by day, event type, sub-event type and civilian targeting. Needs `country`,
    `since` and `credentials: {username_env, password_env}`; `url` is the API base."""

    kind = "acled"
    deadline_requests = 8  # a token, a few pages, the deleted events
    Options = AcledOptions
    default_url = "https://acleddata.com"
    env: Mapping[str, str] = os.environ

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        options: AcledOptions = self.options
        username, password = self._login()
        client = AcledClient(
            http,
            self.url,
            username,
            password,
            token_file=self._file("token"),
            now=now,
            timeout=options.timeout,
            max_bytes=options.max_bytes,
            env_names=(options.credentials.username_env, options.credentials.password_env),
        )
        try:
            rows = await self._sync(client, now)
        except (FetchError, ParseError) as exc:  # never let a quoted secret through
            exc.args = (client.redact(str(exc)),)
            raise
        document = {"query": self.query(), "data": rows}
        raw = RawDocument(json.dumps(document).encode(), client.base + READ_PATH, now)
        return Fetched(raw, {})

    volatile_keys = ("accessed",)

    def shrinkage(self, previous: dict[str, Any], new: dict[str, Any]) -> str | None:
        """Half the events gone for the same query (a changed query may count fewer)."""
        if previous.get("query") != new.get("query"):
            return None
        return shrunk("events counted", _events(previous), _events(new))

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        where = safe_url(raw.url)
        with read_as(where, "an ACLED answer"):
            return checked_snapshot(
                normalize_acled(raw.content, raw.fetched_at.date(), where=where), where
            )

    def merge(self, previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
        """Unchanged data keeps its earlier access date: no commit for a date alone."""
        if previous and _without_accessed(previous) == _without_accessed(new):
            return {**new, "accessed": previous.get("accessed", new["accessed"])}
        return new

    # ------------------------------------------------------------ query

    def query(self) -> dict[str, str]:
        options: AcledOptions = self.options
        query = {
            "country": options.country,
            "event_date_from": options.since.isoformat(),
            "fields": "|".join(FIELDS),
        }
        if options.until:
            query["event_date_to"] = options.until.isoformat()
        return query

    def _params(self, now: datetime) -> dict[str, str]:
        options: AcledOptions = self.options
        until = options.until or now.date()
        return {
            "_format": "json",
            "country": options.country,
            "event_date": f"{options.since.isoformat()}|{until.isoformat()}",
            "event_date_where": "BETWEEN",
            "fields": "|".join(FIELDS),
        }

    def _login(self) -> tuple[str, str]:
        creds = self.options.credentials
        values = []
        for name, what in (
            (creds.username_env, "account e-mail"),
            (creds.password_env, "password"),
        ):
            value = self.env.get(name, "")
            if not value.strip():
                raise FetchError(
                    f"ACLED source {self.id!r}: environment variable ${name} "
                    f"(the {what}, named in feeds.yaml credentials) is not set"
                )
            values.append(value)
        return values[0], values[1]

    # ------------------------------------------------------------ local row cache

    def _file(self, what: str) -> Path | None:
        if self.state_dir is None:  # e.g. a bare fetch in a script: nothing cached
            return None
        return Path(self.state_dir) / "acled" / f"{self.id}.{what}.json"

    def _cache_key(self) -> str:
        options: AcledOptions = self.options
        text = json.dumps([self.url, options.country, str(options.since), str(options.until)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _row_cache(self) -> JsonFile[RowCache | None] | None:
        # Raw rows stay local (mode 0600). A damaged or misshapen cache is removed: it
        # only costs one full read.
        path = self._file("rows")
        if path is None:
            return None
        return JsonFile(path, RowCache, lambda: None, damaged="discard", mode=0o600)

    def _load_cache(self, now: datetime) -> dict[str, Any] | None:
        file = self._row_cache()
        cache = file.load() if file is not None else None
        if cache is None:
            return None
        synced = datetime.fromisoformat(cache["full_sync"])
        refresh_every = self.options.full_refresh_every
        if cache["key"] != self._cache_key() or now - synced >= refresh_every:
            return None
        return dict(cache)

    async def _sync(self, client: AcledClient, now: datetime) -> list[dict[str, Any]]:
        """All rows of the query: incrementally from the local cache when it is recent."""
        options: AcledOptions = self.options
        paging = {"page_size": options.page_size, "max_pages": options.max_pages}
        params = self._params(now)
        cache = self._load_cache(now)
        if cache is None:
            fetched = await client.read_all(READ_PATH, params, what="events", **paging)
            rows = _by_id(fetched)
            cache = {"key": self._cache_key(), "full_sync": now.isoformat()}
        else:
            rows = dict(cache["rows"])
            since = str(max((int(r["timestamp"]) for r in rows.values()), default=0))
            fetched = await client.read_all(
                READ_PATH,
                {**params, "timestamp": since, "timestamp_where": ">="},
                what="updated events",
                **paging,
            )
            rows.update(_by_id(fetched))
            for event_id in await self._deleted(client, cache, paging):
                rows.pop(event_id, None)
        cache.update(rows=rows, last_sync=now.isoformat())
        file = self._row_cache()
        if file is not None:
            file.save(cache)
        return sorted(rows.values(), key=lambda r: (r["event_date"], r["event_id_cnty"]))

    async def _deleted(
        self, client: AcledClient, cache: dict[str, Any], paging: dict[str, int]
    ) -> list[str]:
        last = datetime.fromisoformat(cache.get("last_sync") or cache["full_sync"])
        since = int((last - DELETED_MARGIN).timestamp())
        found = await client.read_all(
            DELETED_PATH,
            {"_format": "json", "deleted_timestamp": str(since), "deleted_timestamp_where": ">="},
            what="deleted events",
            **paging,
        )
        ids = []
        for index, row in enumerate(found):
            if not isinstance(row, dict) or not _is_text(row.get("event_id_cnty")):
                raise ParseError(f"ACLED deleted events: row {index} has no event_id_cnty")
            ids.append(row["event_id_cnty"])
        return ids


def _cached_rows(rows: dict[str, Any]) -> dict[str, Any]:
    """Rows from the local cache pass the same checks as rows from the API (else the
    cache is the wrong shape, and is read afresh)."""
    for index, (event_id, row) in enumerate(rows.items()):
        try:
            parse_row(row, index)
        except ParseError as exc:
            raise ValueError(str(exc)) from None
        if row["event_id_cnty"] != event_id:
            raise ValueError(f"cached row {event_id!r} holds event {row['event_id_cnty']!r}")
    return rows


class RowCache(TypedDict):
    """`.tracker/acled/<id>.rows.json`: the query's rows by event id, and when synced."""

    key: str
    full_sync: IsoTime
    last_sync: NotRequired[IsoTime]
    rows: Annotated[dict[str, dict[str, Any]], AfterValidator(_cached_rows)]


def _by_id(rows: list[Any]) -> dict[str, dict[str, str]]:
    """Validate rows strictly and keep only the aggregated fields (the cache stays lean)."""
    out = {}
    for index, row in enumerate(rows):
        parse_row(row, index)
        out[row["event_id_cnty"]] = {k: row[k] for k in FIELDS}
    return out


# ---------------------------------------------------------------- normalize (pure)


def normalize_acled(content: bytes, accessed: date, where: str = "document") -> dict[str, Any]:
    """Pure: an ACLED answer (the API envelope, or the `{query, data}` a fetch builds) →
    the aggregate snapshot. A malformed row is an error, never a zero."""
    document = load_json(content, where, "ACLED JSON")
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ParseError(f"{where}: not an ACLED answer (no `data` list)")
    if document.get("success") is False:
        raise ParseError(f"{where}: ACLED reported an error (success: false)")
    rows = [parse_row(row, i) for i, row in enumerate(document["data"])]
    return aggregate(rows, document.get("query") or {}, accessed)


def aggregate(rows: list[dict[str, Any]], query: dict[str, Any], accessed: date) -> dict[str, Any]:
    events: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    deaths: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    years: dict[str, dict[str, int]] = defaultdict(lambda: {"events": 0, "fatalities": 0})
    for row in rows:
        day, key = row["event_date"].isoformat(), category_key(row)
        events[day][key] += 1
        if row["fatalities"]:
            deaths[day][key] += row["fatalities"]
        years[day[:4]]["events"] += 1
        years[day[:4]]["fatalities"] += row["fatalities"]
    latest = max((r["event_date"] for r in rows), default=None)
    return {
        "attribution": ATTRIBUTION,
        "accessed": accessed.isoformat(),
        "query": {str(k): str(v) for k, v in query.items()},
        "data_through": latest.isoformat() if latest else None,
        "events": _plain(events),
        "fatalities": _plain(deaths),
        "years": _plain(years),
    }


def _events(snapshot: dict[str, Any]) -> int:
    years = mapping(snapshot.get("years"))
    return sum(n for y in years.values() if isinstance(n := mapping(y).get("events"), int))


def category_key(row: dict[str, Any]) -> str:
    parts = [row["event_type"], row["sub_event_type"]]
    return SEP.join(parts + [CIVILIAN_KEY] if row["civilian_targeting"] else parts)


def split_key(key: str) -> tuple[str, str, bool]:
    """'Protests › Peaceful protest' → (event type, sub-event type, civilian targeting)."""
    parts = key.split(SEP)
    return parts[0], parts[1] if len(parts) > 1 else "", parts[-1] == CIVILIAN_KEY


def parse_row(row: Any, index: int) -> dict[str, Any]:
    """One ACLED row, every value a string, parsed strictly; ParseError names the problem."""
    if not isinstance(row, dict):
        raise ParseError(f"ACLED row {index}: not an object")
    event_id = row.get("event_id_cnty")
    where = f"ACLED row {index} ({event_id!r})" if _is_text(event_id) else f"ACLED row {index}"
    if not _is_text(event_id):
        raise ParseError(f"{where}: event_id_cnty missing or empty")
    missing = [f for f in FIELDS if f not in row]
    if missing:
        raise ParseError(f"{where}: missing field(s) {', '.join(missing)}")
    for name in ("event_type", "sub_event_type"):
        if not _is_text(row[name]) or SEP.strip() in row[name]:
            raise ParseError(f"{where}: bad {name} {row[name]!r}")
    if row["civilian_targeting"] not in ("", CIVILIAN):
        raise ParseError(
            f"{where}: civilian_targeting must be '' or {CIVILIAN!r}, "
            f"got {row['civilian_targeting']!r}"
        )
    return {
        "event_date": _strict_date(row["event_date"], where),
        "event_type": row["event_type"],
        "sub_event_type": row["sub_event_type"],
        "civilian_targeting": row["civilian_targeting"] == CIVILIAN,
        "fatalities": _strict_count(row["fatalities"], "fatalities", where),
        "timestamp": _strict_count(row["timestamp"], "timestamp", where),
    }


def _strict_date(value: Any, where: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ParseError(f"{where}: event_date must be 'YYYY-MM-DD', got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{where}: event_date {value!r} is not a calendar date") from None


def _strict_count(value: Any, name: str, where: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,12}", value.strip()):
        raise ParseError(f"{where}: {name} must be a whole number as text, got {value!r}")
    return int(value)


def _is_text(value: Any) -> bool:
    """Non-empty text that is valid Unicode (a lone surrogate would be cached, then fail
    every later run when the snapshot is written)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value)


def _plain(nested: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) for k, v in nested.items()}


def _without_accessed(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "accessed"}
