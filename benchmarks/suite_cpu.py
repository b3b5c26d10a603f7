#!/usr/bin/env python3
"""Where the test suite's CPU goes: the whole suite (as scripts/test runs it, with its
workers) with a pytest hook that records each test's CPU — its worker's and that of the
child processes it waited for — and its wall time; then the totals, the files that take
most CPU, and the files that wait most (wall time not spent on a CPU: sleeps, timeouts,
servers, children that wait).

    .venv/bin/python benchmarks/suite_cpu.py            # --top 10; extra args go to pytest
    .venv/bin/python benchmarks/suite_cpu.py --workers 1 tests/test_config.py
    .venv/bin/python benchmarks/suite_cpu.py --top 5 --tests 20   # and the 20 costliest tests
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchlib import ROOT, machine_times, suite_workers

PLUGIN = """
import os, resource, sys, time, pytest

# This folder is on PYTHONPATH only for pytest and its workers to import this plugin; where
# the tests run, it comes off again, or every `tracker` child would start cold instead of
# as a fork of the warm helper (tests/support/zygote.py: a longer PYTHONPATH starts cold)
if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get("SUITE_CPU_NO_WORKERS"):
    os.environ["PYTHONPATH"] = os.environ["SUITE_CPU_PYTHONPATH"]
    if not os.environ["PYTHONPATH"]:
        del os.environ["PYTHONPATH"]

def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

def _children():  # waited-for children, and the shared zygote's (tests/support/zygote.py)
    zygote = sys.modules.get("tests.support.zygote")
    warm = zygote.shared_children_cpu() if zygote is not None else 0.0
    return _cpu(resource.RUSAGE_CHILDREN) + warm

def _forked():  # `tracker` processes the shared zygote forked (warm ones)
    zygote = sys.modules.get("tests.support.zygote")
    return zygote.shared_children_started() if zygote is not None else 0

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    me, children, forked = _cpu(resource.RUSAGE_SELF), _children(), _forked()
    wall = time.monotonic()
    yield
    me, children = _cpu(resource.RUSAGE_SELF) - me, _children() - children
    wall, forked = time.monotonic() - wall, _forked() - forked
    with open(os.environ["SUITE_CPU_LOG"], "a") as log:
        log.write(f"{me:.3f}\\t{children:.3f}\\t{wall:.3f}\\t{forked}\\t{item.nodeid}\\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="files in each table")
    parser.add_argument("--tests", type=int, default=0, help="also the N tests of most CPU")
    parser.add_argument(
        "--workers", type=int, default=suite_workers(), help="pytest workers (scripts/test's)"
    )
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="suite-cpu-") as tmp:
        (Path(tmp) / "suite_cpu_plugin.py").write_text(PLUGIN)
        log = Path(tmp) / "cpu.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")])),
            "SUITE_CPU_LOG": str(log),
            "SUITE_CPU_PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }
        workers = str(args.workers)
        if args.workers == 0:
            env["SUITE_CPU_NO_WORKERS"] = "1"
        command = [sys.executable, "-m", "pytest", "-n", workers, "-q", "-p", "suite_cpu_plugin"]
        before = machine_busy()
        done = subprocess.run(
            [*command, "-p", "no:cacheprovider", *pytest_args], cwd=ROOT, env=env, timeout=3600
        )
        busy = machine_busy() - before
        lines = log.read_text().splitlines()
        report(lines, args.top)
        report_tests(lines, args.tests)
    if busy > 0:
        # beyond the tests: pytest's start and collection, the warm helpers themselves,
        # processes that outlive their parent (the fork server of a killed run's parse
        # pool, its orphaned git), the kernel — and whatever else runs on this machine
        print(f"\nthe machine's CPUs were busy {busy:.0f} s over the whole run")
    sys.exit(done.returncode)


def report_tests(lines: list[str], top: int) -> None:
    """The `top` tests of most CPU (their worker's and their children's)."""
    if top <= 0:
        return
    costs = [(test.cpu, test.wall, nodeid) for nodeid, test in map(_parsed, lines)]
    print(f"\nthe {min(top, len(costs))} tests of most CPU")
    for cpu, in_test, nodeid in sorted(costs, reverse=True)[:top]:
        print(f"  {cpu:6.1f} s  (wall {in_test:5.1f} s)  {nodeid}")


def _parsed(line: str) -> tuple[str, FileCost]:
    """One test's log line: its node id and its cost (a FileCost of one test)."""
    me, children, in_test, warm_forks, nodeid = line.split("\t", 4)
    return nodeid, FileCost(float(me), float(children), float(in_test), 1, int(warm_forks))


def machine_busy() -> float:
    """CPU seconds all this machine's CPUs spent busy since boot (not idle, not iowait)."""
    total, idle = machine_times()
    return (total - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class FileCost:
    worker: float = 0.0
    children: float = 0.0
    wall: float = 0.0
    tests: int = 0
    forked: int = 0  # warm `tracker` processes

    @property
    def cpu(self) -> float:
        return self.worker + self.children

    @property
    def waiting(self) -> float:
        return max(0.0, self.wall - self.cpu)


def report(lines: list[str], top: int) -> None:
    by_file: dict[str, FileCost] = collections.defaultdict(FileCost)
    for nodeid, test in map(_parsed, lines):
        entry = by_file[nodeid.split("::", 1)[0]]
        entry.worker += test.worker
        entry.children += test.children
        entry.wall += test.wall
        entry.forked += test.forked
        entry.tests += 1
    cpu = sum(entry.cpu for entry in by_file.values())
    wall = sum(entry.wall for entry in by_file.values())
    waiting = sum(entry.waiting for entry in by_file.values())
    forked = sum(entry.forked for entry in by_file.values())
    print(f"\n{len(lines)} tests, {cpu:.0f} s of CPU (workers and the children they waited for)")
    print(f"{forked} tracker processes forked warm (tests/support/zygote.py)")
    for path, entry in _top(by_file, "cpu", top):
        print(
            f"  {entry.cpu:6.1f} s  {100 * entry.cpu / cpu:4.1f}%  (worker {entry.worker:5.1f} s, "
            f"children {entry.children:5.1f} s)  {entry.tests:4d} tests  {path}"
        )
    print(f"\n{wall:.0f} s in tests over all workers, {waiting:.0f} s of it not on a CPU")
    for path, entry in _top(by_file, "waiting", top):
        print(
            f"  {entry.waiting:6.1f} s waiting  (wall {entry.wall:5.1f} s, cpu {entry.cpu:5.1f} s)"
            f"  {entry.tests:4d} tests  {path}"
        )


def _top(by_file: dict[str, FileCost], measure: str, top: int) -> list[tuple[str, FileCost]]:
    """The `top` files with the most of `measure` (a FileCost attribute), most first."""
    return sorted(by_file.items(), key=lambda item: -getattr(item[1], measure))[:top]


if __name__ == "__main__":
    main()
