"""Structural performance facts (no timings): a run with many documents parses them in
pure worker processes and behaves exactly as in-process; the workers die with their
parent; a dead worker costs time, not sources; an unchanged second pass is all 304s and
makes no commit; the default configuration does not throttle hundreds of feeds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone

import psutil
import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tracker.config import HttpConfig, RssOptions, RunConfig
from tracker.errors import StoreError
from tracker.models import Failure, RawDocument
from tracker.run.parse import Failed, Parsed, ParseJob
from tracker.run.pool import ParsePool
from tracker.run.runner import run_once
from tracker.store.git import GitStore
from tracker.store.state import State
from tracker.workspace import Writer

N = 24
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def rss(index: int, items: int = 3) -> bytes:
    body = "".join(
        f"<item><title>Story {index}.{n}</title><guid>g{index}-{n}</guid>"
        f"<pubDate>Tue, 14 Oct 2025 0{n}:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Text {n}&lt;/p&gt;</description></item>"
        for n in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {index}</title>'
        f"<link>https://example.org/{index}</link>{body}</channel></rss>"
    ).encode()


def feeds(server, count: int, run: str = "{pool_threshold: 4, parse_workers: 2}") -> str:
    lines = ["sources:"]
    for i in range(count):
        lines += [
            f"  feed{i:02d}:",
            "    kind: rss",
            f"    url: {server.url(f'/f{i}.xml')}",
            "    timeout: 5",
        ]
    return "\n".join(lines + ["http: {retries: 0}", f"run: {run}"]) + "\n"


def serve(server, count: int = N) -> None:
    for i in range(count):
        server.route(
            f"/f{i}.xml", Reply(body=rss(i), etag=True, content_type="application/rss+xml")
        )


def test_many_sources_second_pass_is_304_and_makes_no_commit(server, workspace):
    serve(server)
    server.route(
        "/f3.xml",
        Reply(
            body=b"<rss><channel><item>",
            etag=True,  # broken feed
            content_type="application/rss+xml",
        ),
    )
    root = workspace(feeds(server, N))
    first = run_once(root, now=utc("2026-03-01T00:00:00"), run_all=True, send_email=False)
    assert first.parsed_in_workers > 0  # more documents than the threshold: workers
    ok = [s for s in first.sources if s.ok]
    assert len(ok) == N - 1 and all(s.changed for s in ok)
    [broken] = [s for s in first.sources if not s.ok]
    assert broken.source == "feed03" and "malformed" in broken.error
    assert broken.failure is Failure.PARSE
    snapshot = GitStore(root).read_snapshot("feed07")
    assert sorted(snapshot["items"]) == ["g7-0", "g7-1", "g7-2"]
    head = GitStore(root).head()

    before = len(server.requests)
    second = run_once(root, now=utc("2026-03-01T01:00:00"), run_all=True, send_email=False)
    assert second.commit is None and GitStore(root).head() == head
    assert second.parsed_in_workers == 0  # nothing arrived to parse: no worker started
    conditional = [s for s in second.sources if s.not_modified]
    assert len(conditional) == N - 1 and len(server.requests) - before == N


def test_worker_run_equals_in_process_run(server, workspace):
    """The same sources parsed by workers and in-process give the same snapshots, states,
    errors and commit trees."""
    serve(server)
    server.route(
        "/f5.xml", Reply(body=b"<html><body>moved</body></html>", content_type="text/html")
    )
    results = {}
    for mode, run in (
        ("workers", "{pool_threshold: 0, parse_workers: 2}"),
        ("in-process", "{parse_workers: 0}"),
    ):
        root = workspace(feeds(server, N, run), name=mode)
        result = run_once(root, now=NOW, run_all=True, send_email=False)
        assert (result.parsed_in_workers > 0) is (mode == "workers")
        snapshots = {p.name: p.read_text() for p in (root / "snapshots").glob("*.yaml")}
        states = {
            sid: (e.failures, e.last_error, e.gone_count, e.validators)
            for sid, e in State.load(root).sources.items()
        }
        outcomes = [
            (
                s.source,
                s.ok,
                s.changed,
                s.error,
                s.gone,
                s.failure,
                [c.to_json() for c in s.changes],
            )
            for s in result.sources
        ]
        tree = (GitStore(root).repo.head.commit.tree / "snapshots").hexsha
        results[mode] = (snapshots, states, outcomes, tree)
    assert results["workers"] == results["in-process"]
    assert len(results["workers"][0]) == N - 1
    [failed] = [o for o in results["workers"][2] if not o[1]]
    assert failed[0] == "feed05" and failed[4] is True  # HTML where a feed was expected: gone


@pytest.mark.waits
def test_a_first_pass_starts_the_workers_before_any_document_arrives(
    server, workspace, monkeypatch
):
    """Sources fetched without validators each bring a document: past the threshold the
    pool (and its fork server) starts while the requests are out. An unchanged second
    pass (every source conditional) starts none."""
    for i in range(N):
        server.route(
            f"/f{i}.xml",
            Reply(body=rss(i), etag=True, delay=0.2, content_type="application/rss+xml"),
        )
    starts: list[int] = []  # documents arrived when the pool started
    start = ParsePool._start
    monkeypatch.setattr(
        ParsePool, "_start", lambda pool: (starts.append(pool.arrived), start(pool))
    )
    root = workspace(feeds(server, N))
    first = run_once(root, now=NOW, run_all=True, send_email=False)
    assert starts == [0] and first.parsed_in_workers > 0
    second = run_once(root, now=utc("2026-03-01T01:00:00"), run_all=True, send_email=False)
    assert starts == [0] and second.parsed_in_workers == 0
    assert all(s.not_modified for s in second.sources)


def test_the_http_client_is_imported_after_the_fork_server_is_launched():
    """aiohttp's import (and its default TLS context) overlaps the fork server's start:
    a run's modules do not import the client; the poll does, once `expect` has run."""
    code = (
        "import sys\n"
        "import tracker.run.runner, tracker.cli.app\n"
        "print(sorted(m for m in ('aiohttp', 'tracker.fetch.client') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_expected_documents_start_the_pool_only_past_the_threshold():
    pool = ParsePool(workers=1, threshold=3)
    try:
        pool.expect(3)
        assert not pool.started
        pool.expect(4)
        assert pool.started
        import multiprocessing.forkserver

        server = multiprocessing.forkserver._forkserver._forkserver_pid
        assert server is not None and psutil.pid_exists(server)  # launched, not waited for
        assert isinstance(asyncio.run(pool.parse(job(0))), Parsed) and pool.in_pool == 1
    finally:
        pool.close()
    idle = ParsePool(workers=0, threshold=0)
    idle.expect(100)
    assert not idle.started  # parse_workers: 0 never starts a pool


@pytest.mark.waits
def test_a_snapshot_is_written_while_slower_sources_are_still_fetched(server, workspace):
    """Each outcome is stored as it arrives: the fast feed's file is on disk when its
    fetch ends, before the slow feed answers; both are committed together."""
    server.route("/f0.xml", Reply(body=rss(0), content_type="application/rss+xml"))
    server.route("/f1.xml", Reply(body=rss(1), delay=2.0, content_type="application/rss+xml"))
    root = workspace(feeds(server, 2, run="{parse_workers: 0}"))
    seen: list[tuple[int, list[str]]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, sorted(p.name for p in (root / "snapshots").glob("*.yaml"))))

    result = run_once(root, now=NOW, run_all=True, send_email=False, progress=progress)
    assert seen == [(1, ["feed00.yaml"]), (2, ["feed00.yaml", "feed01.yaml"])]
    assert [s.source for s in result.sources] == ["feed00", "feed01"]  # the poll's order
    committed = GitStore(root).repo.git.ls_tree("--name-only", "HEAD", "snapshots/")
    assert committed.split() == ["snapshots/feed00.yaml", "snapshots/feed01.yaml"]


