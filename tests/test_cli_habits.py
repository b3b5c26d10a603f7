"""CLI habits (issue 17): -w anywhere, --version, -q/-v, run output for cron (timestamped,
silent when nothing was due) or --log-file, progress only on a terminal, files with the
user's umask."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_fixtures import BEKTENOV, SMAILOV, cli, make, tracker
from tracker.version import __version__

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z ")


@pytest.fixture
def root(tmp_path, server) -> Path:
    return make(tmp_path, server)


def test_workspace_before_or_after_the_subcommand(root, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    before = cli("-w", str(root), "status", "--now", "2026-01-21")
    after = cli("status", "-w", str(root), "--now", "2026-01-21")
    last = cli("status", "--now", "2026-01-21", "--workspace", str(root))
    assert before.code == after.code == last.code == 0, after.err
    assert before.out == after.out == last.out and "population" in before.out
    monkeypatch.setenv("TRACKER_WORKSPACE", str(root))
    assert cli("status", "--now", "2026-01-21").out == before.out
    nowhere = cli("-w", str(root), "status", "-w", str(root / "nowhere"))
    assert nowhere.code == 2 and "nowhere" in nowhere.err  # the later one wins


def test_version():
    outcome = cli("--version")
    assert outcome.code == 0 and outcome.out == f"tracker {__version__}\n"
    proc = tracker("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"tracker {__version__}"


def test_cron_run_prints_one_timestamped_line_and_nothing_when_nothing_is_due(root, server):
    server.route("/kz.json", body=BEKTENOV)
    changed = cli("-w", str(root), "run", "--all", "--no-email", "--now", "2026-01-22T07:00")
    assert changed.code == 0, changed.err
    lines = changed.out.splitlines()
    assert len(lines) == 1 and STAMP.match(lines[0]), lines
    assert "run: 2 source(s) fetched; changed: fb; commit " in lines[0]
    assert "facts: " in lines[0]
    (root / "feeds.yaml").write_text(
        (root / "feeds.yaml")
        .read_text()
        .replace("    timeout: 5\n", '    timeout: 5\n    schedule: "0 4 * * 1"\n')
    )
    nothing = cli("-w", str(root), "run", "--now", "2026-01-22T07:10")
    assert nothing.code == 0 and nothing.out == "" and nothing.err == ""
    verbose = cli("-w", str(root), "run", "-v", "--now", "2026-01-22T07:15")
    assert "Nothing due." in verbose.out and STAMP.match(verbose.out)


def test_failures_are_lines_of_their_own_and_quiet_keeps_only_them(root, server):
    server.route("/feed.xml", status=500)
    server.route("/kz.json", body=BEKTENOV)
    loud = cli("-w", str(root), "run", "--all", "--no-email", "--now", "2026-01-22T07:00", "-v")
    assert loud.code == 3
    lines = loud.out.splitlines()
    assert all(STAMP.match(line) for line in lines)
    assert any("✗ news: " in line and "HTTP 500" in line for line in lines)
    assert any("✓ fb: " in line for line in lines) and lines[-1].split(" ", 1)[1].startswith("run:")
    server.route("/kz.json", body=SMAILOV)
    quiet = cli("-w", str(root), "run", "--all", "-q", "--no-email", "--now", "2026-01-23T07:00")
    assert quiet.code == 3
    assert [line.split(" ", 1)[1].split(":")[0] for line in quiet.out.splitlines()] == ["✗ news"]


def test_log_file(root, server, tmp_path):
    log = tmp_path / "run.log"
    server.route("/kz.json", body=BEKTENOV)
    outcome = cli(
        "-w",
        str(root),
        "run",
        "--all",
        "--no-email",
        "--log-file",
        str(log),
        "--now",
        "2026-01-22T07:00",
    )
    assert outcome.code == 0 and outcome.out == "" and outcome.err == ""
    written = log.read_text().splitlines()
    assert len(written) == 1 and STAMP.match(written[0]) and "run: " in written[0]
    failed = cli("-w", str(root / "nowhere"), "status", "--log-file", str(log))
    assert failed.code == 2 and failed.err.startswith("error: ")  # errors: stderr too
    assert "feeds.yaml not found" in log.read_text().splitlines()[-1]


def on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the console script on a pseudo-terminal; → exit code, output without colours."""
    import pty

    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child ended and closed its side
            break
        if not chunk:
            break
        output += chunk
    os.close(primary)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", output.decode("utf-8", "replace"))
    return proc.wait(timeout=120), text


