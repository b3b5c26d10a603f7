"""A raw-socket HTTP server for what http.server cannot do: drip the status line and headers
one byte at a time, send malformed answers, count connections and how many are open at once.

    with RawServer(drip_answer(b"HTTP/1.1 200 OK\\r\\n...", every=1.0)) as server:
        url = server.url("/feed")

An answer is a function (connection, request bytes) that writes whatever it likes; the
server reads one request head per connection (no keep-alive) and closes after answering.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Callable

Answer = Callable[[socket.socket, bytes], None]


class RawServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "RawServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Stop the accept() before closing the socket. Closed under it, a waiting accept()
        # takes one connection from whichever socket next reuses the descriptor number —
        # another test's server — and answers it with this one's broken bytes.
        self._stop.set()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=10).close()
        except OSError:
            pass  # nothing to wake: the accept loop has already ended
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "RawServer: the accept loop did not stop"
        self.sock.close()

    def url(self, path: str = "/feed") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._stop.is_set():  # the wake-up connection of __exit__
                conn.close()
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                self.requests.append(head)
                self.answer(conn, head)
            except OSError:  # the client hung up (e.g. at its timeout): expected
                pass


def fixed_answer(data: bytes) -> Answer:
    def answer(conn: socket.socket, head: bytes) -> None:
        conn.sendall(data)

    return answer


def drip_answer(data: bytes, every: float = 1.0, skip: int = 0) -> Answer:
    """Send the first `skip` bytes at once, then one byte every `every` seconds."""

    def answer(conn: socket.socket, head: bytes) -> None:
        conn.sendall(data[:skip])
        for i in range(skip, len(data)):
            conn.sendall(data[i : i + 1])
            time.sleep(every)

    return answer


def header_drip(every: float = 1.0) -> Answer:
    """A status line and headers that never end, one byte a second."""
    return drip_answer(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + b"X-Slow: " + b"a" * 10_000, every
    )


def body_drip(every: float = 1.0) -> Answer:
    """Prompt headers, then a body one byte a second."""
    body = b"<rss>" + b" " * 10_000 + b"</rss>"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(body)
    return drip_answer(head + body, every, skip=len(head))
