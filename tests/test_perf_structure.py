"""Structural performance facts (no timings): many sources parse in worker processes and
behave exactly as in-process; an unchanged second pass is all 304s and makes no commit."""
from __future__ import annotations

import os

from tests.conftest import utc
from tests.support.server import Reply
from tracker.run.parallel import POOL_MIN_SOURCES
from tracker.run.runner import run_once
from tracker.store.git import GitStore
from tracker.store.state import State

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


def test_sharded_run_equals_in_process_run(server, workspace, monkeypatch):
    """The same sources polled by forked shards and in-process give the same snapshots,
    states and errors (errors cross the process boundary as themselves)."""
    import tracker.run.parallel as parallel

    for i in range(N):
        server.route(f"/f{i}.xml", Reply(body=rss(i), etag=True,
                                         content_type="application/rss+xml"))
    server.route("/f5.xml", Reply(body=b"<html><body>moved</body></html>",
                                  content_type="text/html"))
    results = {}
    for mode in ("sharded", "in-process"):
        if mode == "in-process":
            monkeypatch.setattr(parallel, "POOL_MIN_SOURCES", 10 ** 6)
        assert (parallel.shard_count(N) > 1) is (mode == "sharded") or (os.cpu_count() or 1) < 2
        root = workspace(feeds(server, N), name=mode)
        run = run_once(root, now=utc("2026-03-01T00:00:00"), run_all=True, send_email=False)
        snapshots = {p.name: p.read_text() for p in (root / "snapshots").glob("*.yaml")}
        states = {sid: (e.failures, e.last_error, e.gone_count)
                  for sid, e in State.load(root).sources.items()}
        outcomes = [(s.source, s.ok, s.changed, s.error, s.gone) for s in run.sources]
        results[mode] = (snapshots, states, outcomes)
    assert results["sharded"] == results["in-process"]
    assert len(results["sharded"][0]) == N - 1
    [failed] = [o for o in results["sharded"][2] if not o[1]]
    assert failed[0] == "feed05" and failed[4] is True  # HTML where a feed was expected: gone

def test_a_commit_message_longer_than_one_argument_may_be_is_committed(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    (store.root / "snapshots").mkdir()
    (store.root / "snapshots" / "a.yaml").write_text("a: 1\n")
    message = "Update 260 sources\n\n" + "  changed: a › b › c\n" * 12_000  # ~250 KB
    sha = store.commit(["snapshots/a.yaml"], message, when=utc("2026-03-01T00:00:00"))
    assert sha is not None
    assert store.repo.commit(sha).message.rstrip("\n") == message.rstrip("\n")


_DYING: dict = {}


def _dying_poll_shard(index: int):
    """Shard 0's worker dies at once; run in the parent, it works (module level: pickled
    by reference when submitted to the pool)."""
    if os.getpid() != _DYING["parent"] and index == 0:
        os._exit(9)
    return _DYING["real"](index)


def test_a_dead_shard_worker_is_redone_in_process(server, workspace, monkeypatch):
    """A worker killed mid-run (OOM killer, kill -9) costs time, not sources."""
    import tracker.run.parallel as parallel

    _DYING["real"], _DYING["parent"] = parallel._poll_shard, os.getpid()
    monkeypatch.setattr(parallel, "_poll_shard", _dying_poll_shard)
    monkeypatch.setattr(parallel, "shard_count", lambda sources, workers=None: 2)
    for i in range(N):
        server.route(f"/f{i}.xml", Reply(body=rss(i), etag=True,
                                         content_type="application/rss+xml"))
    root = workspace(feeds(server, N))
    run = run_once(root, now=utc("2026-03-01T00:00:00"), run_all=True, send_email=False)
    assert len(run.sources) == N and all(s.ok and s.changed for s in run.sources)
    assert len(list((root / "snapshots").glob("*.yaml"))) == N


# ------------------------------------------------------------------ shards cut along hosts

def _plan(hosts: dict[str, str], shards: int = 2, per_host: int = 6):
    from tracker.run.parallel import plan_shards

    return plan_shards(list(hosts), hosts, shards, per_host)


def test_shards_keep_each_hosts_sources_together_with_its_whole_limit():
    """50 sites × 20 feeds over 2 shards: every site in one shard (its 6 connections
    there), 500 sources each. Cutting by position gave each shard every site at 3."""
    hosts = {f"f{i:04d}": f"127.0.0.1:{8000 + i % 50}" for i in range(1000)}
    plan = _plan(hosts)
    assert sorted(len(shard.ids) for shard in plan) == [500, 500]
    for shard in plan:
        assert shard.host_limits == {}
        assert len({hosts[sid] for sid in shard.ids}) == 25
    assert sorted(sid for shard in plan for sid in shard.ids) == sorted(hosts)


def test_a_host_bigger_than_a_shard_is_spread_and_its_limit_divided():
    hosts = {f"big{i}": "mirror.example:443" for i in range(30)}
    hosts |= {f"s{i}": f"site{i}.example" for i in range(10)}
    plan = _plan(hosts)
    assert sorted(len(shard.ids) for shard in plan) == [20, 20]
    for shard in plan:  # 6 connections to the mirror for the whole run: 3 + 3
        assert shard.host_limits == {"mirror.example:443": 3}
    assert sorted(sid for shard in plan for sid in shard.ids) == sorted(hosts)


def test_a_host_limited_to_one_connection_stays_in_one_shard():
    hosts = {f"big{i}": "slow.example" for i in range(30)}
    plan = _plan(hosts, shards=4, per_host=1)
    assert sorted(len(shard.ids) for shard in plan) == [0, 0, 0, 30]
    assert all(shard.host_limits == {} for shard in plan)


def test_source_hosts_count_host_and_port_and_a_kinds_fixed_api():
    from tracker.config import SourceOptions
    from tracker.run.parallel import source_hosts

    class Config:
        sources = {"a": SourceOptions(kind="rss", url="https://user:pw@News.Example:8443/f"),
                   "b": SourceOptions(kind="rss", url="https://news.example:8443/g"),
                   "c": SourceOptions(kind="acled")}
    assert source_hosts(Config, ["a", "b", "c"]) == {
        "a": "news.example:8443", "b": "news.example:8443", "c": "kind:acled"}


def test_a_host_limit_overrides_per_host_for_that_host(server):
    """host_limits (a shard's share of a host) bounds the connections actually opened."""
    import asyncio

    from tracker.config import HttpConfig
    from tracker.fetch.client import Http, host_key

    server.route("/slow", Reply(body=b"x", delay=0.2, content_type="text/plain"))
    url = server.url("/slow")

    async def fetch(limits: dict[str, int]) -> None:
        async with Http(HttpConfig(per_host=6, retries=0), host_limits=limits) as http:
            await asyncio.gather(*(http.get(url) for _ in range(6)))

    asyncio.run(fetch({host_key(url): 2}))
    assert len(set(server.peers)) == 2
    server.peers.clear()
    asyncio.run(fetch({}))
    assert len(set(server.peers)) == 6
