"""The digest end to end: real git workspace, real HTTP source, real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import utc
from tests.support.zygote import run as warm_run
from tracker.digest.job import load_memory
from tracker.notify.outbox import Outbox
from tracker.run.runner import run_once
from tracker.store.git import GitStore


def factbook(population: str) -> bytes:
    """A minimal factbook.json-format profile."""
    return json.dumps(
        {
            "Government": {
                "Executive branch": {
                    "head of government": {
                        "text": "Prime Minister Olzhas BEKTENOV (since 6 February 2024)"
                    }
                }
            },
            "People and Society": {"Population": {"total": {"text": population}}},
        }
    ).encode()


OCTOBER, JANUARY = factbook("20,260,006 (2024 est.)"), factbook("20,432,662 (2025 est.)")

REPORT = """\
report: {id: kz-security-2025, title: "Kazachstan – sytuacja bezpieczeństwa"}
facts:
  - id: head-of-government
    section: Rząd i premier
    footnote: 10
    claim: Premierem jest Ołżas Bektenow (Олжас Бектенов).
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: population
    section: Ludność
    footnote: 1
    claim: Kazachstan liczy ok. 20,26 mln mieszkańców (население).
    expect: 20260006
    source: fb
    path: [People and Society, Population, total]
    extract: number
"""


def feeds(http_url: str, smtp_port: int, extra_email: str = "", digest: str = "") -> str:
    return f"""\
sources:
  fb:
    kind: factbook
    title: Factbook – Kazachstan
    url: {http_url}
    timeout: 1
http: {{retries: 0}}
digest:
  schedule: "0 6 * * *"
{digest}
email:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: plain, timeout: 5}}
  from: tracker@example.org
  to: [analityk@example.org]
{extra_email}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list:
        return [
            BytesParser(policy=policy.default).parsebytes(e.original_content)
            for e in self.envelopes
        ]


class Smtp:
    """A real SMTP server on a fixed port that the test can start late or stop."""

    def __init__(self, port: int, **kw) -> None:
        self.port, self.kw, self.sink, self.controller = port, kw, Sink(), None

    def start(self) -> "Smtp":
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **self.kw)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    servers: list[Smtp] = []

    def factory(port: int | None = None, start: bool = True, **kw) -> Smtp:
        server = Smtp(port or free_port(), **kw)
        servers.append(server)
        return server.start() if start else server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def kz(workspace, server, smtp):
    """Workspace whose first run (Oct 2025) agrees with the report; SMTP up."""
    server.route("/kz.json", body=OCTOBER)
    mail = smtp()
    root = workspace(feeds(server.url("/kz.json"), mail.port), {"kz-security-2025": REPORT})
    first = run_once(root, now=utc("2025-10-08T07:00"), run_all=True)
    assert first.commit and not first.failed
    return root, mail


def test_stale_fact_arrives_as_utf8_multipart_with_rfc2047_subject(kz, server):
    root, mail = kz
    assert mail.sink.messages() == []  # first digest: nothing needs review, nothing new
    server.route("/kz.json", body=JANUARY)
    result = run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    [message] = mail.sink.messages()
    raw = mail.sink.envelopes[0].original_content
    assert message["Subject"] == "[kz-security-2025] 1 fact needs review"
    assert message["To"] == "analityk@example.org" and message["From"] == "tracker@example.org"
    assert message["Message-ID"] and message["Date"] and message["Auto-Submitted"]
    assert message.get_content_type() == "multipart/alternative"
    text, html = (message.get_body(("plain",)), message.get_body(("html",)))
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    for part in (text.get_content(), html.get_content()):
        assert "Ludność" in part and "население" in part and "20,432,662" in part
    assert b"Ludno\xc5\x9b\xc4\x87" not in raw  # transfer-encoded, 7-bit safe on the wire
    assert mail.sink.envelopes[0].rcpt_tos == ["analityk@example.org"]
    assert [(n.kind.value, n.message, n.count) for n in result.notices] == [
        ("emailed", "emailed: 1 message(s)", 1)
    ]
    # saved and committed under digests/
    files = GitStore(root).repo.git.ls_files("digests").split()
    assert files == [
        "digests/2026-01-22-kz-security-2025.html",
        "digests/2026-01-22-kz-security-2025.txt",
    ]
    assert "20,432,662" in (root / files[1]).read_text(encoding="utf-8")


