"""The fault matrix: every source kind, served by the real local server, against every fault.

A `Kind` knows how to put one source of its kind in a workspace, serve it a good document,
and put a fault where that kind reads (the document, the ACLED data endpoint, the cited
links). `FAULTS` are the faults, each a factory of `Reply`s for a given good body (so a
truncated document is the kind's own document cut short), plus `connection refused`, which
takes the whole server down. Used by tests/faults/ (behaviour and memory).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event
from tests.support.data import factbook_version
from tests.support.server import LocalServer, Reply
from tests.support.worldbank_server import INVALID_VALUE, Series, answer

TESTS = Path(__file__).resolve().parents[1]
WIKIDATA = TESTS / "data" / "wikidata"

MB = 1 << 20
BIG_BODY = 50 * MB
BOMB_EXPANDED = 256 * MB  # what the gzip bomb inflates to (~256 KB on the wire)
FEED_ITEMS = 10_000


# ------------------------------------------------------------------ hostile bodies


def zeros(total: int, chunk: int = MB) -> Iterator[bytes]:
    block = b"x" * chunk
    for _ in range(total // chunk):
        yield block


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """A gzip stream of BOMB_EXPANDED bytes of zeros, made chunk by chunk (little memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    block = bytes(MB)
    parts = [packer.compress(block) for _ in range(BOMB_EXPANDED // MB)]
    return b"".join(parts) + packer.flush()


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10))
    + ']>\n<rss version="2.0"><channel><title>&lol9;</title><item><guid>g</guid>'
    "<title>&lol9;</title></item></channel></rss>\n"
).encode()


def feed(items: int) -> bytes:
    """An RSS 2.0 feed of synthetic items with non-ASCII text (a charset mistake shows).
    Item n is dated n hours before the newest, so feed(10_000) is feed(20) plus older items."""
    newest = datetime(2025, 10, 28, 23, tzinfo=timezone.utc)
    rows = [
        f"<item><guid isPermaLink='false'>item-{n}</guid>"
        f"<title>Premier Ołżas Bektenow / Олжас Бектенов, wiadomość {n}</title>"
        f"<link>https://news.example.org/{n}</link>"
        f"<pubDate>{format_datetime(newest - timedelta(hours=n), usegmt=True)}</pubDate>"
        f"<description>Zażółć gęślą jaźń — item {n}</description></item>"
        for n in range(items)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>Wiadomości: Kazachstan</title><link>https://news.example.org</link>"
        + "".join(rows)
        + "</channel></rss>\n"
    ).encode("utf-8")


GOOD_FEED_ITEMS = 20


# ------------------------------------------------------------------ faults


@dataclass(frozen=True)
class Fault:
    name: str
    replies: Callable[[bytes, str], list[Reply]] | None  # (good body, path) → replies
    refused: bool = False  # no server at all


def _cut(body: bytes) -> bytes:
    return body[: len(body) // 2]


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault("connection refused", None, refused=True),
        Fault("reset mid-body", lambda b, p: [Reply(200, b, reset=True)]),
        Fault(
            "cut short (declared length not sent)",
            lambda b, p: [Reply(200, b, truncate=len(b) // 2)],
        ),
        Fault("slow drip past the timeout", lambda b, p: [Reply(200, b * 4, drip=0.1)]),
        Fault("500", lambda b, p: [Reply(500, b"internal error", content_type="text/plain")]),
        Fault(
            "502", lambda b, p: [Reply(502, b"<html>bad gateway</html>", content_type="text/html")]
        ),
        Fault(
            "503 with Retry-After", lambda b, p: [Reply(503, b"busy", headers={"Retry-After": "1"})]
        ),
        Fault("503 without Retry-After", lambda b, p: [Reply(503, b"busy")]),
        Fault(
            "429 with Retry-After past the limit",
            lambda b, p: [Reply(429, b"slow down", headers={"Retry-After": "3600"})],
        ),
        Fault("429 without Retry-After", lambda b, p: [Reply(429, b"slow down")]),
        Fault("redirect loop", lambda b, p: [Reply(302, b"", headers={"Location": p})]),
        Fault(
            "200 with an HTML page",
            lambda b, p: [
                Reply(
                    200,
                    b"<!DOCTYPE html><html><head><title>Moved</title></head><body>We bid a fond "
                    b"farewell<script>alert(1)</script></body></html>",
                    content_type="text/html",
                )
            ],
        ),
        Fault("truncated document", lambda b, p: [Reply(200, _cut(b))]),
        Fault(
            "wrong charset in the header",
            lambda b, p: [Reply(200, b, content_type="text/xml; charset=iso-8859-5")],
        ),
        Fault(
            "no charset, no content type",
            lambda b, p: [Reply(200, b, content_type="application/octet-stream")],
        ),
        Fault(
            "body in another encoding (UTF-16)",
            lambda b, p: [
                Reply(
                    200,
                    b.decode("utf-8")
                    .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                    .encode("utf-16"),
                )
            ],
        ),
        Fault(
            "gzip bomb",
            lambda b, p: [Reply(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})],
        ),
        Fault(
            "50 MB body, declared",
            lambda b, p: [
                Reply(
                    200, headers={"Content-Length": str(BIG_BODY)}, stream=lambda: zeros(BIG_BODY)
                )
            ],
        ),
        Fault("50 MB body, undeclared", lambda b, p: [Reply(200, stream=lambda: zeros(BIG_BODY))]),
        Fault(
            "XML entity expansion",
            lambda b, p: [Reply(200, BILLION_LAUGHS, content_type="text/xml")],
        ),
        Fault(
            "feed of 10,000 items",
            lambda b, p: [Reply(200, feed(FEED_ITEMS), content_type="application/rss+xml")],
        ),
    ]
}


