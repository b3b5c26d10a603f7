"""Acceptance: `tracker run` killed with SIGKILL at random points, again and again.

Each epoch the local server serves new content for some of the sources, a real `tracker
run` subprocess is started and killed — either at a random moment of the whole run, or
in the window after the last reply (normalize, write, commit, state, digest) — and then
run again to completion. After every kill: `git fsck` is clean, every snapshot parses,
nothing is left uncommitted, history only grows. At the end the workspace (commits,
snapshot and digest files, local state) equals one built by uninterrupted runs.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import utc
from tests.support.unattended import (
    REPORT,
    check_consistent,
    commits,
    feeds,
    fingerprint,
    run_env,
    serve_epoch,
    tracker_cmd,
)
from tracker.run.runner import run_once
from tracker.store.lock import HOLDER_FILE

COUNT = 4
KILLS = int(os.environ.get("TRACKER_KILLS", "20"))
T0 = utc("2026-03-02T00:00:00")


def at(epoch: int) -> str:
    return (T0 + timedelta(hours=epoch)).isoformat()


def leftovers(ws, before: list[str]) -> list[str]:
    """Where the kill landed, seen from what it left (for the test's report)."""
    found = []
    if (ws / ".tracker" / HOLDER_FILE).exists():
        found.append("died holding the lock")
    if (ws / ".git" / "index.lock").exists():
        found.append("index.lock")
    status = subprocess.run(["git", "status", "--porcelain", "--", "snapshots", "digests"],
                            cwd=ws, capture_output=True, text=True, env=run_env()).stdout
    if status.strip():
        found.append("uncommitted files")
    if commits(ws) != before:
        found.append("committed")
    return found or ["nothing written"]


def kill_at(proc: subprocess.Popen, server, requests: int, rng: random.Random,
            delay: float) -> None:
    """Sleep until a random moment of this run: mostly inside it (after the first request
    or after the last reply), sometimes anywhere from the process start."""
    mode = rng.random()
    if mode < 0.15:
        time.sleep(rng.uniform(0, 1.5))
        return
    wanted = requests + (1 if mode < 0.55 else COUNT)
    deadline = time.monotonic() + 30
    while len(server.requests) < wanted and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.003)
    time.sleep(rng.uniform(0, delay + 0.25))


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun(workspace, server, rng):
    ws = workspace(feeds(server, COUNT), {"ops": REPORT}, name="ws")
    kills, epoch, landed = 0, 0, Counter()
    while kills < KILLS:
        delay = rng.choice([0.0, 0.05, 0.2])
        serve_epoch(server, COUNT, epoch, delay=delay)
        before, requests = commits(ws), len(server.requests)
        proc = subprocess.Popen(tracker_cmd(ws, "run", "--now", at(epoch), "--no-email"),
                                env=run_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        kill_at(proc, server, requests, rng, delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
            proc.wait()
            landed.update(leftovers(ws, before))
        else:
            assert proc.returncode == 0, f"run finished with {proc.returncode}"
            landed["finished before the kill"] += 1
        # the next run (in-process: the subprocess start-up is already covered above)
        result = run_once(ws, now=utc(at(epoch)), send_email=False)
        assert not result.failed, f"epoch {epoch}: {result.failed}"
        check_consistent(ws)
        assert commits(ws)[:len(before)] == before, "history rewritten"
        assert not (ws / ".tracker" / HOLDER_FILE).exists()
        epoch += 1
    print(f"{kills} kills over {epoch} epochs; landed: {dict(landed)}")

    reference = workspace(feeds(server, COUNT), {"ops": REPORT}, name="reference")
    for number in range(epoch):
        serve_epoch(server, COUNT, number)
        run_once(reference, now=utc(at(number)), send_email=False)
    assert fingerprint(ws) == fingerprint(reference), dict(landed)
    assert len(commits(ws)) > epoch // 2  # the epochs did change things
