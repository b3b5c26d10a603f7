"""`tracker run` against a real local HTTP server: faults never become changes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.data import factbook_version
from tests.support.server import Reply
from tests.support.zygote import run as warm_run
from tracker.evaluate.kept import RACY_NS
from tracker.run.runner import run_once
from tracker.store.git import GitStore
from tracker.store.state import State

REPORT = """\
report: {id: kz}
facts:
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: population
    expect: 20260006
    source: fb
    path: [[People and Society, Population, total], [People and Society, Population, text]]
    extract: number
    tolerance: 0.5%
"""


def feeds(url: str, extra: str = "") -> str:
    return f"""\
sources:
  fb:
    kind: factbook
    url: {url}
    timeout: 1
  other:
    kind: factbook
    url: {url.rsplit("/", 1)[0]}/other.json
    timeout: 1
http:
  retries: 1
  backoff: 0.01
  max_retry_after: 2
{extra}"""


@pytest.fixture
def october() -> bytes:
    return factbook_version("2025-10-07")


@pytest.fixture
def ws(workspace, server, october):
    server.route("/kz.json", body=october, etag=True)
    server.route("/other.json", body=october, etag=True)
    root = workspace(feeds(server.url("/kz.json")), {"kz": REPORT})
    first = run_once(root, now=utc("2025-10-08T04:00"), run_all=True)
    assert first.commit and all(s.ok for s in first.sources)
    return root


def snapshot_head(store: GitStore) -> str:
    """The last commit that touched snapshots/ (digests may be committed on their own)."""
    return store.repo.git.log("-1", "--format=%H", "--", "snapshots")


def cli_run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return warm_run(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "-w",
            str(root),
            "run",
            "--all",
            "--now",
            "2025-10-09T04:00",
            *args,
        ],
        capture_output=True,
        text=True,
    )


FAULTS = {
    "500": [Reply(500, b"oops", content_type="text/plain")],
    "503 with Retry-After": [Reply(503, b"busy", headers={"Retry-After": "1"})],
    "timeout": [Reply(200, b"{}", delay=2.5)],
    "200 HTML page": [
        Reply(
            200,
            b"<!DOCTYPE html><html><body>We bid a fond farewell</body>",
            content_type="text/html",
        )
    ],
    "truncated JSON": [Reply(200, b'{"name": "Kazakhstan", "categories": [{"id": "gov')],
    "404": [Reply(404, b"not found", content_type="text/plain")],
    "410": [Reply(410, b"gone", content_type="text/plain")],
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
@pytest.mark.waits
def test_fault_is_not_a_change(ws, server, october, fault):
    store = GitStore(ws)
    head = snapshot_head(store)
    before = (ws / "snapshots" / "fb.yaml").read_bytes()
    server.route("/kz.json", *FAULTS[fault])
    proc = cli_run(ws, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    out = json.loads(proc.stdout)
    by_source = {s["source"]: s for s in out["sources"]}
    assert by_source["fb"]["ok"] is False and by_source["fb"]["error"]
    assert by_source["other"]["ok"] is True, "one failing source never stops the others"
    assert snapshot_head(store) == head, "no snapshot commit"
    assert (ws / "snapshots" / "fb.yaml").read_bytes() == before, "previous snapshot kept"
    statuses = {f["fact"]: f["status"] for f in out["findings"]}
    assert statuses == {"head-of-government": "source-failing", "population": "source-failing"}
    assert State.load(ws).source("fb").failures == 1
    # The next good response: no spurious diff, no commit, health back to ok.
    server.route("/kz.json", body=october, etag=True)
    again = run_once(ws, now=utc("2025-10-10T04:00"), only=["fb"])
    assert again.sources[0].ok and not again.sources[0].changed
    assert snapshot_head(store) == head
    assert {f.status for f in again.findings} == {"current"}


@pytest.mark.waits
def test_retry_after_is_honoured_then_succeeds(ws, server, october):
    server.route(
        "/kz.json",
        Reply(503, b"busy", headers={"Retry-After": "1"}),
        Reply(200, october, etag=True),
    )
    hits = server.hits("/kz.json")
    result = run_once(ws, now=utc("2025-10-09T04:00"), only=["fb"])
    assert result.sources[0].ok
    assert server.hits("/kz.json") - hits == 2


def test_retry_after_beyond_the_limit_is_not_waited_for(ws, server):
    server.route("/kz.json", Reply(429, b"slow down", headers={"Retry-After": "3600"}))
    hits = server.hits("/kz.json")
    result = run_once(ws, now=utc("2025-10-09T04:00"), only=["fb"])
    assert not result.sources[0].ok and "Retry-After 3600" in result.sources[0].error
    assert server.hits("/kz.json") - hits == 1


def test_second_run_is_304_parses_nothing_commits_nothing(ws, server):
    store = GitStore(ws)
    head = store.head()
    result = run_once(ws, now=utc("2025-10-08T05:00"), run_all=True)
    assert all(s.not_modified for s in result.sources)
    assert store.head() == head, "nothing changed, nothing new to digest: no commit at all"
    sent = [h for m, p, h in server.requests if p == "/kz.json"][-1]
    assert sent.get("If-None-Match")


def test_an_unchanged_run_at_the_same_head_starts_no_git(ws, server, monkeypatch):
    """The write path's checks (the index's checksum, HEAD's tree listing kept for that
    commit) hold without GitPython: a nightly run that changed nothing needs no git."""
    # findings are kept only once the snapshots are older than git's racy window
    time.sleep(RACY_NS / 1e9 + 0.05)
    run_once(ws, now=utc("2025-10-08T05:00"), run_all=True)  # keeps HEAD's listing too

    def no_git(self):  # noqa: ANN001, ANN202
        raise AssertionError("an unchanged run opened GitPython")

    monkeypatch.setattr(GitStore, "repo", property(no_git))
    result = run_once(ws, now=utc("2025-10-08T06:00"), run_all=True)
    assert all(s.not_modified for s in result.sources) and result.commit is None


def test_run_commit_lists_what_changed(ws, server, october):
    changed = october.replace(b"20,260,006 (2024 est.)", b"20,432,662 (2025 est.)")
    server.route("/kz.json", body=changed, etag=True)
    result = run_once(ws, now=utc("2025-10-09T04:00"), only=["fb"])
    assert result.commit
    message = GitStore(ws).repo.commit(result.commit).message
    assert "fb" in message and "Population" in message
    statuses = {f.fact: f.status for f in result.findings}
    assert statuses["population"] == "stale"
    assert [f.since for f in result.findings if f.fact == "population"] == ["2025-10-09"]


def test_due_sources_follow_the_schedule(workspace, server, october):
    server.route("/kz.json", body=october)
    server.route("/other.json", body=october)
    text = feeds(server.url("/kz.json")).replace(
        "    timeout: 1\n  other:", '    timeout: 1\n    schedule: "0 4 * * *"\n  other:'
    )
    root = workspace(text, {"kz": REPORT})
    first = run_once(root, now=utc("2025-10-08T04:00"))
    assert {s.source for s in first.sources} == {"fb", "other"}
    later = run_once(root, now=utc("2025-10-08T12:00"))
    assert {s.source for s in later.sources} == {"other"}, "fb ran at 04:00, next at 04:00"
    next_day = run_once(root, now=utc("2025-10-09T04:01"))
    assert "fb" in {s.source for s in next_day.sources}


def test_304s_reuse_connections(server):
    """A 304 is read to its end, so keep-alive holds: no new TCP connection per request."""
    import asyncio

    from tracker.config import HttpConfig
    from tracker.fetch.client import Http

    server.route("/f.xml", Reply(body=b"<rss/>", etag=True))

    async def poll_many() -> int:
        async with Http(HttpConfig(per_host=2)) as http:
            first = await http.get(server.url("/f.xml"))
            for _ in range(20):
                again = await http.get(server.url("/f.xml"), validators=first.validators)
                assert again.not_modified
            return http.not_modified

    assert asyncio.run(poll_many()) == 20
    assert len(set(server.peers)) <= 2
