"""Staging files while a writer is still writing others.

`git add` of many new files is mostly the kernel creating one object file per blob: left
to the commit, it is a wait at the end of every run that changed many sources, with the
other core idle. A Stager hands each path, as soon as it is written, to one
`git update-index --add -z --stdin` process, which hashes and stores the blob at once.

It only moves work earlier: what it has surely staged (`indexed`: every path, once git
ended well) the commit need not `git add` again; anything else the commit stages itself,
so a Stager that fails costs time, never a file. Its one line is logged at INFO (shown
with -v): what is really wrong, the commit reports. A run killed meanwhile leaves git to
finish on end of input; the next writer's recovery waits for it and puts the uncommitted
files back, as for any write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import subprocess
import threading
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.store.git import GitStore

log = logging.getLogger(__name__)

CLOSE_WAIT = 60.0  # seconds for git to store what it was given once input ends
WRITE_WAIT = 10.0  # seconds a path may wait for room in git's input
ERROR_TAIL = 2000  # bytes of git's messages kept for the one line


def _send(fd: int, data: bytes) -> None:
    """Write `data` (a path, under the pipe's atomic size: all of it or none) to git's
    input, waiting at most WRITE_WAIT s for room (TimeoutError)."""
    deadline = time.monotonic() + WRITE_WAIT
    while True:
        try:
            os.write(fd, data)
            return
        except BlockingIOError:  # a full pipe of paths git has still to read
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError from None
            select.select([], [fd], [], left)


class Stager:
    """`add(rel)` as files are written; `close()` before committing them."""

    def __init__(self, store: GitStore) -> None:
        self.store = store
        self._proc: subprocess.Popen[bytes] | None = None
        self._handle: object = None  # GitPython's wrapper: it ends the process when dropped
        self._reader: threading.Thread | None = None
        self._messages = b""
        self._broken = False
        self._sent: list[str] = []
        self._done = False  # git ended well after the last path sent

    def add(self, rel: str) -> None:
        if self._broken:
            return
        try:
            proc = self._proc or self._start()
            assert proc.stdin is not None
            _send(proc.stdin.fileno(), rel.encode("utf-8") + b"\0")
            self._sent.append(rel)
        except TimeoutError:
            self._give_up(f"git took no path for {WRITE_WAIT:g} s")
        except BrokenPipeError:  # git has ended already (a path it could not add): say why
            if self._wait_for_git():
                self._give_up("git update-index ended before it was given every path")
        except Exception as exc:  # noqa: BLE001 - git gone, not startable: the commit stages
            self._give_up(f"{type(exc).__name__}: {exc}")

    def _start(self) -> subprocess.Popen[bytes]:
        handle = self.store.repo.git.update_index(
            "--add", "-z", "--stdin", as_process=True, istream=subprocess.PIPE, with_stdout=False
        )
        proc = handle.proc
        self._handle, self._proc = handle, proc
        os.set_blocking(proc.stdin.fileno(), False)  # a wait for git is bounded (_send)
        # git's warnings (one a file, e.g. line-ending conversions) are read as they come:
        # a full stderr pipe would stop git reading its input, and then this process
        self._reader = threading.Thread(target=self._read_messages, args=(proc.stderr,))
        self._reader.daemon = True
        self._reader.start()
        return proc

    def _read_messages(self, stream: IO[bytes]) -> None:
        try:
            while chunk := os.read(stream.fileno(), 65536):
                self._messages = (self._messages + chunk)[-ERROR_TAIL:]
        except (OSError, ValueError):  # closed when staging was given up
            return

    def close(self) -> None:
        """End git's input and wait for it (bounded); idempotent."""
        if self._proc is not None:
            self._done = self._wait_for_git()

    @property
    def indexed(self) -> frozenset[str]:
        """The paths git has put in the index (after `close`): all that were sent, when
        git ended well and staging was never given up; none otherwise."""
        if self._broken or not self._done or self._proc is not None:
            return frozenset()
        return frozenset(self._sent)

    def _wait_for_git(self) -> bool:
        """End git's input, wait (bounded) for git to end, and give up naming its exit
        status and messages if it failed. True when git ended well."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        try:
            with contextlib.suppress(BrokenPipeError):  # git has ended already
                proc.stdin.close()
            proc.wait(timeout=CLOSE_WAIT)
        except subprocess.TimeoutExpired:
            self._give_up(f"git update-index did not end within {CLOSE_WAIT:g} s")
            return False
        except Exception as exc:  # noqa: BLE001 - as in add: the commit stages
            self._give_up(f"{type(exc).__name__}: {exc}")
            return False
        if self._reader is not None:
            self._reader.join(timeout=5)  # git has ended: its stderr is at its end
        self._proc, self._handle = None, None
        if proc.returncode != 0:
            detail = " ".join(self._messages.decode("utf-8", "replace").split())[-300:]
            self._give_up(f"git update-index exited {proc.returncode}: {detail}")
            return False
        return True

    def _give_up(self, why: str) -> None:
        if not self._broken:
            log.info("staging ahead of the commit stopped (%s); the commit stages", why)
        self._broken = True
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()  # SIGKILL: it ends a stopped git too, where a SIGTERM would wait
            with contextlib.suppress(subprocess.TimeoutExpired):  # stuck in the kernel
                proc.wait(timeout=CLOSE_WAIT)
        self._handle = None  # only now: dropping it makes GitPython wait for git to end
