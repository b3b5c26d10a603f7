"""Acceptance: `tracker run` killed with SIGKILL at random moments, again and again.

20 sources, a third of them changing every epoch, parsed by the worker pool (its
threshold lowered so every epoch's documents reach it). Each epoch a real `tracker run`
process is started and killed at a random moment — right at the start, while it fetches,
or in the window after the replies (parse, write, commit, state, digest; its length learnt
from the runs that finished before their kill) — and the next
run is started at once, itself killable, until one completes. A run to be killed at the
start is a fresh `python -m tracker.cli` (the kill lands in the interpreter's start-up or
the first steps of the run); the others are forked by a zygote that imported the CLI once
(tests/support/zygote.py), each a process of its own, so that the rounds spend their time
in the run, not in importing it again. After every kill:
no process of the killed run is left (its pool workers, their fork server, git), `git
fsck` is clean, every snapshot parses, nothing is left uncommitted, history only grows.
At the end the workspace (commits, snapshot and digest files, local state) equals one
built by uninterrupted runs.

    TRACKER_TEST_SEED=123 pytest tests/test_crash_kill.py -s      # replay one sequence
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import time
from collections import Counter
from datetime import timedelta

import psutil
import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tests.support.unattended import (
    REPORT,
    check_consistent,
    commits,
    fingerprint,
    profile,
    run_env,
    tracker_cmd,
)
from tests.support.zygote import Child, Zygote
from tracker.run.runner import run_once
from tracker.store.lock import HOLDER_FILE

COUNT = 20
KILLS = int(os.environ.get("TRACKER_KILLS", "30"))
KILLS_PER_EPOCH = 3  # at most: then a run is let finish
AT_START = 0.15  # the share of kills aimed at a run's start-up
T0 = utc("2026-03-02T00:00:00")


def at(epoch: int) -> str:
    return (T0 + timedelta(hours=epoch)).isoformat()


def feeds(server) -> str:
    lines = ["sources:"]
    for i in range(COUNT):
        lines += [
            f"  s{i}:",
            "    kind: factbook",
            f"    url: {server.url(f'/s{i}.json')}",
            '    schedule: "0 * * * *"',
            "    timeout: 30",
        ]
    lines += ["http: {retries: 0, backoff: 0.01}", "run: {pool_threshold: 1, parse_workers: 1}"]
    return "\n".join(lines) + "\n"


def document(source: int, epoch: int) -> bytes:
    """Source i changes in the epochs where (epoch + i) % 3 == 0: a third each epoch."""
    return profile(source, (epoch + source) // 3)


def serve_epoch(server, epoch: int, delay: float = 0.0) -> None:
    for i in range(COUNT):
        server.route(f"/s{i}.json", Reply(body=document(i, epoch), etag=True, delay=delay))


def leftovers(ws, before: list[str]) -> list[str]:
    """Where the kill landed, seen from what it left (for the test's report)."""
    found = []
    if (ws / ".tracker" / HOLDER_FILE).exists():
        found.append("died holding the lock")
    if (ws / ".git" / "index.lock").exists():
        found.append("index.lock")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "snapshots", "digests"],
        cwd=ws,
        capture_output=True,
        text=True,
        env=run_env(),
    ).stdout
    if status.strip():
        found.append("uncommitted files")
    if commits(ws) != before:
        found.append("committed")
    return found or ["nothing written"]


