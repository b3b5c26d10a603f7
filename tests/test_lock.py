"""One run at a time per workspace: the run lock, its holder note, and two real runs at once."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tests.support.unattended import REPORT, commits, document, feeds, git, run_env, tracker_cmd
from tracker.errors import LockError
from tracker.store.lock import HOLDER_FILE, RunLock, read_holder

COUNT = 2
NOW = "2026-03-02T00:00:00+00:00"


def test_second_holder_is_refused_with_the_holders_name(tmp_path: Path):
    with RunLock(tmp_path, started=utc(NOW)):
        holder = read_holder(tmp_path)
        assert holder is not None and holder["started"] == NOW
        with pytest.raises(LockError) as caught:
            with RunLock(tmp_path, wait=0.1):
                pass
    message = str(caught.value)
    assert f"pid {holder['pid']} on {holder['host']}" in message and NOW in message
    assert "after waiting 0.1 s" in message
    assert caught.value.exit_code == 75
    with RunLock(tmp_path):  # released: free again
        pass


def test_a_waiting_run_gets_the_lock_when_the_holder_finishes(tmp_path: Path):
    first = RunLock(tmp_path).__enter__()
    release = threading.Timer(0.3, first.__exit__, args=(None, None, None))
    release.start()
    try:
        with RunLock(tmp_path, wait=30) as second:
            assert not second.previous_died  # the first one finished properly
    finally:
        release.join()


def test_a_run_that_raised_leaves_its_note_for_recovery(tmp_path: Path):
    with pytest.raises(RuntimeError):
        with RunLock(tmp_path):
            raise RuntimeError("boom")
    assert (tmp_path / ".tracker" / HOLDER_FILE).exists()
    with RunLock(tmp_path) as lock:
        assert lock.previous_died
    with RunLock(tmp_path) as lock:
        assert not lock.previous_died


@pytest.fixture
def gated(workspace, server):
    """A workspace whose sources answer only once the test opens the gate."""
    gate = threading.Event()
    for i in range(COUNT):

        def answer(handler, i=i):
            gate.wait(60)
            return Reply(body=document(i, 0))

        server.handler(f"/s{i}.json", answer)
    ws = workspace(feeds(server, COUNT), {"ops": REPORT})
    yield ws, gate
    gate.set()


def start_run(ws: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        tracker_cmd(ws, "run", "--now", NOW, "--no-email", *extra),
        env=run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def update_commits(ws: Path) -> list[str]:
    return [
        line for line in git(ws, "log", "--format=%s").splitlines() if line.startswith("Update")
    ]


def test_two_runs_at_once_one_works_the_other_exits_75(gated, server):
    ws, gate = gated
    before = commits(ws)
    runs = [start_run(ws), start_run(ws)]
    # the loser gives up while the winner waits on the gated server
    loser = next(iter(wait_any(runs)))
    out, err = loser.communicate(timeout=60)
    assert loser.returncode == 75, err
    winner = runs[1] if loser is runs[0] else runs[0]
    assert f"locked by pid {winner.pid} on " in err and "--wait" in err
    gate.set()
    out, err = winner.communicate(timeout=60)
    assert winner.returncode == 0, (err, out)  # out: the run's table names failed sources
    assert update_commits(ws) == ["Update s0, s1"]
    assert commits(ws)[: len(before)] == before
    assert server.hits("/s0.json") == 1  # the loser fetched nothing


@pytest.mark.waits
def test_two_runs_with_wait_run_one_after_the_other(gated, server):
    ws, gate = gated
    runs = [start_run(ws, "--wait", "60"), start_run(ws, "--wait", "60")]
    while not server.requests:  # one run holds the lock and waits on the gate …
        assert all(r.poll() is None for r in runs), "a run ended early"
        time.sleep(0.02)
    time.sleep(1.0)  # … the other one is meanwhile waiting for the lock
    assert all(r.poll() is None for r in runs)
    gate.set()
    results = [r.communicate(timeout=90) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [e for _, e in results]
    assert update_commits(ws) == ["Update s0, s1"]  # the second found nothing due
    assert server.hits("/s0.json") == 1


def wait_any(procs: list[subprocess.Popen], timeout: float = 60) -> list[subprocess.Popen]:
    """The processes that ended first (polling: Popen has no wait-for-any)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in procs if p.poll() is not None]
        if done:
            return done
        time.sleep(0.02)
    raise AssertionError("neither run ended")


@pytest.mark.slow
def test_a_daemon_job_waiting_for_the_lock_stops_on_sigterm(workspace, server):
    """A cron run holds the workspace; the daemon's job waits for it (up to 600 s) but
    gives up within seconds when the daemon is asked to stop."""
    import signal

    for i in range(COUNT):
        server.route(f"/s{i}.json", Reply(body=document(i, 0)))
    ws = workspace(feeds(server, COUNT), {"ops": REPORT})
    with RunLock(ws, started=utc(NOW)):
        proc = subprocess.Popen(
            tracker_cmd(ws, "schedule", "--interval", "1", "--no-email"),
            env=run_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 60
            while not any("catch-up: started" in line for line in lines):
                assert proc.poll() is None and time.monotonic() < deadline, lines
                time.sleep(0.05)
            time.sleep(1.5)  # the job is now waiting for the lock
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            took = time.monotonic() - sent
            reader.join(10)
            log = "".join(lines)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, log
    assert took < 5.0, f"stopped {took:.1f} s after SIGTERM:\n{log}"
    assert "catch-up: skipped: workspace" in log and "is locked by pid" in log
    assert server.hits("/s0.json") == 0
