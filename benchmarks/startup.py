#!/usr/bin/env python3
"""Start-up cost: `tracker --help`, and `tracker run` with nothing due, against a baseline
measured in the same run (`python -c pass`: the interpreter alone).

    .venv/bin/python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import TRACKER, measure  # noqa: E402


def best(cmd: list[str], repeat: int, cwd: Path | None = None) -> float:
    return min(measure(cmd, cwd=cwd).wall for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        workspace = tmp / "ws"
        subprocess.run([str(TRACKER), "init", str(workspace)], check=True, capture_output=True)
        (workspace / "feeds.yaml").write_text("sources: {}\n")  # nothing is ever due
        (workspace / "reports" / "example.yaml").unlink()
        baseline = best([sys.executable, "-c", "pass"], args.repeat)
        helps = best([str(TRACKER), "--help"], args.repeat)
        idle = best([str(TRACKER), "-w", str(workspace), "run", "--no-email"], args.repeat)
        print(f"python -c pass (baseline):       {baseline:.2f} s")
        print(f"tracker --help:                  {helps:.2f} s   ratio {helps / baseline:.1f}x")
        print(f"tracker run, nothing due:        {idle:.2f} s   ratio {idle / baseline:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
