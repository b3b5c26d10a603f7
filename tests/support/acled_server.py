"""A fake ACLED API on the real local test server (tests/support/server.py).

Implements what the tracker relies on (data-sources.md §2): the OAuth token endpoint
(password and refresh_token grants, client_id=acled), `/api/acled/read` with country,
event_date BETWEEN, timestamp >=, limit/page paging, and `/api/deleted/read`. Faults are
programmable: queued replies served before the normal answer (`fail_next`), expired
tokens (`expire_tokens`), an account without API access (`no_access`), and pages that
repeat forever (`repeat_pages`). All data here is synthetic.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.server import LocalServer, Reply

USERNAME = "analyst@example.org"
PASSWORD = "s3cret-Pa55word-XYZ"


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body).encode(), headers=headers or {})


@dataclass
class FakeAcled:
    server: LocalServer
    rows: list[dict[str, str]] = field(default_factory=list)
    deleted: list[dict[str, str]] = field(default_factory=list)
    no_access: bool = False
    repeat_pages: bool = False
    grants: list[str] = field(default_factory=list)
    reads: list[dict[str, str]] = field(default_factory=list)
    _access: set[str] = field(default_factory=set)
    _refresh: set[str] = field(default_factory=set)
    _faults: dict[str, list[Reply]] = field(default_factory=dict)
    _serial: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.server.handler("/oauth/token", self._token)
        self.server.handler("/api/acled/read", self._read)
        self.server.handler("/api/deleted/read", self._deleted)

    @property
    def base(self) -> str:
        return self.server.url("")

    def fail_next(self, path: str, *replies: Reply) -> None:
        self._faults.setdefault(path, []).extend(replies)

    def expire_tokens(self) -> None:
        """Every access token issued so far now answers 401 (refresh tokens stay good)."""
        self._access.clear()

    def issued_tokens(self) -> set[str]:
        return set(self._access) | set(self._refresh)

    # ------------------------------------------------------------ handlers

    def _fault(self, path: str) -> Reply | None:
        queue = self._faults.get(path)
        return queue.pop(0) if queue else None

    def _token(self, handler: Any) -> Reply:
        if (fault := self._fault("/oauth/token")) is not None:
            return fault
        form = {k: v[0] for k, v in parse_qs(handler.body.decode()).items()}
        grant = form.get("grant_type")
        self.grants.append(str(grant))
        ok = form.get("client_id") == "acled" and (
            (
                grant == "password"
                and form.get("username") == USERNAME
                and form.get("password") == PASSWORD
            )
            or (grant == "refresh_token" and form.get("refresh_token") in self._refresh)
        )
        if not ok:
            return reply({"error": "invalid_grant", "error_description": "bad credentials"}, 401)
        n = next(self._serial)
        access, refresh = f"access-token-{n:04d}-abcdef", f"refresh-token-{n:04d}-ghijkl"
        self._access.add(access)
        self._refresh.add(refresh)
        return reply(
            {
                "token_type": "Bearer",
                "expires_in": 86400,
                "access_token": access,
                "refresh_token": refresh,
            }
        )

    def _authorized(self, handler: Any) -> Reply | None:
        bearer = (handler.headers.get("Authorization") or "").removeprefix("Bearer ")
        if bearer not in self._access:
            return reply({"message": "Unauthorized"}, 401)
        if self.no_access:
            return reply({"success": False, "error": [{"message": "Access denied"}]}, 403)
        return None

    def _read(self, handler: Any) -> Reply:
        if (denied := self._authorized(handler)) is not None:
            return denied
        if (fault := self._fault("/api/acled/read")) is not None:
            return fault
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        self.reads.append(query)
        rows = [r for r in self.rows if _selected(r, query)]
        if query.get("fields"):  # like ACLED: only the columns asked for
            wanted = query["fields"].split("|")
            rows = [{k: v for k, v in r.items() if k in wanted} for r in rows]
        return reply(self._envelope(rows, query))

    def _deleted(self, handler: Any) -> Reply:
        if (denied := self._authorized(handler)) is not None:
            return denied
        if (fault := self._fault("/api/deleted/read")) is not None:
            return fault
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        since = int(query.get("deleted_timestamp", "0"))
        rows = [d for d in self.deleted if int(d["deleted_timestamp"]) >= since]
        return reply(self._envelope(rows, query))

    def _envelope(self, rows: list[dict[str, str]], query: dict[str, str]) -> dict[str, Any]:
        limit, page = int(query.get("limit", "5000")), int(query.get("page", "1"))
        if self.repeat_pages:
            page = 1  # a broken server: every page is the first, full page
        chunk = rows[(page - 1) * limit : page * limit]
        return {
            "status": 200,
            "success": True,
            "last_update": 1,
            "count": len(chunk),
            "messages": [],
            "data": chunk,
            "filename": "synthetic",
        }


def _selected(row: dict[str, str], query: dict[str, str]) -> bool:
    if query.get("country") and row["country"] != query["country"]:
        return False
    if query.get("event_date_where") == "BETWEEN":
        start, end = query["event_date"].split("|")
        if not start <= row["event_date"] <= end:
            return False
    if query.get("timestamp_where") == ">=" and int(row["timestamp"]) < int(query["timestamp"]):
        return False
    return True


def event(
    event_id: str,
    day: str,
    event_type: str,
    sub_event_type: str,
    fatalities: int = 0,
    civilian: bool = False,
    timestamp: int = 1_750_000_000,
) -> dict[str, str]:
    """A synthetic ACLED row, every value a string as the API sends it."""
    return {
        "event_id_cnty": event_id,
        "event_date": day,
        "year": day[:4],
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "civilian_targeting": "Civilian targeting" if civilian else "",
        "country": "Kazakhstan",
        "iso": "398",
        "admin1": "Almaty",
        "location": "Almaty",
        "notes": f"(synthetic) event {event_id}",
        "fatalities": str(fatalities),
        "timestamp": str(timestamp),
    }
