#!/usr/bin/env python3
"""What bounds an all-304 pass? The same unchanged pass with 1, 2, 3 and 4 shards.

Serves N RSS feeds (poll.py's generator) from feedserver.py in its own process, makes a
first pass, then times `run_once` in this process for the unchanged pass with the shard
count forced, and prints each against one shard, measured in the same run.

    .venv/bin/python benchmarks/shards.py [--feeds 1000] [--latency 0.2] [--server-processes 2]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from benchlib import FeedServer  # noqa: E402
from poll import feed, tracker_workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--server-processes", type=int, default=1,
                        help="split the 50 simulated sites over this many server processes")
    args = parser.parse_args()

    import tracker.run.parallel as parallel
    from tracker.run.runner import run_once

    tmp = Path(tempfile.mkdtemp(prefix="bench-shards-"))
    try:
        folder = tmp / "feeds"
        folder.mkdir()
        for i in range(args.feeds):
            (folder / f"f{i}.xml").write_text(feed(i))
        servers = [FeedServer(folder, args.latency, 50 // args.server_processes)
                   for _ in range(args.server_processes)]
        try:
            ports = [port for server in servers for port in server.ports]
            workspace = tmp / "ws"
            tracker_workspace(workspace, [f"http://127.0.0.1:{ports[i % len(ports)]}/f{i}.xml"
                                          for i in range(args.feeds)], 300)
            now = datetime(2026, 11, 22, tzinfo=timezone.utc)
            run_once(workspace, now=now, run_all=True, send_email=False)
            base = None
            for shards in (1, 2, 3, 4):
                parallel.shard_count = lambda n, workers=None, s=shards: s
                start = time.perf_counter()
                run_once(workspace, now=now, run_all=True, send_email=False)
                wall = time.perf_counter() - start
                base = base or wall
                print(f"{shards} shard(s): unchanged pass {wall:5.2f} s   "
                      f"ratio to 1 shard {wall / base:.2f}")
        finally:
            for server in servers:
                server.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
