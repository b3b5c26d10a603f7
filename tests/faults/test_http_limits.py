"""The shared client's limits at the byte level: gzip bodies are inflated in bounded steps
(a bomb stops at the cap), honest gzip still decodes, a HEAD is never size-capped."""
from __future__ import annotations

import asyncio
import gzip

import pytest

from tests.support.faults import gzip_bomb
from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch.client import Http


def get(url: str, method: str = "GET", max_bytes: int = 1_000_000):
    async def go():
        async with Http(HttpConfig(retries=0)) as http:
            return await http.request(method, url, max_bytes=max_bytes, timeout=5)
    return asyncio.run(go())


def test_honest_gzip_decodes_and_a_bomb_stops_at_the_cap():
    text = ("Ołżas Bektenow " * 20_000).encode()
    with LocalServer() as server:
        server.route("/ok", Reply(200, gzip.compress(text), headers={"Content-Encoding": "gzip"}))
        server.route("/bomb", Reply(200, gzip_bomb(), headers={"Content-Encoding": "gzip"}))
        server.route("/corrupt", Reply(200, b"\x1f\x8b\x08\x00garbage" * 10,
                                       headers={"Content-Encoding": "gzip"}))
        assert get(server.url("/ok"), max_bytes=len(text)).content == text
        with pytest.raises(FetchError, match="exceeds the cap of 1000000 bytes"):
            get(server.url("/bomb"))
        with pytest.raises(FetchError, match="corrupt gzip body"):
            get(server.url("/corrupt"))


def test_head_is_not_refused_for_the_size_its_get_would_have():
    with LocalServer() as server:
        server.route("/big", Reply(200, headers={"Content-Length": str(50 << 20)},
                                   stream=lambda: iter(())))
        assert get(server.url("/big"), method="HEAD").status == 200
        with pytest.raises(FetchError, match="exceeds the cap"):
            get(server.url("/big"))
