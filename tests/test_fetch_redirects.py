"""Redirects and URLs in the one client: no credential and no request body ever goes to
another origin, loops and long chains fail cleanly, and a URL or Location with userinfo
or another scheme is the source's FetchError — with neither userinfo nor query shown."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.server import LocalServer, Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError
from tracker.fetch.client import Http, safe_url

SECRET = "hunter2-Pa55"


def request(method: str, url: str, **kw):
    async def go():
        async with Http(HttpConfig(retries=0)) as http:
            return await http.request(method, url, timeout=5, **kw)

    return asyncio.run(go())


def refused(method: str, url: str, **kw) -> str:
    with pytest.raises(FetchError) as caught:
        request(method, url, **kw)
    message = str(caught.value)
    assert "\n" not in message and SECRET not in message and "token=" not in message
    return message


@pytest.fixture
def other():
    with LocalServer() as srv:
        srv.route("/steal", Reply(200, b"{}"))
        yield srv


@pytest.mark.parametrize("status", [307, 308])
def test_a_form_body_is_never_re_posted_to_another_origin(server, other, status):
    server.route("/oauth/token", Reply(status, headers={"Location": other.url("/steal?x=1")}))
    message = refused(
        "POST", server.url("/oauth/token"), data={"username": "analyst", "password": SECRET}
    )
    assert f"refused to follow a redirect to {other.url('/steal')}:" in message
    assert "request body to another origin" in message and "?x=1" not in message
    assert other.requests == []  # the other server received nothing at all


def test_a_credential_header_never_follows_to_another_origin(server, other):
    server.route("/data", Reply(302, headers={"Location": other.url("/steal")}))
    message = refused("GET", server.url("/data"), headers={"Authorization": f"Bearer {SECRET}"})
    assert "credentials (an Authorization header)" in message and other.requests == []


def test_same_origin_307_keeps_the_body_and_302_after_post_becomes_a_get(server):
    server.route("/a", Reply(307, headers={"Location": "/b"}))
    server.route("/b", Reply(200, b"ok"))
    server.route("/c", Reply(302, headers={"Location": "/b"}))
    assert request("POST", server.url("/a"), data={"k": "v"}).content == b"ok"
    assert [m for m, p, _ in server.requests] == ["POST", "POST"]
    assert request("POST", server.url("/c"), data={"k": "v"}).url == server.url("/b")
    assert [m for m, _, _ in server.requests][-1] == "GET"


def test_a_plain_get_follows_to_another_origin(server, other):
    server.route("/moved", Reply(301, headers={"Location": other.url("/steal")}))
    reply = request("GET", server.url("/moved"))
    assert reply.url == other.url("/steal") and reply.status == 200


def test_redirect_loops_and_long_chains_fail_cleanly(server):
    server.route("/loop", Reply(302, headers={"Location": "/loop2"}))
    server.route("/loop2", Reply(302, headers={"Location": "/loop"}))
    for n in range(12):
        server.route(f"/hop{n}", Reply(302, headers={"Location": f"/hop{n + 1}"}))
    assert "redirect loop" in refused("GET", server.url("/loop"))
    assert "more than 10 redirects" in refused("GET", server.url("/hop0"))


@pytest.mark.parametrize(
    "url, expected",
    [
        (f"http://user:{SECRET}@127.0.0.1:9/feed?token=abc", "user name or password"),
        (f"http://{SECRET}@127.0.0.1:9/feed", "user name or password"),
        ("ftp://127.0.0.1/feed?token=abc", "unsupported URL scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported URL scheme 'file'"),
        ("http://127.0.0.1:99999/feed", "not a valid URL"),
        ("http:///feed", "no host"),
        ("127.0.0.1/feed", "unsupported URL scheme"),
    ],
)
def test_bad_urls_are_fetch_errors_with_nothing_secret_shown(url, expected):
    message = refused("GET", url)
    assert expected in message, message
    assert "user:hunter" not in message


@pytest.mark.parametrize(
    "location, expected",
    [
        (f"http://user:{SECRET}@127.0.0.1:9/x?token=abc", "user name or password"),
        ("javascript:alert(1)", "unsupported URL scheme 'javascript'"),
        ("ftp://example.org/x", "unsupported URL scheme 'ftp'"),
        ("http://[::1", "not a valid URL"),
    ],
)
def test_a_bad_location_is_refused(server, location, expected):
    server.route("/r", Reply(302, headers={"Location": location}))
    message = refused("GET", server.url("/r?token=abc"))
    assert "refused to follow a redirect" in message and expected in message, message


def test_safe_url_drops_query_and_userinfo_and_never_raises():
    assert safe_url("https://u:p@Example.org:8443/a/b?token=1#f") == "https://example.org:8443/a/b"
    assert safe_url("http://127.0.0.1:99999/x") == "http URL"
    assert safe_url("http://[::1]:8080/x?q") == "http://[::1]:8080/x"


def test_a_configured_url_with_userinfo_fails_only_its_source(workspace, server):
    from tests.conftest import utc
    from tests.support.faults import feed
    from tracker.run.runner import run_once

    server.route("/feed.xml", body=feed(3), content_type="application/rss+xml")
    bad = server.url("/feed.xml").replace("http://", f"http://user:{SECRET}@") + "?key=1"
    root = workspace(
        "sources:\n"
        f'  bad: {{kind: rss, url: "{bad}"}}\n'
        f'  news: {{kind: rss, url: "{server.url("/feed.xml")}"}}\n'
    )
    result = run_once(root, now=utc("2025-10-28T23:30"), run_all=True, send_email=False)
    outcome = {s.source: s for s in result.sources}
    assert outcome["news"].ok and outcome["news"].changed and result.commit
    assert not outcome["bad"].ok and "user name or password" in outcome["bad"].error
    assert SECRET not in outcome["bad"].error and "key=1" not in outcome["bad"].error
    # (the user put the secret in feeds.yaml; the tracker adds it nowhere else)
    assert SECRET not in (root / ".tracker" / "state.json").read_text()
