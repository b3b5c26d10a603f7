"""One branch: every writer refuses (exit 4) on a detached HEAD, another branch, or a merge,
rebase, cherry-pick, revert or bisect in progress — before it fetches (HTTP or git) or
writes anything. HTTP validators are tied to the committed snapshot they came with."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.conftest import make_workspace, utc
from tests.support.gitserver import git
from tests.support.server import Reply
from tracker.cli.app import app
from tracker.errors import GitStateError
from tracker.run.runner import run_once

REPORT = """\
report: {id: kz}
facts:
  - id: pm
    expect: Person A
    source: fb
    path: [Government, Executive branch, head of government]
    extract: text
"""


def feeds(server, extra: str = "") -> str:
    return (
        f"sources:\n  fb:\n    kind: factbook\n    url: {server.url('/fb.json')}\n"
        "http: {retries: 0, backoff: 0.01}\n" + extra
    )


def doc(person: str) -> bytes:
    return json.dumps(
        {"Government": {"Executive branch": {"head of government": {"text": person}}}}
    ).encode()


def cli(root: Path, *args: str) -> SimpleNamespace:
    result = CliRunner().invoke(app, ["-w", str(root), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture
def ws(tmp_path, server) -> Path:
    server.route("/fb.json", Reply(body=doc("Person A"), etag=True))
    root = make_workspace(tmp_path / "ws", feeds(server), {"kz": REPORT})
    assert run_once(root, now=utc("2026-03-01T04:00"), run_all=True, send_email=False).commit
    server.requests.clear()
    return root


def fingerprint(root: Path) -> tuple[str, str, str]:
    """HEAD, the index and the work tree as git sees them."""
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "ls-files", "-s"),
        git(root, "status", "--porcelain=v1", "--untracked-files=all"),
    )


def _conflicting_branch(root: Path) -> None:
    """Branch `other` and main both change the same line of reports/kz.yaml."""
    path = root / "reports" / "kz.yaml"
    git(root, "checkout", "-q", "-b", "other")
    path.write_text(REPORT.replace("Person A", "Person O"))
    git(root, "commit", "-q", "-am", "other: O")
    git(root, "checkout", "-q", "main")
    path.write_text(REPORT.replace("Person A", "Person M"))
    git(root, "commit", "-q", "-am", "main: M")


def detached(root: Path) -> None:
    git(root, "checkout", "-q", "--detach")


def other_branch(root: Path) -> None:
    git(root, "checkout", "-q", "-b", "elsewhere")


def merging(root: Path) -> None:
    _conflicting_branch(root)
    git(root, "merge", "other", check=False)


def rebasing(root: Path) -> None:
    _conflicting_branch(root)
    git(root, "rebase", "other", check=False)


def cherry_picking(root: Path) -> None:
    _conflicting_branch(root)
    git(root, "cherry-pick", "other", check=False)


def picking_several(root: Path) -> None:
    _conflicting_branch(root)
    git(root, "checkout", "-q", "other")
    (root / "notes.txt").write_text("more\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-m", "other: notes")
    git(root, "checkout", "-q", "main")
    git(root, "cherry-pick", "other~2..other", check=False)  # stops on the conflict
    (root / "reports" / "kz.yaml").write_text(REPORT)
    git(root, "add", "reports/kz.yaml")
    git(root, "-c", "core.editor=true", "commit", "-q", "--no-edit")  # resolved, not continued
    assert not (root / ".git" / "CHERRY_PICK_HEAD").exists()


def reverting(root: Path) -> None:
    path = root / "reports" / "kz.yaml"
    path.write_text(REPORT.replace("Person A", "Person R"))
    git(root, "commit", "-q", "-am", "R")
    path.write_text(REPORT.replace("Person A", "Person S"))
    git(root, "commit", "-q", "-am", "S")
    git(root, "revert", "--no-edit", "HEAD~1", check=False)


def bisecting(root: Path) -> None:
    git(root, "bisect", "start")


STATES = {
    "detached HEAD": (detached, "HEAD is detached"),
    "another branch": (other_branch, "on branch 'elsewhere'"),
    "merge": (merging, "a merge is in progress"),
    "rebase": (rebasing, "a rebase"),
    "cherry-pick": (cherry_picking, "a cherry-pick is in progress"),
    "cherry-pick sequence": (picking_several, "a cherry-pick or revert of several"),
    "revert": (reverting, "a revert is in progress"),
    "bisect": (bisecting, "a bisect is in progress"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_every_refused_state_fetches_and_writes_nothing(ws, server, state):
    make, message = STATES[state]
    make(ws)
    before = fingerprint(ws)
    server.route("/fb.json", Reply(body=doc("Person B"), etag=True))
    with pytest.raises(GitStateError, match=message) as refused:
        run_once(ws, now=utc("2026-03-02T04:00"), run_all=True, send_email=False)
    assert "Nothing was fetched or written" in str(refused.value)
    assert refused.value.exit_code == 4
    assert server.requests == []
    assert fingerprint(ws) == before
    assert not (ws / ".tracker" / "run.holder.json").exists()  # a clean refusal


def test_detached_head_refuses_every_writer_with_exit_4_and_no_git_fetch(ws, server, shared):
    listener = socket.socket()  # a team remote that records any connection attempt
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    try:
        git(ws, "remote", "add", "origin", f"git://127.0.0.1:{listener.getsockname()[1]}/x")
        path = ws / "feeds.yaml"
        path.write_text(
            path.read_text() + "git: {branch: main, remote: origin, push: true}\n"
            "email: {smtp: {host: 127.0.0.1, port: 9}, from: t@example.org, "
            "to: [a@example.org]}\n"
        )
        git(ws, "commit", "-q", "-am", "team remote")
        raw = ws.parent / "raw"
        raw.mkdir()
        (raw / "2026-03-01T1200.json").write_bytes(doc("Person Q"))
        git(ws, "checkout", "-q", "--detach")
        before = fingerprint(ws)
        report = shared / "reports" / "kazakhstan-security-2025.txt"
        for args in (
            ["run", "--all", "--no-email"],
            ["ack", "pm"],
            ["accept", "pm"],
            ["backfill", "fb", "--dir", str(raw)],
            ["digest", "--send"],
            ["report", "scan", str(report), "--id", "scanned"],
        ):
            proc = cli(ws, *args, "--now", "2026-03-02T04:00")
            assert proc.returncode == 4, (args, proc.stdout, proc.stderr)
            assert "HEAD is detached" in proc.stderr and "git checkout main" in proc.stderr
        assert fingerprint(ws) == before
        assert server.requests == []
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever tried to fetch from the remote
    finally:
        listener.close()


def test_detached_then_back_on_main_a_changed_source_is_committed_and_stale(ws, server):
    git(ws, "checkout", "-q", "--detach")
    server.route("/fb.json", Reply(body=doc("Person B"), etag=True))
    proc = cli(ws, "run", "--all", "--no-email", "--now", "2026-03-02T04:00")
    assert proc.returncode == 4 and server.requests == []
    git(ws, "checkout", "-q", "main")
    proc = cli(ws, "run", "--all", "--no-email", "--now", "2026-03-02T05:00")
    assert proc.returncode == 0, proc.stderr
    assert git(ws, "log", "-1", "--format=%s", "--", "snapshots/fb.yaml") == "Update fb"
    status = json.loads(cli(ws, "status", "--format", "json").stdout)
    assert (status[0]["status"], status[0]["current"]) == ("stale", "Person B")


# ---------------------------------------------------------------- validators


def test_validators_of_an_abandoned_branch_never_make_a_304_hide_a_change(ws, server):
    """Commits on another branch, then back to main: the stored ETag belongs to that
    branch's snapshot, so the next fetch is unconditional and sees the change."""
    path = ws / "feeds.yaml"
    git(ws, "checkout", "-q", "-b", "side")
    path.write_text(path.read_text() + "git: {branch: side}\n")
    git(ws, "commit", "-q", "-am", "work on side")
    server.route("/fb.json", Reply(body=doc("Person B"), etag=True))
    assert run_once(ws, now=utc("2026-03-02T04:00"), run_all=True, send_email=False).commit
    git(ws, "checkout", "-q", "main")  # side abandoned; the server still says Person B
    server.requests.clear()
    result = run_once(ws, now=utc("2026-03-03T04:00"), run_all=True, send_email=False)
    assert "If-None-Match" not in server.requests[0][2]
    assert result.commit and result.sources[0].changed
    status = json.loads(cli(ws, "status", "--format", "json").stdout)
    assert (status[0]["status"], status[0]["current"]) == ("stale", "Person B")


