"""Structural performance facts (no timings): many sources parse in worker processes and
behave exactly as in-process; an unchanged second pass is all 304s and makes no commit."""
from __future__ import annotations

import asyncio

from tests.conftest import utc
from tests.support.server import Reply
from tracker.errors import SourceError
from tracker.models import RawDocument
from tracker.parallel import POOL_MIN_SOURCES, Normalizer
from tracker.runner import run_once
from tracker.sources.rss import RssSource
from tracker.store import GitStore

N = POOL_MIN_SOURCES + 4  # enough sources for the worker pool


def rss(index: int, items: int = 3) -> bytes:
    body = "".join(f"<item><title>Story {index}.{n}</title><guid>g{index}-{n}</guid>"
                   f"<pubDate>Tue, 14 Oct 2025 0{n}:00:00 GMT</pubDate>"
                   f"<description>&lt;p&gt;Text {n}&lt;/p&gt;</description></item>"
                   for n in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {index}</title>'
            f"<link>https://example.org/{index}</link>{body}</channel></rss>").encode()


def feeds(server, count: int) -> str:
    lines = ["sources:"]
    for i in range(count):
        lines += [f"  feed{i:02d}:", "    kind: rss", f"    url: {server.url(f'/f{i}.xml')}",
                  "    timeout: 5"]
    return "\n".join(lines + ["http: {retries: 0}"]) + "\n"


def test_many_sources_second_pass_is_304_and_makes_no_commit(server, workspace):
    for i in range(N):
        server.route(f"/f{i}.xml", Reply(body=rss(i), etag=True,
                                         content_type="application/rss+xml"))
    server.route("/f3.xml", Reply(body=b"<rss><channel><item>", etag=True,  # broken feed
                                  content_type="application/rss+xml"))
    root = workspace(feeds(server, N))
    first = run_once(root, now=utc("2026-03-01T00:00:00"), run_all=True, send_email=False)
    ok = [s for s in first.sources if s.ok]
    assert len(ok) == N - 1 and all(s.changed for s in ok)
    [broken] = [s for s in first.sources if not s.ok]
    assert broken.source == "feed03" and "malformed" in broken.error  # came back from a worker
    snapshot = GitStore(root).read_snapshot("feed07")
    assert sorted(snapshot["items"]) == ["g7-0", "g7-1", "g7-2"]
    head = GitStore(root).head()

    before = len(server.requests)
    second = run_once(root, now=utc("2026-03-01T01:00:00"), run_all=True, send_email=False)
    assert second.commit is None and GitStore(root).head() == head
    conditional = [s for s in second.sources if s.not_modified]
    assert len(conditional) >= 0.95 * (N - 1) and len(server.requests) - before == N


def test_pooled_normalize_equals_in_process_and_raises_the_same_errors():
    source = RssSource("feed", RssSource.Options(kind="rss", url="http://127.0.0.1/f.xml"))
    good = RawDocument(rss(1), "http://127.0.0.1/f.xml", utc("2026-03-01T00:00:00"))
    bad = RawDocument(b"<html><body>moved</body></html>", "http://127.0.0.1/f.xml",
                      utc("2026-03-01T00:00:00"))

    async def both(normalize: Normalizer):
        results = await asyncio.gather(normalize(source, good), normalize(source, bad),
                                       return_exceptions=True)
        return results

    with Normalizer(POOL_MIN_SOURCES, workers=2) as pooled:
        assert pooled.pool is not None
        in_pool = asyncio.run(both(pooled))
    with Normalizer(1) as local:
        assert local.pool is None  # a small run pays no process start-up
        in_process = asyncio.run(both(local))
    assert in_pool[0] == in_process[0] == source.normalize(good)
    assert type(in_pool[1]) is type(in_process[1]) and str(in_pool[1]) == str(in_process[1])
    assert isinstance(in_process[1], SourceError)  # HTML where a feed was expected


def test_a_commit_message_longer_than_one_argument_may_be_is_committed(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    (store.root / "snapshots").mkdir()
    (store.root / "snapshots" / "a.yaml").write_text("a: 1\n")
    message = "Update 260 sources\n\n" + "  changed: a › b › c\n" * 12_000  # ~250 KB
    sha = store.commit(["snapshots/a.yaml"], message, when=utc("2026-03-01T00:00:00"))
    assert sha is not None
    assert store.repo.commit(sha).message.rstrip("\n") == message.rstrip("\n")
