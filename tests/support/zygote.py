"""Warm `tracker` processes for tests: forks of one helper that imported the CLI once.

Most of a `python -m tracker.cli` child's CPU goes to the interpreter starting and importing
the package. A `Zygote` is one helper process that imports the CLI (and the modules a run
imports on its way) once, then forks one child per command. Each child is a real, separate
`tracker` process — its own pid, working directory, environment, standard streams, pool and
git children, killable like any other — that starts at the command line's `main()` with the
imports done. The zygote reaps its children and reports each exit code.

- `Zygote.start(args)` gives a `Child` with the part of `subprocess.Popen` the SIGKILL test
  uses (`pid`, `poll`, `wait`, `send_signal`, `returncode`);
- `run(command, ...)` is `subprocess.run` for `[sys.executable, "-m", "tracker.cli", ...]`
  with captured output, through one zygote per test process. It falls back to a real
  `subprocess.run` whenever the interpreter would not start the same way: another command
  line, a `PYTHON*` or locale variable that differs from the zygote's, more on
  `PYTHONPATH` than this repository.

Tests whose subject is the interpreter's start-up, pipes to a reader, or a terminal keep
real subprocesses.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parents[2])
TRACKER = [sys.executable, "-m", "tracker.cli"]
# What a run imports on its way: the CLI imports a command's modules when it runs it, and
# the run imports each stage's heavy parts (HTTP client, feed parser, git, templates) when
# it reaches that stage — in every child again, unless the zygote did it once.
RUN_MODULES = [
    "tracker.run.runner",
    "tracker.evaluate.news",
    "tracker.evaluate.findings",
    "tracker.evaluate.evaluation",
    "tracker.evaluate.extract",
    "tracker.evaluate.history",
    "tracker.evaluate.links",
    "tracker.digest.job",
    "tracker.digest.build",
    "tracker.digest.render:compile_templates",
    "tracker.fetch.client",
    "tracker.sources.acled",
    "tracker.sources.citations",
    "tracker.sources.factbook",
    "tracker.sources.rss",
    "tracker.sources.wikidata",
    "tracker.sources.worldbank",
    "tracker.store.lock",
    "tracker.store.staging",
    "tracker.store.yaml_codec",
    "apscheduler.triggers.cron",
    "feedparser",
    "git",
    "wcwidth",
]
# Variables that change how an interpreter starts: a request that sets them otherwise than
# the zygote had them gets a real subprocess.
_LOCALE = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")
_HARMLESS = {"PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}

# Makes a `tracker` process write its peak resident memory (VmHWM, kB) to the file `out`
# as it ends (`run(peak=...)`); the console script ends with os._exit, which skips atexit,
# so the figure is taken there too. Run in a zygote's child, or by MEASURED.
PEAK_HOOK = """
import atexit, os
def _peak(out=%r, _exit=os._exit):
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            open(out, 'w').write(line.split()[1])
    return _exit
atexit.register(_peak)
os._exit = lambda code: _peak()(code)
"""
# A real `tracker` process with the hook (its code is the first argument): for `peak=`
# where the zygote cannot be used.
MEASURED = "import sys\nexec(sys.argv.pop(1))\nfrom tracker.cli import main\nmain()\n"

# The zygote: one JSON request per line on stdin; answers {"pid": N} once forked and
# {"ended": N, "code": C} once that child ended. Children may overlap.
_SERVER = r"""
import importlib, json, os, select, sys
from tracker.cli.app import main

for name in sys.argv[1:]:  # a module, or module:function to call once imported
    module, _, call = name.partition(":")
    loaded = importlib.import_module(module)
    if call:
        getattr(loaded, call)()

PEAK_HOOK = @PEAK_HOOK@

def child(request):
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    for fd, path, flags in (
        (0, request["stdin"] or os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["tracker", *request["args"]]
    if request["peak"]:
        exec(PEAK_HOOK % request["peak"], {})
    main()  # ends the process with os._exit

def reap(children):
    while children:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        cpu = usage.ru_utime + usage.ru_stime  # its own and its waited-for children's
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"ended": pid, "code": code, "cpu": cpu}), flush=True)

children, pending = set(), b""
while True:
    ready, _, _ = select.select([0], [], [], 0.01 if children else None)
    reap(children)
    if not ready:
        continue
    data = os.read(0, 65536)
    if not data:
        break
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        pid = os.fork()
        if pid == 0:
            try:
                child(json.loads(line))
            finally:
                os._exit(70)
        children.add(pid)
        print(json.dumps({"pid": pid}), flush=True)
