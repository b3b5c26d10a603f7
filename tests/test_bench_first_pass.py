"""benchmarks/first_pass.py end to end on a few feeds (a smoke test: no timings checked)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def benchmark(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """benchmarks/SCRIPT ARGS from the repository's root, its output captured (its
    temporary files, and the numbered folders of a pytest it starts, under the suite's
    TMPDIR: tests/conftest.py)."""
    command = [sys.executable, str(ROOT / "benchmarks" / script), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_first_pass_compares_variants_interleaved():
    """benchmarks/first_pass.py end to end on a few feeds: this checkout, another commit
    (a temporary worktree, removed afterwards) and a setting, each with its ratio."""
    worktrees = temporary_worktrees("/tracker-base-")
    out = benchmark(
        "first_pass.py",
        *("--feeds", "3", "--hosts", "2", "--latency", "0", "--rounds", "1"),
        *("--base", "HEAD", "--variant", "run: {parse_workers: 0}"),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(line.strip().startswith("this checkout") and "×1.000" in line for line in lines)
    assert any("--base HEAD" in line and "×" in line for line in lines)
    assert any("parse_workers: 0" in line and "×" in line for line in lines)
    assert temporary_worktrees("/tracker-base-") == worktrees  # the checkout is gone


def test_busy_reports_the_cores_and_every_process_of_a_command():
    child = "sum(range(3 * 10**6))"
    command = [
        sys.executable,
        "-c",
        f"import subprocess, sys; {child}; subprocess.run([sys.executable, '-c', {child!r}])",
    ]
    out = benchmark("busy.py", "--every", "0.05", "--", *command)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("exit 0, wall") and lines[1].startswith("busy: ")
    assert "CPU of the command's processes" in lines[2]
    assert any("2 process(es)" in line for line in lines[3:]), out.stdout  # it and its child


def test_busy_runs_a_first_pass_of_its_own():
    out = benchmark("busy.py", "--first-pass", "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("exit 0, wall") and "tracker" in out.stdout


def temporary_worktrees(marker: str) -> list[str]:
    """The repository's worktrees whose path holds `marker` (each benchmark has its own:
    the smoke tests of two of them may run at once)."""
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    )  # porcelain: the human listing pads its columns to the longest path of the moment
    lines = listed.stdout.splitlines()
    paths = [line.removeprefix("worktree ") for line in lines if line.startswith("worktree ")]
    return [path for path in paths if marker in path]


@pytest.mark.slow
def test_suite_ab_compares_variants_of_a_subset_interleaved():
    worktrees = temporary_worktrees("/tracker-suite-base-")
    out = benchmark(
        "suite_ab.py",
        # -n 0 for the extra variant too: xdist's start is no part of what is checked here
        *("--base", "HEAD", "--default-workers", "0", "--workers", "0", "--rounds", "1"),
        *("--env", "TRACKER_TEST_TEMPROOT=system"),
        "tests/test_text_tidy.py",
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    rows = [line for line in out.stdout.splitlines() if "wall median" in line]
    names = ["this", "--base", "-n", "TRACKER_TEST_TEMPROOT=system"]
    assert [row.split()[0] for row in rows] == names
    assert "×1.000" in rows[0]
    assert temporary_worktrees("/tracker-suite-base-") == worktrees  # the checkout is gone


def test_suite_repeat_runs_a_subset_again_and_again_on_a_commit():
    worktrees = temporary_worktrees("/tracker-suite-repeat-")
    out = benchmark(
        "suite_repeat.py",
        *("--runs", "2", "--workers", "0", "--probe-tries", "1"),
        "tests/test_text_tidy.py",
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert [line.split(",")[0] for line in lines[:2]] == ["run 1: exit 0", "run 2: exit 0"]
    assert all("2 passed" in line for line in lines[:2])
    assert all(re.search(r", probe \d+\.\d{3} s$", line) for line in lines[:2]), lines
    assert lines[-1] == "2 of 2 run(s) green on HEAD"
    assert temporary_worktrees("/tracker-suite-repeat-") == worktrees  # the checkout is gone


def test_suite_cpu_sees_the_tracker_processes_forked_warm_as_in_a_plain_run():
    """Its plugin's folder on PYTHONPATH must not reach the tests: there it would make every
    `tracker` child a cold process instead of a fork of the warm helper."""
    out = benchmark(
        "suite_cpu.py",
        *("--workers", "1", "--top", "1"),
        "tests/test_config.py::test_cli_exits_2_and_writes_nothing",
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "\n1 tests, " in out.stdout, out.stdout
    assert "\n1 tracker processes forked warm" in out.stdout, out.stdout
    assert re.search(r"the machine's CPUs were busy \d+ s over the whole run", out.stdout)


def test_suite_cpu_ranks_the_files_by_cpu_and_by_waiting(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import suite_cpu

    suite_cpu.report(
        [
            "1.000\t2.000\t3.500\t2\ttests/test_busy.py::test_a",  # 3 s CPU, 0.5 s waiting
            "0.500\t0.000\t0.600\t0\ttests/test_busy.py::test_b[x::y]",
            "0.100\t0.000\t4.100\t1\ttests/test_sleepy.py::test_c",  # 4 s waiting
        ],
        top=5,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    cpu_table, wait_table = lines[2:4], lines[6:8]
    assert lines[0] == "3 tests, 4 s of CPU (workers and the children they waited for)"
    assert lines[1] == "3 tracker processes forked warm (tests/support/zygote.py)"
    assert "3.5 s" in cpu_table[0] and cpu_table[0].endswith("2 tests  tests/test_busy.py")
    assert cpu_table[1].endswith("tests/test_sleepy.py")
    assert lines[5] == "8 s in tests over all workers, 5 s of it not on a CPU"
    assert "4.0 s waiting" in wait_table[0] and wait_table[0].endswith("tests/test_sleepy.py")
    assert "0.6 s waiting" in wait_table[1]


def test_suite_cpu_lists_the_tests_of_most_cpu(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import suite_cpu

    log = [
        "1.000\t2.000\t3.500\t2\ttests/test_busy.py::test_a",
        "0.500\t0.000\t0.600\t0\ttests/test_busy.py::test_b[x::y]",
        "0.100\t0.000\t4.100\t1\ttests/test_sleepy.py::test_c",
    ]
    suite_cpu.report_tests(log, 2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "the 2 tests of most CPU"
    assert lines[1].split() == ["3.0", "s", "(wall", "3.5", "s)", "tests/test_busy.py::test_a"]
    assert lines[2].endswith("tests/test_busy.py::test_b[x::y]") and len(lines) == 3
    suite_cpu.report_tests(log, 0)  # the default: no list
    assert capsys.readouterr().out == ""


def test_nodelay_compares_the_server_with_and_without_tcp_nodelay():
    out = benchmark("nodelay.py", "--requests", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("without TCP_NODELAY") and "(the baseline)" in lines[0]
    assert lines[1].startswith("with TCP_NODELAY") and "×" in lines[1]


def test_tempfs_compares_the_cost_of_new_files_in_two_places(tmp_path):
    disk, ram = tmp_path / "disk", tmp_path / "ram"
    disk.mkdir(), ram.mkdir()
    out = benchmark(
        "tempfs.py", *("--items", "50", "--rounds", "2", "--disk", str(disk), "--ram", str(ram))
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "CPU per item, best of 2 round(s) of 50:"
    for step in ("mkdir", "create an empty file", "create + write 500 B", "read 500 B back"):
        row = rf"  {re.escape(step)} +\d+ µs +\d+ µs +×(?:[\d.]+|inf)$"
        assert any(re.match(row, line) for line in lines), out.stdout
    assert list(disk.iterdir()) == list(ram.iterdir()) == []  # its folders removed
    missing = benchmark("tempfs.py", "--ram", str(tmp_path / "absent"))
    assert missing.returncode == 1 and "is not a folder here" in missing.stderr
