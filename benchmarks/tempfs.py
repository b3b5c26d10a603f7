#!/usr/bin/env python3
"""What a new file or folder costs in the system's temp directory against a RAM folder.

The test suite makes and removes tens of thousands of files and folders; its temporary
folders go under a RAM file system when there is one with room (tests/support/temproot.py).
This measures why, on the machine it runs on: the CPU (user + system) of making N folders,
N empty files, N files of 500 bytes, reading them back and removing the lot, in a fresh
folder of each place, interleaved over the rounds (best round of each). Prints each
operation's cost per item in each place and the ratio of the two.

    .venv/bin/python benchmarks/tempfs.py                      # system temp vs /dev/shm
    .venv/bin/python benchmarks/tempfs.py --items 500 --rounds 1 --ram /some/tmpfs
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.temproot import RAM_FOLDERS  # noqa: E402

Step = Callable[[Path, int], None]


def make_folders(folder: Path, items: int) -> None:
    for number in range(items):
        (folder / f"d{number}").mkdir()


def make_empty_files(folder: Path, items: int) -> None:
    for number in range(items):
        (folder / f"e{number}").touch()


def write_files(folder: Path, items: int) -> None:
    for number in range(items):
        (folder / f"w{number}").write_bytes(b"x" * 500)


def read_files(folder: Path, items: int) -> None:
    for number in range(items):
        (folder / f"w{number}").read_bytes()


STEPS: dict[str, Step] = {
    "mkdir": make_folders,
    "create an empty file": make_empty_files,
    "create + write 500 B": write_files,
    "read 500 B back": read_files,
}


def one_round(place: Path, items: int) -> dict[str, float]:
    """CPU seconds per item of each step, and of removing everything, in a fresh folder."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-tempfs-", dir=place))
    costs: dict[str, float] = {}
    try:
        for name, step in STEPS.items():
            start = time.process_time()
            step(folder, items)
            costs[name] = (time.process_time() - start) / items
    finally:
        start = time.process_time()
        shutil.rmtree(folder)
        costs["remove it all"] = (time.process_time() - start) / (3 * items)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--disk", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--ram", type=Path, default=RAM_FOLDERS[0])
    args = parser.parse_args()
    if not args.ram.is_dir():
        raise SystemExit(f"tempfs.py: {args.ram} is not a folder here")
    best: dict[Path, dict[str, float]] = {args.disk: {}, args.ram: {}}
    for _ in range(args.rounds):
        for place, kept in best.items():  # interleaved: a slow moment falls on both
            for name, cost in one_round(place, args.items).items():
                kept[name] = min(cost, kept.get(name, cost))
    disk, ram = best[args.disk], best[args.ram]
    print(f"CPU per item, best of {args.rounds} round(s) of {args.items}:")
    print(f"  {'':22s} {str(args.disk):>14s} {str(args.ram):>14s}   ratio")
    for name in disk:
        ratio = disk[name] / ram[name] if ram[name] else float("inf")
        print(f"  {name:22s} {disk[name] * 1e6:11.0f} µs {ram[name] * 1e6:11.0f} µs   ×{ratio:.1f}")


if __name__ == "__main__":
    main()
