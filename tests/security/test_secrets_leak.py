"""With SMTP and ACLED credentials in the environment, no secret reaches git (every blob
and commit message of every ref), snapshots, digests, .tracker/ (state, logs, outbox,
caches), stdout/stderr of `tracker`, or an error message — even when servers fail with
401/403/500 answers that echo the credentials back, or redirect to a URL carrying them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import make_workspace
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event, reply
from tests.support.faults import make_kind
from tests.support.server import LocalServer, Reply
from tests.support.zygote import run as warm_run

SMTP_PASSWORD = "smtp-Pw-7c1e9d-NEVER-WRITE"
SECRETS = [USERNAME, PASSWORD, SMTP_PASSWORD]

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
http: {{retries: 1, backoff: 0.01}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp}, security: plain, username: tracker,
         password_env: TRACKER_SMTP_PASSWORD}}
  from: tracker@example.org
  to: [analysts@example.org]
"""
REPORT = """\
report: {id: kz, title: Secrets}
facts:
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: acled-fatalities-2025
    expect: 2
    source: acled-kz
    path: [fatalities]
    extract: acled
    params: {from: 2025-01-01, to: 2025-09-12}
"""


def echo(status: int) -> Reply:
    """A hostile or buggy server quoting every credential back."""
    return reply({"error": f"{status}: {USERNAME} / {PASSWORD} / {SMTP_PASSWORD}"}, status)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rejecting_authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(
        success=False, handled=False, message=f"535 5.7.8 bad password {auth_data.password!r}"
    )


def tracker(root: Path, now: str, env: dict[str, str]) -> str:
    proc = warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), "run", "--all", "--now", now],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode in (0, 3), proc.stderr
    return proc.stdout + proc.stderr


def every_git_object(root: Path) -> str:
    """All blobs and commit messages reachable from any ref (not just the work tree)."""
    git = ["git", "-C", str(root)]
    objects = subprocess.run(
        [*git, "rev-list", "--all", "--objects"], capture_output=True, text=True, check=True
    ).stdout.split()
    shas = sorted({line for line in objects if len(line) == 40})
    batch = subprocess.run(
        [*git, "cat-file", "--batch"],
        input=("\n".join(shas) + "\n").encode(),
        capture_output=True,
        check=True,
    ).stdout
    return batch.decode("utf-8", "replace")


@pytest.mark.slow
def test_no_secret_anywhere_after_runs_with_failing_servers(tmp_path):
    env = {
        **os.environ,
        "ACLED_USERNAME": USERNAME,
        "ACLED_PASSWORD": PASSWORD,
        "TRACKER_SMTP_PASSWORD": SMTP_PASSWORD,
    }
    smtp_port = free_port()
    smtp = Controller(
        object(),
        hostname="127.0.0.1",
        port=smtp_port,
        authenticator=rejecting_authenticator,
        auth_require_tls=False,
    )
    smtp.start()
    outputs = []
    try:
        with LocalServer() as server:
            acled = FakeAcled(server)
            vac = "Violence against civilians"
            acled.rows = [
                event("KAZ0001", "2025-02-01", vac, "Attack", 1, civilian=True),
                event("KAZ0002", "2025-05-30", vac, "Attack", 1, civilian=True),
            ]
            fb = make_kind("factbook")
            fb.serve_good(server)
            root = make_workspace(
                tmp_path / "ws", FEEDS.format(base=server.url(""), smtp=smtp_port), {"kz": REPORT}
            )
            outputs.append(tracker(root, "2025-10-08T04:00", env))
            # 500s echoing the credentials; the Factbook redirects to a URL carrying one
            acled.fail_next("/api/acled/read", echo(500), echo(500))
            server.route(
                "/kz.json",
                Reply(302, headers={"Location": f"/moved?password={PASSWORD}&user={USERNAME}"}),
            )
            server.route("/moved", echo(500))
            outputs.append(tracker(root, "2025-10-09T04:00", env))
            # 403 and 401 from ACLED (token refused, quoting the login), 401 from the source
            acled.expire_tokens()
            (root / ".tracker" / "acled" / "acled-kz.token.json").unlink(missing_ok=True)
            acled.fail_next("/oauth/token", echo(401))
            server.route("/kz.json", echo(401))
            outputs.append(tracker(root, "2025-10-10T04:00", env))
            acled.fail_next("/api/acled/read", echo(403))
            server.route("/kz.json", echo(403))
            outputs.append(tracker(root, "2025-10-11T04:00", env))
            acled.fail_next(
                "/api/acled/read",
                reply(
                    {
                        "success": False,
                        "error": [{"message": f"bad request from {USERNAME} ({PASSWORD})"}],
                    }
                ),
            )
            outputs.append(tracker(root, "2025-10-12T04:00", env))
    finally:
        smtp.stop()

    assert "500" in outputs[1] and "401" in outputs[2], "the failures did happen"
    assert "bad request from *** (***)" in outputs[4], "a quoting server was redacted"
    assert "535" in "\n".join(outputs), "the SMTP login was tried and refused"
    assert list((root / "digests").rglob("*.html")), "digests were written"
    assert list((root / ".tracker" / "outbox").glob("*.eml")), "mail waits in the outbox"
    texts = {"git objects": every_git_object(root), "tracker output": "\n".join(outputs)}
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            texts[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    assert any(k.startswith(".tracker/state") for k in texts) and "snapshots/fb.yaml" in texts
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {where}"
