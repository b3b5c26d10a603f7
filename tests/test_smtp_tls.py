"""SMTP transport security against a real server (aiosmtpd): STARTTLS, implicit TLS, plain.

A throw-away certificate for 127.0.0.1 is made with openssl and trusted through
SSL_CERT_FILE, which the default SSL context reads — the same verification as in production.
"""

from __future__ import annotations

import socket
import ssl
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tracker.config import SmtpConfig
from tracker.notify.outbox import build_message, connect

PASSWORD = "tls-test-Pa55"


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(envelope.original_content)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def send(smtp: SmtpConfig) -> None:
    message = build_message(
        sender="tracker@example.org",
        to=["analyst@example.org"],
        subject="[kz] Łódź · Бектенов",
        text="tekst",
        html="<p>x</p>",
        now=datetime(2026, 11, 22, tzinfo=timezone.utc),
        tag="tls-test",
    )
    client = connect(smtp)
    try:
        client.send_message(message)
    finally:
        client.quit()


def test_starttls_with_login(certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("SMTP_TEST_PASSWORD", PASSWORD)
    sink, port = Sink(), free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        require_starttls=True,
        tls_context=context(cert, key),
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        send(
            SmtpConfig(
                host="127.0.0.1",
                port=port,
                security="starttls",
                username="tracker",
                password_env="SMTP_TEST_PASSWORD",
                timeout=10,
            )
        )
    finally:
        controller.stop()
    assert len(sink.messages) == 1 and b"=?utf-8?" in sink.messages[0]  # RFC 2047 subject


def test_implicit_tls(certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context(cert, key))
    controller.start()
    try:
        send(SmtpConfig(host="127.0.0.1", port=port, security="ssl", timeout=10))
    finally:
        controller.stop()
    assert len(sink.messages) == 1


def test_starttls_refuses_an_untrusted_certificate(certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    sink, port = Sink(), free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, require_starttls=True, tls_context=context(cert, key)
    )
    controller.start()
    try:
        with pytest.raises(ssl.SSLError):
            send(SmtpConfig(host="127.0.0.1", port=port, security="starttls", timeout=10))
    finally:
        controller.stop()
    assert sink.messages == []
