"""ACLED's login never leaks: not re-POSTed on a redirect to another origin, and never
quoted back — in any case or encoding — in a message, `.tracker/`, a digest or git."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.conftest import make_workspace, utc
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event, reply
from tests.support.faults import make_kind, workspace_files
from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError, ParseError
from tracker.fetch.client import Http
from tracker.run.runner import run_once
from tracker.sources.acled import AcledOptions, AcledSource

NOW = utc("2025-09-17T05:00:00")


def secret_forms() -> list[str]:
    forms = []
    for secret in (USERNAME, PASSWORD):
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            forms += [form, form.upper(), form.lower()]
    forms.append(base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode())
    return forms


def assert_nowhere(*texts: str) -> None:
    for text in texts:
        lowered = text.lower()
        for form in secret_forms():
            assert form.lower() not in lowered, f"{form!r} leaked: …{text[:300]}…"


def workspace_text(root: Path) -> str:
    """Every file of the workspace (.tracker/ and digests/ included) and all of git."""
    parts = [
        p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    ]
    log = subprocess.run(
        ["git", "log", "-p", "--all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return "\n".join(parts) + log


@pytest.fixture
def acled(server) -> FakeAcled:
    fake = FakeAcled(server)
    fake.rows = [event("KAZ0001", "2025-02-01", "Protests", "Peaceful protest")]
    return fake


def fetch(acled: FakeAcled, tmp_path: Path) -> dict:
    options = AcledOptions(
        kind="acled",
        url=acled.base,
        country="Kazakhstan",
        since="2025-01-01",
        credentials={"username_env": "U", "password_env": "P"},
    )
    source = AcledSource("acled-kz", options)
    source.state_dir, source.env = tmp_path, {"U": USERNAME, "P": PASSWORD}

    async def go():
        async with Http(HttpConfig(retries=0)) as http:
            return source.normalize((await source.fetch(http, {}, NOW)).raw)

    return asyncio.run(go())


def test_a_307_from_the_token_endpoint_to_another_port_is_refused(acled, tmp_path):
    with LocalServer() as elsewhere:
        elsewhere.route("/collect", Reply(200, b"{}"))
        acled.fail_next(
            "/oauth/token", Reply(307, headers={"Location": elsewhere.url("/collect?from=acled")})
        )
        with pytest.raises(FetchError) as caught:
            fetch(acled, tmp_path)
        assert elsewhere.requests == []  # no body, no request at all
    message = str(caught.value)
    assert f"refused to follow a redirect to {elsewhere.url('/collect')}:" in message
    assert "from=acled" not in message
    assert_nowhere(message)


@pytest.mark.parametrize(
    "quoted",
    [USERNAME.upper(), quote(USERNAME, safe=""), quote_plus(PASSWORD), PASSWORD.swapcase()],
)
def test_success_false_quoting_the_login_is_redacted(acled, tmp_path, quoted):
    acled.fail_next(
        "/api/acled/read",
        reply(
            {
                "success": False,
                "error": [{"message": f"Account {quoted} is not allowed this query"}],
            }
        ),
    )
    with pytest.raises(FetchError, match=r"Account \*\*\* is not allowed") as caught:
        fetch(acled, tmp_path)
    assert_nowhere(str(caught.value))


def test_a_token_error_quoting_the_password_is_redacted(acled, tmp_path):
    acled.fail_next("/oauth/token", reply({"error": f"bad password {PASSWORD.upper()}"}))
    with pytest.raises(
        FetchError, match=r"ACLED refused the login \(bad password \*\*\*\)"
    ) as caught:
        fetch(acled, tmp_path)
    assert "$U" in str(caught.value) and "$P" in str(caught.value)
    assert_nowhere(str(caught.value))


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"token_type": "Bearer"}, "no access_token"),
        (["not", "an", "object"], "malformed"),
        ({"access_token": "abcd", "expires_in": "soon"}, "malformed"),
    ],
)
def test_bad_token_answers_are_parse_errors(acled, tmp_path, answer, expected):
    acled.fail_next("/oauth/token", reply(answer))
    with pytest.raises(ParseError, match=expected):
        fetch(acled, tmp_path)


def test_no_secret_in_any_file_or_commit_after_every_failure(tmp_path, monkeypatch):
    """Through run_once: a redirect, a quoted login, a quoted password in a token error."""
    monkeypatch.setenv("ACLED_USERNAME", USERNAME)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    kind = make_kind("acled")
    with LocalServer() as server, LocalServer() as elsewhere:
        feeds, reports = workspace_files(kind, server.url(""))
        root = make_workspace(tmp_path / "ws", feeds, reports)
        kind.serve_good(server)
        assert run_once(root, now=NOW, run_all=True, send_email=False).sources[0].ok
        fake = kind.acled
        assert fake is not None
        faults = [
            (
                "/api/acled/read",
                reply(
                    {
                        "success": False,
                        "error": [{"message": f"user {USERNAME.upper()} / {quote(PASSWORD)}"}],
                    }
                ),
            ),
            ("/oauth/token", reply({"error": f"invalid {quote_plus(USERNAME)}"})),
            ("/oauth/token", Reply(307, headers={"Location": elsewhere.url("/x")})),
        ]
        for day, (path, fault) in enumerate(faults, start=1):
            if path == "/oauth/token":
                fake.expire_tokens()
                (root / ".tracker" / "acled" / "acled-kz.token.json").unlink(missing_ok=True)
            fake.fail_next(path, fault)
            result = run_once(
                root, now=utc(f"2025-09-{17 + day}T05:00"), run_all=True, send_email=False
            )
            assert result.failed, path
            assert_nowhere(result.failed[0].error or "")
        assert elsewhere.requests == []
    assert_nowhere(workspace_text(root))
