"""The one shared async HTTP client.

Timeouts, retries with exponential backoff that honour `Retry-After` (tenacity), a cap on
the decoded body size (gzip/deflate inflated here in 1 MB steps, so a bomb hits the cap early), a descriptive User-Agent, a
per-host concurrency limit, and conditional GET: a 304 comes back as `not_modified` and
the caller parses nothing.
"""
from __future__ import annotations

import asyncio
import email.utils
import random
import ssl
import time
import zlib
from dataclasses import dataclass, field
from datetime import timezone
from http.cookiejar import CookieJar
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx

from tracker.config import HttpConfig
from tracker.errors import FetchError, SourceGone
from tracker.version import __version__

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
GONE_STATUS = {404, 410}


@dataclass
class HttpResponse:
    status: int
    url: str
    headers: dict[str, str]
    content: bytes = b""
    not_modified: bool = False

    @property
    def validators(self) -> dict[str, str]:
        """ETag / Last-Modified to send next time (kept in .tracker/)."""
        out = {}
        if "etag" in self.headers:
            out["etag"] = self.headers["etag"]
        if "last-modified" in self.headers:
            out["last_modified"] = self.headers["last-modified"]
        return out


class RetryableError(FetchError):
    """A failure worth another try (5xx, 429, timeouts, broken connections)."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


def user_agent(config: HttpConfig) -> str:
    if config.user_agent:
        return config.user_agent
    contact = f"; {config.contact}" if config.contact else ""
    return (f"report-tracker/{__version__} (+https://github.com/report-tracker/report-tracker"
            f"{contact}) httpx/{httpx.__version__}")


def host_key(url: str) -> str:
    """What per-host limits count by: the URL's host and port."""
    return urlsplit(url).netloc.rpartition("@")[2].lower()


def safe_url(url: str) -> str:
    """The URL without query or credentials, for messages and logs (no secrets)."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class _CookieJar(CookieJar):
    """Cookies kept per client as before, but a response without Set-Cookie is not
    handed to the cookie machinery: httpx builds an email.Message of every response's
    headers for it, ~15% of the CPU of a 304 (profiled)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        headers = getattr(getattr(response, "response", None), "headers", None)
        if headers is not None and "set-cookie" not in headers:
            return
        super().extract_cookies(response, request)


def default_transport() -> type[httpx.AsyncBaseTransport]:
    """aiohttp underneath httpx (aio_transport.py: less CPU per request). Imported on
    first use (~0.1 s); parallel.py calls this before forking so shards inherit it."""
    from tracker.fetch.aio_transport import AiohttpTransport

    return AiohttpTransport


