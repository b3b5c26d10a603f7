"""Crash recovery knows the tracker's own integration: a fast-forward cut short is put back
file by file (a person's edits kept), a rebase is aborted only when it is the tracker's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_workspace
from tests.support.gitserver import git
from tracker.errors import GitStateError
from tracker.store.git import GitStore
from tracker.store.unfinished import MARKER_FILE, undo_interrupted_integration
from tracker.workspace import Workspace


@pytest.fixture
def ws(tmp_path) -> Path:
    root = make_workspace(tmp_path / "ws", "sources: {}\n", {"kz": "report: {id: kz}\n"})
    (root / "reports" / "a.txt").write_text("a1\n")
    (root / "reports" / "b.txt").write_text("b1\n")
    git(root, "add", "reports")
    git(root, "commit", "-q", "-m", "one")
    return root


def note(root: Path, op: str, head: str, target: str) -> Path:
    path = root / ".tracker" / MARKER_FILE
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"op": op, "head": head, "target": target, "branch": "main"}))
    return path


def test_a_half_done_fast_forward_is_put_back_and_a_persons_edit_kept(ws):
    head = git(ws, "rev-parse", "HEAD")
    (ws / "reports" / "a.txt").write_text("a2\n")
    (ws / "reports" / "c.txt").write_text("c2\n")
    git(ws, "add", "reports")
    git(ws, "commit", "-q", "-m", "two (the remote's)")
    target = git(ws, "rev-parse", "HEAD")
    git(ws, "reset", "-q", "--hard", head)
    # what a killed `git merge --ff-only` leaves: some of target's files, HEAD unmoved
    (ws / "reports" / "a.txt").write_text("a2\n")
    (ws / "reports" / "c.txt").write_text("c2\n")
    (ws / "reports" / "b.txt").write_text("b1 + a person's edit\n")  # not the tracker's
    marker = note(ws, "fast-forward", head, target)
    notes = undo_interrupted_integration(GitStore(ws), "main")
    assert sorted(notes) == [
        "put back reports/a.txt: half written by a killed fast-forward",
        "put back reports/c.txt: half written by a killed fast-forward",
    ]
    assert (ws / "reports" / "a.txt").read_text() == "a1\n"
    assert not (ws / "reports" / "c.txt").exists()
    assert (ws / "reports" / "b.txt").read_text() == "b1 + a person's edit\n"
    assert not marker.exists()


def test_a_fast_forward_killed_after_it_finished_needs_nothing(ws):
    head = git(ws, "rev-parse", "HEAD~1")
    marker = note(ws, "fast-forward", head, git(ws, "rev-parse", "HEAD"))
    assert undo_interrupted_integration(GitStore(ws), "main") == []
    assert not marker.exists() and git(ws, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    "content", ['{"op": "rebase", "head": ', '["rebase"]', '{"op": "rebase", "target": 7}']
)
def test_a_damaged_note_is_removed_and_nothing_is_undone(ws, content, caplog):
    marker = ws / ".tracker" / MARKER_FILE
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(content)
    (ws / "reports" / "a.txt").write_text("a person's edit\n")
    assert undo_interrupted_integration(GitStore(ws), "main") == []
    assert not marker.exists() and "removed damaged integrating.json" in caplog.text
    assert (ws / "reports" / "a.txt").read_text() == "a person's edit\n"


def test_someone_elses_rebase_is_left_alone_and_refused(ws):
    path = ws / "reports" / "a.txt"
    git(ws, "checkout", "-q", "-b", "other")
    path.write_text("other\n")
    git(ws, "commit", "-q", "-am", "other")
    git(ws, "checkout", "-q", "main")
    path.write_text("main\n")
    git(ws, "commit", "-q", "-am", "main")
    git(ws, "rebase", "other", check=False)  # a person's rebase, stopped on a conflict
    marker = note(ws, "rebase", "0" * 40, "1" * 40)  # a stale note from another time
    with pytest.raises(GitStateError, match="a rebase is in progress"):
        with Workspace(ws).writing():
            pass
    assert (ws / ".git" / "rebase-merge").is_dir()  # untouched
    assert not marker.exists()
