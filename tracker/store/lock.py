"""One run at a time per workspace: `.tracker/run.lock` (filelock) + a holder note.

The lock is an OS file lock (flock), so the kernel releases it when its process dies,
even by SIGKILL: a crashed run never blocks the next one. Beside it, `.tracker/run.holder.json`
names the holder (pid, host, start) for the "who holds it?" message. The note is removed when
a run completes, so a note that is still there when a run takes the lock means the previous
run died (or raised) mid-way — `previous_died` tells the crash recovery to look for leftovers.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout
from typing_extensions import TypedDict

from tracker.errors import LockError
from tracker.store.files import STATE_DIR, JsonFile

LOCK_FILE = "run.lock"
HOLDER_FILE = "run.holder.json"
# A loser may look between the winner's flock and its holder note: give the note a moment.
_HOLDER_GRACE = 0.5


@dataclass
class RunLock:
    """`with RunLock(root, wait=S, started=now) as lock:` — raises LockError (exit 75)."""

    root: Path
    wait: float = 0.0
    started: datetime | None = None
    previous_died: bool = False
    # Exceptions that end the holder cleanly (a refused `ack` leaves nothing to repair);
    # any other exception keeps the holder note, so the next run repairs what it left.
    clean_on: tuple[type[BaseException], ...] = ()

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        state_dir = self.root / STATE_DIR
        self._holder_path = state_dir / HOLDER_FILE
        self._lock_path = state_dir / LOCK_FILE
        self._lock: FileLock | None = None

    def __enter__(self) -> "RunLock":
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self._lock_path), thread_local=False)
        try:
            lock.acquire(timeout=max(self.wait, 0.0), poll_interval=0.05)
        except Timeout:
            raise LockError(self._busy_message()) from None
        self._lock = lock
        self.previous_died = self._holder_path.exists()
        try:
            holder_file(self.root).save(self._holder())
        except BaseException:
            lock.release()
            raise
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            # a run that raised keeps its note: the next one repairs
            if exc_type is None or issubclass(exc_type, self.clean_on):  # type: ignore[arg-type]
                self._holder_path.unlink(missing_ok=True)
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def _holder(self) -> Holder:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": self.started.isoformat() if self.started else None,
        }

    def _busy_message(self) -> str:
        holder = read_holder(self.root, grace=_HOLDER_GRACE)
        waited = f"after waiting {self.wait:g} s" if self.wait > 0 else "(use --wait S to wait)"
        if holder is None:
            who = "another run"
        else:
            started = holder.get("started")
            who = (
                f"pid {holder.get('pid')} on {holder.get('host')}"
                f"{', run started ' + started if started else ''}"
            )
        return f"workspace {self.root} is locked by {who} {waited}; lock file {self._lock_path}"


class Holder(TypedDict, total=False):
    pid: int
    host: str
    started: str | None


def holder_file(root: Path | str) -> JsonFile[Holder | None]:
    # Read by runs that do not hold the lock: a damaged note is left alone ("ignore"),
    # only the holder replaces it.
    return JsonFile(Path(root) / STATE_DIR / HOLDER_FILE, Holder, lambda: None, damaged="ignore")


def read_holder(root: Path | str, grace: float = 0.0) -> Holder | None:
    """The live holder's note, or None; waits up to `grace` s for a note being written."""
    note = holder_file(root)
    deadline = time.monotonic() + grace
    while True:
        holder = note.load()
        if holder is not None and _alive(holder):
            return holder
        if time.monotonic() >= deadline:
            return holder
        time.sleep(0.05)


def _alive(holder: Holder) -> bool:
    """False only when the note is provably stale (a dead pid on this host)."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or pid is None or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
