"""The one shared async HTTP client (aiohttp).

One keep-alive pool per host with `per_host` connections, under the overall `concurrency`
limit; a descriptive User-Agent; conditional GET (a 304 comes back as `not_modified` and
the caller parses nothing); retries with exponential backoff and jitter that honour
`Retry-After` up to `max_retry_after` (tenacity); each attempt bounded as a whole
(connect, status line, headers, body) and all of a source's attempts by its deadline
(`async with http.deadline(seconds)`); bodies inflated under the size cap (decode.py);
redirects checked hop by hop (exchange.py); cookies per host; proxies from the
environment; TLS from the system store (or SSL_CERT_FILE), loaded at the first https URL.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.request import getproxies, proxy_bypass_environment  # type: ignore[attr-defined]

import aiohttp
from yarl import URL

from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch.exchange import Exchange, HttpResponse, Request, RetryableError
from tracker.fetch.timing import CURRENT, Deadline, attempt_bound, deadline, parse_retry_after
from tracker.fetch.urls import Target, host_key, safe_url
from tracker.version import __version__

__all__ = [
    "Http",
    "HttpResponse",
    "RetryableError",
    "host_key",
    "parse_retry_after",
    "safe_url",
    "user_agent",
]

# aiohttp refuses header lines over 8,190 bytes; some servers send longer Link or CSP
# headers. 64 KB per field, like other clients' limit for a whole header block.
HEADER_LIMIT = 65536
# The client bounds each attempt itself (asyncio.timeout over the whole exchange).
NO_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None)
ACCEPT_ENCODING = "gzip, deflate"  # what decode.py inflates; nothing else is offered


def user_agent(config: HttpConfig) -> str:
    if config.user_agent:
        return config.user_agent
    contact = f"; {config.contact}" if config.contact else ""
    return (
        f"report-tracker/{__version__} (+https://github.com/report-tracker/report-tracker"
        f"{contact}) aiohttp/{aiohttp.__version__}"
    )


def tls_context() -> ssl.SSLContext:
    """The system CA store, or the file named by SSL_CERT_FILE (OpenSSL reads it)."""
    return ssl.create_default_context()


@dataclass
class Http:
    """Create with `async with Http(config) as http`; one per run."""

    config: HttpConfig = field(default_factory=HttpConfig)
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    requests: int = 0
    not_modified: int = 0
    _sessions: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    _overall: asyncio.Semaphore | None = None
    _hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _ssl: ssl.SSLContext | None = None
    _proxies: dict[str, str] = field(default_factory=dict)
    _proxy_for: dict[tuple[str, str], tuple[str | None, aiohttp.BasicAuth | None]] = field(
        default_factory=dict
    )
    _exchange: Exchange | None = None
    _headers: dict[str, str] = field(default_factory=dict)

    async def __aenter__(self) -> "Http":
        self._overall = asyncio.Semaphore(self.config.concurrency)
        self._proxies = getproxies()  # read once: aiohttp's trust_env reads it per request
        self._headers = {"User-Agent": user_agent(self.config), "Accept-Encoding": ACCEPT_ENCODING}
        self._exchange = Exchange(self._session, self._tls, self._proxy, self._count)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

    def deadline(
        self, seconds: float | None, what: str = "fetch"
    ) -> AbstractAsyncContextManager[Deadline | None]:
        """`async with http.deadline(s):` bounds every request and retry in the block."""
        return deadline(seconds, what)

    # ------------------------------------------------------------ pools, TLS, proxies

    def _session(self, host: str) -> aiohttp.ClientSession:
        """One session, keep-alive pool and cookie jar per host, `per_host` connections."""
        session = self._sessions.get(host)
        if session is None:
            connector = aiohttp.TCPConnector(limit=self.config.per_host, limit_per_host=0)
            session = self._sessions[host] = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=NO_TIMEOUT,
                cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: IP hosts keep cookies
                auto_decompress=False,  # decode.py inflates, bounded (gzip bombs)
                max_line_size=HEADER_LIMIT,
                max_field_size=HEADER_LIMIT,
            )
        return session

    def _tls(self) -> ssl.SSLContext:
        """Made at the first https request (loading the CA store takes milliseconds that
        plain-http runs need not pay), then shared by every host."""
        if self._ssl is None:
            self._ssl = tls_context()
        return self._ssl

    def _proxy(self, target: Target) -> tuple[str | None, aiohttp.BasicAuth | None]:
        key = (target.url.scheme, target.host)
        if key not in self._proxy_for:
            self._proxy_for[key] = self._proxy_lookup(target)
        return self._proxy_for[key]

    def _proxy_lookup(self, target: Target) -> tuple[str | None, aiohttp.BasicAuth | None]:
        proxy = self._proxies.get(target.url.scheme) or self._proxies.get("all")
        if not proxy or proxy_bypass_environment(target.host, self._proxies):
            return None, None
        url = URL(proxy if "://" in proxy else f"http://{proxy}")
        auth = aiohttp.BasicAuth(url.user or "", url.password or "") if url.user else None
        return str(url.with_user(None)), auth

    def _count(self, not_modified: bool) -> None:
        self.requests += 1
        self.not_modified += not_modified

    # ------------------------------------------------------------ requests

    async def request(
        self,
        method: str,
        url: str,
        *,
        validators: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        data: Any = None,
        params: Any = None,
        timeout: float = 30.0,
        max_bytes: int = 20_000_000,
        retries: int | None = None,
    ) -> HttpResponse:
        """One logical request with retries; raises FetchError / SourceGone."""
        sent = dict(headers) if headers else {}
        if validators:
            if validators.get("etag"):
                sent["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                sent["If-Modified-Since"] = validators["last_modified"]
        request = Request(method, url, sent, data, params, max_bytes)
        attempts = (self.config.retries if retries is None else retries) + 1
        try:  # the common case, one attempt, without building a retry loop (CPU per request)
            return await self._attempt(request, timeout)
        except RetryableError as exc:
            if attempts < 2 or not self._should_retry(exc):
                raise
            await self._pause(exc, 1)
        from tracker.fetch.retry import retry_attempts

        return await retry_attempts(
            lambda: self._attempt(request, timeout), attempts - 1, self._should_retry, self._pause
        )

    async def get(self, url: str, **kw: Any) -> HttpResponse:
        return await self.request("GET", url, **kw)

    def _should_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, RetryableError):
            return False
        return exc.retry_after is None or exc.retry_after <= self.config.max_retry_after

    async def _pause(self, exc: RetryableError, failed_attempts: int) -> None:
        """Wait before the next try: Retry-After when given, else exponential backoff with
        jitter; the failure stands when the wait would outlast the source's deadline."""
        if exc.retry_after is not None:
            delay = exc.retry_after
        else:
            base = self.config.backoff * (2 ** (failed_attempts - 1))
            delay = base + random.uniform(0, base / 2)
        bound = CURRENT.get()
        if bound is not None and delay >= bound.remaining():
            exc.args = (
                f"{exc}; not retried: the source's deadline of {bound.seconds:g} s "
                "would pass first",
            )
            raise exc
        await self.sleep(delay)

    async def _attempt(self, request: Request, timeout: float) -> HttpResponse:
        assert self._overall is not None and self._exchange is not None, (
            "use `async with Http(...)`"
        )
        host = request.target.host
        # The host's turn first, then an overall slot: a queue for one busy host never
        # holds slots that other hosts could use.
        semaphore = self._hosts.get(host)
        if semaphore is None:
            semaphore = self._hosts[host] = asyncio.Semaphore(self.config.per_host)
        async with semaphore, self._overall:
            bound, clock = attempt_bound(timeout)
            if clock is not None and bound <= 0:
                raise clock.passed(safe_url(request.url))
            started = time.monotonic()
            try:
                async with asyncio.timeout(bound):
                    return await self._exchange.run(request)
            except TimeoutError:
                elapsed, where = time.monotonic() - started, safe_url(request.url)
                if clock is not None and bound < timeout:  # cut short by the deadline
                    raise FetchError(
                        f"{where}: timed out after {elapsed:.1f} s: the "
                        f"source's deadline of {clock.seconds:g} s passed (gave "
                        f"up after {clock.elapsed():.1f} s)"
                    ) from None
                raise RetryableError(
                    f"{where}: timed out after {elapsed:.1f} s (no complete "
                    f"answer within the timeout of {timeout:g} s)"
                ) from None
            except FetchError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever aiohttp or ssl raise
                raise mapped_error(exc, safe_url(request.url)) from None


def mapped_error(exc: BaseException, where: str) -> FetchError:
    """The FetchError for an exception from below (aiohttp, ssl, the OS). Never its text:
    it may quote a URL with its query."""
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError)):
        return FetchError(f"{where}: connection failed (TLS certificate not trusted)")
    if isinstance(exc, (aiohttp.ClientConnectorSSLError, ssl.SSLError)):
        return FetchError(f"{where}: connection failed (TLS handshake failed)")
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.IncompleteReadError)):
        return RetryableError(f"{where}: connection failed ({type(exc).__name__})")
    return FetchError(f"{where}: request failed ({type(exc).__name__})")
