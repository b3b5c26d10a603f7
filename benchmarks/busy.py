#!/usr/bin/env python3
"""Where a command's time goes on this machine's cores: how busy the cores were while it
ran, and the CPU of every process it started.

Runs CMD; every `--every` seconds it reads the whole machine's busy share from
/proc/stat and the CPU times of CMD and each of its descendants (a process's last
reading counts: it may end between two). Prints the busy share per interval, then the
CPU (user and system) of the processes grouped by command line (the parse workers,
git, …) against the command's wall time and the cores.

    .venv/bin/python benchmarks/busy.py --first-pass 1000    # a first pass, as poll.py's
    .venv/bin/python benchmarks/busy.py -- CMD [ARGS]        # any command
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, poll: beside this file

from benchlib import machine_times  # noqa: E402


def label(process: psutil.Process) -> str:
    words = process.cmdline()
    if not words:
        return process.name()
    name = Path(words[0]).name
    if "multiprocessing" in " ".join(words):  # the fork server and its workers
        return f"{name} (multiprocessing)"
    return " ".join([name, *words[1:2]])


def sample(root: psutil.Process, seen: dict[int, tuple[str, float, float]]) -> None:
    try:
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in family:
        try:
            times = process.cpu_times()
            name = label(process)
            if process.pid in seen and not process.cmdline():  # ended: keep what it ran
                name = seen[process.pid][0]
            seen[process.pid] = (name, times.user, times.system)
        except psutil.Error:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples")
    parser.add_argument(
        "--first-pass",
        type=int,
        metavar="N",
        help="instead of CMD: a first `tracker run --all` over N new served feeds "
        "(poll.py's feeds, hosts and latency; a fresh workspace with the defaults)",
    )
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()
    if args.first_pass:
        with first_pass_command(args.first_pass) as command:
            watch(command, args.every)
    elif args.command:
        watch(args.command, args.every)
    else:
        parser.error("give CMD or --first-pass N")


@contextmanager
def first_pass_command(feeds: int) -> Iterator[list[str]]:
    from benchlib import TRACKER, feed_server
    from poll import tracker_workspace, write_feeds

    with tempfile.TemporaryDirectory(prefix="busy-") as tmp:
        names = write_feeds(Path(tmp) / "served", feeds)
        with feed_server(Path(tmp) / "served", 0.2, 50) as server:
            workspace = Path(tmp) / "ws"
            tracker_workspace(workspace, [server.url(i, n) for i, n in enumerate(names)])
            os.sync()  # the feeds and workspace just written: not this command's writeback
            yield [str(TRACKER), "-w", str(workspace), "run", "--all", "--no-email"]


def watch(command: list[str], every: float) -> None:
    start = time.perf_counter()
    before = machine_times()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    seen: dict[int, tuple[str, float, float]] = {}
    timeline = []
    while proc.poll() is None:
        sample(root, seen)
        time.sleep(every)
        now = machine_times()
        total, idle = now[0] - before[0], now[1] - before[1]
        before = now
        timeline.append((time.perf_counter() - start, 1 - idle / max(total, 1)))
    wall = time.perf_counter() - start
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"exit {proc.returncode}, wall {wall:.2f} s on {cores} cores")
    print("busy: " + "  ".join(f"{t:4.1f}s {share:4.0%}" for t, share in timeline))
    by_label: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    for name, user, system in seen.values():
        by_label[name].append((user, system))
    total_cpu = sum(u + k for v in by_label.values() for u, k in v)
    print(f"CPU of the command's processes: {total_cpu:.2f} s ({total_cpu / wall:.2f} cores)")
    for name, times in sorted(by_label.items(), key=lambda kv: -sum(u + k for u, k in kv[1])):
        user, system = sum(u for u, _ in times), sum(k for _, k in times)
        print(
            f"  {user + system:6.2f} s (user {user:5.2f}, system {system:5.2f})  "
            f"{len(times):3d} process(es)  {name[:60]}"
        )


if __name__ == "__main__":
    main()
