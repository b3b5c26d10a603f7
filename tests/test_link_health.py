"""kind `citations`: link checks against the real local server, and link deaths in git."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import utc
from tests.support.server import Reply
from tracker.config import load_config
from tracker.evaluate.links import dead_citations, died_links
from tracker.run.runner import run_once
from tracker.store import snapshot_yaml
from tracker.store.git import GitStore

REPORT = """
report: {id: r1, title: Test brief}
facts:
  - {id: pm, footnote: 2, expect: Olzhas Bektenov}
  - {id: unrelated, footnote: 9, expect: x}
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workspace(workspace, urls: dict[int, list[str]]) -> Path:
    feeds = """
    sources:
      r1-links:
        kind: citations
        report: r1
        timeout: 0.5
    http: {retries: 0, backoff: 0}
    """
    root = workspace(feeds, {"r1": REPORT})
    citations = {"footnotes": [{"number": n, "urls": u} for n, u in sorted(urls.items())]}
    (root / "reports" / "r1.citations.yaml").write_text(snapshot_yaml.dumps(citations))
    return root


def _routes(server) -> None:
    server.route("/", body=b"home", content_type="text/html")
    server.route("/live", body=b"ok", content_type="text/html")
    server.route("/missing", status=404)
    server.route("/removed", status=410)
    server.route("/moved", status=301, headers={"Location": "/new-place"})
    server.route("/new-place", body=b"here now", content_type="text/html")
    server.route("/retired/deep/page", status=302, headers={"Location": "/"})
    server.route("/slow", body=b"late", delay=2.0)
    server.handler("/no-head", lambda h: Reply(405) if h.command == "HEAD" else Reply(200, b"x"))


def test_each_kind_of_link_is_classified(workspace, server) -> None:
    _routes(server)
    refused = f"http://127.0.0.1:{_closed_port()}/anything"
    names = ["live", "missing", "removed", "moved", "retired/deep/page", "slow", "no-head"]
    urls = {i: [server.url(f"/{name}")] for i, name in enumerate(names, start=1)}
    urls[8] = [refused]
    root = _workspace(workspace, urls)
    result = run_once(root, now=utc("2025-11-01T06:00"), run_all=True, send_email=False)
    assert [s.ok for s in result.sources] == [True]
    snap = GitStore(root).read_snapshot("r1-links")
    state = {
        url.rsplit("/", 1)[-1] if "127.0.0.1" in url else url: (e["state"], e["gone"])
        for url, e in snap.items()
    }
    assert state == {
        "live": ("ok", False),
        "missing": ("gone", True),
        "removed": ("gone", True),
        "moved": ("redirected", False),
        "page": ("gone", True),
        "slow": ("unreachable", False),
        "no-head": ("ok", False),
        "anything": ("unreachable", False),
    }
    assert snap[server.url("/moved")]["final_url"] == server.url("/new-place")
    assert snap[server.url("/missing")]["status"] == 404
    assert snap[server.url("/live")]["footnotes"] == [1]
    methods = [m for m, p, _ in server.requests if p == "/no-head"]
    assert methods == ["HEAD", "GET"]


def test_a_link_that_dies_between_two_runs_appears_once(workspace, server) -> None:
    server.route("/a", body=b"a", content_type="text/html")
    server.route("/b", body=b"b", content_type="text/html")
    root = _workspace(workspace, {2: [server.url("/a")], 3: [server.url("/b")]})
    first = utc("2025-11-01T06:00")
    run_once(root, now=first, run_all=True, send_email=False)
    digest_1 = utc("2025-11-01T07:00")
    server.route("/a", status=404)
    second = utc("2025-11-02T06:00")
    assert run_once(root, now=second, run_all=True, send_email=False).commit
    store = GitStore(root)
    died = died_links(store, "r1-links", digest_1)
    assert [(d["url"], d["died"], d["footnotes"]) for d in died] == [
        (server.url("/a"), "2025-11-02", [2])
    ]
    # rests on footnote 2 → fact pm
    [dead] = dead_citations(load_config(root), store, digest_1)
    assert dead["facts"] == ["pm"] and dead["report"] == "r1"
    # the next digest (after the one that listed it) does not list it again
    assert died_links(store, "r1-links", utc("2025-11-02T07:00")) == []
    # an unchanged third run makes no commit: no timestamps in the snapshot
    assert (
        run_once(root, now=utc("2025-11-03T06:00"), run_all=True, send_email=False).commit is None
    )


def test_no_link_answering_is_a_failed_check_not_a_change(workspace, server) -> None:
    server.route("/a", body=b"a", content_type="text/html")
    root = _workspace(workspace, {1: [server.url("/a")]})
    run_once(root, now=utc("2025-11-01T06:00"), run_all=True, send_email=False)
    before = (root / "snapshots" / "r1-links.yaml").read_text()
    dead_port = f"http://127.0.0.1:{_closed_port()}/a"
    (root / "reports" / "r1.citations.yaml").write_text(
        snapshot_yaml.dumps({"footnotes": [{"number": 1, "urls": [dead_port]}]})
    )
    result = run_once(root, now=utc("2025-11-02T06:00"), run_all=True, send_email=False)
    assert not result.sources[0].ok and "none of 1 links answered" in result.sources[0].error
    assert result.commit is None
    assert (root / "snapshots" / "r1-links.yaml").read_text() == before


def test_missing_citations_file_is_a_clear_error(workspace) -> None:
    root = workspace("sources:\n  r1-links: {kind: citations, report: r1}\n", {"r1": REPORT})
    result = run_once(root, now=utc("2025-11-01T06:00"), run_all=True, send_email=False)
    assert not result.sources[0].ok
    assert (
        "r1.citations.yaml not found: run `tracker report scan FILE --id r1` first"
        in result.sources[0].error
    )


def test_digest_lists_a_dead_link_once(workspace, server) -> None:
    """The runner writes the digest when due (no schedule: every run with news)."""
    server.route("/a", body=b"a", content_type="text/html")
    root = _workspace(workspace, {2: [server.url("/a")]})

    def run(day: str) -> str:
        run_once(root, now=utc(f"{day}T06:00"), run_all=True, send_email=False)
        digest = root / "digests" / f"{day}-r1.txt"
        return digest.read_text() if digest.exists() else ""

    assert "CITED LINKS THAT DIED" not in run("2025-11-01")
    server.route("/a", status=410)
    second = run("2025-11-02")
    assert "CITED LINKS THAT DIED (1)" in second and server.url("/a") in second
    assert "HTTP 410" in second and "Facts resting on it: pm" in second
    assert "CITED LINKS THAT DIED" not in run("2025-11-03")
