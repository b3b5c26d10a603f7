"""Crash recovery, leftover by leftover: each test stages what a run killed at one precise
moment leaves behind, runs again, and compares with a history that never crashed."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.unattended import (
    REPORT,
    check_consistent,
    commits,
    document,
    feeds,
    fingerprint,
    git,
    run_env,
    serve_epoch,
)
from tracker.config import load_config
from tracker.models import RawDocument
from tracker.run.runner import run_once, store_document
from tracker.sources.base import make_source
from tracker.store.git import GitStore
from tracker.store.lock import HOLDER_FILE, RunLock
from tracker.store.recovery import live_git_processes, recover

COUNT = 3
T0 = utc("2026-03-02T00:00:00")


def at(epoch: int):
    return T0 + timedelta(hours=epoch)


class Killed(Exception):
    """Stands for the SIGKILL: the run stops here, its lock note stays behind."""


def dead_run(ws: Path, epoch: int, sources: list[int], stage: bool = False) -> None:
    """A run that wrote (and maybe staged) some snapshots of `epoch`, then died."""
    config = load_config(ws)
    store = GitStore(ws)
    with pytest.raises(Killed), RunLock(ws, started=at(epoch)):
        for i in sources:
            source = make_source(f"s{i}", config.sources[f"s{i}"])
            store_document(store, source, RawDocument(document(i, epoch), "x", at(epoch)))
        if stage:
            git(ws, "add", "--", *[f"snapshots/s{i}.yaml" for i in sources])
        raise Killed


@pytest.fixture
def setup(workspace, server):
    def make(name: str) -> Path:
        return workspace(feeds(server, COUNT), {"ops": REPORT}, name=name)

    return make


def clean_history(setup, server, epochs: int):
    ref = setup("reference")
    for epoch in range(epochs):
        serve_epoch(server, COUNT, epoch)
        run_once(ref, now=at(epoch), send_email=False)
    return fingerprint(ref)


def test_first_run_died_after_writing_snapshots(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    dead_run(ws, 0, [0, 1])  # new, untracked files: equal to what a fetch gives
    result = run_once(ws, now=at(0), send_email=False)
    assert any("never committed" in note for note in result.repaired)
    check_consistent(ws)
    assert fingerprint(ws) == clean_history(setup, server, 1)


def test_died_with_staged_changes_and_git_litter(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    run_once(ws, now=at(0), send_email=False)
    serve_epoch(server, COUNT, 2)  # s0 and s1 change at epoch 2
    dead_run(ws, 2, [0, 1], stage=True)
    (ws / ".git" / "index.lock").write_bytes(b"half an index")
    (ws / "snapshots" / ".s2.yaml.abc123.tmp").write_text("Government: {Exec")
    result = run_once(ws, now=at(2), send_email=False)
    assert "removed stale git lock .git/index.lock" in result.repaired
    assert "removed half-written file snapshots/.s2.yaml.abc123.tmp" in result.repaired
    check_consistent(ws)
    ref = setup("reference")
    serve_epoch(server, COUNT, 0)
    run_once(ref, now=at(0), send_email=False)
    serve_epoch(server, COUNT, 2)
    run_once(ref, now=at(2), send_email=False)
    assert fingerprint(ws) == fingerprint(ref)
    assert not (ws / ".tracker" / HOLDER_FILE).exists()  # this run completed


def test_completed_run_leaves_hand_edits_alone(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    run_once(ws, now=at(0), send_email=False)
    edited = ws / "snapshots" / "s2.yaml"
    edited.write_text(edited.read_text() + "# a person's note\n")
    result = run_once(ws, now=at(0), send_email=False)  # nothing due, nothing died
    assert result.repaired == []
    assert edited.read_text().endswith("# a person's note\n")


def test_corrupt_index_is_rebuilt_from_head(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    run_once(ws, now=at(0), send_email=False)
    (ws / ".git" / "index").write_bytes(b"DIRC garbage" * 3)
    serve_epoch(server, COUNT, 1)
    before = commits(ws)
    result = run_once(ws, now=at(1), send_email=False)
    assert any("corrupt git index" in note for note in result.repaired)
    after = commits(ws)
    assert after[: len(before)] == before and result.commit in after[len(before) :]
    check_consistent(ws)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:20] + bytes([data[20] ^ 1]) + data[21:],  # one bit
        lambda data: data[:-3],  # cut short
        lambda data: data[:-20] + bytes(20),  # a zero checksum (index.skipHash): ask git
        lambda data: b"XIRC" + data[4:],  # not git's signature
    ],
    ids=["bit", "truncated", "zero-checksum", "signature"],
)
def test_the_index_check_passes_only_a_whole_index(setup, damage):
    ws = setup("ws")
    store = GitStore(ws)
    assert store.index_intact()
    index = ws / ".git" / "index"
    index.write_bytes(damage(index.read_bytes()))
    assert not store.index_intact()
    index.unlink()
    assert not store.index_intact()


def test_a_split_index_is_left_to_git(setup):
    ws = setup("ws")
    git(ws, "update-index", "--split-index")
    assert any(p.name.startswith("sharedindex.") for p in (ws / ".git").iterdir())
    assert not GitStore(ws).index_intact()


def test_heads_tree_listing_is_kept_per_commit_and_read_again_at_a_new_one(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    run_once(ws, now=at(0), send_email=False)
    store = GitStore(ws)
    first = store.committed_blobs()
    assert first == store.committed_blobs() and len(first) == COUNT
    serve_epoch(server, COUNT, 1)
    run_once(ws, now=at(1), send_email=False)
    second = GitStore(ws).committed_blobs()
    assert set(second) == set(first) and second != first
    listed = git(ws, "ls-tree", "HEAD", "snapshots/").split("\n")
    assert second == {line.split("\t")[1]: line.split()[2] for line in listed if line}
    (ws / ".tracker" / "cache" / "tree-snapshots.pickle").write_bytes(b"damaged")
    assert GitStore(ws).committed_blobs() == second


def test_damaged_state_is_set_aside_and_rebuilt(setup, server):
    ws = setup("ws")
    serve_epoch(server, COUNT, 0)
    run_once(ws, now=at(0), send_email=False)
    state = ws / ".tracker" / "state.json"
    state.write_text('{"sources": {"s0": {"last_success": "2026-')
    result = run_once(ws, now=at(0), send_email=False)
    assert any("state.json.damaged" in note for note in result.repaired)
    assert (ws / ".tracker" / "state.json.damaged").read_text().startswith('{"sources"')
    assert set(json.loads(state.read_text())["sources"]) == {"s0", "s1", "s2"}
    # re-fetched everything, found nothing new: no commit
    assert result.commit is None, [(s.source, s.ok, s.changed, s.error) for s in result.sources]


def test_git_lock_of_a_live_git_process_is_never_stolen(setup, server):
    ws = setup("ws")
    lock = ws / ".git" / "index.lock"
    lock.write_bytes(b"")
    # a real `git` working in the workspace (waiting on its stdin) stands for a dead run's
    # orphaned child; started through sh so that it is not our own child (those are exempt)
    proc = subprocess.Popen(
        ["sh", "-c", "head -c 1 | git hash-object --stdin"],
        cwd=ws,
        env=run_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not live_git_processes(ws) and time.monotonic() < deadline:
            time.sleep(0.02)
        notes = recover(GitStore(ws), previous_died=True, git_wait=0.3)
        assert lock.exists()
        assert any("still running" in n for n in notes), notes
    finally:
        proc.communicate(b"x", timeout=10)
    notes = recover(GitStore(ws), previous_died=True, git_wait=0.3)
    assert "removed stale git lock .git/index.lock" in notes, notes
    assert not lock.exists()


def test_old_temp_files_go_even_after_a_clean_run(setup, server):
    import os

    ws = setup("ws")
    fresh = ws / ".tracker" / "cache" / ".x.json.new.tmp"
    old = ws / ".tracker" / ".state.json.old.tmp"
    for path in (fresh, old):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{")
    os.utime(old, (0, 0))
    notes = recover(GitStore(ws), previous_died=False)
    assert not old.exists() and fresh.exists()  # a fresh one may be another command's
    assert notes == ["removed half-written file .tracker/.state.json.old.tmp"]


def _grandchild_git(ws: Path, command: str) -> subprocess.Popen:
    """`git …` started through sh, so it is not our own child (those are exempt), waiting
    on its stdin; returns once psutil sees the git process itself."""
    import psutil

    proc = subprocess.Popen(
        ["sh", "-c", command],
        cwd=ws,
        env=run_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(p.name().startswith("git") for p in psutil.Process(proc.pid).children()):
            return proc
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"{command!r} did not start")


def test_another_process_reading_the_workspace_is_not_a_live_run(setup, server):
    """GitPython's `cat-file --batch` helpers (of a test, `tracker status`, an editor) hold
    no lock and live as long as their process: recovery neither waits for them nor keeps
    a stale lock because of them."""
    ws = setup("ws")
    lock = ws / ".git" / "index.lock"
    lock.write_bytes(b"")
    reader = _grandchild_git(ws, "git -c core.quotepath=off cat-file --batch-check")
    try:
        assert live_git_processes(ws) == []
        notes = recover(GitStore(ws), previous_died=True, git_wait=30)
    finally:
        reader.communicate(b"", timeout=10)
    assert notes == ["removed stale git lock .git/index.lock"], notes
    assert not lock.exists()


def test_a_git_writer_in_a_subfolder_counts(setup, server):
    ws = setup("ws")
    (ws / "snapshots").mkdir(exist_ok=True)
    writer = _grandchild_git(ws / "snapshots", "head -c 1 | git hash-object -w --stdin")
    try:
        assert len(live_git_processes(ws)) == 1
    finally:
        writer.communicate(b"x", timeout=10)
    assert live_git_processes(ws) == []


@pytest.mark.parametrize(
    "cmdline, expected",
    [
        (["git", "cat-file", "--batch"], "cat-file"),
        (["/usr/bin/git", "-C", "/w", "-c", "a=b", "--no-pager", "commit", "-m", "x"], "commit"),
        (["git", "--git-dir", "/w/.git", "update-ref", "HEAD", "x"], "update-ref"),
        (["git", "--git-dir=/w/.git", "gc", "--auto"], "gc"),
        (["git", "--version"], None),
    ],
)
def test_git_subcommand(cmdline, expected):
    from tracker.store.recovery import git_subcommand

    assert git_subcommand(cmdline) == expected
