"""Connection limits of the one client, counted at raw-socket servers (one thread per
connection, so what is open at once is what is counted): at most `per_host` connections
per host, at most `concurrency` over all hosts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tests.support.raw_server import RawServer
from tracker.config import HttpConfig
from tracker.fetch.client import Http

pytestmark = pytest.mark.waits  # mostly waits (timeouts, drips): spread over the run


class Gauge:
    """Requests in flight at a server, and the most seen at once (shared by servers)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.per_server: dict[int, int] = {}
        self.most_per_server: dict[int, int] = {}

    def slow(self, port: int):
        def handle(conn, _head) -> None:
            with self.lock:
                self.now += 1
                self.per_server[port] = self.per_server.get(port, 0) + 1
                self.most = max(self.most, self.now)
                self.most_per_server[port] = max(
                    self.most_per_server.get(port, 0), self.per_server[port]
                )
            time.sleep(0.15)
            with self.lock:
                self.now -= 1
                self.per_server[port] -= 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<rss/>")

        return handle


def poll(urls: list[str], config: HttpConfig) -> None:
    async def go() -> None:
        async with Http(config) as http:
            await asyncio.gather(*(http.get(url, timeout=10) for url in urls))

    asyncio.run(go())


def test_per_host_and_overall_limits_hold():
    gauge = Gauge()
    a, b = RawServer(lambda c, h: gauge_a(c, h)), RawServer(lambda c, h: gauge_b(c, h))
    gauge_a, gauge_b = gauge.slow(a.port), gauge.slow(b.port)
    with a, b:
        urls = [a.url(f"/f?n={n}") for n in range(15)] + [b.url(f"/f?n={n}") for n in range(15)]
        poll(urls, HttpConfig(per_host=3, concurrency=5))
    assert max(gauge.most_per_server.values()) == 3, gauge.most_per_server
    assert gauge.most == 5


def test_a_busy_host_does_not_hold_slots_other_hosts_could_use():
    gauge = Gauge()
    busy, quiet = RawServer(lambda c, h: on_busy(c, h)), RawServer(lambda c, h: on_quiet(c, h))
    on_busy, on_quiet = gauge.slow(busy.port), gauge.slow(quiet.port)
    with busy, quiet:
        urls = [busy.url(f"/f?n={n}") for n in range(12)] + [quiet.url("/f")]
        poll(urls, HttpConfig(per_host=2, concurrency=3))
    assert gauge.most_per_server[busy.port] == 2
    assert gauge.most == 3  # the quiet host's request ran beside the busy host's two
