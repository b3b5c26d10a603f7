"""`tracker schedule`: jobs from feeds.yaml, catch-up after downtime, a real daemon run
against the local server, and a clean stop on SIGTERM in the middle of a run."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tests.support.unattended import (
    REPORT,
    check_consistent,
    commits,
    document,
    feeds,
    git,
    run_env,
    serve_epoch,
    tracker_cmd,
)
from tracker.run.runner import run_once
from tracker.run.schedule import CATCH_UP, Daemon, JobPlan, plan_jobs
from tracker.sources.factbook import normalize_factbook
from tracker.store import snapshot_yaml
from tracker.store.lock import HOLDER_FILE


def real_clock() -> datetime:
    return datetime.now(timezone.utc)


def until(condition, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Changing:
    """A source whose content changes with every request; remembers what it served."""

    def __init__(self, source: int, delay: float = 0.0) -> None:
        self.source, self.delay, self.served = source, delay, []

    def __call__(self, handler) -> Reply:
        body = document(self.source, len(self.served) + 1)
        self.served.append(body)
        return Reply(body=body, delay=self.delay)


def test_jobs_follow_feeds_yaml(workspace, server):
    text = feeds(server, 2) + 'digest:\n  schedule: "0 6 * * *"\n'
    text = text.replace('    schedule: "0 * * * *"\n', "", 1)  # s0: no schedule
    ws = workspace(text, {"ops": REPORT})
    assert plan_jobs(ws) == [
        JobPlan("source:s1", "0 * * * *", ("s1",)),
        JobPlan("digest", "0 6 * * *"),
    ]
    scheduler = Daemon(ws, clock=real_clock).build()
    scheduler.start(paused=True)  # job defaults apply once started; paused: nothing runs
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown()
    assert set(jobs) == {"source:s1", "digest", CATCH_UP}
    assert all(
        j.coalesce and j.max_instances == 1 and j.misfire_grace_time == 3600 for j in jobs.values()
    )
    assert "cron[" in str(jobs["source:s1"].trigger)


def test_after_downtime_each_overdue_source_runs_once(workspace, server):
    ws = workspace(feeds(server, 3), {"ops": REPORT})
    serve_epoch(server, 3, 0)
    run_once(ws, now=utc("2026-03-01T00:00:00"), send_email=False)
    serve_epoch(server, 3, 6)  # everything changed during three days of downtime
    daemon = Daemon(ws, clock=lambda: utc("2026-03-04T00:30:00"), interval=3600, send_email=False)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.serve, args=(stop,))
    thread.start()
    try:
        until(lambda: daemon.finished, what="the catch-up run")
    finally:
        stop.set()
        thread.join(30)
    assert [job for job, _ in daemon.finished] == [CATCH_UP]
    assert "changed: s0, s1, s2" in daemon.finished[0][1]
    assert [server.hits(f"/s{i}.json") for i in range(3)] == [2, 2, 2]  # 72 firings → 1 run


@pytest.mark.waits
def test_daemon_runs_the_jobs_on_a_fast_schedule(workspace, server, caplog):
    changing = Changing(0)
    server.handler("/s0.json", changing)
    server.route("/s1.json", Reply(body=document(1, 0), etag=True))
    ws = workspace(feeds(server, 2), {"ops": REPORT})
    daemon = Daemon(ws, clock=real_clock, interval=0.3, send_email=False)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.serve, args=(stop,))
    caplog.set_level(logging.INFO, logger="tracker.run.schedule")
    thread.start()
    try:
        until(
            lambda: len(changing.served) >= 4 and server.hits("/s1.json") >= 2,
            what="several firings of each job",
        )
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    ran = [job for job, outcome in daemon.finished if outcome.startswith("done")]
    assert ran[0] == CATCH_UP and {"source:s0", "source:s1"} <= set(ran)
    assert all(not o.startswith(("failed", "crashed")) for _, o in daemon.finished)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("source:s0: done") and "changed: s0" in m for m in messages)
    assert "stopped cleanly" in messages[-1]
    check_consistent(ws)
    assert_head_holds(ws, "s0", changing.served[-1])  # the last fetch was committed


def assert_head_holds(ws: Path, source: str, body: bytes) -> None:
    committed = git(ws, "show", f"HEAD:snapshots/{source}.yaml")
    assert snapshot_yaml.loads(committed.encode()) == normalize_factbook(body)


def drip_headers(handler) -> Reply:
    """A server that sends its status line and headers one byte a second, for ever (until
    the client hangs up): no per-read timeout ever fires."""
    handler.served_at = time.monotonic()
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 600:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(1.0)
    except OSError:
        pass
    raise ConnectionError("the client hung up")  # the server logs nothing for this


def start_daemon(ws: Path) -> subprocess.Popen:
    return subprocess.Popen(
        tracker_cmd(ws, "schedule", "--interval", "1", "--no-email"),
        env=run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sigterm_and_wait(proc: subprocess.Popen) -> tuple[float, str]:
    """Send SIGTERM; → (seconds until the daemon exited, its log)."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, log = proc.communicate(timeout=60)
    return time.monotonic() - sent, log


@pytest.mark.slow
def test_sigterm_mid_run_ends_the_run_keeps_what_finished_and_stops(workspace, server):
    changing = Changing(0, delay=3.0)  # a slow source: SIGTERM lands while it is fetched
    server.handler("/s0.json", changing)
    server.route("/s1.json", Reply(body=document(1, 0), etag=True))
    ws = workspace(feeds(server, 2), {"ops": REPORT})
    before = commits(ws)
    proc = start_daemon(ws)
    try:
        until(lambda: len(changing.served) >= 2 or proc.poll() is not None, what="2 fetches")
        assert proc.poll() is None, proc.communicate()[1]
        took, log = sigterm_and_wait(proc)  # the second fetch's reply is still ~3 s away
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, log
    assert took < 3.0, f"stopped {took:.1f} s after SIGTERM:\n{log}"
    assert "stopping: ending the run in progress" in log
    assert "stopped early on request" in log and "the run was asked to stop (SIGTERM)" in log
    assert "stopped cleanly" in log and "Traceback" not in log
    check_consistent(ws)
    assert commits(ws)[: len(before)] == before
    assert_head_holds(ws, "s0", changing.served[0])  # the first fetch was committed
    assert not (ws / ".tracker" / HOLDER_FILE).exists()


@pytest.mark.slow
def test_sigterm_while_a_server_drips_its_headers_stops_within_5_s(workspace, server):
    server.handler("/s0.json", drip_headers)
    server.route("/s1.json", Reply(body=document(1, 0), etag=True))
    text = feeds(server, 2).replace("    timeout: 30", "    timeout: 2")
    ws = workspace(text, {"ops": REPORT})
    proc = start_daemon(ws)
    try:
        until(
            lambda: server.hits("/s0.json") >= 1 or proc.poll() is not None,
            what="the dripping request",
        )
        time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[1]
        took, log = sigterm_and_wait(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, log
    assert took < 5.0, f"stopped {took:.1f} s after SIGTERM:\n{log}"
    assert "stopped cleanly" in log and "Traceback" not in log
    check_consistent(ws)
    assert not (ws / ".tracker" / HOLDER_FILE).exists()
    assert not (ws / ".tracker" / "run.lock").exists() or _lock_is_free(ws)


def _lock_is_free(ws: Path) -> bool:
    from tracker.store.lock import RunLock

    with RunLock(ws, wait=0):
        return True