def test_validators_stay_in_use_while_their_snapshot_is_the_committed_one(ws, server):
    run_once(ws, now=utc("2026-03-02T04:00"), run_all=True, send_email=False)
    assert server.requests[-1][2].get("If-None-Match")  # the first run's ETag, tied
    state = json.loads((ws / ".tracker" / "state.json").read_text())
    tied = state["sources"]["fb"]["validators_for"]
    assert tied == git(ws, "rev-parse", "HEAD:snapshots/fb.yaml")


def test_a_reset_that_drops_the_snapshot_commit_unties_its_validators(ws, server):
    before = git(ws, "rev-parse", "HEAD")
    server.route("/fb.json", Reply(body=doc("Person B"), etag=True))
    assert run_once(ws, now=utc("2026-03-02T04:00"), run_all=True, send_email=False).commit
    git(ws, "reset", "-q", "--hard", before)  # someone throws the run's commits away
    server.requests.clear()
    result = run_once(ws, now=utc("2026-03-03T04:00"), run_all=True, send_email=False)
    assert "If-None-Match" not in server.requests[0][2]
    assert result.sources[0].changed and not result.sources[0].not_modified


def test_a_run_killed_before_its_commit_leaves_untied_validators(ws, server):
    state_file = ws / ".tracker" / "state.json"
    state = json.loads(state_file.read_text())
    state["sources"]["fb"]["validators_for"] = None  # saved, never tied: died before commit
    state_file.write_text(json.dumps(state))
    server.requests.clear()
    run_once(ws, now=utc("2026-03-02T04:00"), run_all=True, send_email=False)
    assert "If-None-Match" not in server.requests[0][2]


# ---------------------------------------------------------------- git: settings


@pytest.mark.parametrize(
    "setting",
    [
        "branch: -x",
        "branch: '--upload-pack=x'",
        "branch: a..b",
        "branch: x.lock",
        "branch: 'x/'",
        "remote: '-o'",
        "remote: '--upload-pack=touch x'",
        "remote: a b",
        "timeout: 0",
    ],
)
def test_git_settings_git_would_misread_are_configuration_errors(tmp_path, setting):
    root = make_workspace(tmp_path / "ws", f"sources: {{}}\ngit:\n  {setting}\n")
    proc = cli(root, "run", "--no-email")
    assert proc.returncode == 2 and "feeds.yaml" in proc.stderr, proc.stderr
    assert git(root, "rev-list", "--count", "HEAD") == "1"
