"""ACLED API client: OAuth password grant with a cached, refreshed token; paged reads.

ACLED moved to OAuth in September 2025 (data-sources.md §2): POST the token endpoint with
`client_id=acled` (a password grant; oauthlib's LegacyApplicationClient prepares the
request bodies and parses and validates the token answers), then send
`Authorization: Bearer …`. Access tokens last 24 h, refresh
tokens 14 days. The token is cached in `.tracker/` (git-ignored, mode 0600) so weekly runs
do not log in each time. No secret ever goes into a message: messages that quote the
server pass through `redact` (tracker/redact.py: any case, percent- or form-encoded).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from oauthlib.oauth2 import LegacyApplicationClient, OAuth2Error

from tracker.errors import FetchError, ParseError
from tracker.fetch.urls import safe_url
from tracker.redact import Redactor
from tracker.sources.base import load_json
from tracker.store.files import IsoTime, JsonFile

CLIENT_ID = "acled"
TOKEN_PATH = "/oauth/token"
READ_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
EXPIRY_MARGIN = timedelta(minutes=5)  # renew a little early: a run may take a while
DEFAULT_ACCESS_LIFE = 86_400  # ACLED's documented 24 h, if the answer omits it
DEFAULT_REFRESH_LIFE = 1_209_600  # 14 days
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
NO_ACCESS_HINT = (
    "the ACLED account has a valid login but no API access. Request API access "
    "for this account in myACLED (or from access@acleddata.com); accounts on "
    "personal or generic e-mail domains may be refused"
)


@dataclass
class Token:
    access: str
    refresh: str | None
    expires_at: IsoTime  # ISO datetimes, so the cache file is plain JSON
    refresh_expires_at: IsoTime | None
    account: str  # hash of the username: another account's token is not reused

    def valid(self, now: datetime) -> bool:
        return datetime.fromisoformat(self.expires_at) - EXPIRY_MARGIN > now

    def refreshable(self, now: datetime) -> bool:
        return bool(
            self.refresh
            and self.refresh_expires_at
            and datetime.fromisoformat(self.refresh_expires_at) > now
        )


def account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:16]


class AcledClient:
    """One source's conversation with ACLED during one run."""

    def __init__(
        self,
        http: Any,
        base_url: str,
        username: str,
        password: str,
        *,
        token_file: Path | None,
        now: datetime,
        timeout: float,
        max_bytes: int,
        env_names: tuple[str, str],
    ) -> None:
        self.http, self.base = http, base_url.rstrip("/")
        self._username, self._password = username, password
        self.token_file, self.now = token_file, now
        self.timeout, self.max_bytes = timeout, max_bytes
        self.env_names = env_names
        self._token: Token | None = None
        # oauthlib prepares the grant bodies and parses and validates the answers
        self._oauth = LegacyApplicationClient(CLIENT_ID)

    # ------------------------------------------------------------ secrets

    def redact(self, text: str) -> str:
        """`text` without any secret this client knows, in any case or encoding (server
        messages may quote the login back, e.g. lower-cased or percent-encoded)."""
        redactor = Redactor().add(self._password, self._username)
        redactor.add_basic_auth(self._username, self._password)
        if self._token is not None:
            redactor.add(self._token.access, self._token.refresh)
        return redactor(text)

    # ------------------------------------------------------------ token

    async def bearer(self, renew: bool = False) -> str:
        """A usable access token: cached, refreshed, or from a fresh password grant."""
        token = self._token or self._load_token()
        if token is not None and not renew and token.valid(self.now):
            self._token = token
            return token.access
        fresh = None
        if token is not None and token.refreshable(self.now):
            fresh = await self._refresh(token)
        if fresh is None:
            body = self._oauth.prepare_request_body(
                username=self._username, password=self._password, include_client_id=True
            )
            fresh = await self._grant(body, "password")
        self._token = fresh
        self._save_token(self._token)
        return self._token.access

    async def _refresh(self, token: Token) -> Token | None:
        """A new token from the refresh token; None when ACLED refuses it (log in again)."""
        body = self._oauth.prepare_refresh_body(
            refresh_token=token.refresh or "", client_id=CLIENT_ID
        )
        try:
            fresh = await self._grant(body, "refresh_token")
        except FetchError as exc:
            if exc.status in (400, 401, 403):
                return None
            raise
        if fresh.refresh is None:  # not rotated: the old refresh token stays good
            fresh.refresh, fresh.refresh_expires_at = token.refresh, token.refresh_expires_at
        return fresh

    async def _grant(self, form: str, grant: str) -> Token:
        """POST a token request body prepared by oauthlib; its answer, validated by oauthlib."""
        url = self.base + TOKEN_PATH
        try:
            response = await self.http.request(
                "POST",
                url,
                data=form,
                headers=FORM_HEADERS,
                timeout=self.timeout,
                max_bytes=1_000_000,
            )
        except FetchError as exc:
            if exc.status in (400, 401, 403) and grant == "password":
                raise self._refused(url, f"HTTP {exc.status}", exc.status) from None
            raise
        self._json(response.content, "token endpoint")  # HTML or not JSON: said plainly
        try:
            answer = self._oauth.parse_request_body_response(response.content.decode("utf-8"))
        except OAuth2Error as exc:
            status = exc.status_code if exc.error != "missing_token" else None
            if exc.error == "missing_token":
                raise ParseError(f"{safe_url(url)}: the token answer has no access_token") from None
            if grant == "password":
                raise self._refused(url, self.redact(str(exc.error))[:100], status) from None
            raise FetchError(
                f"{safe_url(url)}: ACLED refused the refresh token "
                f"({self.redact(str(exc.error))[:100]})",
                status=status,
            ) from None
        except Exception as exc:  # noqa: BLE001 - a malformed answer, whatever oauthlib raises
            raise ParseError(
                f"{safe_url(url)}: the token answer is malformed ({type(exc).__name__})"
            ) from None
        return self._token_from(answer)

    def _refused(self, url: str, why: str, status: int | None) -> FetchError:
        user_env, pw_env = self.env_names
        return FetchError(
            f"{safe_url(url)}: ACLED refused the login ({why}); check the "
            f"account e-mail in ${user_env} and the password in ${pw_env}",
            status=status,
        )

    def _token_from(self, answer: dict[str, Any]) -> Token:
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise ParseError(
                f"{safe_url(self.base + TOKEN_PATH)}: the token answer has no access_token"
            )
        access_life = _seconds(answer.get("expires_in"), DEFAULT_ACCESS_LIFE)
        refresh_life = _seconds(answer.get("refresh_token_expires_in"), DEFAULT_REFRESH_LIFE)
        refresh = answer.get("refresh_token")
        refresh = refresh if isinstance(refresh, str) and refresh else None
        return Token(
            access,
            refresh,
            (self.now + timedelta(seconds=access_life)).isoformat(),
            (self.now + timedelta(seconds=refresh_life)).isoformat() if refresh else None,
            account_key(self._username),
        )

    def _cache(self) -> JsonFile[Token | None] | None:
        # Secrets: mode 0600 from the start; a damaged cache is removed (it only costs
        # one login), not kept aside with whatever it still holds.
        if self.token_file is None:
            return None
        return JsonFile(self.token_file, Token, lambda: None, damaged="discard", mode=0o600)

    def _load_token(self) -> Token | None:
        cache = self._cache()
        token = cache.load() if cache is not None else None
        return token if token is not None and token.account == account_key(self._username) else None

    def _save_token(self, token: Token) -> None:
        cache = self._cache()
        if cache is not None:
            cache.save(token)

    # ------------------------------------------------------------ reads

    async def read_all(
        self, path: str, params: dict[str, str], *, page_size: int, max_pages: int, what: str
    ) -> list[dict[str, Any]]:
        """Every row of a paged endpoint: pages until a short page, bounded by `max_pages`."""
        rows: list[dict[str, Any]] = []
        previous: list[Any] | None = None
        for page in range(1, max_pages + 1):
            data = await self._page(
                path, {**params, "limit": str(page_size), "page": str(page)}, what, page
            )
            ids = [r.get("event_id_cnty") if isinstance(r, dict) else r for r in data]
            if data and ids == previous:
                raise ParseError(
                    f"ACLED {what}: page {page} repeats page {page - 1}; the API "
                    "is not paging (stopped instead of looping)"
                )
            rows.extend(data)
            if len(data) < page_size:
                return rows
            previous = ids
        raise ParseError(
            f"ACLED {what}: still full pages after {max_pages} pages of "
            f"{page_size} rows; raise `max_pages` or narrow the query"
        )

    async def _page(self, path: str, params: dict[str, str], what: str, page: int) -> list[Any]:
        url = self.base + path
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {await self.bearer(renew=attempt == 2)}",
                "Accept": "application/json",
            }
            try:
                response = await self.http.request(
                    "GET",
                    url,
                    params=params,
                    headers=headers,
                    timeout=self.timeout,
                    max_bytes=self.max_bytes,
                )
                break
            except FetchError as exc:
                if exc.status == 401 and attempt == 1:
                    continue  # expired or revoked token: refresh (or log in) and retry once
                if exc.status == 401:
                    raise FetchError(
                        f"{safe_url(url)}: HTTP 401 even with a new token; "
                        "ACLED does not accept this account's login for data",
                        status=401,
                    ) from None
                if exc.status == 403:
                    raise FetchError(
                        f"{safe_url(url)}: HTTP 403 access denied: {NO_ACCESS_HINT}", status=403
                    ) from None
                raise
        body = self._json(response.content, f"{what} page {page}")
        return self._rows(body, url, what, page)

    def _rows(self, body: Any, url: str, what: str, page: int) -> list[Any]:
        where = f"{safe_url(url)} ({what}, page {page})"
        if not isinstance(body, dict):
            raise ParseError(f"{where}: the answer is not a JSON object")
        if body.get("success") is False:
            raise FetchError(f"{where}: ACLED reported an error: {self.api_errors(body)}")
        data = body.get("data")
        if not isinstance(data, list):
            raise ParseError(f"{where}: the answer has no `data` list")
        return data

    def api_errors(self, body: dict[str, Any]) -> str:
        errors = body.get("error") or body.get("messages") or []
        if isinstance(errors, (str, dict)):
            errors = [errors]
        texts = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        text = self.redact("; ".join(texts)[:500] or "no message given")
        if any(w in text.lower() for w in ("access denied", "not authorized", "permission")):
            text += f" ({NO_ACCESS_HINT})"
        return text

    def _json(self, content: bytes, what: str) -> Any:
        return load_json(
            content,
            f"{safe_url(self.base)} (ACLED {what})",
            "ACLED JSON",
            hint="the API may have moved",
        )


def _seconds(value: Any, default: int) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default
