"""One bad source never stops the others: whatever a source raises while it is fetched,
parsed, merged or serialized is that source's failure; time is bounded per source and per
run; only the workspace's own failures (config, git, disk) stop a run — with one line.

Every test has good sources changing in the same run: they are committed, the digest is
written, the bad one fails with a one-line message, the run exits 3, no traceback."""

from __future__ import annotations

import errno
import json
import subprocess
import time

import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tests.support.unattended import REPORT, check_consistent, document, run_env, tracker_cmd
from tracker.errors import StoreError
from tracker.models import Failure, NoticeKind
from tracker.run.runner import run_once
from tracker.sources.base import collector_paused
from tracker.sources.factbook import FactbookSource
from tracker.store.git import GitStore
from tracker.store.lock import HOLDER_FILE
from tracker.store.state import State

NOW = utc("2026-03-02T07:00:00")  # after the digest's 06:00: the digest is due
DIGEST = 'digest:\n  schedule: "0 6 * * *"\n  send_when_empty: true\n'


def feeds(
    server, count: int = 3, *, timeout: float = 30, run: str = "{}", bad_url: str | None = None
) -> str:
    lines = ["sources:"]
    for i in range(count):
        url = bad_url if (i == 1 and bad_url) else server.url(f"/s{i}.json")
        lines += [f"  s{i}:", "    kind: factbook", f"    url: {url}", f"    timeout: {timeout}"]
    lines += ["http: {retries: 0, backoff: 0.01}", f"run: {run}"]
    return "\n".join(lines) + "\n" + DIGEST


def serve_good(server, count: int = 3, epoch: int = 0) -> None:
    for i in range(count):
        server.route(f"/s{i}.json", Reply(body=document(i, epoch), etag=True))


def assert_isolated(ws, result, bad: str = "s1", failure: Failure | None = None) -> str:
    """The good sources are committed and the digest written; `bad` failed, one line."""
    by_id = {s.source: s for s in result.sources}
    good = [sid for sid in by_id if sid != bad]
    assert all(by_id[sid].ok and by_id[sid].changed for sid in good), result.sources
    assert not by_id[bad].ok and by_id[bad].error
    assert "\n" not in by_id[bad].error and "Traceback" not in by_id[bad].error
    if failure is not None:
        assert by_id[bad].failure is failure, by_id[bad]
    committed = GitStore(ws).repo.git.show("--name-only", "--format=", result.commit).split()
    assert sorted(committed) == sorted(f"snapshots/{sid}.yaml" for sid in good)
    assert not (ws / "snapshots" / f"{bad}.yaml").exists()
    assert result.digests, "the digest was not written"
    state = State.load(ws).source(bad)
    assert state.failures == 1 and state.last_error == by_id[bad].error
    check_consistent(ws)
    assert not (ws / ".tracker" / HOLDER_FILE).exists()
    return by_id[bad].error


def surrogate(self, raw):
    return {"Government": {"name": {"text": "x\ud800"}}}


def deep(self, raw):
    # collector paused as sources' load_json has it: a collection at this depth would run
    # an unrelated finalizer with no stack left (an unraisable error, failing the test)
    with collector_paused():
        return json.loads("[" * 100_000 + "]" * 100_000)


def huge_int(self, raw):
    return json.loads("1" * 5000)


def overflow(self, raw):
    return {"n": {"v": {"text": str(float(10**400))}}}


def not_a_mapping(self, raw):
    return ["a", "list"]


def raises(exc: BaseException):
    def method(self, *args, **kwargs):
        raise exc

    return method


@pytest.mark.parametrize(
    "method,replacement,cause",
    [
        ("normalize", surrogate, "surrogate"),
        ("normalize", deep, "RecursionError"),
        ("normalize", huge_int, "ValueError"),
        ("normalize", overflow, "OverflowError"),
        ("normalize", not_a_mapping, "not a mapping"),
        ("normalize", raises(KeyError("fields")), "KeyError"),
        ("merge", raises(AttributeError("'str' object has no attribute 'get'")), "AttributeError"),
        ("fetch", raises(ValueError("multi-byte encodings are not supported")), "ValueError"),
    ],
    ids=[
        "lone-surrogate",
        "deep-nesting",
        "4300-digits",
        "overflow",
        "not-a-mapping",
        "keyerror",
        "merge-attributeerror",
        "fetch-valueerror",
    ],
)
def test_any_exception_of_one_source_is_that_sources_failure(
    workspace, server, monkeypatch, method, replacement, cause
):
    serve_good(server)
    ws = workspace(feeds(server, run="{parse_workers: 0}"), {"ops": REPORT})
    original = getattr(FactbookSource, method)

    def only_s1(self, *args, **kwargs):
        chosen = replacement if self.id == "s1" else original
        return chosen(self, *args, **kwargs)

    if method == "fetch":

        async def only_s1_async(self, *args, **kwargs):
            if self.id == "s1":
                return replacement(self, *args, **kwargs)
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(FactbookSource, method, only_s1_async)
    else:
        monkeypatch.setattr(FactbookSource, method, only_s1)
    result = run_once(ws, now=NOW, send_email=False)
    message = assert_isolated(ws, result)
    assert cause in message


