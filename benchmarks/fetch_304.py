#!/usr/bin/env python3
"""Requests per CPU-second of an all-304 polling loop: the one client (aiohttp) against the
client it replaced (httpx over an aiohttp transport, `git show cac63f3:tracker/fetch/…`),
measured in the same run against the same server, and the ratio printed.

The old client needs httpx, which the project no longer depends on: it runs in a scratch
virtualenv (made on first use, `--scratch`) that sees the project's packages through a
.pth file and adds only httpx. The server is a minimal asyncio process answering every
request with a keep-alive 304, on `--hosts` ports (one pool per host, as in a real run).

    .venv/bin/python benchmarks/fetch_304.py [--requests 6000] [--rounds 3] [--rev cac63f3]

CPU time is the client process's own (time.process_time), so other load on the machine
moves wall time, not the ratio; each client runs `--rounds` times, alternating, best kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_REV = "cac63f3"  # the last commit with the httpx client (tracker/fetch/aio_transport.py)

SERVER = textwrap.dedent("""
    import asyncio, sys
    ANSWER = b'HTTP/1.1 304 Not Modified\\r\\nETag: "v1"\\r\\nServer: bench\\r\\n\\r\\n'
    class Answer(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""
        def data_received(self, data):
            self.buffer += data
            n = self.buffer.count(b"\\r\\n\\r\\n")
            if n:
                self.buffer = self.buffer.rsplit(b"\\r\\n\\r\\n", 1)[1]
                self.transport.write(ANSWER * n)
    async def main(hosts):
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(Answer, "127.0.0.1", 0) for _ in range(hosts)]
        ports = [s.sockets[0].getsockname()[1] for s in servers]
        print("READY", *ports, flush=True)
        await asyncio.Event().wait()
    asyncio.run(main(int(sys.argv[1])))
""")

# Run in a child: `import_line` makes Http (and HttpConfig) importable, the loop polls.
CLIENT = textwrap.dedent("""
    import asyncio, json, sys, time
    {import_line}
    from tracker.config import HttpConfig
    ports, total, concurrency = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    urls = [f"http://127.0.0.1:{{p}}/feed{{i}}.xml" for p in ports for i in range(20)]
    async def main():
        async with Http(HttpConfig(retries=0, concurrency=concurrency)) as http:
            validators = {{"etag": '"v1"'}}
            for url in urls:  # warm: pools, imports, caches
                await http.get(url, validators=validators)
            queue = [urls[i % len(urls)] for i in range(total)]
            async def worker():
                while queue:
                    reply = await http.get(queue.pop(), validators=validators)
                    assert reply.not_modified
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = asyncio.run(main())
    print(json.dumps({{"cpu": cpu, "wall": wall}}))
""")

NEW_IMPORT = "from tracker.fetch.client import Http"
OLD_IMPORT = "sys.path.insert(0, {old!r}); from old_fetch.client import Http"


def old_client(rev: str, folder: Path) -> Path:
    """The replaced client's two modules from git, importable as `old_fetch`."""
    package = folder / "old_fetch"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for name in ("client.py", "aio_transport.py"):
        text = subprocess.run(
            ["git", "show", f"{rev}:tracker/fetch/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (package / name).write_text(
            text.replace("tracker.fetch.aio_transport", "old_fetch.aio_transport")
        )
    return folder


def scratch_python(folder: Path) -> Path:
    """A virtualenv with httpx that also sees this project's installed packages."""
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "httpx>=0.27", "sniffio"], check=True
        )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(site.stdout.strip(), "project.pth").write_text(
        f"{ROOT}\n{sysconfig.get_paths()['purelib']}\n"
    )
    return python


def run_client(
    python: Path, import_line: str, ports: list[int], total: int, concurrency: int
) -> dict[str, float]:
    code = CLIENT.format(import_line=import_line)
    done = subprocess.run(
        [str(python), "-c", code, json.dumps(ports), str(total), str(concurrency)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--rev", default=OLD_REV, help="git revision holding the old client")
    parser.add_argument(
        "--scratch", type=Path, default=Path(tempfile.gettempdir()) / "report-tracker-bench-httpx"
    )
    args = parser.parse_args()

    old = old_client(args.rev, args.scratch / "old")
    old_python = scratch_python(args.scratch / "venv")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.hosts)], stdout=subprocess.PIPE, text=True
    )
    try:
        ports = [int(p) for p in server.stdout.readline().split()[1:]]  # type: ignore[union-attr]
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for name, python, line in (
                ("old (httpx + aiohttp transport)", old_python, OLD_IMPORT.format(old=str(old))),
                ("new (aiohttp)", Path(sys.executable), NEW_IMPORT),
            ):
                cost = run_client(python, line, ports, args.requests, args.concurrency)
                if name not in best or cost["cpu"] < best[name]["cpu"]:
                    best[name] = cost
    finally:
        server.kill()
        server.wait()
    print(
        f"all-304 loop: {args.requests} requests, {args.hosts} hosts, "
        f"{args.concurrency} in flight, best of {args.rounds}"
    )
    for name, cost in best.items():
        print(
            f"  {name:34} {args.requests / cost['cpu']:8.0f} requests/CPU-s "
            f"({cost['cpu'] / args.requests * 1e6:.0f} µs each), wall {cost['wall']:.2f} s"
        )
    (old_name, old_cost), (new_name, new_cost) = best.items()
    print(f"ratio new/old requests per CPU-second: {old_cost['cpu'] / new_cost['cpu']:.2f}x")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
