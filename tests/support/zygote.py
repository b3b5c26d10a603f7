"""A warm `tracker` for tests that start many short runs in a row (the SIGKILL test).

Most of a `tracker run` child's CPU before its first request is the interpreter starting
and importing the package. `Zygote()` is one helper process that imports the CLI (and the
modules a run imports on its way) once and then forks one child per command: each child is a real, separate `tracker` process (its
own pid, its own pool and git children, killable like any other) that starts at the
command line's `main()` with the imports already done. The zygote reaps each child and
reports its exit code; `Child` offers the part of `subprocess.Popen` the tests use (`pid`,
`poll`, `wait`, `send_signal`, `returncode`).

Only the start differs from `python -m tracker.cli`: tests whose subject is the
interpreter's start-up keep real subprocesses. One child at a time.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

# What a run imports on its way (the CLI imports a command's modules when it runs it).
RUN_MODULES = [
    "tracker.run.runner",
    "tracker.evaluate.news",
    "tracker.evaluate.findings",
    "tracker.digest.job",
    "tracker.store.yaml_codec",
]
# The zygote: one JSON request per line ({"args": [...], "env": {...}}), answered with
# {"pid": N} once forked and {"code": C} once that child ended.
_SERVER = r"""
import importlib, json, os, sys
from tracker.cli.app import main

for name in sys.argv[1:]:
    importlib.import_module(name)

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["tracker", *request["args"]]
        try:
            main()  # ends the process with os._exit
        finally:
            os._exit(70)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Child:
    """One forked `tracker` process, seen like a `subprocess.Popen`."""

    def __init__(self, pid: int, codes: queue.Queue[int]) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._codes = codes

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self._codes.get_nowait()
            except queue.Empty:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = self._codes.get(timeout=timeout)
            except queue.Empty:
                raise subprocess.TimeoutExpired(f"tracker (pid {self.pid})", timeout) from None
        return self.returncode

    def send_signal(self, signal: int) -> None:
        """As Popen's: nothing once the child has ended. The zygote reaps the child before
        its exit code reaches us, so a child that just ended is gone without a code yet."""
        if self.poll() is None:
            try:
                os.kill(self.pid, signal)
            except ProcessLookupError:
                pass


class Zygote:
    """`with Zygote(env) as zygote: child = zygote.start(args)` — see the module doc."""

    def __init__(self, env: dict[str, str], preload: list[str] = RUN_MODULES) -> None:
        self.env = env
        root = str(Path(__file__).resolve().parents[2])
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**env, "PYTHONPATH": root},
        )
        self._lines: queue.Queue[dict[str, int]] = queue.Queue()
        self._codes: queue.Queue[int] = queue.Queue()
        self._child: Child | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            if "code" in message:
                self._codes.put(message["code"])
            else:
                self._lines.put(message)

    def start(self, args: list[str], timeout: float = 60) -> Child:
        """Fork a child running `tracker ARGS` (the previous one must have ended)."""
        if self._child is not None:
            self._child.wait(timeout)
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"args": args, "env": self.env}) + "\n")
        self._proc.stdin.flush()
        try:
            pid = self._lines.get(timeout=timeout)["pid"]
        except queue.Empty:
            raise RuntimeError(f"the zygote forked nothing within {timeout} s") from None
        self._child = Child(pid, self._codes)
        return self._child

    def close(self) -> None:
        if self._child is not None and self._child.returncode is None:
            self._child.send_signal(9)
            self._child.wait(30)
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(30)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
