"""No secret — in any case or encoding — in stdout, stderr, `.tracker/`, digests, the outbox
or `git log -p --all`, over every failure path of ACLED and SMTP, redirects included.

One workspace, run again and again by the real `tracker` command; each run puts one more
fault in a server's way. The ACLED login and the SMTP login have characters that every
encoding changes (`@`, space, `+`, `&`, `%`, `/`), and the servers quote them back in
another case, percent-, plus- or base64-encoded, in every reply they can.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import make_workspace
from tests.support import acled_server
from tests.support.acled_server import FakeAcled, event, reply
from tests.support.cli import tracker as in_process
from tests.support.hostile import git, profile
from tests.support.server import LocalServer, Reply
from tests.support.zygote import run as warm_run

ACLED_USER = "Analyst.Name+kz@example.org"
ACLED_PASSWORD = "p@ss w/rd+&%Secret-42"
SMTP_USER = "mailbot.Qx81@example.org"
SMTP_PASSWORD = "smtp pw&+%/Zk-77"
SECRETS = (ACLED_USER, ACLED_PASSWORD, SMTP_USER, SMTP_PASSWORD)
RUNS = [f"2025-10-{day:02d}T04:00" for day in range(8, 28)]


def forms() -> set[str]:
    """Every way a secret can be written: as is, percent-, plus-, JSON-escaped; and the
    base64 an HTTP Basic or SMTP AUTH PLAIN/LOGIN exchange would carry."""
    out: set[str] = set()
    for secret in SECRETS:
        out |= {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            quote_plus(secret, safe=""),
        }
    for user, password in ((ACLED_USER, ACLED_PASSWORD), (SMTP_USER, SMTP_PASSWORD)):
        for plain in (f"{user}:{password}", f"\0{user}\0{password}", user, password):
            token = base64.b64encode(plain.encode()).decode()
            out |= {token, token.rstrip("=")}
    return out


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return sorted(f for f in forms() if f.lower() in lowered or f in text)


def quoting() -> str:
    """What a hostile server says back: each login in another case and encoding."""
    return (
        f"{ACLED_USER.upper()} / {quote(ACLED_PASSWORD, safe='')} / "
        f"{quote_plus(ACLED_USER)} / {ACLED_PASSWORD.swapcase()} / "
        f"{base64.b64encode(f'{ACLED_USER}:{ACLED_PASSWORD}'.encode()).decode()} / "
        f"{SMTP_USER.upper()} / {quote_plus(SMTP_PASSWORD)}"
    )


# ------------------------------------------------------------------ SMTP


@dataclass
class Mailer:
    """aiosmtpd handler: what the next SMTP command is answered with ("" = accept)."""

    mail: str = ""
    rcpt: str = ""
    data: str = ""
    auth: str = ""
    accepted: list[bytes] = field(default_factory=list)

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if self.rcpt:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data:
            return self.data
        self.accepted.append(envelope.content)
        return "250 Message accepted"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        if self.auth:
            return AuthResult(success=False, handled=False, message=self.auth)
        ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FEEDS = """\
sources:
  fb: {{kind: factbook, url: "{base}/kz.json"}}
  acled-kz:
    kind: acled
    url: {base}
    country: Kazakhstan
    since: 2025-01-01
    until: 2025-09-12
    credentials: {{username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}}
http: {{retries: 0, backoff: 0.01}}
digest: {{send_when_empty: true}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp}, security: plain, username_env: SMTP_USERNAME,
         password_env: SMTP_PASSWORD}}
  from: tracker@example.org
  to: [team@example.org]
  maintainers: [it@example.org]
"""
REPORT = """\
report: {id: kz, title: Secrets}
facts:
  - id: pm
    expect: Olzhas Bektenov
    source: fb
    path: [Government, head of government, text]
    extract: person
  - id: fatalities
    expect: 2
    source: acled-kz
    path: [fatalities]
    extract: acled
    params: {from: 2025-01-01, to: 2025-09-12}
