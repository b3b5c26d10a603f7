#!/usr/bin/env python3
"""The network latency floor of a run: its requests, replayed by a bare client.

Reads a JSON list of requests (`{"method", "url", "headers"}`: what the benchmark servers
logged during a tracker run, conditional headers included, so the answers are the same
304s or 200s) and makes them all at once with aiohttp under the tracker's default limits
(`http.per_host` connections per host and port, `http.concurrency` overall). Prints
`{"seconds": …, "requests": n, "statuses": {code: n}}`: the time from the first request
to the last answer, the client's start-up excluded. Nothing is parsed or stored, and no
request waits for another (the tracker's ACLED and World Bank sources make theirs one
after another), so this is a lower bound of any client's time for the same exchange.

    .venv/bin/python benchmarks/floor.py requests.json
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from tracker.config.options import HttpConfig

REQUEST_TIMEOUT = 60  # seconds: a benchmark server that stops answering fails the run


async def replay(requests: list[dict], per_host: int, overall: int) -> tuple[float, Counter]:
    hosts: dict[str, asyncio.Semaphore] = {}
    everything = asyncio.Semaphore(overall)
    statuses: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=overall, limit_per_host=per_host)
    bound = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(
        connector=connector, auto_decompress=False, timeout=bound
    ) as session:

        async def one(request: dict) -> None:
            host = urlsplit(request["url"]).netloc
            turn = hosts.setdefault(host, asyncio.Semaphore(per_host))
            async with turn, everything:
                async with session.request(
                    request["method"], request["url"], headers=request["headers"]
                ) as reply:
                    await reply.read()
                    statuses[reply.status] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(r) for r in requests))
        return time.perf_counter() - start, statuses


def main() -> None:
    requests = json.loads(Path(sys.argv[1]).read_text())
    defaults = HttpConfig()
    seconds, statuses = asyncio.run(replay(requests, defaults.per_host, defaults.concurrency))
    print(json.dumps({"seconds": seconds, "requests": len(requests), "statuses": statuses}))


if __name__ == "__main__":
    main()
