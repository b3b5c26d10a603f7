#!/usr/bin/env python3
"""Is the whole suite green N times in a row? Full runs one after the other, on a commit.

Each run is `pytest -n W -q -p no:cacheprovider` (scripts/test's suite) in a temporary git
worktree of REV laid out as CI has it (`.venv` of this checkout inside, `../shared` beside:
suite_ab.py's layout), so what is measured is the committed code, not this checkout's
edits. Prints each run's exit code, its pytest summary and wall time, and the machine
probe measured just before it (benchlib.machine_probe: CPU seconds of a fixed piece of
Python — the machine's speed of the moment, to set runs of different hours side by side),
then how many were green; exits 1 when any was not. A failing run's last lines are printed too.

    .venv/bin/python benchmarks/suite_repeat.py --runs 10            # HEAD, ten runs
    .venv/bin/python benchmarks/suite_repeat.py --rev HEAD~1 --runs 3
    .venv/bin/python benchmarks/suite_repeat.py --runs 2 tests/test_text_tidy.py  # a subset
    .venv/bin/python benchmarks/suite_repeat.py --probe-tries 1 ...   # probe: best of 1, not 3
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import ExitStack

from benchlib import machine_probe, measure, suite_workers
from suite_ab import base_checkout

WORKTREE_PREFIX = "tracker-suite-repeat-"  # its own: the smoke tests of both may run at once


def summary(output: str) -> str:
    """pytest's last line: `1,773 passed in 126.69s`, or what there is."""
    found = re.findall(r"\d+ (?:passed|failed|error)[^\n=]*", output)
    return found[-1].strip() if found else "(no pytest summary)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=suite_workers(), metavar="N")
    parser.add_argument("--probe-tries", type=int, default=3, metavar="N", help="probe: best of N")
    args, pytest_args = parser.parse_known_args()  # the rest goes to pytest (a subset)
    green = 0
    with ExitStack() as stack:
        checkout = base_checkout(stack, args.rev, WORKTREE_PREFIX)
        env = {**os.environ, "PYTHONPATH": str(checkout)}  # its children import its tracker
        command = [sys.executable, "-m", "pytest", "-n", str(args.workers), "-q"]
        for number in range(1, args.runs + 1):
            probe = machine_probe(
                args.probe_tries
            )  # between runs: how fast the machine is right now
            cost = measure([*command, "-p", "no:cacheprovider", *pytest_args], checkout, env)
            green += cost.returncode == 0
            print(
                f"run {number}: exit {cost.returncode}, {summary(cost.stdout)}, "
                f"wall {cost.wall:.1f} s, probe {probe:.3f} s",
                flush=True,
            )
            if cost.returncode != 0:
                print("\n".join(cost.stdout.splitlines()[-15:]), flush=True)
    print(f"{green} of {args.runs} run(s) green on {args.rev}")
    sys.exit(0 if green == args.runs else 1)


if __name__ == "__main__":
    main()