def test_non_ascii_subject_is_rfc2047_encoded(kz, server):
    root, mail = kz
    server.route("/kz.json", body=JANUARY)
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    new_premier = JANUARY.replace(b"Olzhas BEKTENOV", "Roman SKLÂR".encode())
    server.route("/kz.json", body=new_premier)
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)
    raw = mail.sink.envelopes[1].original_content
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in header.lower() and "·".encode() not in header
    message = mail.sink.messages()[1]
    assert message["Subject"] == "[kz-security-2025] 1 fact needs review · 1 still open"
    assert "Roman Sklâr" in message.get_body(("plain",)).get_content()


def test_server_down_keeps_the_message_and_the_next_run_sends_it_once(workspace, server, smtp):
    port = free_port()
    mail = smtp(port, start=False)  # nothing listens yet
    server.route("/kz.json", body=JANUARY)
    root = workspace(feeds(server.url("/kz.json"), port), {"kz-security-2025": REPORT})
    down = run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    assert not down.failed and down.commit  # the run itself completed
    assert any(
        n.kind.value == "email-waiting"
        and n.message.startswith("email not sent")
        and "outbox" in n.message
        for n in down.notices
    )
    waiting = Outbox(root).pending()
    assert len(waiting) == 1
    assert (root / "digests/2026-01-22-kz-security-2025.txt").exists()
    mail.start()
    later = run_once(root, now=utc("2026-01-22T09:00"))  # digest not due again: outbox only
    assert [n.message for n in later.notices] == ["emailed: 1 message(s)"]
    assert Outbox(root).pending() == []
    run_once(root, now=utc("2026-01-22T10:00"))
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)  # due, but nothing new
    messages = mail.sink.messages()
    assert len(messages) == 1 and messages[0]["Subject"] == "[kz-security-2025] 1 fact needs review"


def test_a_message_already_sent_is_never_sent_again(kz, server):
    """A crash after the server accepted but before the file was removed: no duplicate."""
    root, mail = kz
    server.route("/kz.json", body=JANUARY)
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    [sent] = mail.sink.messages()
    leftover = Outbox(root).folder / "leftover.eml"
    leftover.write_bytes(mail.sink.envelopes[0].original_content)
    run_once(root, now=utc("2026-01-22T08:00"))
    assert len(mail.sink.messages()) == 1 and not leftover.exists()
    assert sent["Message-ID"] in Outbox(root).sent_ids()


def test_nothing_new_sends_nothing_unless_configured(kz, server, workspace, smtp):
    root, mail = kz
    run_once(root, now=utc("2025-10-09T07:00"), run_all=True)
    assert mail.sink.messages() == [] and not (root / "digests").exists()
    other = smtp()
    root2 = workspace(
        feeds(server.url("/kz.json"), other.port, "  send_when_empty: true\n"),
        {"kz-security-2025": REPORT},
        name="ws2",
    )
    run_once(root2, now=utc("2025-10-09T07:00"), run_all=True)
    assert [m["Subject"] for m in other.sink.messages()] == ["[kz-security-2025] no changes"]


def test_digest_follows_its_schedule(kz, server):
    root, mail = kz  # the last digest pass ran 2025-10-08 07:00; schedule "0 6 * * *"
    server.route("/kz.json", body=JANUARY)
    early = run_once(root, now=utc("2025-10-09T05:00"), run_all=True)
    assert early.digests == [] and mail.sink.messages() == []  # 06:00 has not come yet
    assert load_memory(root).last_run.startswith("2025-10-08T07:00")
    due = run_once(root, now=utc("2025-10-09T06:00"))
    assert len(due.digests) == 2 and len(mail.sink.messages()) == 1
    assert load_memory(root).last_run.startswith("2025-10-09T06:00")