class Family:
    """Every process a run started (pool workers, their fork server, git), sampled while
    it runs: after the kill none of them may live on."""

    def __init__(self, proc: subprocess.Popen | Child) -> None:
        self.root = psutil.Process(proc.pid)
        self.seen: dict[int, tuple[psutil.Process, str]] = {}

    def sample(self) -> None:
        try:
            for child in self.root.children(recursive=True):
                if child.pid not in self.seen:
                    self.seen[child.pid] = (child, " ".join(child.cmdline()))
        except psutil.Error:
            pass

    @property
    def pooled(self) -> bool:
        return any("forkserver" in line for _, line in self.seen.values())

    def survivors(self, timeout: float = 10) -> list[str]:
        # not psutil.wait_procs: an orphan's zombie lingers until init reaps it (in a
        # container, maybe never) and wait_procs would wait out the timeout for it
        deadline = time.monotonic() + timeout
        while True:
            alive = [p for p, _ in self.seen.values() if _running(p)]
            if not alive or time.monotonic() > deadline:
                return [self.seen[p.pid][1][:120] for p in alive]
            time.sleep(0.05)


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def start_run(ws, epoch: int, mode: float, zygote: Zygote) -> subprocess.Popen | Child:
    """A `tracker run`: a fresh interpreter when the kill is aimed at its start-up, else
    a child of the zygote."""
    args = tracker_cmd(ws, "run", "--now", at(epoch), "--no-email")
    if mode < AT_START:
        return subprocess.Popen(
            args, env=run_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    return zygote.start(args[3:])  # what follows `python -m tracker.cli`


class AfterReplies:
    """How long a run goes on after its last request has arrived (reply, parse, write,
    commit, state, digest): learnt from the runs that finished before their kill, so that
    a kill aimed into that phase lands in it rather than after the run's end."""

    def __init__(self) -> None:
        self.spans: list[float] = []

    def window(self, delay: float) -> float:
        span = statistics.median(self.spans[-5:]) if self.spans else 0.4
        return delay + 1.2 * span

    def saw(self, span: float) -> None:
        self.spans.append(span)


def kill_at(
    proc: subprocess.Popen | Child,
    family: Family,
    server,
    requests: int,
    rng: random.Random,
    delay: float,
    mode: float,
    after: AfterReplies,
) -> None:
    """Sleep until a random moment of this run: at start-up, after its first request, or
    after the last reply (parse, write, commit); sampling the run's processes meanwhile."""
    if mode < AT_START:
        wanted, extra = 0, rng.uniform(0, 1.0)
    else:
        wanted = requests + (1 if mode < 0.45 else COUNT)
        extra = rng.uniform(0, after.window(delay))
    deadline = time.monotonic() + 30
    while len(server.requests) < wanted and time.monotonic() < deadline and proc.poll() is None:
        family.sample()
        time.sleep(0.02)  # sampling /proc is not free: leave the CPU to the run
    asked = time.monotonic()
    end = asked + extra
    while time.monotonic() < end and proc.poll() is None:
        family.sample()
        time.sleep(0.02)  # sampling /proc is not free: leave the CPU to the run
    family.sample()
    if proc.poll() is not None and wanted == requests + COUNT:
        after.saw(time.monotonic() - asked - delay)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_at_once(workspace, server, rng):
    seed = "TRACKER_TEST_SEED above"
    ws = workspace(feeds(server), {"ops": REPORT}, name="ws")
    with Zygote(run_env()) as zygote:
        kills, epoch, landed, pooled = kill_epochs(ws, server, rng, zygote)
    print(
        f"seed {seed}: {kills} kills over {epoch} epochs, {pooled} with parse workers up; "
        f"landed: {dict(landed)}"
    )
    assert pooled, f"seed {seed}: no kill landed while the pool was up"

    reference = workspace(feeds(server), {"ops": REPORT}, name="reference")
    for number in range(epoch):
        serve_epoch(server, number)
        run_once(reference, now=utc(at(number)), send_email=False)
    crashed, clean = fingerprint(ws), fingerprint(reference)
    if crashed != clean:  # name the differing entries, not two truncated reprs
        from deepdiff import DeepDiff

        raise AssertionError(f"{dict(landed)}: {DeepDiff(clean, crashed).pretty()[:3000]}")
    assert len(commits(ws)) > epoch  # the epochs did change things


def kill_epochs(ws, server, rng: random.Random, zygote: Zygote) -> tuple[int, int, Counter, int]:
    """Epochs of runs killed at random moments, each completed by an uninterrupted run,
    until KILLS kills: (kills, epochs, where they landed, kills with the pool up)."""
    seed = "TRACKER_TEST_SEED above"
    kills, epoch, landed, pooled = 0, 0, Counter(), 0
    after = AfterReplies()
    while kills < KILLS:
        delay = rng.choice([0.0, 0.05, 0.2])
        serve_epoch(server, epoch, delay=delay)
        for _ in range(KILLS_PER_EPOCH):  # each next run starts at once; it may die too
            before, requests = commits(ws), len(server.requests)
            mode = rng.random()
            proc = start_run(ws, epoch, mode, zygote)
            family = Family(proc)
            kill_at(proc, family, server, requests, rng, delay, mode, after)
            if proc.poll() is not None:
                assert proc.returncode == 0, f"seed {seed}: run finished with {proc.returncode}"
                landed["finished before the kill"] += 1
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            pooled += family.pooled
            survivors = family.survivors()
            assert not survivors, f"seed {seed}: left alive after the kill: {survivors}"
            landed.update(leftovers(ws, before))
            assert commits(ws)[: len(before)] == before, f"seed {seed}: history rewritten"
        # the run that completes the epoch (in-process: the subprocess start-up is above)
        result = run_once(ws, now=utc(at(epoch)), send_email=False)
        assert not result.failed, f"seed {seed}, epoch {epoch}: {result.failed}"
        check_consistent(ws)
        assert not (ws / ".tracker" / HOLDER_FILE).exists()
        epoch += 1
    return kills, epoch, landed, pooled