@dataclass
class Http:
    """Wraps one httpx.AsyncClient; create with `async with Http(config) as http`."""

    config: HttpConfig = field(default_factory=HttpConfig)
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    host_limits: dict[str, int] = field(default_factory=dict)  # per_host, overridden per host
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _overall: asyncio.Semaphore | None = None
    _hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _ssl: Any = None
    requests: int = 0
    not_modified: int = 0

    async def __aenter__(self) -> "Http":
        self._overall = asyncio.Semaphore(self.config.concurrency)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for client in self._clients.values():
            await client.aclose()

    def _client_for(self, host: str) -> httpx.AsyncClient:
        """One client and keep-alive pool per host, `per_host` connections each (a shard's
        share where a host is split, `host_limits`). One shared pool of hundreds of
        connections cost O(connections × requests) CPU in httpcore (most of an all-304
        pass over 1,000 feeds), and per-host pools make the per-host limit exact."""
        if host not in self._clients:
            limit = self._limit(host)
            transport = self.transport or default_transport()(limit=limit, tls=self._tls)
            # httpx's own transports still serve proxies from the environment: they need
            # the context up front (asked only then, it costs nothing otherwise)
            verify = self._tls() if getproxies() else True
            self._clients[host] = httpx.AsyncClient(
                transport=transport, verify=verify, cookies=_CookieJar(),
                follow_redirects=True, max_redirects=10,
                limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
                headers={"User-Agent": user_agent(self.config), "Accept-Encoding": "gzip, deflate"})
        return self._clients[host]

    def _tls(self) -> ssl.SSLContext:
        """The SSL context (certifi's CA store, ~30 ms to load): made at the first https
        request, then shared by every host's client."""
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    def _limit(self, host: str) -> int:
        return self.host_limits.get(host, self.config.per_host)

    async def request(self, method: str, url: str, *, validators: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None, data: Any = None,
                      params: Any = None, timeout: float = 30.0,
                      max_bytes: int = 20_000_000, retries: int | None = None) -> HttpResponse:
        """One logical request with retries; raises FetchError / SourceGone."""
        sent = dict(headers or {})
        if validators:
            if validators.get("etag"):
                sent["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                sent["If-Modified-Since"] = validators["last_modified"]
        attempts = (self.config.retries if retries is None else retries) + 1
        args = (method, url, sent, data, params, timeout, max_bytes)
        try:  # the common case, one attempt, without building a retry loop (CPU per request)
            return await self._once(*args)
        except RetryableError as exc:
            if attempts < 2 or not self._should_retry(exc):
                raise
            await self.sleep(self._delay(exc, 1))
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

        retrying = AsyncRetrying(stop=stop_after_attempt(attempts - 1), wait=self._wait,
                                 retry=retry_if_exception(self._should_retry), sleep=self.sleep,
                                 reraise=True)
        async for attempt in retrying:
            with attempt:
                return await self._once(*args)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, url: str, **kw: Any) -> HttpResponse:
        return await self.request("GET", url, **kw)

    def _should_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, RetryableError):
            return False
        return exc.retry_after is None or exc.retry_after <= self.config.max_retry_after

    def _wait(self, state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self._delay(exc, state.attempt_number + 1)  # the first try ran before the loop

    def _delay(self, exc: BaseException | None, failed_attempts: int) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter."""
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return exc.retry_after
        base = self.config.backoff * (2 ** (failed_attempts - 1))
        return base + random.uniform(0, base / 2)

    async def _once(self, method: str, url: str, headers: dict[str, str], data: Any,
                    params: Any, timeout: float, max_bytes: int) -> HttpResponse:
        assert self._overall is not None, "use `async with Http(...)`"
        host = host_key(url)
        where = safe_url(url)
        client = self._client_for(host)
        # The host's turn first, then an overall slot: a queue for one busy host never
        # holds slots that other hosts could use.
        async with self._hosts.setdefault(host, asyncio.Semaphore(self._limit(host))), \
                self._overall:
            self.requests += 1
            try:
                async with client.stream(method, url, headers=headers, data=data,
                                               params=params, timeout=timeout) as response:
                    return await self._read(response, where, max_bytes, timeout)
            except (httpx.TimeoutException, TimeoutError):
                raise RetryableError(f"{where}: timed out after {timeout:g}s") from None
            except httpx.TooManyRedirects:
                raise FetchError(f"{where}: too many redirects (a redirect loop?)") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                reason = type(exc).__name__
                raise RetryableError(f"{where}: connection failed ({reason})") from None

    async def _read(self, response: httpx.Response, where: str, max_bytes: int,
                    timeout: float) -> HttpResponse:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        final = str(response.url)
        if status == 304:
            self.not_modified += 1
            # Read the (empty) body to its end: a response closed unread closes its
            # connection, and every 304 would then cost a new TCP connection.
            async with asyncio.timeout(timeout):  # (wait_for would start a task per request)
                await _read_capped(response, where, 65536)
            return HttpResponse(status, final, headers, not_modified=True)
        if status in GONE_STATUS:
            raise SourceGone(f"{where}: HTTP {status}; the source may be gone", status=status)
        if status in RETRYABLE_STATUS:
            retry_after = parse_retry_after(headers.get("retry-after"))
            hint = f", Retry-After {retry_after:g}s" if retry_after is not None else ""
            raise RetryableError(f"{where}: HTTP {status}{hint}", status=status,
                                 retry_after=retry_after)
        if status >= 400:
            raise FetchError(f"{where}: HTTP {status}", status=status)
        declared = headers.get("content-length", "")
        if response.request.method == "HEAD":  # its Content-Length is the GET's, no body
            return HttpResponse(status, final, headers)
        if declared.isdigit() and int(declared) > max_bytes and "content-encoding" not in headers:
            raise FetchError(f"{where}: body of {declared} bytes exceeds the cap of {max_bytes}")
        async with asyncio.timeout(timeout * 4):
            content = await _read_capped(response, where, max_bytes)
        return HttpResponse(status, final, headers, content)


async def _read_capped(response: httpx.Response, where: str, max_bytes: int) -> bytes:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        # Inflate ourselves, in bounded steps: httpx inflates a whole network chunk at
        # once, and 64 KB of a gzip bomb is ~64 MB before any cap could look at it.
        chunks = _inflate(response.aiter_raw(), where, encoding)
    else:
        chunks = response.aiter_bytes()
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{where}: body exceeds the cap of {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


INFLATE_STEP = 1 << 20  # at most this much decompressed output per step


async def _inflate(raw: AsyncIterator[bytes], where: str, encoding: str) -> AsyncIterator[bytes]:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        async for data in raw:
            while data:
                yield inflater.decompress(data, INFLATE_STEP)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error:
        raise FetchError(f"{where}: corrupt {encoding} body") from None
