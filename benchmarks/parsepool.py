#!/usr/bin/env python3
"""Does the parse pool pay? N feeds parsed in-process vs by the worker pool, same run.

Each measurement runs in a fresh process (as a `tracker run` would): the modules are
imported first, then the clock starts; the pool's time includes starting its fork server
and workers. N documents of poll.py's 20-item RSS are parsed through the run's own path
(`ParsePool.parse`, i.e. normalize + merge + canonical YAML + diff), all submitted at
once as a run's replies would arrive. Prints the wall time of both and the ratio
pool / in-process for each N: below 1 the pool pays. `run.pool_threshold` (48) is set
from where it starts to pay on 2 cores.

    .venv/bin/python benchmarks/parsepool.py [--sizes 16 32 48 96 200 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def child(mode: str, count: int, workers: int | None) -> float:
    from poll import feed

    from tracker.config import RssOptions
    from tracker.models import RawDocument
    from tracker.run.parse import Parsed, ParseJob
    from tracker.run.pool import ParsePool

    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    options = RssOptions(kind="rss", url="http://127.0.0.1/")
    jobs = [
        ParseJob(
            f"feed{i:04d}",
            options,
            RawDocument(
                feed(i).encode(),
                f"http://127.0.0.1/{i}",
                now,
                {"content-type": "application/rss+xml"},
            ),
        )
        for i in range(count)
    ]
    pool = ParsePool(workers=0 if mode == "in-process" else workers, threshold=0)

    async def parse_all() -> list:
        return await asyncio.gather(*(pool.parse(job) for job in jobs))

    start = time.perf_counter()
    try:
        results = asyncio.run(parse_all())
    finally:
        pool.close()
    wall = time.perf_counter() - start
    assert all(isinstance(r, Parsed) for r in results)
    assert mode == "in-process" or pool.in_pool == count, "the pool did not parse them"
    return wall


def measure(mode: str, count: int, workers: int | None) -> float:
    args = [sys.executable, __file__, "--child", mode, str(count)]
    if workers is not None:
        args += ["--workers", str(workers)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 48, 96, 200, 1000])
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="pool size (default: the run's default, one per core)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="best of this many")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(child(args.child[0], int(args.child[1]), args.workers))
        return
    from tracker.run.pool import default_workers

    workers = args.workers if args.workers is not None else default_workers()
    print(f"pool of {workers} worker(s); best of {args.repeat}")
    for count in args.sizes:
        inline = min(measure("in-process", count, workers) for _ in range(args.repeat))
        pooled = min(measure("pool", count, workers) for _ in range(args.repeat))
        print(
            f"{count:5d} feeds: in-process {inline:6.2f} s  pool {pooled:6.2f} s  "
            f"ratio pool/in-process {pooled / inline:.2f}"
        )


if __name__ == "__main__":
    main()
