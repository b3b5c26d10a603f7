#!/usr/bin/env python3
"""Where a command's time goes on this machine's cores: how busy the cores were while it
ran, and the CPU of every process it started.

Runs CMD; every `--every` seconds it reads the whole machine's busy share from
/proc/stat and the CPU times of CMD and each of its descendants (a process's last
reading counts: it may end between two). Prints the busy share per interval, then the
CPU of the processes grouped by command line (the parse workers, git, …) against the
command's wall time and the cores.

    .venv/bin/python benchmarks/busy.py -- .venv/bin/tracker -w WS run --all --no-email
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import time
from pathlib import Path

import psutil


def machine_times() -> tuple[int, int]:
    """(all, idle) jiffies of the machine so far."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def label(process: psutil.Process) -> str:
    words = process.cmdline()
    if not words:
        return process.name()
    name = Path(words[0]).name
    if "multiprocessing" in " ".join(words):  # the fork server and its workers
        return f"{name} (multiprocessing)"
    return " ".join([name, *words[1:2]])


def sample(root: psutil.Process, seen: dict[int, tuple[str, float]]) -> None:
    try:
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in family:
        try:
            times = process.cpu_times()
            seen[process.pid] = (label(process), times.user + times.system)
        except psutil.Error:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    start = time.perf_counter()
    before = machine_times()
    proc = subprocess.Popen(args.command, stdout=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    seen: dict[int, tuple[str, float]] = {}
    timeline = []
    while proc.poll() is None:
        sample(root, seen)
        time.sleep(args.every)
        now = machine_times()
        total, idle = now[0] - before[0], now[1] - before[1]
        before = now
        timeline.append((time.perf_counter() - start, 1 - idle / max(total, 1)))
    wall = time.perf_counter() - start
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"exit {proc.returncode}, wall {wall:.2f} s on {cores} cores")
    print("busy: " + "  ".join(f"{t:4.1f}s {share:4.0%}" for t, share in timeline))
    by_label: dict[str, list[float]] = collections.defaultdict(list)
    for name, cpu in seen.values():
        by_label[name].append(cpu)
    total_cpu = sum(sum(v) for v in by_label.values())
    print(f"CPU of the command's processes: {total_cpu:.2f} s ({total_cpu / wall:.2f} cores)")
    for name, cpus in sorted(by_label.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {sum(cpus):6.2f} s  {len(cpus):3d} process(es)  {name[:70]}")


if __name__ == "__main__":
    main()