def test_a_terminal_run_says_what_happened(root, server):
    """On a terminal: a line per source, the commit, the facts; no timestamps."""
    server.route("/kz.json", body=BEKTENOV)
    code, text = on_a_terminal(
        "-w", str(root), "run", "--all", "--no-email", "--now", "2026-01-22T07:00"
    )
    assert code == 0, text
    assert "✓ fb: " in text and "commit: " in text and "facts: " in text
    assert not STAMP.search(text.splitlines()[0])


def test_a_progress_bar_on_a_terminal_only(tmp_path):
    from tests.cli_fixtures import geos
    from tests.conftest import make_workspace

    root = make_workspace(
        tmp_path / "fresh",
        "sources:\n  fb:\n    kind: factbook\n    url: http://127.0.0.1:9/kz.json\n",
        {"kz": "report: {id: kz}\nfacts: []\n"},
    )
    folder = tmp_path / "archive"
    folder.mkdir()
    for month in range(1, 7):
        (folder / f"2025-0{month}-01.json").write_bytes(geos(f"PM {month}", f"{1000 + month}"))
    code, text = on_a_terminal("-w", str(root), "backfill", "fb", "--dir", str(folder))
    assert code == 0, text
    assert "backfill fb" in text and "6/6" in text  # the bar, drawn then cleared
    (folder / "2025-07-01.json").write_bytes(geos("PM 7", "1007"))
    piped = tracker("-w", str(root), "backfill", "fb", "--dir", str(folder))
    assert piped.returncode == 0, piped.stderr
    assert "backfill fb" not in piped.stdout + piped.stderr and "━" not in piped.stderr


def test_ack_quiet_prints_nothing(root):
    outcome = cli("-w", str(root), "ack", "population", "-q", "--now", "2026-01-21")
    assert outcome.code == 0 and outcome.out == "", outcome.err


def test_files_follow_the_umask_and_secrets_stay_private(tmp_path, server, monkeypatch):
    """Under umask 022: feeds.yaml, reports, snapshots and digests 0644 (a web server or a
    colleague can read the digests); ACLED's token and row caches 0600."""
    from tests.conftest import make_workspace, utc
    from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event
    from tracker.run.runner import run_once

    monkeypatch.setenv("ACLED_USERNAME", USERNAME)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    acled = FakeAcled(server)
    acled.rows = [event("KAZ0001", "2025-02-01", "Protests", "Peaceful protest")]
    server.route("/kz.json", body=BEKTENOV)
    feeds = feeds_with_acled(server, acled.base)
    previous = os.umask(0o022)
    try:
        root = make_workspace(tmp_path / "ws", feeds, {"kz": "report: {id: kz}\nfacts: []\n"})
        result = run_once(root, now=utc("2026-01-10T07:00"), run_all=True, send_email=False)
        init = cli("init", str(tmp_path / "fresh"))
    finally:
        os.umask(previous)
    assert not result.failed and result.digests and init.code == 0, result.failed
    modes = {
        p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    public = [p for p in modes if p.split("/")[0] in ("snapshots", "digests")]
    assert len(public) == 4, modes  # two snapshots, the digest as text and HTML
    assert {p: modes[p] for p in public if modes[p] != 0o644} == {}
    secrets = [p for p in modes if p.startswith(".tracker/acled/")]
    assert secrets and {p: modes[p] for p in secrets if modes[p] != 0o600} == {}
    fresh = tmp_path / "fresh"
    for rel in ("feeds.yaml", "reports/example.yaml", ".gitignore"):
        assert stat.S_IMODE((fresh / rel).stat().st_mode) == 0o644, rel


def feeds_with_acled(server, base: str) -> str:
    return f"""\
sources:
  fb:
    kind: factbook
    url: {server.url("/kz.json")}
  acled-kz:
    kind: acled
    url: {base}
    country: Kazakhstan
    since: 2025-01-01
    credentials: {{username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}}
digest:
  schedule: "0 6 * * *"
  send_when_empty: true
http:
  retries: 0
"""


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stream_that_cannot_encode_the_text_gets_it_escaped(encoding):
    """An ASCII or Latin-1 locale, or PYTHONIOENCODING: text the stream cannot encode (the
    kinds' `—`) is written escaped, JSON as JSON escapes (the same data) — never a
    UnicodeEncodeError reported as a bug."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    table = tracker("kinds", env=env)
    assert table.returncode == 0, table.stderr
    assert "\\u2014" in table.stdout and "—" not in table.stdout
    as_json = tracker("kinds", "--format", "json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout.isascii()
    utf8 = tracker("kinds", "--format", "json")
    assert "—" in utf8.stdout  # the text that needed escaping
    assert json.loads(as_json.stdout) == json.loads(utf8.stdout)
