"""The one client (aiohttp) against real local servers: TLS verified with a throw-away
certificate (trusted through SSL_CERT_FILE, else refused), the CA store loaded only for
https, long headers, broken answers as clear connection failures, cookies per host, proxies
from the environment, the User-Agent, and keep-alive under conditional GET."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from tests.support.raw_server import RawServer, fixed_answer
from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch import client
from tracker.fetch.client import Http


def get(url: str, config: HttpConfig | None = None, **kw) -> object:
    async def go():
        async with Http(config or HttpConfig(retries=0)) as http:
            return await http.get(url, timeout=5, **kw)

    return asyncio.run(go())


def fails(url: str) -> str:
    with pytest.raises(FetchError) as caught:
        get(url)
    return str(caught.value)


@pytest.fixture
def https_server(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    server = LocalServer()
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    with server:
        yield server


def test_https_is_verified_against_the_ca_store(https_server, certificate, monkeypatch):
    https_server.route("/f.xml", Reply(body=b"<rss/>", etag=True))
    url = https_server.url("/f.xml").replace("http://", "https://")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    message = fails(url)  # a self-signed certificate is not trusted
    assert "connection failed (TLS certificate not trusted)" in message, message
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # read by the SSL context
    first = get(url)
    assert first.status == 200 and first.content == b"<rss/>"
    assert get(url, validators=first.validators).not_modified


def test_plain_http_never_loads_the_ca_store(server, monkeypatch):
    server.route("/f.xml", Reply(body=b"<rss/>"))
    monkeypatch.setattr(client, "tls_context", lambda: pytest.fail("TLS context made"))
    assert get(server.url("/f.xml")).content == b"<rss/>"


def test_header_names_go_out_as_spelled_and_long_headers_come_in(server):
    server.route("/f.xml", Reply(body=b"<rss/>", headers={"Link": "<x>; rel=a, " * 2000}))
    reply = get(server.url("/f.xml"), validators={"etag": '"v1"'})
    assert len(reply.headers["link"]) > 20_000  # aiohttp alone stops at 8,190 bytes
    [(_, _, sent)] = server.requests
    assert sent["If-None-Match"] == '"v1"'
    assert sent["Accept-Encoding"] == "gzip, deflate"  # only what the client can inflate


def test_the_user_agent_names_the_tracker_and_its_contact(server):
    server.route("/f", Reply(body=b"x"))
    get(server.url("/f"), HttpConfig(retries=0, contact="coi-it@example.org"))
    agent = server.requests[0][2]["User-Agent"]
    assert agent.startswith("report-tracker/") and "coi-it@example.org" in agent


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"",  # closed before any answer
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
        b"HTTP/1.1 99999 Odd\r\n\r\n",
    ],
)
def test_broken_answers_are_connection_failures_not_timeouts(answer):
    with RawServer(fixed_answer(answer)) as server:
        message = fails(server.url())
    assert "connection failed" in message and "timed out" not in message, message


def test_a_cookie_set_on_a_redirect_comes_back(server):
    """Consent and bot walls: Set-Cookie then redirect, and the cookie is expected."""
    server.route(
        "/start", Reply(302, headers={"Location": "/feed", "Set-Cookie": "consent=yes; Path=/"})
    )
    server.handler(
        "/feed",
        lambda h: (
            Reply(body=b"<rss/>")
            if "consent=yes" in (h.headers.get("Cookie") or "")
            else Reply(403, b"no cookie")
        ),
    )
    assert get(server.url("/start")).content == b"<rss/>"


def test_cookies_stay_with_their_host(server):
    with LocalServer() as other:
        server.route(
            "/set", Reply(302, headers={"Location": other.url("/x"), "Set-Cookie": "sid=1; Path=/"})
        )
        other.route("/x", Reply(body=b"x"))
        get(server.url("/set"))
        assert "Cookie" not in other.requests[0][2]


def test_proxies_come_from_the_environment(server, monkeypatch):
    """A forward proxy receives the absolute URL; NO_PROXY is honoured."""
    server.route("http://feeds.invalid/f.xml", Reply(body=b"<rss>via proxy</rss>"))
    server.route("/direct", Reply(body=b"direct"))
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert get("http://feeds.invalid/f.xml").content == b"<rss>via proxy</rss>"
    assert get(server.url("/direct")).content == b"direct"
    assert [p for _, p, _ in server.requests] == ["http://feeds.invalid/f.xml", "/direct"]


def test_304s_are_read_to_their_end_so_connections_are_reused(server):
    server.route("/f.xml", Reply(body=b"<rss/>", etag=True))

    async def poll_many() -> tuple[int, int]:
        async with Http(HttpConfig(per_host=2)) as http:
            first = await http.get(server.url("/f.xml"))
            for _ in range(3):
                answers = await asyncio.gather(
                    *(
                        http.get(server.url("/f.xml"), validators=first.validators)
                        for _ in range(10)
                    )
                )
                assert all(a.not_modified and a.content == b"" for a in answers)
            return http.requests, http.not_modified

    assert asyncio.run(poll_many()) == (31, 30)
    assert len(set(server.peers)) <= 2  # connections actually opened: the pool's size


def test_a_hostile_etag_is_not_kept_as_a_validator():
    answer = (
        b'HTTP/1.1 200 OK\r\nETag: "\xff\x01bad"\r\nLast-Modified: Mon, 01 Jan 2024 '
        b"00:00:00 GMT\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    )
    with RawServer(fixed_answer(answer)) as server:
        reply = get(server.url())
    assert reply.validators == {"last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
