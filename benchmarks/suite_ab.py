#!/usr/bin/env python3
"""The whole test suite, variant against variant, interleaved in one run.

Each round runs `pytest -n W -q -p no:cacheprovider` once per variant, in turn, and takes
its wall time and CPU (the suite's processes and every child they waited for — the warm
`tracker` children of tests/support/zygote.py included, as the zygote is waited for at
exit). Variants: this checkout with scripts/test's workers, plus

  --base REV      the suite of another commit: a temporary git worktree with this
                  checkout's virtualenv and `../shared` beside it, as CI has
  --workers N     this checkout with N pytest workers (repeatable)
  --env NAME=VALUE  this checkout with an environment variable set (repeatable), e.g.
                  TRACKER_TEST_TEMPROOT=system: temporary folders in the system's temp
                  directory instead of a RAM folder (tests/support/temproot.py)

`--default-workers N` sets the workers of the first variant and of every `--base`
(scripts/test's default, read from it; 0 runs pytest without xdist, as the smoke test
does).

Prints each variant's medians and each against the first variant's. Rounds alternate
the variants, so a slow moment of this shared machine falls on all of them.

    .venv/bin/python benchmarks/suite_ab.py --base HEAD~3 [--rounds 2]
    .venv/bin/python benchmarks/suite_ab.py --workers 4 --rounds 3
    .venv/bin/python benchmarks/suite_ab.py --workers 1 tests/test_text_tidy.py  # a subset
    .venv/bin/python benchmarks/suite_ab.py --env TRACKER_TEST_TEMPROOT=system
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import ROOT, Cost, measure, suite_workers
from first_pass import worktree

SHARED = ROOT.parent / "shared"
WORKTREE_PREFIX = "tracker-suite-base-"  # not first_pass.py's: their smoke tests run at once


@dataclass
class Variant:
    name: str
    checkout: Path = ROOT
    workers: int = field(default_factory=suite_workers)
    costs: list[Cost] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def run(self, pytest_args: list[str]) -> Cost:
        command = [sys.executable, "-m", "pytest", "-n", str(self.workers), "-q"]
        # PYTHONPATH: child processes import this variant's tracker, not the virtualenv's
        env = {**os.environ, "PYTHONPATH": str(self.checkout), **self.env}
        cost = measure([*command, "-p", "no:cacheprovider", *pytest_args], self.checkout, env)
        if cost.returncode != 0:
            raise SystemExit(f"{self.name}: exit {cost.returncode}\n{cost.stdout[-3000:]}")
        return cost


def base_checkout(stack: ExitStack, rev: str, prefix: str = WORKTREE_PREFIX) -> Path:
    """`rev` in a worktree laid out as CI has it: `.venv` inside, `shared` beside."""
    checkout = stack.enter_context(worktree(rev, prefix=prefix))
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    if SHARED.is_dir():
        (checkout.parent / "shared").symlink_to(SHARED)
    return checkout


def report(variants: list[Variant]) -> None:
    print(f"\nthe whole suite, {len(variants[0].costs)} round(s):")
    first = variants[0].costs
    wall0 = statistics.median(c.wall for c in first)
    cpu0 = statistics.median(c.cpu for c in first)
    for variant in variants:
        walls = [c.wall for c in variant.costs]
        cpus = [c.cpu for c in variant.costs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"  {variant.name:24s} wall median {wall:6.1f} s ×{wall / wall0:.3f}  "
            f"cpu median {cpu:6.1f} s ×{cpu / cpu0:.3f}   "
            f"(wall {' '.join(f'{w:.1f}' for w in walls)}; cpu {' '.join(f'{c:.1f}' for c in cpus)})"
        )


def setting(text: str) -> tuple[str, str]:
    """`NAME=VALUE` of --env."""
    name, equals, value = text.partition("=")
    if not name or not equals:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", default=[], metavar="REV")
    parser.add_argument("--workers", action="append", default=[], type=int, metavar="N")
    parser.add_argument("--env", action="append", default=[], type=setting, metavar="NAME=VALUE")
    parser.add_argument("--default-workers", type=int, default=suite_workers(), metavar="N")
    parser.add_argument("--rounds", type=int, default=2)
    args, pytest_args = parser.parse_known_args()  # the rest goes to pytest (a subset)
    with ExitStack() as stack:
        default = args.default_workers
        variants = [Variant(f"this checkout, -n {default}", workers=default)]
        variants += [
            Variant(f"--base {rev}", base_checkout(stack, rev), default) for rev in args.base
        ]
        variants += [Variant(f"-n {n}", workers=n) for n in args.workers]
        variants += [
            Variant(f"{name}={value}", workers=default, env={name: value})
            for name, value in args.env
        ]
        for _ in range(args.rounds):
            for variant in variants:
                variant.costs.append(variant.run(pytest_args))
        report(variants)


if __name__ == "__main__":
    main()
