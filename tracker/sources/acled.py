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
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from tracker.config import AcledOptions
from tracker.errors import FetchError, ParseError
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.acled_api import DELETED_PATH, READ_PATH, AcledClient
from tracker.sources.acled_cache import LocalRows, document_digest
from tracker.sources.acled_rows import FIELDS, SEP, by_id, is_text, parse_row
from tracker.sources.base import Fetched, Source, load_json
from tracker.sources.sanity import checked_snapshot, read_as
from tracker.sources.shrink import mapping, shrunk

ATTRIBUTION = (
    "Armed Conflict Location & Event Data Project (ACLED); https://acleddata.com. "
    "Counts aggregated by report-tracker from the ACLED API for the query below; "
    "raw event data is not redistributed."
)
CIVILIAN_KEY = "civilian targeting"
DOCUMENT = "acled-document"  # the validator: the digest of the rows' document
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
            document = await self._sync(client, now, validators.get(DOCUMENT))
        except (FetchError, ParseError) as exc:  # never let a quoted secret through
            exc.args = (client.redact(str(exc)),)
            raise
        if document.body is None:  # the rows behind the committed snapshot: like a 304
            return Fetched(None, {DOCUMENT: document.digest})
        raw = RawDocument(document.body, client.base + READ_PATH, now)
        return Fetched(raw, {DOCUMENT: document.digest})

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

    def _local(self) -> LocalRows:
        folder = Path(self.state_dir) / "acled" if self.state_dir is not None else None
        return LocalRows(folder, self.id, self._cache_key())

    async def _sync(self, client: AcledClient, now: datetime, committed: str | None) -> Document:
        """All rows of the query as a document: incrementally from the local rows when they
        are recent; no document (`body` None) when nothing changed since the one the
        committed snapshot was made from (`committed`, the validator kept with it)."""
        options: AcledOptions = self.options
        paging = {"page_size": options.page_size, "max_pages": options.max_pages}
        params = self._params(now)
        local = self._local()
        sync = local.synced(now, options.full_refresh_every)
        rows = None
        if sync is not None:
            updated = by_id(
                await client.read_all(
                    READ_PATH,
                    {**params, "timestamp": str(sync["newest"]), "timestamp_where": ">="},
                    what="updated events",
                    **paging,
                )
            )
            deleted = await self._deleted(client, sync["last_sync"], paging)
            if local.only_resent(sync, updated, deleted) and committed == sync["document"]:
                local.touch(sync, now)
                return Document(None, sync["document"])
            rows = local.rows(sync)
            if rows is not None:
                rows.update(updated)
                for event_id in deleted:
                    rows.pop(event_id, None)
        full_sync = sync["full_sync"] if sync is not None and rows is not None else None
        if rows is None:
            rows = by_id(await client.read_all(READ_PATH, params, what="events", **paging))
        ordered = sorted(rows.values(), key=lambda r: (r["event_date"], r["event_id_cnty"]))
        # sorted keys: the same rows give the same bytes (and digest) however they were read
        body = json.dumps({"query": self.query(), "data": ordered}, sort_keys=True).encode()
        digest = document_digest(body)
        local.save(rows, full_sync or now.isoformat(), now, digest)
        return Document(body, digest)

    async def _deleted(
        self, client: AcledClient, last_sync: str, paging: dict[str, int]
    ) -> list[str]:
        last = datetime.fromisoformat(last_sync)
        since = int((last - DELETED_MARGIN).timestamp())
        found = await client.read_all(
            DELETED_PATH,
            {"_format": "json", "deleted_timestamp": str(since), "deleted_timestamp_where": ">="},
            what="deleted events",
            **paging,
        )
        ids = []
        for index, row in enumerate(found):
            if not isinstance(row, dict) or not is_text(row.get("event_id_cnty")):
                raise ParseError(f"ACLED deleted events: row {index} has no event_id_cnty")
            ids.append(row["event_id_cnty"])
        return ids


@dataclass(frozen=True)
class Document:
    """The rows of a query as one JSON document (None: unchanged), and its digest."""

    body: bytes | None
    digest: str


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


def _plain(nested: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) for k, v in nested.items()}


def _without_accessed(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "accessed"}
