"""The parse pool's fork server dies with the run that launched it, also while it is still
importing the parser (tracker/run/fork_server_guard.py): a run killed then left it
importing alone, a few tenths of a second of CPU per kill, before it noticed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tracker.run.fork_server_guard import OWNER_VARIABLE
from tracker.run.pool import ParsePool, fork_server_preload

# Stands for the fork server: imports the guard, says so, then "imports" for a minute.
SERVER = (
    "import tracker.run.fork_server_guard, time\nprint('guarded', flush=True)\ntime.sleep(60)\n"
)


def start_owner() -> tuple[subprocess.Popen[str], psutil.Process]:
    """An owner process that launches SERVER the way the pool launches its fork server:
    its own pid in OWNER_VARIABLE; the owner's and the server's output on one pipe."""
    owner_code = textwrap.dedent(f"""
        import os, subprocess, sys, time
        os.environ[{OWNER_VARIABLE!r}] = str(os.getpid())
        server = subprocess.Popen([sys.executable, "-c", {SERVER!r}])
        print(server.pid, flush=True)
        time.sleep(60)
    """)
    owner = subprocess.Popen([sys.executable, "-c", owner_code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    server = psutil.Process(int(owner.stdout.readline()))
    assert owner.stdout.readline().strip() == "guarded"
    return owner, server


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_fork_server_still_importing_dies_with_its_owner():
    owner, server = start_owner()
    try:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        server.wait(timeout=10)  # without the guard: the rest of its minute
    finally:
        owner.kill()
        if server.is_running():
            server.kill()


def test_a_fork_server_whose_owner_went_before_the_guard_exits_at_once():
    """The owner is not (or no longer) its parent: gone before the prctl applied."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = subprocess.run(
        [sys.executable, "-c", SERVER],
        env={**os.environ, OWNER_VARIABLE: str(gone.pid)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 1 and "guarded" not in out.stdout


def test_without_an_owner_the_guard_does_nothing():
    """Imported anywhere but in a fork server the pool launched (e.g. by a tool)."""
    env = {k: v for k, v in os.environ.items() if k != OWNER_VARIABLE}
    code = "import tracker.run.fork_server_guard; print('alive')"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and out.stdout == "alive\n"


def launched_environ(server: psutil.Process) -> dict[str, str]:
    """The server's environment once it has exec'd: the pool does not wait for it, and
    before the exec /proc shows the forked copy's (this process's first environment)."""
    deadline = time.monotonic() + 10
    while "forkserver" not in " ".join(server.cmdline()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.environ()


def test_the_pool_names_itself_owner_of_the_server_it_launches_and_no_other_process():
    assert fork_server_preload()[0] == "tracker.run.fork_server_guard"  # before the parser
    pool = ParsePool(workers=1, threshold=0)
    try:
        pool.expect(1)
        import multiprocessing.forkserver

        server = psutil.Process(multiprocessing.forkserver._forkserver._forkserver_pid)
        assert launched_environ(server)[OWNER_VARIABLE] == str(os.getpid())
        assert OWNER_VARIABLE not in os.environ  # git and the rest do not inherit it
    finally:
        pool.close()
