"""The demo's local HTTP server: serves bundled data as it was on a simulated date.

Routes (all on 127.0.0.1, a random port):
  /mirror/kz.json                    the frozen Factbook mirror: newest bundled version ≤ today
  /cia/geos/kz.json                  the retired cia.gov endpoint: JSON until 4 Feb 2026,
                                     then a redirect to an HTML farewell page
  /wikidata/wiki/Special:EntityData/Q232.json, /wikidata/w/api.php   hand-built Wikidata
                                     (items by article and their labels: living.py)
  /worldbank/country/KAZ/indicator/<code>   hand-built World Bank answers (living.py)
  /acled/oauth/token, /acled/api/acled/read, /acled/api/deleted/read  synthetic ACLED
  /rss/<source>.xml                  synthetic news feeds
"""

from __future__ import annotations

import gzip
import hashlib
import json
import selectors
import socket
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tracker.demo import fixtures, living

FAREWELL_FROM = datetime(2026, 2, 4, tzinfo=timezone.utc)
WIKIDATA_UPDATED = datetime(2026, 2, 3, tzinfo=timezone.utc)  # 2026 population published


def _data(*parts: str) -> bytes:
    return resources.files("tracker.demo").joinpath("data", *parts).read_bytes()


class DemoData:
    """The bundled documents, and which of them is current on a simulated date."""

    def __init__(self) -> None:
        folder = resources.files("tracker.demo").joinpath("data", "factbook")
        self.factbook = sorted(
            (f.name[:15], f.name) for f in folder.iterdir() if f.name.endswith(".json.gz")
        )

    def factbook_on(self, today: datetime) -> bytes | None:
        stamp = today.strftime("%Y-%m-%dT%H%M")
        names = [name for when, name in self.factbook if when <= stamp]
        return gzip.decompress(_data("factbook", names[-1])) if names else None

    @staticmethod
    def wikidata_on(today: datetime) -> bytes:
        name = "Q232.json" if today >= WIKIDATA_UPDATED else "Q232-2025-10.json"
        return _data("wikidata", name)


class PromptHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer whose `shutdown()` returns at once.

    The standard `serve_forever` notices a shutdown only when its select() times out (every
    0.5 s), so every stop costs up to half a second; here the loop also waits on a wake-up
    socket that `shutdown()` writes to. Tests start and stop hundreds of servers.
    """

    daemon_threads = True
    # socketserver's default backlog is 5: a burst of connections beyond it (a run opens
    # `per_host` at once per source host) is dropped by the kernel and retried a second
    # later, which a short fetch timeout then reports as a failure.
    request_queue_size = 128
    # TCP_NODELAY on every accepted connection, as real servers set it: http.server writes
    # the headers and the body apart, and with Nagle's algorithm the body waited for the
    # client's delayed ACK on every reused connection (benchmarks/nodelay.py)
    nodelay = True

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.nodelay:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._stop_requested = False
        self._stopped = threading.Event()

    def serve_forever(self, poll_interval: float = 0.5) -> None:  # poll_interval: unused
        self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake_reader, selectors.EVENT_READ)
                while not self._stop_requested:
                    ready = {key.fileobj for key, _ in selector.select()}
                    if self._wake_reader in ready:
                        self._wake_reader.recv(64)
                    if self._stop_requested:
                        break
                    if self in ready:
                        self._handle_request_noblock()  # type: ignore[attr-defined]
                    self.service_actions()
        finally:
            self._stop_requested = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever (running in another thread) and wait until it has returned."""
        self._stop_requested = True
        self._wake_writer.send(b"\0")
        self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()


class DemoServer:
    """`with DemoServer() as server: server.today = ...; server.url('/mirror/kz.json')`."""

    def __init__(self) -> None:
        self.today = datetime(2025, 9, 1, tzinfo=timezone.utc)
        self.data = DemoData()
        self.requests = 0
        handler = type("Handler", (_Handler,), {"demo": self})
        self._server = PromptHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "DemoServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    demo: DemoServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.demo.requests += 1
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._dispatch(parts.path, query)

    def do_POST(self) -> None:  # noqa: N802
        self.demo.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path.startswith("/acled/oauth/token"):
            self._json(
                {
                    "token_type": "Bearer",
                    "expires_in": 86400,
                    "access_token": "demo-access",
                    "refresh_token": "demo-refresh",
                }
                if form.get("grant_type") in ("password", "refresh_token")
                else {"error": "unsupported_grant_type"}
            )
        else:
            self._send(404, b"not found", "text/plain")

    def _dispatch(self, path: str, query: dict[str, str]) -> None:
        today = self.demo.today
        if path == "/mirror/kz.json":
            body = self.demo.data.factbook_on(today)
            return self._send(200, body, "application/json") if body else self._send(404, b"")
        if path == "/cia/geos/kz.json":
            if today >= FAREWELL_FROM:
                return self._redirect("/cia/stories/farewell")
            return self._send(200, self.demo.data.factbook_on(today) or b"{}", "application/json")
        if path == "/cia/stories/farewell":
            return self._send(200, fixtures.FAREWELL_HTML, "text/html; charset=utf-8")
        if path.startswith("/wikidata/wiki/Special:EntityData/"):
            if path.endswith("/Q1520.json"):
                return self._send(200, living.astana(), "application/json")
            return self._send(200, self.demo.data.wikidata_on(today), "application/json")
        if path == "/wikidata/w/api.php":
            if "titles" in query:  # an item named by its Wikipedia article
                return self._send(
                    200, living.item_by_article(query.get("sites", ""), query["titles"], today)
                )
            return self._send(200, living.with_labels(_data("wikidata", "labels.json")))
        if path.startswith("/worldbank/country/KAZ/indicator/"):
            code = path.rsplit("/", 1)[-1]
            return self._json(living.worldbank_answer(code, query, today))
        if path == "/acled/api/acled/read":
            return self._json(_acled_page(fixtures.acled_rows(today), query))
        if path == "/acled/api/deleted/read":
            return self._json({"status": 200, "success": True, "count": 0, "data": []})
        if path.startswith("/rss/") and path.endswith(".xml"):
            name = path[5:-4]
            return self._send(
                200,
                fixtures.rss_feed(name, self.demo.url(f"/rss/{name}"), today),
                "application/rss+xml; charset=utf-8",
            )
        self._send(404, b"not found", "text/plain")

    def _json(self, data: Any) -> None:
        self._send(200, json.dumps(data).encode(), "application/json")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _acled_page(rows: list[dict[str, str]], query: dict[str, str]) -> dict[str, Any]:
    """ACLED's read endpoint: event_date BETWEEN, timestamp >=, limit/page paging."""
    if "event_date" in query and "|" in query["event_date"]:
        low, high = query["event_date"].split("|", 1)
        rows = [r for r in rows if low <= r["event_date"] <= high]
    if query.get("timestamp"):
        rows = [r for r in rows if int(r["timestamp"]) >= int(query["timestamp"])]
    limit = int(query.get("limit") or 5000)
    page = int(query.get("page") or 1)
    chunk = rows[(page - 1) * limit : page * limit] if limit else rows
    return {"status": 200, "success": True, "count": len(chunk), "messages": [], "data": chunk}
