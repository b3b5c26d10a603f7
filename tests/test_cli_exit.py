"""The console script ends with os._exit once a command is done (interpreter teardown was
~0.2 s of a run): output must still arrive whole, and exit codes must be the commands'."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def tracker(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args], capture_output=True, text=True, **kw
    )


def test_output_arrives_whole_through_a_pipe(tmp_path: Path):
    assert tracker("init", str(tmp_path / "ws")).returncode == 0
    proc = tracker("-w", str(tmp_path / "ws"), "status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)  # complete JSON: every buffered byte was flushed
    assert rows and all("status" in row for row in rows)
    kinds = tracker("kinds")
    lines = kinds.stdout.rstrip().splitlines()
    assert kinds.returncode == 0
    assert any(line.startswith("wikidata:") for line in lines)
    assert any(line.startswith("worldbank:") for line in lines)


def test_exit_codes_are_the_commands(tmp_path: Path):
    assert tracker("--help").returncode == 0
    missing = tracker("-w", str(tmp_path / "nowhere"), "status")
    assert missing.returncode == 2 and "feeds.yaml not found" in missing.stderr
    unknown = tracker("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_a_reader_that_goes_away_gets_no_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `tracker --help | head -0`
    assert proc.wait(timeout=60) in (0, 1)
    assert b"Traceback" not in proc.stderr.read()
