"""status / ack / accept through the CLI; report files keep comments and order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.cli import tracker
from tests.support.data import factbook_version
from tests.support.zygote import run as warm_run
from tests.test_findings import FINDING_KEYS
from tracker.run.runner import run_once
from tracker.store.git import GitStore

REPORT = """\
# The brief's facts. This comment must survive reviews.
report:
  id: kz
  title: Kazakhstan   # trailing comment
facts:
  - id: population
    section: Population
    footnote: 1
    claim: About 20.26 million people.
    expect: 20260006   # as printed in the report
    source: fb
    path: [[People and Society, Population, total], [People and Society, Population, text]]
    extract: number
    tolerance: 0.5%
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
"""


@pytest.fixture
def ws(workspace, server):
    server.route("/kz.json", body=factbook_version("2026-01-22"))
    root = workspace(
        f"sources:\n  fb:\n    kind: factbook\n    url: {server.url('/kz.json')}\n", {"kz": REPORT}
    )
    run_once(root, now=utc("2026-01-23T04:00"), run_all=True)
    return root


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return tracker(root, *args)  # in this process: these tests are about the commands


def cli_process(root: Path, *args: str) -> subprocess.CompletedProcess:
    """A real `tracker` process, for what takes two processes (the run lock)."""
    return warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *args],
        capture_output=True,
        text=True,
    )


def status(root: Path) -> dict:
    proc = cli(root, "status", "--format", "json", "--now", "2026-01-24")
    assert proc.returncode == 0, proc.stderr
    return {row["fact"]: row for row in json.loads(proc.stdout)}


def test_status_json_shape(ws):
    rows = status(ws)
    assert set(rows["population"]) == FINDING_KEYS  # the shape README documents
    assert rows["population"]["status"] == "stale"
    assert rows["population"]["current"] == 20432662
    assert rows["population"]["path"] == ["People and Society", "Population", "total"]
    assert rows["head-of-government"]["status"] == "current"


def test_ack_silences_this_value_and_keeps_comments(ws):
    proc = cli(
        ws, "ack", "population", "--note", "report keeps the 2024 figure", "--now", "2026-01-24"
    )
    assert proc.returncode == 0, proc.stderr
    text = (ws / "reports" / "kz.yaml").read_text()
    assert "# The brief's facts. This comment must survive reviews." in text
    assert "# trailing comment" in text and "# as printed in the report" in text
    assert "reviewed:" in text and "report keeps the 2024 figure" in text
    assert text.index("id: population") < text.index("id: head-of-government")
    assert status(ws)["population"]["status"] == "acknowledged"
    log = GitStore(ws).repo.head.commit.message
    assert "kz/population" in log


def test_accept_adopts_the_current_value(ws):
    proc = cli(ws, "accept", "kz/population", "--now", "2026-01-24")
    assert proc.returncode == 0, proc.stderr
    text = (ws / "reports" / "kz.yaml").read_text()
    assert "expect: 20432662" in text and "# as printed in the report" in text
    assert status(ws)["population"]["status"] == "current"
    assert not subprocess.run(
        ["git", "-C", str(ws), "status", "--porcelain", "reports"], capture_output=True, text=True
    ).stdout.strip()


def test_unknown_fact_is_a_clear_error(ws):
    proc = cli(ws, "history", "nonexistent")
    assert proc.returncode == 2 and "nonexistent" in proc.stderr and "kz/population" in proc.stderr


def test_init_creates_a_working_workspace(tmp_path):
    proc = cli(tmp_path, "init", str(tmp_path / "new"))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "new"
    assert (root / "feeds.yaml").exists() and (root / ".git").is_dir()
    assert ".tracker/" in (root / ".gitignore").read_text()
    assert cli(root, "status", "--format", "json").returncode == 0
    again = cli(tmp_path, "init", str(root))
    assert again.returncode == 2 and "already" in again.stderr


# ------------------------------------------------------------------ reviews and the run lock


def test_ack_and_digest_send_wait_for_a_run_and_never_write_beside_it(ws):
    """ack/accept/digest --send commit: while a run holds the workspace they are refused
    (exit 75, naming the holder) and change nothing; after it, ack works."""
    from tracker.store.lock import RunLock

    with (ws / "feeds.yaml").open("a") as feeds:  # digest --send needs somewhere to send
        feeds.write(
            "email:\n  smtp: {host: 127.0.0.1, port: 1, security: plain}\n"
            "  from: tracker@example.org\n  to: [analyst@example.org]\n"
        )
    report = (ws / "reports" / "kz.yaml").read_text()
    head = GitStore(ws).head()
    with RunLock(ws, started=utc("2026-01-24T04:00")):
        for args in (["ack", "population"], ["accept", "population"], ["digest", "--send"]):
            proc = cli_process(ws, *args, "--now", "2026-01-24")
            assert proc.returncode == 75, (args, proc.stderr)
            assert "locked by pid" in proc.stderr and "--wait" in proc.stderr
    assert (ws / "reports" / "kz.yaml").read_text() == report and GitStore(ws).head() == head
    proc = cli_process(ws, "ack", "population", "--now", "2026-01-24", "--wait", "5")
    assert proc.returncode == 0, proc.stderr
    assert status(ws)["population"]["status"] == "acknowledged"


def test_a_review_after_a_dead_run_repairs_first_and_keeps_no_stale_note(ws):
    from tracker.store.lock import HOLDER_FILE

    holder = ws / ".tracker" / HOLDER_FILE
    holder.write_text('{"pid": 999999, "host": "gone", "started": null}')  # a run died
    litter = ws / "snapshots" / ".fb.yaml.x1y2.tmp"
    litter.write_text("half a snapshot")
    snapshot = ws / "snapshots" / "fb.yaml"
    committed = snapshot.read_text()
    snapshot.write_text(committed + "written: but never committed\n")
    # another process: this one's git helpers (GitPython's, still open) are no dead run's
    proc = cli_process(ws, "ack", "population", "--now", "2026-01-24")
    assert proc.returncode == 0, proc.stderr
    assert not litter.exists() and snapshot.read_text() == committed  # the run's repairs
    assert not holder.exists()


def test_a_refused_command_inside_the_lock_ends_it_cleanly(tmp_path):
    """clean_on: a TrackerError is a refusal, not a crash — no holder note is left for the
    next run to 'repair'; any other exception keeps it."""
    from tracker.errors import ConfigError, TrackerError
    from tracker.store.lock import HOLDER_FILE, RunLock

    holder = tmp_path / ".tracker" / HOLDER_FILE
    with pytest.raises(ConfigError), RunLock(tmp_path, clean_on=(TrackerError,)):
        raise ConfigError("no such fact")
    assert not holder.exists()
    with pytest.raises(ValueError), RunLock(tmp_path, clean_on=(TrackerError,)):
        raise ValueError("a crash")
    assert holder.exists()
