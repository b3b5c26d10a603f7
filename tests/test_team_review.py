"""Review commits hold only the review: `ack`/`accept` refuse while the report file has
uncommitted edits (staged or not, or the file is not tracked at all), and say how to commit
or stash them; the analyst's edits are left exactly as they were."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.conftest import make_workspace, utc
from tests.support.gitserver import git
from tests.support.server import Reply
from tracker.cli.app import app
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


def cli(root: Path, *args: str) -> SimpleNamespace:
    result = CliRunner().invoke(app, ["-w", str(root), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture
def ws(tmp_path, server) -> Path:
    body = json.dumps(
        {"Government": {"Executive branch": {"head of government": {"text": "Person B"}}}}
    ).encode()
    server.route("/fb.json", Reply(body=body))
    root = make_workspace(
        tmp_path / "ws",
        f"sources:\n  fb:\n    kind: factbook\n    url: {server.url('/fb.json')}\n",
        {"kz": REPORT},
    )
    run_once(root, now=utc("2026-03-01T04:00"), run_all=True, send_email=False)
    return root


def edit(root: Path) -> Path:
    path = root / "reports" / "kz.yaml"
    path.write_text(path.read_text() + "# analyst: check the spelling\n")
    return path


@pytest.mark.parametrize("command", ["ack", "accept"])
@pytest.mark.parametrize("staged", [False, True])
def test_review_refuses_while_the_report_has_uncommitted_edits(ws, command, staged):
    path = edit(ws)
    if staged:
        git(ws, "add", "reports/kz.yaml")
    text, head = path.read_text(), git(ws, "rev-parse", "HEAD")
    proc = cli(ws, command, "pm", "--now", "2026-03-02")
    assert proc.returncode == 4, proc.stderr
    assert "reports/kz.yaml has uncommitted changes" in proc.stderr
    assert "git commit reports/kz.yaml" in proc.stderr
    assert "git stash push reports/kz.yaml" in proc.stderr
    assert path.read_text() == text and git(ws, "rev-parse", "HEAD") == head
    assert git(ws, "diff", "--cached", "--name-only") == ("reports/kz.yaml" if staged else "")
    assert not (ws / ".tracker" / "run.holder.json").exists()


def test_after_committing_the_edit_the_review_commit_holds_only_the_review(ws):
    edit(ws)
    (ws / "notes.txt").write_text("unrelated, uncommitted\n")
    git(ws, "commit", "-q", "-am", "analyst: note")
    other = ws / "feeds.yaml"
    other.write_text(other.read_text() + "# unrelated edit\n")
    proc = cli(ws, "ack", "pm", "--note", "seen", "--now", "2026-03-02")
    assert proc.returncode == 0, proc.stderr
    assert git(ws, "show", "--name-only", "--format=", "HEAD") == "reports/kz.yaml"
    added = [
        line[1:].strip()
        for line in git(ws, "show", "-U0", "--format=", "HEAD").splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added and all(
        line.split(":")[0] in ("reviewed", "on", "value", "note") for line in added
    ), added
    assert git(ws, "status", "--porcelain") == "M feeds.yaml\n?? notes.txt"


def test_an_untracked_report_file_is_refused_too(ws):
    (ws / "reports" / "new.yaml").write_text(
        REPORT.replace("id: kz", "id: new").replace("id: pm", "id: pm2")
    )
    proc = cli(ws, "ack", "pm2", "--now", "2026-03-02")
    assert proc.returncode == 4 and "reports/new.yaml has uncommitted changes" in proc.stderr
    assert git(ws, "status", "--porcelain", "--", "reports/new.yaml") == "?? reports/new.yaml"
