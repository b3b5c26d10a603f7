"""One attempt of one request: send, follow redirects safely, read the answer bounded.

Redirects are followed here, not by aiohttp, so that each hop is checked: its URL
(http(s), no userinfo), loops and the hop count, and — above all — that no credential
(an Authorization header) and no request body (form data, e.g. an OAuth password grant) is
ever sent to another origin than the one it was meant for.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp

from tracker.errors import FetchError, SourceGone
from tracker.fetch.decode import BoundedBody
from tracker.fetch.timing import parse_retry_after
from tracker.fetch.urls import Target, checked, redirect_target, safe_url

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
GONE_STATUS = frozenset({404, 410})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


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
        for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
            value = self.headers.get(header)
            if value is not None and _sendable(value):
                out[key] = value
        return out


def _sendable(value: str) -> bool:
    """A validator we can send back as it came: printable ASCII of a sane length (a
    hostile ETag of raw bytes or control characters would fail every later request)."""
    return 0 < len(value) <= 1024 and value.isascii() and value.isprintable()


class RetryableError(FetchError):
    """A failure worth another try (5xx, 429, timeouts, broken connections)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


@dataclass
class Request:
    """What one logical request sends; redirects rewrite method, URL, headers and body."""

    method: str
    url: str
    headers: dict[str, str]
    data: Any = None
    params: Any = None
    max_bytes: int = 20_000_000
    target: Target = field(init=False)

    def __post_init__(self) -> None:
        self.target = checked(self.url)


# A session for a host (each host has its own pool and cookies), and the TLS context.
Sessions = Callable[[str], aiohttp.ClientSession]
Proxy = Callable[[Target], tuple[str | None, aiohttp.BasicAuth | None]]


@dataclass
class Exchange:
    sessions: Sessions
    tls: Callable[[], ssl.SSLContext]
    proxy: Proxy
    counts: Callable[[bool], None]  # called per answer: True for a 304

    async def run(self, request: Request) -> HttpResponse:
        method, target, headers = request.method, request.target, request.headers
        data, params = request.data, request.params
        seen: set[tuple[str, str]] = set()
        for _hop in range(MAX_REDIRECTS + 1):
            seen.add((method, str(target.url)))
            proxy, proxy_auth = self.proxy(target)
            async with self.sessions(target.host).request(
                method,
                target.url,
                headers=headers,
                data=data,
                params=params,
                allow_redirects=False,
                ssl=self.tls() if target.https else True,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                location = response.headers.get("Location")
                if response.status not in REDIRECT_STATUS or location is None:
                    return await read(response, method, request.max_bytes, self.counts)
                where = safe_url(response.url)
                nxt = redirect_target(response.url, location, where)
            method, data, headers = follow(response.status, method, data, headers)
            refuse_cross_origin(target, nxt, data, headers, where)
            if (method, str(nxt.url)) in seen:
                raise FetchError(f"{where}: redirect loop (back to {safe_url(nxt.url)})")
            target, params = nxt, None  # the Location is the whole next URL
        raise FetchError(f"{safe_url(request.url)}: more than {MAX_REDIRECTS} redirects")


def follow(
    status: int, method: str, data: Any, headers: dict[str, str]
) -> tuple[str, Any, dict[str, str]]:
    """The next hop's method and body: 307/308 keep both; 303 (and 301/302 after a POST,
    as every browser does) turn into a GET without a body."""
    if status in (307, 308) or method in ("GET", "HEAD") or (status != 303 and method != "POST"):
        return method, data, headers
    dropped = {
        k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")
    }
    return ("HEAD" if method == "HEAD" else "GET"), None, dropped


def refuse_cross_origin(
    came: Target, nxt: Target, data: Any, headers: dict[str, str], where: str
) -> None:
    """A credential or a body goes only to the origin it was meant for."""
    if came.origin == nxt.origin:
        return
    carried = [name for name in headers if name.lower() in CREDENTIAL_HEADERS]
    what = (
        "credentials (an Authorization header)"
        if carried
        else "the request body"
        if data is not None
        else None
    )
    if what is not None:
        raise FetchError(
            f"{where}: refused to follow a redirect to {safe_url(nxt.url)}: "
            f"it would send {what} to another origin"
        )


async def read(
    response: aiohttp.ClientResponse, method: str, max_bytes: int, counts: Callable[[bool], None]
) -> HttpResponse:
    """The answer as an HttpResponse, or the FetchError its status means."""
    status = response.status
    headers = {key.lower(): value for key, value in response.headers.items()}
    final = str(response.url)
    counts(status == 304)
    if status == 304:
        # Read to its end (HTTP gives a 304 no body) so the connection stays in the pool:
        # a response released unread is closed, and every 304 would cost a new connection.
        await response.read()
        return HttpResponse(status, final, headers, not_modified=True)
    where = safe_url(final)
    if status in GONE_STATUS:
        raise SourceGone(f"{where}: HTTP {status}; the source may be gone", status=status)
    if status in RETRYABLE_STATUS:
        retry_after = parse_retry_after(headers.get("retry-after"))
        hint = f", Retry-After {retry_after:g}s" if retry_after is not None else ""
        raise RetryableError(
            f"{where}: HTTP {status}{hint}", status=status, retry_after=retry_after
        )
    if status >= 400:
        raise FetchError(f"{where}: HTTP {status}", status=status)
    if method == "HEAD":  # its Content-Length is the GET's; there is no body
        return HttpResponse(status, final, headers)
    encoding = ",".join(response.headers.getall("Content-Encoding", ()))
    declared = response.content_length
    if declared is not None and declared > max_bytes and not encoding:
        raise FetchError(f"{where}: body of {declared} bytes exceeds the cap of {max_bytes}")
    body = BoundedBody(encoding, max_bytes, where)
    async for chunk in response.content.iter_any():
        body.feed(chunk)
    return HttpResponse(status, final, headers, body.finish())
