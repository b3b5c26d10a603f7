"""The shared client's limits at the byte level: every Content-Encoding chain is inflated
layer by layer in bounded steps (a bomb stops at the cap, also `gzip, gzip`, with memory
measured), honest encodings in any combination still decode, unknown ones fail the
source clearly, and a HEAD is never size-capped."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import textwrap
import zlib

import pytest

from tests.support.faults import MB, gzip_bomb
from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch.client import Http

TEXT = ("Ołżas Bektenow " * 20_000).encode()


def get(url: str, method: str = "GET", max_bytes: int = 1_000_000):
    async def go():
        async with Http(HttpConfig(retries=0)) as http:
            return await http.request(method, url, max_bytes=max_bytes, timeout=5)

    return asyncio.run(go())


def deflate(data: bytes, raw: bool = False) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15 if raw else 15)
    return packer.compress(data) + packer.flush()


CODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": deflate,
    "identity": lambda b: b,
}


@pytest.mark.parametrize(
    "chain",
    [
        "gzip",
        "x-gzip",
        "deflate",
        "identity",
        "gzip, gzip",
        "deflate, gzip",
        "gzip,deflate,identity",
        "GZIP , Deflate",
        "gzip, identity, gzip, gzip",
    ],
)
def test_honest_encodings_decode_in_any_combination(server, chain):
    body = TEXT
    for name in chain.split(","):
        body = CODERS[name.strip().lower()](body)
    server.route("/f", Reply(200, body, headers={"Content-Encoding": chain}))
    assert get(server.url("/f")).content == TEXT


def test_raw_deflate_and_concatenated_gzip_members_decode(server):
    server.route(
        "/raw", Reply(200, deflate(TEXT, raw=True), headers={"Content-Encoding": "deflate"})
    )
    server.route(
        "/members",
        Reply(200, gzip.compress(TEXT) + gzip.compress(b"!"), headers={"Content-Encoding": "gzip"}),
    )
    assert get(server.url("/raw")).content == TEXT
    assert get(server.url("/members")).content == TEXT + b"!"


@pytest.mark.parametrize("chain", ["gzip", "gzip, gzip", "gzip, deflate, gzip"])
def test_a_bomb_stops_at_the_cap_in_any_chain(server, chain):
    body = gzip_bomb()
    for name in chain.split(",")[1:]:
        body = CODERS[name.strip()](body)
    server.route("/bomb", Reply(200, body, headers={"Content-Encoding": chain}))
    with pytest.raises(FetchError, match="exceeds the cap of 1000000 bytes"):
        get(server.url("/bomb"))


@pytest.mark.parametrize(
    "encoding", ["br", "zstd", "compress", "gzip, br", "x-garbage\u00e9", "gzip;q=1"]
)
def test_unknown_encodings_fail_the_source_clearly(server, encoding):
    server.route(
        "/f",
        Reply(
            200,
            gzip.compress(TEXT),
            headers={"Content-Encoding": encoding.encode().decode("latin-1")},
        ),
    )
    with pytest.raises(FetchError, match="unsupported Content-Encoding") as caught:
        get(server.url("/f"))
    assert "\n" not in str(caught.value)


def test_corrupt_truncated_and_absurd_chains_fail_cleanly(server):
    server.route(
        "/corrupt",
        Reply(200, b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"}),
    )
    # a complete HTTP answer whose gzip stream stops early
    whole = gzip.compress(TEXT)
    server.route(
        "/short", Reply(200, whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"})
    )
    server.route(
        "/layers", Reply(200, b"x", headers={"Content-Encoding": ", ".join(["gzip"] * 50)})
    )
    with pytest.raises(FetchError, match="corrupt gzip body"):
        get(server.url("/corrupt"))
    with pytest.raises(FetchError, match="corrupt gzip body .it ends early"):
        get(server.url("/short"))
    with pytest.raises(FetchError, match="50 Content-Encoding layers"):
        get(server.url("/layers"))


def test_head_is_not_refused_for_the_size_its_get_would_have():
    with LocalServer() as server:
        server.route(
            "/big", Reply(200, headers={"Content-Length": str(50 << 20)}, stream=lambda: iter(()))
        )
        assert get(server.url("/big"), method="HEAD").status == 200
        with pytest.raises(FetchError, match="exceeds the cap"):
            get(server.url("/big"))


# ------------------------------------------------------------------ memory

CHILD = textwrap.dedent("""
    import asyncio, json, sys
    from tracker.config import HttpConfig
    from tracker.errors import FetchError
    from tracker.fetch.client import Http
    def peak():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    async def get(url):
        async with Http(HttpConfig(retries=0)) as http:
            try:
                await http.get(url, timeout=20, max_bytes=20_000_000)
                return "read"
            except FetchError as exc:
                return str(exc)
    asyncio.run(get(sys.argv[1] + "/warm"))
    base = peak()
    outcome = asyncio.run(get(sys.argv[1] + "/bomb"))
    print(json.dumps({"base": base, "peak": peak(), "outcome": outcome}))
""")


def test_a_small_gzip_gzip_bomb_keeps_memory_bounded(server):
    """2,722 bytes of `gzip, gzip` once took a run to 3.2 GB: now the cap (20 MB) bounds it."""
    inner = gzip_bomb()  # 256 MB of zeros, ~256 KB
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = outer.compress(inner) + outer.flush()
    assert len(body) < 4000, len(body)
    server.route(
        "/warm", Reply(200, gzip.compress(b"<rss/>"), headers={"Content-Encoding": "gzip"})
    )
    server.route("/bomb", Reply(200, body, headers={"Content-Encoding": "gzip, gzip"}))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, server.url("")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(done.stdout)
    growth = out["peak"] - out["base"]
    print(f"gzip, gzip bomb of {len(body)} bytes: growth {growth / MB:.1f} MB")
    assert "exceeds the cap of 20000000 bytes" in out["outcome"], out
    assert growth < 20_000_000 * 1.25 + 16 * MB, f"peak RSS grew by {growth / MB:.0f} MB"
