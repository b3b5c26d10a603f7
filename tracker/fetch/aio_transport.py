"""An httpx transport that sends requests with aiohttp.

httpx stays the client — redirects, headers, timeouts, and our retry, conditional-GET and
size policy in http.py all work as before; only the socket and HTTP/1.1 parsing below it
are aiohttp's (its parser is C). Per request that is ~0.9 ms of CPU instead of ~1.4 ms
through httpcore + anyio + h11, and with hundreds of sources that CPU is the run's wall
time (benchmarks/poll.py, benchmarks/README.md).

Modeled on httpx-aiohttp (github.com/karpetrosyan/httpx-aiohttp), not used as it is: its
error mapping reports a dropped connection as a connect timeout and lets some aiohttp
errors (a malformed response, an over-long header) escape httpx's exception types, which
would make one bad server fail a whole run instead of one source.
"""
from __future__ import annotations

import asyncio
import ssl
from typing import AsyncIterator, Callable

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

# aiohttp refuses header lines over 8,190 bytes; some servers send longer Link or CSP
# headers. 64 KB per field, like h11's limit for a whole header block.
HEADER_LIMIT = 65536
ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


def mapped_error(exc: BaseException) -> httpx.TransportError:
    """The httpx exception for an aiohttp one (http.py's retry policy reads these)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientOSError)):
        return httpx.ReadError(message)
    return httpx.RemoteProtocolError(message)  # disconnected, malformed response, …


def _headers(request: httpx.Request) -> CIMultiDict[str]:
    # as httpx spelled them: header names are case-insensitive, but not every server knows
    return CIMultiDict((key.decode("latin-1"), value.decode("latin-1"))
                       for key, value in request.headers.raw)


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except ERRORS as exc:
            raise mapped_error(exc) from exc

    async def aclose(self) -> None:
        # Read to the end: the connection goes back to the pool; else it is closed.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (made on first use, inside the running loop) per transport.

    `tls` gives the SSL context for https URLs; it is asked only when one is requested,
    so polling plain-http sources never pays for loading the CA store."""

    def __init__(self, *, limit: int, tls: Callable[[], ssl.SSLContext]) -> None:
        self._limit, self._tls = limit, tls
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, limit_per_host=0),
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies are httpx's business
                auto_decompress=False,  # http.py inflates in bounded steps (gzip bombs)
                max_line_size=HEADER_LIMIT, max_field_size=HEADER_LIMIT)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        content = await request.aread()
        https = request.url.scheme == "https"
        try:
            response = await self._open().request(
                request.method, URL(str(request.url), encoded=True),
                headers=_headers(request), data=content or None,
                allow_redirects=False, auto_decompress=False, ssl=self._tls() if https else True,
                server_hostname=request.extensions.get("sni_hostname"),
                timeout=aiohttp.ClientTimeout(total=None, connect=timeout.get("pool"),
                                              sock_connect=timeout.get("connect"),
                                              sock_read=timeout.get("read")))
        except ERRORS as exc:
            raise mapped_error(exc) from exc
        extensions = {"http_version": b"HTTP/1.1",
                      "reason_phrase": (response.reason or "").encode("latin-1", "replace")}
        return httpx.Response(response.status, headers=response.raw_headers, request=request,
                              stream=_Body(response), extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