def test_a_disk_that_fails_while_storing_ends_the_poll_at_once(server, workspace, monkeypatch):
    """Storing an outcome is the workspace's business: its failure (a full disk) ends the
    run with that error as soon as it happens, not after the slower sources answered, and
    nothing is committed."""
    slow = 20.0  # the slow feed's delay: the run must end long before it
    server.route("/f0.xml", Reply(body=rss(0), content_type="application/rss+xml"))
    server.route("/f1.xml", Reply(body=rss(1), delay=slow, content_type="application/rss+xml"))
    root = workspace(
        feeds(server, 2, run="{parse_workers: 0}").replace("timeout: 5", "timeout: 30")
    )
    head = GitStore(root).repo.head.commit.hexsha

    def full_disk(self, rel: str, text: str):
        raise StoreError(f"cannot write the workspace: No space left on device ({rel})")

    monkeypatch.setattr(Writer, "write_and_stage", full_disk)
    start = time.monotonic()
    with pytest.raises(StoreError, match="No space left"):
        run_once(root, now=NOW, run_all=True, send_email=False)
    assert time.monotonic() - start < slow / 2
    assert GitStore(root).repo.head.commit.hexsha == head


def job(index: int, content: bytes | None = None) -> ParseJob:
    raw = RawDocument(
        content if content is not None else rss(index),
        f"http://x/{index}",
        NOW,
        {"content-type": "application/rss+xml"},
    )
    return ParseJob(f"feed{index:02d}", RssOptions(kind="rss", url="http://x/"), raw)


