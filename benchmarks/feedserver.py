#!/usr/bin/env python3
"""A static file server for benchmarks, meant to run in its own process.

Serves the files of `--root` on `--hosts` loopback addresses, 127.0.0.1 … 127.0.0.N (each
a different "host" for per-host connection limits, like many news sites), with ETag (content hash)
and Last-Modified, answering conditional GETs with 304, and a simulated per-request
latency. Files are re-read on every request, so a benchmark changes a feed by rewriting
its file. `GET /__stats` returns `{"requests": n, "not_modified": n}`; `/__reset` zeroes it.

    python benchmarks/feedserver.py --root DIR --latency 0.2 --hosts 50
    → prints "READY <host:port> <host:port> …" on stdout, then serves until killed.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATS = {"requests": 0, "not_modified": 0}
LOG: list[dict[str, object]] = []
CONDITIONAL = ("If-None-Match", "If-Modified-Since")
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that reuse connections
    # TCP_NODELAY, as real servers set it (nginx's tcp_nodelay): http.server writes the
    # headers and the body apart, and with Nagle's algorithm a body on a reused connection
    # waited for the client's delayed ACK — a cost only keep-alive clients paid
    disable_nagle_algorithm = True
    root: Path = Path(".")
    latency: float = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/__"):
            return self._control()
        time.sleep(self.latency)  # the network and a remote server, simulated
        path = self.root / self.path.lstrip("/").split("?")[0]
        if ".." in self.path or not path.is_file():
            return self._send(404, b"not found", {"Content-Type": "text/plain"})
        body = path.read_bytes()
        etag = '"' + hashlib.md5(body).hexdigest()[:16] + '"'  # noqa: S324 - not security
        modified = email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)
        with LOCK:
            STATS["requests"] += 1
            LOG.append(self._logged())
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match")
            and self.headers.get("If-Modified-Since") == modified
        ):
            with LOCK:
                STATS["not_modified"] += 1
            return self._send(304, b"", {"ETag": etag, "Last-Modified": modified})
        kind = "application/json" if path.suffix == ".json" else "application/rss+xml"
        self._send(200, body, {"ETag": etag, "Last-Modified": modified, "Content-Type": kind})

    def _logged(self) -> dict[str, object]:
        host, port = self.server.server_address[:2]
        headers = {k: self.headers[k] for k in CONDITIONAL if self.headers.get(k)}
        return {"method": "GET", "url": f"http://{host}:{port}{self.path}", "headers": headers}

    def _control(self) -> None:
        if self.path == "/__reset":
            with LOCK:
                STATS.update(requests=0, not_modified=0)
                LOG.clear()
        with LOCK:
            body = json.dumps(LOG if self.path == "/__log" else STATS).encode()
        self._send(200, body, {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument(
        "--hosts",
        type=int,
        default=1,
        help="how many loopback addresses (sites): 127.0.0.1 … 127.0.0.N",
    )
    args = parser.parse_args()
    Handler.root, Handler.latency = args.root.resolve(), args.latency
    hosts = []
    for n in range(1, args.hosts + 1):
        server = ThreadingHTTPServer((f"127.0.0.{n}", 0), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        hosts.append(f"127.0.0.{n}:{server.server_address[1]}")
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write("READY " + " ".join(hosts) + "\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        os._exit(0)


if __name__ == "__main__":
    main()
