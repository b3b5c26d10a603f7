"""benchmarks/benchlib.measure: every measured command is bounded in time, and a command
past its bound is ended with all its children (through GNU time or without it)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import benchlib  # noqa: E402

HANGS = [
    sys.executable,
    "-c",
    "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)",
]


@pytest.fixture(params=["GNU time", "no GNU time"])
def via(request, monkeypatch):
    if request.param == "GNU time" and not benchlib.GNU_TIME.exists():
        pytest.skip(f"{benchlib.GNU_TIME} is not installed")
    if request.param == "no GNU time":
        monkeypatch.setattr(benchlib, "GNU_TIME", Path("/nonexistent/time"))
    return request.param


# Busy until it has used 50 ms of CPU: GNU time reports CPU in hundredths of a second, and
# a bare interpreter's start-up alone may be reported as 0.00 on a fast machine.
BUSY = "import time\nwhile time.process_time() < 0.05: pass\nprint('measured')"


def test_a_command_is_measured_with_its_output(via):
    cost = benchlib.measure([sys.executable, "-c", BUSY])
    assert cost.returncode == 0 and cost.stdout.strip() == "measured"
    assert cost.wall > 0 and cost.cpu > 0 and cost.rss_mb > 0


@pytest.mark.waits
def test_a_command_past_its_bound_is_ended_with_its_children(via):
    before = {p.pid for p in psutil.process_iter()}
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        benchlib.measure(HANGS, timeout=1)
    assert time.monotonic() - start < 30
    deadline = time.monotonic() + 10
    while True:
        left = [
            p
            for p in psutil.process_iter(["cmdline", "status"])
            if p.pid not in before
            and p.info["cmdline"] == ["sleep", "60"]
            and p.info["status"] != psutil.STATUS_ZOMBIE
        ]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, "the command's child lives on"


def test_the_suite_benchmarks_run_the_suite_with_scripts_tests_workers():
    script = (benchlib.ROOT / "scripts" / "test").read_text()
    assert script.count("TEST_WORKERS:-") == 1  # one default, read by benchlib
    assert f"WORKERS=${{TEST_WORKERS:-{benchlib.suite_workers()}}}" in script
    assert script.count('pytest -n "$WORKERS"') == 2  # a subset and the whole suite


def test_the_machine_probe_is_the_cpu_time_of_its_fixed_workload():
    probe = benchlib.machine_probe(tries=1)
    assert 0 < probe < 60
