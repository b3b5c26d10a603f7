"""URLs as the client accepts them: http(s) only, no userinfo; shown without secrets.

Every URL the client requests — configured or from a redirect's Location — passes
`checked` first, so a bad one is that source's FetchError with a clear message, never a
ValueError from below. Messages only ever show `safe_url` (no query, no userinfo).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from yarl import URL

from tracker.errors import FetchError

SCHEMES = ("http", "https")


def safe_url(url: object) -> str:
    """The URL without query or credentials, for messages and logs (no secrets)."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port or host: show the scheme only
        return f"{urlsplit(str(url)).scheme or 'a malformed'} URL"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def host_key(url: str) -> str:
    """What per-host limits count by: the URL's host and port."""
    return urlsplit(url).netloc.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Target:
    """A URL the client may request: parsed once, with what the client needs of it."""

    url: URL
    host: str  # host_key: host[:port], lower case
    origin: tuple[str, str, int]
    https: bool


@lru_cache(maxsize=8192)
def checked(url: str) -> Target:
    """`url` as a Target, or a FetchError saying why it cannot be requested.

    Cached: a run asks for the same few hundred URLs, and a poll of 1,000 feeds should not
    parse each one twice per request."""
    where = safe_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(f"{where}: not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = scheme[:20] or "none"
        raise FetchError(f"{where}: unsupported URL scheme {shown!r} (only http and https)")
    if "@" in parts.netloc:
        raise FetchError(
            f"{where}: the URL holds a user name or password (user:pass@); "
            "put credentials in environment variables (credentials: in "
            "feeds.yaml), never in a URL"
        )
    if not parts.hostname:
        raise FetchError(f"{where}: the URL has no host")
    try:
        parsed = URL(url)
    except (ValueError, TypeError, UnicodeError):
        raise FetchError(f"{where}: not a valid URL") from None
    default = 443 if scheme == "https" else 80
    origin = (scheme, parts.hostname.lower(), port or default)
    return Target(parsed, host_key(url), origin, scheme == "https")


def redirect_target(base: URL, location: str, where: str) -> Target:
    """Where a redirect's Location points, resolved against the URL that answered."""
    try:
        joined = str(base.join(URL(location.strip())))
    except (ValueError, TypeError, UnicodeError):
        raise FetchError(
            f"{where}: refused to follow a redirect: its Location is not a valid URL"
        ) from None
    try:
        return checked(joined)
    except FetchError as exc:
        raise FetchError(f"{where}: refused to follow a redirect: {exc}") from None
