#!/usr/bin/env python3
"""Where the test suite's CPU goes: the whole suite (as scripts/test runs it, three
workers) with a pytest hook that records each test's CPU — its worker's and that of the
child processes it waited for — then the total and the files that take most.

    .venv/bin/python benchmarks/suite_cpu.py            # --top 10; extra args go to pytest
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = """
import os, resource, sys, time, pytest

def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

def _children():  # waited-for children, and the shared zygote's (tests/support/zygote.py)
    zygote = sys.modules.get("tests.support.zygote")
    warm = zygote.shared_children_cpu() if zygote is not None else 0.0
    return _cpu(resource.RUSAGE_CHILDREN) + warm

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    me, children = _cpu(resource.RUSAGE_SELF), _children()
    yield
    me, children = _cpu(resource.RUSAGE_SELF) - me, _children() - children
    with open(os.environ["SUITE_CPU_LOG"], "a") as log:
        log.write(f"{me:.3f}\\t{children:.3f}\\t{item.nodeid}\\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="suite-cpu-") as tmp:
        (Path(tmp) / "suite_cpu_plugin.py").write_text(PLUGIN)
        log = Path(tmp) / "cpu.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")])),
            "SUITE_CPU_LOG": str(log),
        }
        command = [sys.executable, "-m", "pytest", "-n", "3", "-q", "-p", "suite_cpu_plugin"]
        done = subprocess.run(
            [*command, "-p", "no:cacheprovider", *pytest_args], cwd=ROOT, env=env, timeout=3600
        )
        report(log.read_text().splitlines(), args.top)
    sys.exit(done.returncode)


def report(lines: list[str], top: int) -> None:
    by_file: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for line in lines:
        me, children, nodeid = line.split("\t", 2)
        entry = by_file[nodeid.split("::", 1)[0]]
        entry[0] += float(me)
        entry[1] += float(children)
        entry[2] += 1
    total = sum(me + children for me, children, _ in by_file.values())
    print(f"\n{len(lines)} tests, {total:.0f} s of CPU (workers and the children they waited for)")
    ranked = sorted(by_file.items(), key=lambda item: -(item[1][0] + item[1][1]))
    for path, (me, children, count) in ranked[:top]:
        print(
            f"  {me + children:6.1f} s  {100 * (me + children) / total:4.1f}%  "
            f"(worker {me:5.1f} s, children {children:5.1f} s)  {count:4d} tests  {path}"
        )


if __name__ == "__main__":
    main()
