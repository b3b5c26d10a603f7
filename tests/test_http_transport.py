"""The aiohttp transport under httpx (aio_transport.py) against real local servers: TLS
verified with a throw-away certificate, long headers, and every broken answer turned into
the error http.py's retry policy expects — never an exception of aiohttp's own."""
from __future__ import annotations

import asyncio
import socket
import ssl
import threading

import aiohttp
import httpx
import pytest

from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch.aio_transport import mapped_error
from tracker.fetch.client import Http


def get(url: str, **kw) -> object:
    async def go():
        async with Http(HttpConfig(retries=0)) as http:
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
    assert "connection failed" in fails(url)  # a self-signed certificate is not trusted
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # read by the SSL context
    first = get(url)
    assert first.status == 200 and first.content == b"<rss/>"
    assert get(url, validators=first.validators).not_modified


def test_plain_http_never_loads_the_ca_store(server, monkeypatch):
    server.route("/f.xml", Reply(body=b"<rss/>"))
    monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: pytest.fail("TLS"))
    assert get(server.url("/f.xml")).content == b"<rss/>"


def test_header_names_go_out_as_spelled_and_long_headers_come_in(server):
    server.route("/f.xml", Reply(body=b"<rss/>", headers={"Link": "<x>; rel=a, " * 2000}))
    reply = get(server.url("/f.xml"), validators={"etag": '"v1"'})
    assert len(reply.headers["link"]) > 20_000  # aiohttp alone stops at 8,190 bytes
    [(_, _, sent)] = server.requests
    assert sent["If-None-Match"] == '"v1"'


class RawServer:
    """Answers every connection with fixed bytes, then closes it."""

    def __init__(self, answer: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self.answer)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"


@pytest.mark.parametrize("answer, expected", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", "connection failed"),
    (b"NOT HTTP AT ALL\r\n\r\n", "connection failed"),
    (b"", "connection failed"),  # closed before any answer
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", "connection failed"),
])
def test_broken_answers_are_connection_failures_not_timeouts(answer, expected):
    server = RawServer(answer)
    try:
        message = fails(server.url())
    finally:
        server.sock.close()
    assert expected in message and "timed out" not in message


def test_aiohttp_errors_map_to_the_httpx_errors_the_retry_policy_reads():
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("h", 80, False, True, None, None, None)
    cases = {
        aiohttp.ConnectionTimeoutError("c"): httpx.ConnectTimeout,
        aiohttp.SocketTimeoutError("r"): httpx.ReadTimeout,
        asyncio.TimeoutError(): httpx.ReadTimeout,
        aiohttp.ClientConnectorError(key, OSError(111, "refused")): httpx.ConnectError,
        aiohttp.ServerDisconnectedError(): httpx.RemoteProtocolError,
        aiohttp.ClientPayloadError("short"): httpx.ReadError,
        aiohttp.InvalidURL("x"): httpx.UnsupportedProtocol,
    }
    for error, expected in cases.items():
        assert type(mapped_error(error)) is expected, error


def test_a_cookie_set_on_a_redirect_comes_back(server):
    """Consent and bot walls: Set-Cookie then redirect, and the cookie is expected."""
    server.route("/start", Reply(302, headers={"Location": "/feed",
                                               "Set-Cookie": "consent=yes; Path=/"}))
    server.handler("/feed", lambda h: Reply(body=b"<rss/>") if "consent=yes" in
                   (h.headers.get("Cookie") or "") else Reply(403, b"no cookie"))
    assert get(server.url("/start")).content == b"<rss/>"
