"""Files of a workspace: its layout, atomic writes, and JSON state files.

Every file the tracker writes goes through `write_atomic` (temp file + rename: a killed
run never leaves half a file). Local state (`.tracker/*.json`) goes through `JsonFile`,
which sets a damaged or wrongly shaped file aside instead of failing every later run.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Generic, TypeVar

from tracker.errors import StoreError

log = logging.getLogger(__name__)

SNAPSHOTS = "snapshots"
DIGESTS = "digests"
REPORTS = "reports"
STATE_DIR = ".tracker"
DAMAGED = ".damaged"

T = TypeVar("T")


def write_atomic(path: Path, text: str | bytes, *, mode: int | None = None) -> None:
    """Write via a temp file + rename. The file gets the user's umask (like any file an
    editor writes) unless `mode` is given (0o600 for secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def inside(root: Path, rel: str) -> Path:
    """`root/rel`, refused (StoreError) when it, or a folder on the way, is a symlink or
    leaves `root`: a workspace never writes outside itself."""
    path = root / rel
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            raise StoreError(f"{current} is a symbolic link; the tracker reads and writes "
                             "only real files inside the workspace (replace the link with a "
                             "folder or file)")
    if ".." in Path(rel).parts:
        raise StoreError(f"{rel}: a path that leaves the workspace")
    return path


def check_layout(root: Path, folders: tuple[str, ...]) -> None:
    """StoreError naming the first of `folders`, or of the snapshot files, that is a
    symbolic link: checked before a writer starts, so nothing is fetched or written."""
    for folder in folders:
        inside(root, folder)
    snapshots = root / SNAPSHOTS
    if snapshots.is_dir():
        for entry in os.scandir(snapshots):
            if entry.is_symlink():
                inside(root, f"{SNAPSHOTS}/{entry.name}")


# Errors of the workspace's disk: they end a writer with one line, not a traceback
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}


def disk_error(exc: OSError) -> StoreError | None:
    """The one-line StoreError for a full, read-only or failing disk; None otherwise."""
    if exc.errno not in DISK_ERRNOS:
        return None
    where = f" ({exc.filename})" if exc.filename else ""
    return StoreError(f"cannot write the workspace: {exc.strerror or exc}{where}; free "
                      "space (or fix the disk) and run again: what was half-written is "
                      "repaired then")


class JsonFile(Generic[T]):
    """One JSON state file: load (validated) or start afresh, save atomically.

    `validate` turns the parsed JSON into the value (raising ValueError, TypeError or
    KeyError when the shape is wrong); a missing file gives `default()`; a damaged or
    wrongly shaped one is renamed NAME.damaged (kept for a person to look at) and gives
    `default()` — one bad file never stops every later run."""

    def __init__(self, path: Path, validate: Callable[[Any], T],
                 default: Callable[[], T]) -> None:
        self.path, self.validate, self.default = path, validate, default
        self.set_aside: bool = False  # whether the last load set a damaged file aside

    def load(self) -> T:
        self.set_aside = False
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return self.default()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            return self.validate(json.loads(raw))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            self._set_aside(exc)
            return self.default()

    def _set_aside(self, exc: BaseException) -> None:
        target = self.path.with_name(self.path.name + DAMAGED)
        try:
            os.replace(self.path, target)
        except OSError:
            return
        self.set_aside = True
        log.warning("set aside damaged %s as %s (%s); starting afresh", self.path.name,
                    target.name, type(exc).__name__)

    def save(self, value: Any, *, indent: int | None = None, mode: int | None = None) -> None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)
        write_atomic(self.path, text, mode=mode)


def require_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value