"""


@dataclass
class World:
    root: Path
    server: LocalServer
    elsewhere: LocalServer
    acled: FakeAcled
    mailer: Mailer
    outputs: list[str] = field(default_factory=list)

    def run(self) -> subprocess.CompletedProcess[str]:
        now = RUNS[len(self.outputs)]
        env = {
            "ACLED_USERNAME": ACLED_USER,
            "ACLED_PASSWORD": ACLED_PASSWORD,
            "SMTP_USERNAME": SMTP_USER,
            "SMTP_PASSWORD": SMTP_PASSWORD,
        }
        # in this process (the command's output is the subject, not the process)
        proc = in_process(self.root, "run", "--all", "--now", now, env=env)
        self.outputs.append(f"$ run {now} → {proc.returncode}\n{proc.stdout}{proc.stderr}")
        assert proc.returncode in (0, 3), self.outputs[-1]
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def login_again(self) -> None:
        """Forget ACLED's token, so the next run logs in (the token endpoint's paths)."""
        self.acled.expire_tokens()
        for token in (self.root / ".tracker").rglob("*token*"):
            token.unlink()


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setattr(acled_server, "USERNAME", ACLED_USER)
    monkeypatch.setattr(acled_server, "PASSWORD", ACLED_PASSWORD)
    mailer = Mailer()
    smtp = Controller(
        mailer,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=mailer.authenticator,
        auth_require_tls=False,
    )
    smtp.start()
    try:
        with LocalServer() as server, LocalServer() as elsewhere:
            acled = FakeAcled(server)
            vac = "Violence against civilians"
            acled.rows = [
                event("KAZ0001", "2025-02-01", vac, "Attack", 1, civilian=True),
                event("KAZ0002", "2025-05-30", vac, "Attack", 1, civilian=True),
            ]
            import json

            server.route("/kz.json", body=json.dumps(profile()).encode())
            root = make_workspace(
                tmp_path / "ws", FEEDS.format(base=server.url(""), smtp=smtp.port), {"kz": REPORT}
            )
            yield World(root, server, elsewhere, acled, mailer)
    finally:
        smtp.stop()


def test_no_secret_anywhere_over_every_failure_path(world):
    w = world
    w.run()
    assert w.mailer.accepted, "the first digest was sent: the logins work"
    echo = quoting()

    # ACLED's token endpoint: refused logins quoting the login back, token errors, a 307
    # to another origin (the form must not follow), an answer without a token
    steps = [
        ("/oauth/token", reply({"error": "invalid_grant", "error_description": echo}, 401)),
        ("/oauth/token", reply({"error": "invalid_client", "message": echo}, 400)),
        (
            "/oauth/token",
            Reply(
                307, headers={"Location": w.elsewhere.url("/collect?p=" + quote(ACLED_PASSWORD))}
            ),
        ),
        ("/oauth/token", reply({"token_type": "Bearer", "note": echo}, 200)),
        ("/oauth/token", reply({"error": echo}, 500)),
    ]
    for path, answer in steps:
        w.login_again()
        w.acled.fail_next(path, answer)
        w.run()
    assert not w.elsewhere.requests, "nothing was sent on to the other origin"

    # ACLED's data endpoint: errors quoting the login, success:false, a redirect to a URL
    # carrying the password (and to another origin)
    for answer in (
        reply({"message": echo}, 500),
        reply({"message": echo}, 403),
        reply({"success": False, "error": [{"message": echo}]}),
        Reply(
            302,
            headers={
                "Location": f"/moved?password={quote(ACLED_PASSWORD)}&user={quote_plus(ACLED_USER)}"
            },
        ),
        Reply(302, headers={"Location": w.elsewhere.url(f"/steal?u={quote(ACLED_USER)}")}),
    ):
        w.acled.fail_next("/api/acled/read", answer)
        w.server.route("/moved", reply({"error": echo}, 500))
        w.run()
    assert not [r for r in w.elsewhere.requests if "Authorization" in r[2]], (
        "the bearer token never went to another origin"
    )

    # SMTP: every reply after AUTH quoting the logins, and AUTH's own refusal
    for attribute, answer in (
        ("auth", f"535 5.7.8 bad login {echo}"),
        ("mail", f"550 5.7.1 sender {echo} not allowed"),
        ("mail", f"451 4.7.1 try later, {echo}"),
        ("rcpt", f"550 5.1.1 no such user (auth {echo})"),
        ("data", f"554 5.6.0 rejected for {echo}"),
        ("data", f"451 4.3.0 queue full for {echo}"),
    ):
        setattr(w.mailer, attribute, answer)
        w.run()
        setattr(w.mailer, attribute, "")
    w.run()  # everything answers again: what waited is sent

    said = "\n".join(w.outputs)
    for code in ("535", "550", "451", "554"):
        assert code in said, f"the SMTP {code} was met and reported"
    assert "***" in said, "a quoting server's text was shown, redacted"
    assert list((w.root / "digests").glob("*.html")), "digests were written"
    texts = {
        "tracker output": said,
        "git log -p --all": git(w.root, "log", "-p", "--all", "--format=%H %B"),
    }
    for path in w.root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(w.root).parts:
            texts[str(path.relative_to(w.root))] = path.read_bytes().decode("utf-8", "replace")
    assert any("outbox" in name for name in texts), "the outbox was looked at"
    for where, text in texts.items():
        assert not leaks(text), f"{leaks(text)} leaked into {where}"
    for message in w.mailer.accepted:
        assert not leaks(message.decode("utf-8", "replace")), "a secret in a sent mail"


def test_source_urls_are_shown_without_query_or_userinfo(tmp_path):
    """A feed URL carrying an API key: the key is sent to the server, but no digest, message,
    state or commit shows it (digests link the source without its query)."""
    key = "apikey-5ecret-Qq19"
    feeds = """\
