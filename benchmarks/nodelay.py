#!/usr/bin/env python3
"""What TCP_NODELAY in the suite's and the demo's HTTP server (tracker/demo/server.py,
PromptHTTPServer.nodelay) saves: N requests on one keep-alive connection of tracker's HTTP
client, against the same server without it (Nagle's algorithm: http.server writes the
headers and the body apart, and the body waits for the client's delayed ACK).

    .venv/bin/python benchmarks/nodelay.py            # --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.server import LocalServer, Reply  # noqa: E402
from tracker.config import HttpConfig  # noqa: E402
from tracker.demo.server import PromptHTTPServer  # noqa: E402
from tracker.fetch.client import Http  # noqa: E402


def per_request(requests: int, nodelay: bool) -> float:
    """Seconds per request, `requests` GETs of a 3 kB body one after the other."""
    PromptHTTPServer.nodelay = nodelay
    with LocalServer() as server:
        server.route("/a", Reply(body=b"x" * 3000))

        async def go() -> float:
            async with Http(HttpConfig(backoff=0.01, retries=0)) as http:
                start = time.perf_counter()
                for _ in range(requests):
                    await http.get(server.url("/a"))
                return (time.perf_counter() - start) / requests

        return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    without = per_request(args.requests, nodelay=False)
    with_it = per_request(args.requests, nodelay=True)
    print(f"without TCP_NODELAY {without * 1e3:6.1f} ms a request (the baseline)")
    print(f"with TCP_NODELAY    {with_it * 1e3:6.1f} ms a request  ×{with_it / without:.3f}")


if __name__ == "__main__":
    main()