async def _parse_all(pool: ParsePool, jobs: list[ParseJob], meanwhile=None) -> list:
    tasks = [asyncio.ensure_future(pool.parse(j)) for j in jobs]
    if meanwhile is not None:
        await meanwhile(pool)
    return await asyncio.gather(*tasks)


def workers_of(owner: psutil.Process) -> list[psutil.Process]:
    """The pool's worker processes: the children of the owner's fork server."""
    servers = [c for c in owner.children() if "forkserver" in _command_line(c)]
    workers = []
    for server in servers:
        try:
            workers += server.children()
        except psutil.NoSuchProcess:
            pass
    return workers


def _command_line(process: psutil.Process) -> str:
    """'' for a child that ended meanwhile (a git helper, a worker of another test)."""
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return ""


def test_an_exception_in_a_worker_is_that_sources_failure():
    """A previous snapshot file that is not YAML (edited by hand, half-written by another
    tool) raises inside the worker: that source's Failed, the others parsed."""
    broken = ParseJob(
        "feed01",
        RssOptions(kind="rss", url="http://x/"),
        job(1).raw,
        previous=b"title: [unclosed\n  - :",
    )
    pool = ParsePool(workers=1, threshold=0)
    try:
        results = asyncio.run(_parse_all(pool, [job(0), broken, job(2)]))
    finally:
        pool.close()
    assert pool.in_pool == 3
    assert [type(r) for r in results] == [Parsed, Failed, Parsed]
    assert results[1].source == "feed01" and results[1].failure is Failure.UNEXPECTED
    assert "YamlError" in results[1].message and "previous snapshot" in results[1].message
    assert "\n" not in results[1].message


def test_a_dead_worker_means_the_rest_is_parsed_in_process():
    """A worker killed mid-run (OOM killer, kill -9) costs time, not sources."""
    big = rss(0, items=150)  # slow enough to be killed while parsing

    async def kill_workers(pool: ParsePool) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            workers = workers_of(psutil.Process())
            if workers and pool.in_pool:
                for worker in workers:
                    worker.kill()
                return
            await asyncio.sleep(0.02)
        raise AssertionError("no worker started")

    pool = ParsePool(workers=1, threshold=0)
    try:
        results = asyncio.run(_parse_all(pool, [job(i, big) for i in range(8)], kill_workers))
    finally:
        pool.close()
    assert all(isinstance(r, Parsed) for r in results), results
    assert pool.in_pool < 8  # some came back from workers before the kill, not all
    assert pool.started and pool._pool is None  # broken: no new pool in this run


