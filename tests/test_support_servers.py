"""The suite's own servers: they stop when told (no shutdown poll), and a stopped server
leaves nothing behind that could answer another test's connections."""

from __future__ import annotations

import signal
import socket
import threading
import urllib.request

from tests.support.raw_server import RawServer, fixed_answer
from tests.support.server import LocalServer
from tracker.demo.server import DemoServer, PromptHTTPServer


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_shutdown_does_not_wait_for_a_poll_interval():
    """serve_forever(poll_interval=…) is ignored: shutdown() wakes the loop itself, so an
    hour-long interval still stops at once (the stdlib loop would sleep it out)."""
    from http.server import BaseHTTPRequestHandler

    server = PromptHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(3600,), daemon=True)
    thread.start()
    server.shutdown()
    thread.join(timeout=60)
    server.server_close()
    assert not thread.is_alive()


def test_local_and_demo_servers_stop_their_threads():
    with LocalServer() as local:
        local.route("/a", body=b"a")
        assert get(local.url("/a")) == b"a"
        with local.down():
            pass
        assert get(local.url("/a")) == b"a"
    with DemoServer() as demo:
        assert get(demo.url("/mirror/kz.json"))
    for thread in (local._thread, demo._thread):
        thread.join(timeout=60)
        assert not thread.is_alive()


def test_a_stopped_raw_server_takes_no_connection_of_the_next_server():
    """Closed under a thread waiting in accept(), a server's descriptor number is reused by
    the next socket; when that accept() is restarted (a signal, a paused VM) it takes a
    connection of that socket — another test's server — and answers with broken bytes
    (seen as rare ReadError / RemoteProtocolError in unrelated tests). A stopped RawServer
    leaves no thread behind: here its would-be accept() is restarted on purpose."""
    previous = signal.signal(signal.SIGUSR1, lambda *a: None)
    signal.siginterrupt(signal.SIGUSR1, False)  # SA_RESTART: the kernel restarts accept()
    try:
        for _ in range(5):
            with RawServer(fixed_answer(b"NOT HTTP\r\n\r\n")) as raw:
                with socket.create_connection(("127.0.0.1", raw.port), timeout=30) as conn:
                    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert conn.recv(100).startswith(b"NOT HTTP")
            with LocalServer() as server:
                server.route("/a", body=b"ok")
                if raw._thread.is_alive():  # a thread left in accept(): restart that accept
                    signal.pthread_kill(raw._thread.ident, signal.SIGUSR1)
                for _ in range(3):
                    assert get(server.url("/a")) == b"ok"
            assert not raw._thread.is_alive(), "the accept thread outlived its server"
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_the_http_servers_answer_without_waiting_for_nagle(monkeypatch):
    """TCP_NODELAY on every accepted connection, as real servers set it: http.server
    writes the headers and the body apart, and with Nagle's algorithm the body waited for
    the client's delayed ACK on every reused connection (each request of a test, of the
    demo, ~40 ms longer)."""
    import socketserver

    setup = socketserver.StreamRequestHandler.setup
    seen: list[int] = []

    def recording(handler: socketserver.StreamRequestHandler) -> None:
        setup(handler)  # before the request is read: recorded before its answer arrives
        seen.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(socketserver.StreamRequestHandler, "setup", recording)
    with LocalServer() as local:
        local.route("/a", body=b"a")
        assert get(local.url("/a")) == b"a"
    with DemoServer() as demo:
        get(demo.url("/mirror/kz.json"))
    assert len(seen) == 2 and all(seen), seen
