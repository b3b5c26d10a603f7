"""A real local HTTP server for tests: programmable routes, ETag/Last-Modified, faults.

    with LocalServer() as server:
        server.route("/kz.json", body=b"{...}", etag=True)
        server.route("/gone", status=410)
        url = server.url("/kz.json")

A route is a `Reply` or a list of them (served in turn; the last repeats). Every request
is recorded in `server.requests` as (method, path, headers). `Reply(stream=...)` sends a
generated body without a length; `with server.down():` refuses connections meanwhile.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Callable, Iterator

from tracker.demo.server import PromptHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between body chunks (slow drip)
    etag: bool = False  # answer If-None-Match with 304
    last_modified: str | None = None
    truncate: int | None = None  # declare the full length, send only this many bytes
    reset: bool = False  # close the connection mid-body
    content_type: str = "application/json"
    # A body made on the fly (e.g. 50 MB) and sent without Content-Length, ended by closing
    # the connection: neither the server nor a declared length bounds what a client reads.
    stream: Callable[[], Iterator[bytes]] | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # TCP_NODELAY: PromptHTTPServer sets it
    server: "_Server"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def handle(self) -> None:
        self.answered = 0
        super().handle()
        if not self.answered:  # a client opens a connection to send a request on it
            self.server.owner.errors.append((self.client_address, "closed before a request"))

    def do_GET(self) -> None:  # noqa: N802
        self._answer()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self._answer()

    def _answer(self, head: bool = False) -> None:
        owner = self.server.owner
        self.answered += 1
        path = self.path
        owner.requests.append((self.command, path, dict(self.headers)))
        owner.peers.append(self.client_address)  # one per TCP connection used
        reply = owner.next_reply(path, self)
        if reply is None:
            reply = Reply(404, b"not found", content_type="text/plain")
        if reply.delay:
            time.sleep(reply.delay)
        tag = '"' + hashlib.sha1(reply.body).hexdigest()[:16] + '"'
        if reply.etag and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if (
            reply.last_modified
            and self.headers.get("If-Modified-Since") == reply.last_modified
            and not reply.etag
        ):
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.etag:
            self.send_header("ETag", tag)
        if reply.last_modified:
            self.send_header("Last-Modified", reply.last_modified)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.stream is not None:
            self.send_header("Connection", "close")
        elif "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if head:
            return
        if reply.stream is not None:
            self._stream(reply.stream())
            return
        body = reply.body if reply.truncate is None else reply.body[: reply.truncate]
        if reply.reset:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.drip:
            for i in range(0, len(body), 16):
                self.wfile.write(body[i : i + 16])
                self.wfile.flush()
                time.sleep(reply.drip)
        else:
            self.wfile.write(body)
        if reply.truncate is not None:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, chunks: Iterator[bytes]) -> None:
        self.close_connection = True
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except OSError:  # the client hung up (e.g. at its size cap): expected
            pass


class _Server(PromptHTTPServer):  # shutdown() returns at once (no 0.5 s poll)
    owner: "LocalServer"

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        error = sys.exc_info()[1]
        self.owner.errors.append((client_address, repr(error)))
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client hanging up is a test


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Callable[[_Handler], Reply]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.peers: list[tuple[str, int]] = []
        self.errors: list[tuple[object, str]] = []  # (peer, exception) of failed handlers
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "LocalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply, **kw: object) -> None:
        """`route(path, Reply(...), Reply(...))` or `route(path, status=..., body=...)`."""
        with self._lock:
            self.routes[path] = list(replies) if replies else [Reply(**kw)]  # type: ignore[arg-type]

    def handler(self, path: str, func: Callable[[_Handler], Reply]) -> None:
        with self._lock:
            self.routes[path] = func

    def next_reply(self, path: str, handler: _Handler) -> Reply | None:
        with self._lock:
            route = self.routes.get(path) or self.routes.get(path.split("?")[0])
            if route is None:
                return None
            if callable(route):
                return route(handler)
            return route.pop(0) if len(route) > 1 else route[0]

    @contextmanager
    def down(self) -> Iterator[None]:
        """Nothing listens on the port meanwhile (connection refused); then the same port,
        routes and request log come back."""
        port = self.port
        self._server.shutdown()
        self._server.server_close()
        try:
            yield
        finally:
            self._server = _Server(("127.0.0.1", port), _Handler)
            self._server.owner = self
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p.split("?")[0] == path)