@pytest.mark.parametrize(
    "refusing, error, entry",
    [
        ("submit", OSError(24, "Too many open files"), "parse"),  # no fork server socket
        ("__init__", OSError(38, "Function not implemented"), "expect"),  # no /dev/shm
        ("__init__", OSError(38, "Function not implemented"), "parse"),
    ],
)
def test_a_pool_that_cannot_start_its_workers_means_parsing_in_process(
    monkeypatch, caplog, refusing, error, entry
):
    """Starting the workers fails with an OSError — making the pool (no semaphores where
    /dev/shm is missing) or handing it the first document (no socket for the fork server,
    no file descriptors left) — whether they were to start before the replies (`expect`)
    or at a document: every document is parsed in-process, with one warning."""
    from concurrent.futures import ProcessPoolExecutor

    def cannot_start(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(ProcessPoolExecutor, refusing, cannot_start)
    pool = ParsePool(workers=2, threshold=0)
    try:
        if entry == "expect":
            pool.expect(4)
        results = asyncio.run(_parse_all(pool, [job(i) for i in range(4)]))
    finally:
        pool.close()
    assert all(isinstance(r, Parsed) for r in results), results
    assert pool.in_pool == 0 and pool.started and pool._pool is None
    warned = [r.getMessage() for r in caplog.records if "cannot start" in r.getMessage()]
    assert warned == [
        f"the parse workers cannot start ({error.strerror}); "
        "parsing the rest of this run in-process"
    ]


@pytest.mark.waits
def test_workers_die_with_their_parent(tmp_path):
    """SIGKILL the process that owns a pool: its workers are gone within seconds."""
    script = tmp_path / "owner.py"
    script.write_text(
        textwrap.dedent(f"""
        import asyncio, sys, time
        sys.path.insert(0, {str(os.getcwd())!r})
        from tests.test_perf_structure import job
        from tracker.run.pool import ParsePool
        async def main():
            await asyncio.gather(*(pool.parse(job(i)) for i in range(4)))
        if __name__ == "__main__":  # workers import the main module (multiprocessing)
            pool = ParsePool(workers=2, threshold=0)
            asyncio.run(main())
            print("READY", flush=True)
            time.sleep(120)
    """)
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().startswith("READY")
        children = psutil.Process(owner.pid).children(recursive=True)
        assert len(workers_of(psutil.Process(owner.pid))) == 2
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [c.cmdline() for c in alive]
    finally:
        if owner.poll() is None:
            owner.kill()


def test_a_worker_whose_parent_is_gone_exits_at_once():
    """The initializer's check for a parent that died before PR_SET_PDEATHSIG applied."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that was an owner and is dead now
    code = (
        "import sys; from tracker.run.pool import _die_with_parent; "
        "_die_with_parent(int(sys.argv[1])); print('alive')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(gone.pid)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 1 and "alive" not in out.stdout


def test_defaults_do_not_throttle_hundreds_of_feeds():
    """50 sites × 6 connections each may all be open at once with no `http:` section
    (the overall limit used to be 32 and made 1,000 feeds take 6 s of round trips)."""
    http = HttpConfig()
    assert http.per_host == 6 and http.concurrency >= 40 * http.per_host
    assert RunConfig().deadline.total_seconds() >= 600


def test_a_commit_message_longer_than_one_argument_may_be_is_committed(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    (store.root / "snapshots").mkdir()
    (store.root / "snapshots" / "a.yaml").write_text("a: 1\n")
    message = "Update 260 sources\n\n" + "  changed: a › b › c\n" * 12_000  # ~250 KB
    sha = store.commit(["snapshots/a.yaml"], message, when=utc("2026-03-01T00:00:00"))
    assert sha is not None
    assert store.repo.commit(sha).message.rstrip("\n") == message.rstrip("\n")


def pooled_cli_run(root, temp) -> subprocess.CompletedProcess[str]:
    """`tracker -v run --all` as a fresh process, with `temp` as its temp directory."""
    command = [sys.executable, "-m", "tracker.cli", "-v", "-w", str(root), "run", "--all"]
    command += ["--no-email", "--now", "2026-03-01T00:00:00", "--format", "json"]
    env = {**os.environ, "TMPDIR": str(temp)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_a_run_that_started_the_workers_leaves_no_folder_in_the_temp_directory(server, workspace):
    """multiprocessing keeps the fork server's socket in a `pymp-*` folder that it removes
    at interpreter exit; the console script ends with os._exit, so it removes it itself —
    a nightly run must not leave one in /tmp each night."""
    serve(server)
    root = workspace(feeds(server, N, run="{pool_threshold: 0, parse_workers: 2}"))
    with tempfile.TemporaryDirectory(prefix="t-") as temp:  # short: a socket's path is
        proc = pooled_cli_run(root, temp)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "parsing in 2 worker processes" in proc.stderr, proc.stderr[-2000:]
        assert "cannot start" not in proc.stderr, proc.stderr[-2000:]
        assert os.listdir(temp) == []


def test_workers_that_cannot_start_mean_parsing_in_process(server, workspace, tmp_path):
    """A temp directory too deep for the fork server's socket (AF_UNIX paths end at 108
    bytes): the run warns once, parses everything itself and succeeds."""
    serve(server)
    root = workspace(feeds(server, N, run="{pool_threshold: 0, parse_workers: 2}"))
    temp = tmp_path / ("deep" * 30)
    temp.mkdir()
    proc = pooled_cli_run(root, temp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    warnings = [line for line in proc.stderr.splitlines() if "cannot start" in line]
    assert len(warnings) == 1 and "parsing the rest of this run in-process" in warnings[0]
    run = json.loads(proc.stdout)
    assert all(s["ok"] and s["changed"] for s in run["sources"]), run["sources"]
    assert len(GitStore(root).versions("snapshots/feed00.yaml")) == 1
    assert list(temp.iterdir()) == []
