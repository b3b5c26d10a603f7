#!/usr/bin/env python3
"""The collector settings of a one-command process (tracker/cli/heap.py), measured: the
same unchanged pass over poll.py's 1,000 feeds by the console script, and by the console
script's own steps without `heap.one_command()` (Python's collector defaults), one after
the other, `--passes` times each. Prints every pass and the means, and the ratio.

    .venv/bin/python benchmarks/collector.py             # --feeds 1000 --passes 10
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchlib import TRACKER, Cost, feed_server, measure
from poll import tracker_workspace, write_feeds

# tracker/cli/app.py's main() without heap.one_command(): parse, run, flush, os._exit
WITHOUT = (
    "import logging, os, sys\n"
    "from tracker.cli import core\n"
    "from tracker.cli.app import app\n"
    "code = core.run(app)\n"
    "logging.shutdown()\n"
    "sys.stdout.flush(); sys.stderr.flush()\n"
    "os._exit(code)\n"
)
PYTHON = TRACKER.parent / "python"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="collector-"))
    try:
        served = tmp / "served"
        names = write_feeds(served, args.feeds)
        with feed_server(served, args.latency, 50) as server:
            ws = tmp / "ws"
            tracker_workspace(ws, [server.url(i, name) for i, name in enumerate(names)])
            command = ["-w", str(ws), "run", "--all", "--no-email", "--format", "json"]
            print("first pass", measure([str(TRACKER), *command]), flush=True)
            costs: dict[str, list[Cost]] = {"console script": [], "Python's defaults": []}
            for n in range(args.passes):  # interleaved: the machine's load hits both alike
                for label, argv in (
                    ("console script", [str(TRACKER), *command]),
                    ("Python's defaults", [str(PYTHON), "-c", WITHOUT, *command]),
                ):
                    cost = measure(argv)
                    assert cost.returncode == 0, cost.stdout[-2000:]
                    costs[label].append(cost)
                    print(f"  pass {n + 1:2d} {label:18s} {cost}", flush=True)
        report(costs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(costs: dict[str, list[Cost]]) -> None:
    means = {
        label: (statistics.mean(c.wall for c in runs), statistics.mean(c.cpu for c in runs))
        for label, runs in costs.items()
    }
    for label, (wall, cpu) in means.items():
        print(
            f"{label:18s} mean wall {wall:5.2f} s  cpu {cpu:5.2f} s  ({len(costs[label])} passes)"
        )
    (wall_on, cpu_on), (wall_off, cpu_off) = means.values()
    print(
        f"ratio console script / defaults: wall {wall_on / wall_off:.3f}, cpu {cpu_on / cpu_off:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())