def test_reminder_then_resolved_across_digests(kz, server):
    root, mail = kz
    server.route("/kz.json", body=JANUARY)
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)  # same problem: no email
    server.route("/kz.json", body=OCTOBER)
    run_once(root, now=utc("2026-01-24T07:00"), run_all=True)
    subjects = [m["Subject"] for m in mail.sink.messages()]
    assert subjects == ["[kz-security-2025] 1 fact needs review", "[kz-security-2025] 1 resolved"]
    assert (
        "RESOLVED SINCE THE LAST DIGEST (1)"
        in mail.sink.messages()[1].get_body(("plain",)).get_content()
    )


def test_source_failures_go_to_maintainers_not_analysts(kz, server):
    root, mail = kz
    (root / "feeds.yaml").write_text(
        (root / "feeds.yaml").read_text() + "  maintainers: [it@example.org]\n"
    )
    server.route("/kz.json", status=503, body=b"down for maintenance")
    result = run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    assert result.failed
    by_rcpt = {tuple(e.rcpt_tos): m for e, m in zip(mail.sink.envelopes, mail.sink.messages())}
    assert set(by_rcpt) == {("it@example.org",)}  # nothing new for analysts: no digest
    body = by_rcpt[("it@example.org",)].get_body(("plain",)).get_content()
    assert by_rcpt[("it@example.org",)]["Subject"] == "[report-tracker] 1 source failing"
    assert "fb (Factbook – Kazachstan): failing since 2026-01-22" in body and "503" in body
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)  # still failing: no repeat
    assert len(mail.sink.envelopes) == 1


def test_password_comes_from_the_environment(workspace, server, smtp, monkeypatch):
    seen = []

    def authenticator(server_, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    mail = smtp(authenticator=authenticator, auth_require_tls=False)
    server.route("/kz.json", body=JANUARY)
    text = feeds(server.url("/kz.json"), mail.port).replace(
        "security: plain,", "security: plain, username: tracker, password_env: TRK_SMTP_PW,"
    )
    root = workspace(text, {"kz-security-2025": REPORT})
    monkeypatch.delenv("TRK_SMTP_PW", raising=False)
    missing = run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    assert any("TRK_SMTP_PW is not set" in n.message for n in missing.notices)
    assert len(Outbox(root).pending()) == 1 and not mail.sink.envelopes
    monkeypatch.setenv("TRK_SMTP_PW", "s3cret")
    run_once(root, now=utc("2026-01-22T08:00"))
    assert seen == [(b"tracker", b"s3cret")] and len(mail.sink.envelopes) == 1
    assert "s3cret" not in (root / ".tracker" / "digest.json").read_text()


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *args],
        capture_output=True,
        text=True,
    )


def test_cli_preview_changes_nothing_and_send_sends(kz, server):
    root, mail = kz
    server.route("/kz.json", body=JANUARY)
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True, send_email=False)
    assert mail.sink.envelopes == []  # --no-email: written, not sent
    assert (root / "digests/2026-01-22-kz-security-2025.html").exists()
    memory = (root / ".tracker/digest.json").read_text()
    out = root / "preview.html"
    proc = cli(root, "digest", "--output", str(out), "--now", "2026-01-22T08:00")
    assert proc.returncode == 0, proc.stderr
    assert "<!DOCTYPE html>" in out.read_text(encoding="utf-8")
    assert (root / ".tracker/digest.json").read_text() == memory
    proc = cli(root, "digest", "--now", "2026-01-22T08:00")
    assert "STILL OPEN (1)" in proc.stdout
    proc = cli(
        root, "digest", "--send", "--report", "kz-security-2025", "--now", "2026-01-22T08:00"
    )
    assert proc.returncode == 0, proc.stderr
    assert "queued: [kz-security-2025] 1 still open" in proc.stdout
    assert len(mail.sink.envelopes) == 1
    bad = cli(root, "digest", "--report", "nope")
    assert bad.returncode == 2 and "unknown report 'nope'" in bad.stderr