while children:  # end of input: wait for the last children
    select.select([], [], [], 0.01)
    reap(children)
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
        self.env = {**env, "PYTHONPATH": ROOT}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER.replace("@PEAK_HOOK@", repr(PEAK_HOOK)), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self.env,
        )
        self._forked: queue.Queue[int] = queue.Queue()
        self._codes: dict[int, queue.Queue[int]] = {}
        self._lock = threading.Lock()
        self._children: list[Child] = []
        # CPU seconds of the children that ended: no getrusage of the test process sees a
        # grandchild until the zygote itself is waited for
        self.children_cpu = 0.0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            if "ended" in message:
                with self._lock:
                    codes = self._codes.setdefault(message["ended"], queue.Queue())
                    self.children_cpu += message["cpu"]
                codes.put(message["code"])
            else:
                self._forked.put(message["pid"])

    def start(
        self,
        args: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | None = None,
        stdout: str = os.devnull,
        stderr: str = os.devnull,
        peak: str | None = None,
        timeout: float = 60,
    ) -> Child:
        """Fork a child running `tracker ARGS` (its streams: these files)."""
        request = {
            "args": list(args),
            "env": self.env if env is None else env,
            "cwd": cwd or os.getcwd(),
            "umask": _umask(),
            "stdin": stdin,
            "stdout": stdout,
            "stderr": stderr,
            "peak": peak,
        }
        assert self._proc.stdin is not None
        with self._lock:  # one request at a time: answers come in the order asked
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            try:
                pid = self._forked.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(f"the zygote forked nothing within {timeout} s") from None
            codes = self._codes.setdefault(pid, queue.Queue())
        child = Child(pid, codes)
        self._children.append(child)
        return child

    def close(self) -> None:
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.wait(30)
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(30)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


_BASE_ENV = dict(os.environ)  # as the test process started, before any test changed it
_shared: Zygote | None = None
_shared_lock = threading.Lock()


def shared() -> Zygote:
    """The zygote of this test process (started on first use, ended at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Zygote(_BASE_ENV)
            atexit.register(_shared.close)
        return _shared


def shared_children_started() -> int:
    """How many `tracker` processes the shared zygote forked so far (benchmarks/suite_cpu.py
    counts the warm ones)."""
    return len(_shared._children) if _shared is not None else 0


def shared_children_cpu() -> float:
    """CPU seconds of the shared zygote's children so far (benchmarks/suite_cpu.py adds
    them to the tests that ran them)."""
    return _shared.children_cpu if _shared is not None else 0.0


def warm(env: dict[str, str], zygote_env: dict[str, str]) -> bool:
    """Whether an interpreter started with `env` starts as the zygote did."""

    def starting(variables: dict[str, str]) -> dict[str, str]:
        return {
            key: value
            for key, value in variables.items()
            if (key.startswith("PYTHON") or key in _LOCALE) and key not in _HARMLESS
        }

    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != ROOT]
    return not extra and starting(env) == starting(zygote_env)


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    input: str | None = None,
    timeout: float | None = 120,
    peak: str | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(command, capture_output=True, text=True, ...)` for a `tracker`
    command, through the shared zygote when the child would start the same way."""
    env = dict(os.environ if env is None else env)
    zygote = shared() if command[:3] == TRACKER and _is_warmable(kwargs) else None
    if zygote is None or not warm(env, zygote.env):
        if peak is not None:
            command = [sys.executable, "-c", MEASURED, PEAK_HOOK % peak, *command[3:]]
        return subprocess.run(command, env=env, cwd=cwd, input=input, timeout=timeout, **kwargs)
    folder = Path(tempfile.mkdtemp(prefix="tracker-warm-"))
    try:
        streams = {name: str(folder / name) for name in ("stdout", "stderr")}
        stdin = None
        if input is not None:
            stdin = str(folder / "stdin")
            Path(stdin).write_text(input)
        child = zygote.start(
            command[3:], env=env, cwd=str(cwd) if cwd else None, stdin=stdin, peak=peak, **streams
        )
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            raise subprocess.TimeoutExpired(command, timeout or 0) from None
        out, err = (_read(Path(streams[name])) for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(command, code, out, err)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _is_warmable(kwargs: dict[str, Any]) -> bool:
    """Only captured text output: what `run` gives back."""
    captured = kwargs.get("capture_output") or (
        kwargs.get("stdout") is subprocess.PIPE and kwargs.get("stderr") is subprocess.PIPE
    )
    rest = set(kwargs) - {"capture_output", "stdout", "stderr", "text", "check"}
    return bool(captured and kwargs.get("text")) and not rest and not kwargs.get("check")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