# ------------------------------------------------------------------ kinds


@dataclass
class Kind:
    """One source of a kind in a workspace: feeds entry, facts, good answers, fault path."""

    name: str
    sid: str
    fault_paths: tuple[str, ...]
    good_body: bytes = b""
    fact: str | None = None  # a report fact resting on the source
    acled: FakeAcled | None = None

    def feeds(self, base: str) -> str:
        return SOURCE_ENTRIES[self.name].format(sid=self.sid, base=base)

    def serve_good(self, server: LocalServer) -> None:
        SERVE_GOOD[self.name](self, server)

    def serve_fault(self, server: LocalServer, fault: Fault) -> None:
        assert fault.replies is not None
        for path in self.fault_paths:
            server.route(path, *fault.replies(self.good_body, path))


SOURCE_ENTRIES = {
    "factbook": "  {sid}:\n    kind: factbook\n    url: {base}/kz.json\n",
    "wikidata": "  {sid}:\n    kind: wikidata\n    url: {base}\n    entity: Q232\n"
    "    properties: [P6, P35, P1082, P36]\n    languages: [en, pl]\n",
    "acled": "  {sid}:\n    kind: acled\n    url: {base}\n    country: Kazakhstan\n"
    "    since: 2025-01-01\n    until: 2025-09-12\n"
    "    credentials: {{username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}}\n",
    "rss": "  {sid}:\n    kind: rss\n    url: {base}/feed.xml\n    max_items: 200\n",
    "citations": "  {sid}:\n    kind: citations\n    report: kz\n",
    "worldbank": "  {sid}:\n    kind: worldbank\n    url: {base}\n    country: KAZ\n"
    "    indicators: [SP.POP.TOTL]\n    since: 2015\n    max_pages: 5\n",
}

FACTS = {
    "factbook": """\
  - id: head-of-government
    expect: Olzhas Bektenov
    source: {sid}
    path: [Government, Executive branch, head of government]
    extract: person
""",
    "wikidata": """\
  - id: capital
    expect: Astana
    source: {sid}
    path: [P36, value]
    extract: text
""",
    "worldbank": """\
  - id: population
    expect: 20286084
    source: {sid}
    path: [SP.POP.TOTL, latest]
    extract: number
""",
    "acled": """\
  - id: acled-fatalities-2025
    expect: 2
    source: {sid}
    path: [fatalities]
    extract: acled
    params: {{from: 2025-01-01, to: 2025-09-12}}
""",
}

CITED = ("/cited/a", "/cited/b")
WB_PATH = "/country/KAZ/indicator/SP.POP.TOTL"
WB_POPULATION = Series(
    "Population, total", {"2022": 19621972, "2023": 20033842, "2024": 20286084, "2025": None}
)


def _factbook_body() -> bytes:
    return factbook_version("2025-10-07")


def _good_factbook(kind: Kind, server: LocalServer) -> None:
    server.route("/kz.json", body=kind.good_body, etag=True)


def _good_wikidata(kind: Kind, server: LocalServer) -> None:
    server.route("/wiki/Special:EntityData/Q232.json", body=kind.good_body, etag=True)
    server.route("/w/api.php", body=(WIKIDATA / "labels.json").read_bytes())


def _good_acled(kind: Kind, server: LocalServer) -> None:
    if kind.acled is None:
        kind.acled = FakeAcled(server)
        vac = "Violence against civilians"
        kind.acled.rows = [
            event("KAZ0001", "2025-02-01", vac, "Attack", 1, civilian=True),
            event("KAZ0002", "2025-05-30", vac, "Attack", 1, civilian=True),
            event("KAZ0003", "2025-06-14", "Protests", "Peaceful protest"),
        ]
    server.handler("/api/acled/read", kind.acled._read)