RSS_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Times of Central Asia</title><link>https://timesca.com/</link>
<item><guid>n1</guid><title>Премьер-министр Бектенов провёл совещание</title>
<link>https://timesca.com/news/1</link><pubDate>Wed, 21 Jan 2026 09:00:00 GMT</pubDate>
<description>&lt;p&gt;Rząd &lt;b&gt;Kazachstanu&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description></item>
<item><guid>n2</guid><title>Bektenov &lt;img src=x onerror=alert(2)&gt; visits Aktau</title>
<link>javascript:alert(3)</link><pubDate>Wed, 21 Jan 2026 10:00:00 GMT</pubDate></item>
</channel></rss>
"""


def test_matched_news_is_in_the_digest_once(workspace, server, smtp):
    mail = smtp()
    server.route("/kz.json", body=OCTOBER)
    text = feeds(server.url("/kz.json"), mail.port).replace(
        "http: {retries: 0}",
        f"  news:\n    kind: rss\n    title: Times of Central Asia\n"
        f"    url: {server.url('/feed.xml')}\nhttp: {{retries: 0}}",
    )
    report = REPORT.replace(
        "    extract: person\n", "    extract: person\n    watch: [Bektenov, Бектенов]\n", 1
    )
    root = workspace(text, {"kz-security-2025": report})
    baseline = RSS_FEED.split("<item>")[0] + "</channel></rss>"
    server.route("/feed.xml", body=baseline.encode(), content_type="application/rss+xml")
    run_once(root, now=utc("2026-01-21T07:00"), run_all=True)  # a feed's first sight: baseline
    server.route("/feed.xml", body=RSS_FEED.encode(), content_type="application/rss+xml")
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    [message] = mail.sink.messages()
    assert message["Subject"] == "[kz-security-2025] 2 news items"
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    assert "Премьер-министр Бектенов провёл совещание" in html and "Rząd Kazachstanu" in plain
    assert 'href="https://timesca.com/news/1"' in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)  # same feed: nothing new
    assert len(mail.sink.envelopes) == 1


def test_without_maintainers_a_failing_source_reaches_the_analysts_once(kz, server):
    root, mail = kz
    server.route("/kz.json", status=503, body=b"down for maintenance")
    run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    [message] = mail.sink.messages()
    assert message["To"] == "analityk@example.org"
    assert message["Subject"] == "[kz-security-2025] 1 source failing"
    text = message.get_body(("plain",)).get_content()
    # the report's only source failed: one line, not one entry per fact
    assert "1 source could not be read: none of this report's sources answered" in text
    assert "2 facts keep their last known state" in text and "population" not in text
    assert "503" in text  # no maintainers configured: the analysts get the detail
    run_once(root, now=utc("2026-01-23T07:00"), run_all=True)  # still failing: said already
    assert len(mail.sink.envelopes) == 1


class Refusing(Sink):
    """Refuses the analyst's address with `code` (550: for good; 450: try later)."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code, self.attempts = code, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.attempts += 1
        if address == "analityk@example.org":
            return f"{self.code} mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize("code, kept_aside", [(550, True), (450, False)])
def test_a_message_refused_for_good_is_set_aside_not_retried(
    workspace, server, smtp, code, kept_aside
):
    mail = smtp(start=False)
    mail.sink = Refusing(code)
    mail.start()
    server.route("/kz.json", body=JANUARY)
    root = workspace(feeds(server.url("/kz.json"), mail.port), {"kz-security-2025": REPORT})
    first = run_once(root, now=utc("2026-01-22T07:00"), run_all=True)
    rejected = Outbox(root).folder / "rejected"
    if kept_aside:
        [notice] = [n.message for n in first.notices if n.kind.value == "email-rejected"]
        assert "recipients refused: analityk@example.org" in notice and "rejected/" in notice
        assert Outbox(root).pending() == [] and len(list(rejected.glob("*.eml"))) == 1
    else:
        assert any(n.message.startswith("email not sent") for n in first.notices)
        assert len(Outbox(root).pending()) == 1 and not rejected.exists()
    tried = mail.sink.attempts
    run_once(root, now=utc("2026-01-22T08:00"))  # outbox only
    assert (mail.sink.attempts == tried) is kept_aside  # set aside: never tried again
    assert mail.sink.envelopes == []
