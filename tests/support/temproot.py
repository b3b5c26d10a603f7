"""Where the suite's temporary folders go: a RAM file system when the machine has one with
room to spare, else the system's temp directory.

The suite creates and removes tens of thousands of files and folders (workspaces, their
git objects, the servers' documents). On a disk file system each new inode can cost the
kernel far more than on tmpfs: `benchmarks/tempfs.py` compares the two on the machine it
runs on. What the tests check does not depend on the file system.

TRACKER_TEST_TEMPROOT chooses the folder (`system`: the system's temp directory); pytest's
own PYTEST_DEBUG_TEMPROOT and `--basetemp` still win over both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

TEMPROOT_ENV = "TRACKER_TEST_TEMPROOT"
PYTEST_TEMPROOT_ENV = "PYTEST_DEBUG_TEMPROOT"
RAM_FOLDERS = (Path("/dev/shm"),)
# the suite's peak is a small part of this; a container's 64 MB /dev/shm is not enough
MIN_FREE_BYTES = 1 << 30


def has_room(folder: Path, min_free: int = MIN_FREE_BYTES) -> bool:
    """A folder this user may create folders in, with at least `min_free` bytes free."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    free = stats.f_bavail * stats.f_frsize
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK) and free >= min_free


def temp_root(
    environ: Mapping[str, str] = os.environ, candidates: tuple[Path, ...] = RAM_FOLDERS
) -> str | None:
    """The folder to put pytest's `pytest-of-USER` in, or None for pytest's own choice
    (PYTEST_DEBUG_TEMPROOT when set, else the system's temp directory)."""
    if environ.get(PYTEST_TEMPROOT_ENV):
        return None
    chosen = environ.get(TEMPROOT_ENV, "").strip()
    if chosen == "system":
        return None
    if chosen:
        return chosen
    return next((str(folder) for folder in candidates if has_room(folder)), None)