sources:
  news: {{kind: rss, url: "{base}/feed.xml?apikey={key}", title: Keyed news}}
  gone: {{kind: rss, url: "{base}/gone.xml?token={key}"}}
http: {{retries: 0}}
digest: {{send_when_empty: true}}
"""
    report = "report: {id: kz}\nfacts:\n  - id: pm\n    expect: x\n    watch: [Astana]\n"
    from tests.support.hostile import feed

    with LocalServer() as server:
        server.route(
            "/feed.xml", body=feed([("a1", "Astana")]).encode(), content_type="application/rss+xml"
        )
        server.route("/gone.xml", Reply(500, b"no"))
        root = make_workspace(
            tmp_path / "ws", feeds.format(base=server.url(""), key=key), {"kz": report}
        )
        proc = warm_run(
            [
                sys.executable,
                "-m",
                "tracker.cli",
                "-w",
                str(root),
                "run",
                "--all",
                "--no-email",
                "--now",
                RUNS[0],
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert any(key in path for _, path, _ in server.requests), "the key was sent"
    assert proc.returncode == 3, proc.stderr
    digest = next((root / "digests").glob("*.html")).read_text()
    assert f'href="{server.url("/feed.xml")}"' in digest or server.url("/gone.xml") in digest
    # (feeds.yaml holds the key, as the user wrote it, and so do its parsed copy in
    # .tracker/cache/yaml and the validated configuration in .tracker/cache/config.pickle,
    # readable by the user only; nothing else may)
    kept_config = root / ".tracker" / "cache" / "config.pickle"
    assert kept_config.is_file() and kept_config.stat().st_mode & 0o077 == 0
    texts = {
        "output": proc.stdout + proc.stderr,
        "git": git(root, "log", "-p", "--all", "--", ".", ":!feeds.yaml"),
    }
    texts.update(
        {
            str(p): p.read_text(errors="replace")
            for p in root.rglob("*")
            if p.is_file()
            and ".git" not in p.relative_to(root).parts
            and p.name != "feeds.yaml"
            and "yaml" not in p.parent.name
            and p != kept_config
        }
    )
    assert [where for where, text in texts.items() if key in text] == []
