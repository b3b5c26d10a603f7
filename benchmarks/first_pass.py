#!/usr/bin/env python3
"""A first pass over many new feeds, variant against variant, interleaved in one run.

The same served feeds as poll.py (1,000 feeds of 20 items on 50 loopback hosts, 200 ms
latency); each round, for each variant in turn, a fresh workspace and one
`tracker run --all --no-email`. Variants: this checkout with its defaults, plus

  --base REV           the tracker of another commit (a temporary git worktree, run
                       through PYTHONPATH with this checkout's virtualenv)
  --variant YAML       this checkout with YAML appended to feeds.yaml (repeatable),
                       e.g. --variant 'run: {parse_workers: 3}'

Prints each variant's median and best wall time and each median against the first
variant's (this checkout, defaults). Rounds alternate the variants, so a slow moment of
this shared machine falls on all of them.

    .venv/bin/python benchmarks/first_pass.py --base HEAD~2 [--rounds 6] [--feeds 1000]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from benchlib import ROOT, TRACKER, Cost, feed_server, measure
from poll import served_feed_options, tracker_workspace, write_feeds

sys.path.insert(0, str(ROOT))


@dataclass
class Variant:
    name: str
    extra: str = ""  # YAML appended to feeds.yaml
    pythonpath: Path | None = None  # another checkout's tracker
    costs: list[Cost] = field(default_factory=list)

    def env(self) -> dict[str, str] | None:
        if self.pythonpath is None:
            return None
        return {**os.environ, "PYTHONPATH": str(self.pythonpath)}


@contextmanager
def worktree(rev: str, prefix: str = "tracker-base-") -> Iterator[Path]:
    """`rev` checked out in a temporary folder named `prefix…`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        path = Path(tmp) / "checkout"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(path), rev],
            check=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                check=False,
            )


def first_pass(variant: Variant, urls: list[str], workspace: Path) -> Cost:
    tracker_workspace(workspace, urls, variant.extra)
    cost = measure(
        [str(TRACKER), "-w", str(workspace), "run", "--all", "--no-email"],
        env=variant.env(),
    )
    if cost.returncode != 0:
        raise SystemExit(f"{variant.name}: exit {cost.returncode}\n{cost.stdout[-3000:]}")
    return cost


def report(variants: list[Variant], feeds: int) -> None:
    print(f"\nfirst pass over {feeds} new feeds, {len(variants[0].costs)} round(s), wall:")
    baseline = statistics.median(c.wall for c in variants[0].costs)
    for variant in variants:
        walls = [c.wall for c in variant.costs]
        median = statistics.median(walls)
        print(
            f"  {variant.name:40s} median {median:6.2f} s  best {min(walls):6.2f} s  "
            f"×{median / baseline:.3f}   ({' '.join(f'{w:.2f}' for w in walls)})"
        )


def main() -> None:
    parser = served_feed_options(__doc__.splitlines()[0], rounds=6)
    parser.add_argument("--base", action="append", default=[], metavar="REV")
    parser.add_argument("--variant", action="append", default=[], metavar="YAML")
    args = parser.parse_args()
    with ExitStack() as stack:
        variants = [Variant("this checkout")]
        for rev in args.base:
            checkout = stack.enter_context(worktree(rev))
            variants.append(Variant(f"--base {rev}", pythonpath=checkout))
        variants += [Variant(f"--variant {extra}", extra=extra) for extra in args.variant]
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="first-pass-")))
        served = tmp / "served"
        names = write_feeds(served, args.feeds)
        server = stack.enter_context(feed_server(served, args.latency, args.hosts))
        urls = [server.url(i, name) for i, name in enumerate(names)]
        for n in range(args.rounds):
            for k, variant in enumerate(variants):
                variant.costs.append(first_pass(variant, urls, tmp / f"ws-{n}-{k}"))
        report(variants, args.feeds)


if __name__ == "__main__":
    main()
