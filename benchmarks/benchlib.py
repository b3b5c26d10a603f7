"""Shared helpers for the benchmarks: a feed server in its own process, and measuring a
command's wall time, CPU time (user + system, its children included) and peak RSS."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRACKER = ROOT / ".venv" / "bin" / "tracker"


@dataclass
class Cost:
    wall: float
    cpu: float
    rss_mb: float  # the largest resident set of the process or any child it waited for
    returncode: int
    stdout: str = ""

    def __str__(self) -> str:
        return f"wall {self.wall:6.2f}s  cpu {self.cpu:6.2f}s  peak RSS {self.rss_mb:5.0f} MB"


GNU_TIME = Path("/usr/bin/time")


def suite_workers() -> int:
    """The suite's pytest workers as scripts/test runs it (its TEST_WORKERS default): the
    suite benchmarks' default, so that they measure what CI runs."""
    found = re.search(r"TEST_WORKERS:-(\d+)", (ROOT / "scripts" / "test").read_text())
    if found is None:
        raise SystemExit("scripts/test names no TEST_WORKERS default")
    return int(found.group(1))


def machine_times() -> tuple[int, int]:
    """(all, idle) jiffies of this machine so far (Linux /proc/stat; idle includes iowait);
    (0, 0) where there is no such file."""
    try:
        line = Path("/proc/stat").read_text().split("\n", 1)[0]
    except OSError:
        return 0, 0
    fields = [int(f) for f in line.split()[1:]]
    return sum(fields), fields[3] + fields[4]


# A fixed pure-Python workload: its CPU time says how fast this machine runs Python right
# now (shared machines here vary by a fifth within an hour), so that figures measured at
# different times can be set side by side
PROBE = (
    "import time; t = time.process_time(); sum(i * i for i in range(6_000_000)); "
    "print(time.process_time() - t)"
)


def machine_probe(tries: int = 3) -> float:
    """CPU seconds of PROBE in a fresh interpreter, the best of `tries`."""
    times = []
    for _ in range(tries):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
        )
        times.append(float(out.stdout))
    return min(times)


# Every measured command is bounded: the longest (five years of nightly commits in
# unit.py) takes minutes, so this only ends a command that hangs.
MEASURE_TIMEOUT = 1800.0


def measure(
    cmd: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = MEASURE_TIMEOUT,
) -> Cost:
    """Run `cmd` to the end; its own rusage (not the whole benchmark's). Through GNU time
    when there is one: a child forked from this process counts this process's memory in
    its peak RSS until it execs (a benchmark holding 100 MB of test data would report at
    least 100 MB for `python -c pass`); time is small, and forks the command itself.
    Past `timeout` seconds the command and its children are killed (TimeoutExpired).
    What earlier steps wrote (a workspace made, feeds generated, the other tool's run) is
    flushed to disk first: no command pays for another's writeback."""
    os.sync()
    if GNU_TIME.exists():
        return _measure_via_time(cmd, cwd, env, timeout)
    start = time.perf_counter()
    proc = _spawn(cmd, cwd, env)
    with _Bound(proc, timeout):
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return Cost(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        proc.returncode,
        out.decode("utf-8", "replace"),
    )


def _measure_via_time(
    cmd: list[str], cwd: Path | None, env: dict[str, str] | None, timeout: float
) -> Cost:
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        proc = _spawn([str(GNU_TIME), "-q", "-o", report.name, "-f", "%x %U %S %M", *cmd], cwd, env)
        with _Bound(proc, timeout):
            out, _ = proc.communicate()
        wall = time.perf_counter() - start
        fields = report.read().split()[-4:]
    code, user, system, rss_kb = int(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])
    return Cost(wall, user + system, rss_kb / 1024, code, out.decode("utf-8", "replace"))


def _spawn(cmd: list[str], cwd: Path | None, env: dict[str, str] | None) -> subprocess.Popen:
    # a process group of its own: a bound that passes ends the command's children too
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, process_group=0
    )


class _Bound:
    """Kills `proc`'s process group when `timeout` passes, or when the benchmark itself
    is interrupted; raises TimeoutExpired once the killed command has been reaped."""

    def __init__(self, proc: subprocess.Popen, timeout: float) -> None:
        self.proc, self.timeout, self.fired = proc, timeout, False
        self.timer = threading.Timer(timeout, self._kill)
        self.timer.daemon = True

    def _kill(self) -> None:
        self.fired = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> "_Bound":
        self.timer.start()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.timer.cancel()
        if exc is not None:
            self._kill()  # interrupted: leave nothing running behind
            self.fired = False
        if self.fired:
            raise subprocess.TimeoutExpired(self.proc.args, self.timeout)


class FeedServer:
    """benchmarks/feedserver.py in a child process: `hosts` loopback addresses (sites)."""

    def __init__(self, root: Path, latency: float = 0.0, hosts: int = 1) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "feedserver.py"),
                "--root",
                str(root),
                "--latency",
                str(latency),
                "--hosts",
                str(hosts),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("READY"):
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise RuntimeError(f"feed server did not start: {line!r}")
        self.hosts = line.split()[1:]  # "127.0.0.n:port"

    def url(self, index: int, name: str) -> str:
        """Feed `index` on site `index % hosts` (with 1,000 feeds on 50 sites: 20 each)."""
        return f"http://{self.hosts[index % len(self.hosts)]}/{name}"

    def stats(self, reset: bool = False) -> dict[str, int]:
        path = "__reset" if reset else "__stats"
        with urllib.request.urlopen(f"http://{self.hosts[0]}/{path}") as reply:
            return json.loads(reply.read())

    def log(self) -> list[dict]:
        """The requests served since the last reset: what floor.py replays."""
        with urllib.request.urlopen(f"http://{self.hosts[0]}/__log") as reply:
            return json.loads(reply.read())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@contextmanager
def feed_server(root: Path, latency: float = 0.0, hosts: int = 1) -> Iterator[FeedServer]:
    server = FeedServer(root, latency, hosts)
    try:
        yield server
    finally:
        server.close()


def tracker(workspace: Path, *args: str) -> Cost:
    return measure([str(TRACKER), "-w", str(workspace), *args])


REPLAYED = ("Authorization", "If-None-Match", "If-Modified-Since", "Accept")


def local_requests(base: str, logged: list[tuple[str, str, dict[str, str]]]) -> list[dict]:
    """tests/support/server.py's request log as floor.py's requests (bodies are not
    logged: a POST is replayed without one, still one round trip)."""
    return [
        {
            "method": method,
            "url": base + path,
            "headers": {k: v for k, v in headers.items() if k in REPLAYED},
        }
        for method, path, headers in logged
    ]


def latency_floor(requests: list[dict], tries: int = 3) -> float:
    """floor.py's time for these requests (best of `tries`): the network latency floor
    of the run that made them."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json") as listing:
        json.dump(requests, listing)
        listing.flush()
        best = float("inf")
        for _ in range(tries):
            out = subprocess.run(
                [sys.executable, str(HERE / "floor.py"), listing.name],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
            best = min(best, json.loads(out.stdout)["seconds"])
    return best