def test_a_url_with_credentials_fails_that_source_without_showing_them(workspace, server):
    serve_good(server)
    bad = server.url("/s1.json").replace("http://", "http://user:s3cret@")
    ws = workspace(feeds(server, bad_url=bad), {"ops": REPORT})
    result = run_once(ws, now=NOW, send_email=False)
    message = assert_isolated(ws, result)
    assert "s3cret" not in message and "s3cret" not in (ws / ".tracker/state.json").read_text()


def test_hostile_bytes_from_the_server_in_worker_processes(workspace, server):
    """The same isolation when the documents are parsed by the pool's workers."""
    serve_good(server)
    server.route("/s1.json", Reply(body=b"[" * 100_000 + b"]" * 100_000))
    ws = workspace(feeds(server, run="{pool_threshold: 0, parse_workers: 1}"), {"ops": REPORT})
    result = run_once(ws, now=NOW, send_email=False)
    assert result.parsed_in_workers == 3
    assert_isolated(ws, result)


def test_the_cli_exits_3_with_one_line_and_no_traceback(workspace, server):
    serve_good(server)
    server.route("/s1.json", Reply(body=b"[" * 100_000 + b"]" * 100_000))
    ws = workspace(feeds(server), {"ops": REPORT})
    out = subprocess.run(
        tracker_cmd(ws, "run", "--now", NOW.isoformat(), "--no-email"),
        capture_output=True,
        text=True,
        env=run_env(),
        timeout=120,
    )
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    # not a terminal: each line is stamped with its time (cron), failures on stderr
    [line] = [line for line in (out.stdout + out.stderr).splitlines() if "✗ s1:" in line]
    assert len(line) < 400
    assert "digest:" in out.stdout


DRIP_STARTED: list[float] = []


def drip_headers(handler) -> Reply:
    DRIP_STARTED.append(time.monotonic())
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 600:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(1.0)
    except OSError:
        pass
    raise ConnectionError("the client hung up")


@pytest.mark.waits
def test_a_server_dripping_its_headers_is_cut_by_the_sources_deadline(workspace, server):
    serve_good(server)
    server.handler("/s1.json", drip_headers)
    ws = workspace(feeds(server, timeout=2), {"ops": REPORT})
    DRIP_STARTED.clear()
    out = subprocess.run(
        tracker_cmd(ws, "run", "--now", NOW.isoformat(), "--no-email", "--format", "json"),
        capture_output=True,
        text=True,
        env=run_env(),
        timeout=60,
    )
    took = time.monotonic() - DRIP_STARTED[0]  # from the request (start-up not counted)
    assert out.returncode == 3, out.stderr
    assert took < 10, f"the run ended {took:.1f} s after the request: {out.stdout}"
    [bad] = [s for s in json.loads(out.stdout)["sources"] if s["source"] == "s1"]
    assert bad["failure"] == "source-deadline" and "deadline of 2 s" in bad["error"]
    assert "gave up after" in bad["error"]
    check_consistent(ws)


@pytest.mark.waits
def test_the_run_deadline_cuts_unfinished_sources_and_the_run_still_commits(workspace, server):
    serve_good(server)
    server.route("/s1.json", Reply(body=document(1, 0), delay=20))
    ws = workspace(feeds(server, run="{deadline: 2s}"), {"ops": REPORT})
    started = time.monotonic()
    result = run_once(ws, now=NOW, send_email=False)
    assert time.monotonic() - started < 15
    message = assert_isolated(ws, result, failure=Failure.RUN_DEADLINE)
    assert "run's deadline of 2 s" in message and "fetching" in message
    [notice] = [n for n in result.notices if n.kind is NoticeKind.RUN_DEADLINE]
    assert notice.count == 1 and "s1" in notice.message


def test_a_full_disk_ends_the_run_with_one_line(workspace, server, monkeypatch):
    import tracker.workspace

    serve_good(server)
    ws = workspace(feeds(server), {"ops": REPORT})

    def no_space(path, text, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(tracker.workspace, "write_atomic", no_space)
    with pytest.raises(StoreError) as caught:
        run_once(ws, now=NOW, send_email=False)
    message = str(caught.value)
    assert "No space left on device" in message and "\n" not in message
    assert (ws / ".tracker" / HOLDER_FILE).exists()  # the next run repairs
