"""A server that drips its status line and headers one byte a second, beside good sources
that change: `tracker run` with `timeout: 2, retries: 0` ends well under 10 s with exit 3;
`tracker schedule` with that source stops within 5 s of SIGTERM; a run's own deadline
ends a run that a slow source would hold far longer (tests/support/raw_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support.hostile import ENV, FIRST, committed_since, head, hostile_workspace, run_json
from tests.support.raw_server import RawServer, body_drip, header_drip
from tests.support.server import LocalServer
from tracker.run.runner import run_once

pytestmark = pytest.mark.waits  # mostly waits (timeouts, drips): spread over the run


def good_first(ws) -> None:
    ws.serve_good_sources(1)
    run_once(ws.root, now=FIRST, only=["good-fb", "good-news"], send_email=False)
    ws.serve_good_sources(2)


def test_a_header_drip_fails_alone_well_within_ten_seconds(tmp_path):
    with LocalServer() as server, RawServer(header_drip(every=1.0)) as slow:
        ws = hostile_workspace(tmp_path, server, "rss", url=slow.url(), extra="timeout: 2")
        good_first(ws)
        before = head(ws.root)
        started = time.monotonic()
        result = run_once(ws.root, now=FIRST.replace(day=9), run_all=True, send_email=False)
        took = time.monotonic() - started
        cli_started = time.monotonic()
        proc = ws.tracker(
            "run", "--source", "bad", "--no-email", "--format", "json", now="2025-10-10T04:00"
        )
        cli_took = time.monotonic() - cli_started
    print(f"run_once {took:.1f} s, CLI {cli_took:.1f} s (its start-up included)")
    assert took < 8, took
    bad = {s.source: s for s in result.sources}["bad"]
    assert not bad.ok and "timed out after 2." in (bad.error or ""), bad.error
    assert {"snapshots/good-fb.yaml", "snapshots/good-news.yaml"} <= committed_since(
        ws.root, before
    )
    assert result.digests, "the digest is written"
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr
    assert not run_json(proc)["sources"][0]["ok"]
    assert cli_took < 30, cli_took  # no hang (start-up takes seconds on a busy machine)


@pytest.mark.parametrize("timeout", [2, 60], ids=["timeout 2", "timeout 60"])
def test_the_daemon_stops_within_five_seconds_of_sigterm(tmp_path, timeout):
    """With `timeout: 60` the run in progress cannot end by itself in time: the daemon's
    stop must cut it short (what finished is kept)."""
    with LocalServer() as server, RawServer(header_drip(every=1.0)) as slow:
        ws = hostile_workspace(tmp_path, server, "rss", url=slow.url(), extra=f"timeout: {timeout}")
        good_first(ws)
        env = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tracker.cli",
                "-w",
                str(ws.root),
                "schedule",
                "--interval",
                "3600",
                "--no-email",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while slow.connections == 0 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert slow.connections, "the daemon's first run reached the dripping server"
            time.sleep(0.5)  # the drip is under way
            proc.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            _, log = proc.communicate(timeout=30)
            took = time.monotonic() - stopped
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"stopped {took:.1f} s after SIGTERM")
    assert took < 5, f"{took:.1f} s\n{log[-2000:]}"
    assert proc.returncode == 0 and "Traceback" not in log, log[-3000:]


def test_the_run_deadline_ends_a_run_a_slow_source_would_hold(tmp_path):
    """`run.deadline`: unfinished sources fail, the run still stores, commits and writes
    the digest."""
    with LocalServer() as server, RawServer(body_drip(every=1.0)) as slow:
        ws = hostile_workspace(tmp_path, server, "rss", url=slow.url(), extra="timeout: 600")
        good_first(ws)
        feeds = (ws.root / "feeds.yaml").read_text() + "run: {deadline: 4s}\n"
        (ws.root / "feeds.yaml").write_text(feeds)
        before = head(ws.root)
        started = time.monotonic()
        proc = ws.tracker("run", "--all", "--no-email", "--format", "json")
        took = time.monotonic() - started
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert took < 30, took
    run = run_json(proc)
    outcome = {s["source"]: s for s in run["sources"]}
    assert not outcome["bad"]["ok"] and "deadline" in outcome["bad"]["error"]
    assert outcome["good-fb"]["changed"] and run["digests"]
    assert "snapshots/good-fb.yaml" in committed_since(ws.root, before)