def _good_rss(kind: Kind, server: LocalServer) -> None:
    server.route(
        "/feed.xml",
        body=kind.good_body,
        etag=True,
        content_type="application/rss+xml; charset=utf-8",
    )


def _good_citations(kind: Kind, server: LocalServer) -> None:
    for path in CITED:
        server.route(path, body=kind.good_body, content_type="text/html")


def _good_worldbank(kind: Kind, server: LocalServer) -> None:
    server.route(WB_PATH, body=kind.good_body, etag=True)


SERVE_GOOD = {
    "factbook": _good_factbook,
    "wikidata": _good_wikidata,
    "acled": _good_acled,
    "rss": _good_rss,
    "citations": _good_citations,
    "worldbank": _good_worldbank,
}


def make_kind(name: str) -> Kind:
    if name == "factbook":
        return Kind(name, "fb", ("/kz.json",), _factbook_body(), "head-of-government")
    if name == "wikidata":
        return Kind(
            name,
            "wd",
            ("/wiki/Special:EntityData/Q232.json",),
            (WIKIDATA / "Q232.json").read_bytes(),
            "capital",
        )
    if name == "acled":
        good = json.dumps({"status": 200, "success": True, "data": []}).encode()
        return Kind(name, "acled-kz", ("/api/acled/read",), good, "acled-fatalities-2025")
    if name == "rss":
        return Kind(name, "news", ("/feed.xml",), feed(GOOD_FEED_ITEMS))
    if name == "citations":
        return Kind(name, "links", CITED, b"<!DOCTYPE html><html><body>article</body></html>")
    if name == "worldbank":
        good = json.dumps(answer("SP.POP.TOTL", WB_POPULATION, "KAZ", 1, 1000, "2025-12-16"))
        return Kind(name, "wb", (WB_PATH,), good.encode(), "population")
    raise ValueError(name)


KINDS = ("factbook", "wikidata", "acled", "rss", "citations", "worldbank")


def _wb(body: object) -> Reply:
    return Reply(200, json.dumps(body).encode())


def _wb_endless(handler: Any) -> Reply:
    """Every page announces one more page than the one asked for."""
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(handler.path).query)
    page = int(query.get("page", ["1"])[-1])
    return _wb(
        answer("SP.POP.TOTL", WB_POPULATION, "KAZ", page, 1, "2025-12-16", pages_override=page + 1)
    )


# Faults of one kind's own protocol, beside the shared FAULTS: (replies, or a handler).
KIND_FAULTS: dict[str, dict[str, Callable[[], list[Reply] | Callable[..., Reply]]]] = {
    "worldbank": {
        "an error answer (HTTP 200)": lambda: [_wb(INVALID_VALUE)],
        "an error answer on page 2": lambda: [
            _wb(answer("SP.POP.TOTL", WB_POPULATION, "KAZ", 1, 2, "2025-12-16")),
            _wb(INVALID_VALUE),
        ],
        "a page that repeats forever": lambda: [
            _wb(answer("SP.POP.TOTL", WB_POPULATION, "KAZ", 1, 2, "2025-12-16"))
        ],
        "pages that never end": lambda: _wb_endless,
        "an answer of a million pages": lambda: [
            _wb(
                answer(
                    "SP.POP.TOTL", WB_POPULATION, "KAZ", 1, 1, "2025-12-16", pages_override=10**6
                )
            )
        ],
        "rows of another indicator": lambda: [
            _wb(answer("NY.GDP.MKTP.CD", WB_POPULATION, "KAZ", 1, 1000, "2025-12-16"))
        ],
    },
}


def citations_file(base: str) -> str:
    return "footnotes:\n" + "".join(
        f"- number: {n}\n  urls: ['{base}{path}']\n" for n, path in enumerate(CITED, 1)
    )


def workspace_files(kind: Kind, base: str, *, extra_http: str = "") -> tuple[str, dict[str, str]]:
    """feeds.yaml text and report files for a workspace holding this one source."""
    feeds = (
        "sources:\n"
        + kind.feeds(base)
        + "    timeout: 0.5\n    max_bytes: 5000000\n"
        + "http:\n  retries: 1\n  backoff: 0.01\n  max_retry_after: 2\n"
        + extra_http
    )
    facts = FACTS.get(kind.name, "").format(sid=kind.sid)
    report = "report: {id: kz, title: Fault matrix}\n" + (
        f"facts:\n{facts}" if facts else "facts: []\n"
    )
    return feeds, {"kz": report}


CREDENTIALS = {"ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD}
