"""Files of a workspace: its layout, atomic writes, and JSON state files.

Every file the tracker writes goes through `write_atomic` (temp file + rename: a killed
run never leaves half a file). Local state and caches (`.tracker/**/*.json`) go through
`JsonFile`, which validates what it reads and sets a damaged or wrongly shaped file aside
instead of failing every later run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, is_dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Callable, Generic, Literal, TypeVar

from pydantic import AfterValidator, TypeAdapter

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
    parts = Path(rel).parts
    current = str(root)
    for part in parts:  # os.path, not pathlib: every snapshot read and written asks
        current = os.path.join(current, part)
        if os.path.islink(current):
            raise StoreError(
                f"{current} is a symbolic link; the tracker reads and writes "
                "only real files inside the workspace (replace the link with a "
                "folder or file)"
            )
    if ".." in parts:
        raise StoreError(f"{rel}: a path that leaves the workspace")
    return root / rel


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
    return StoreError(
        f"cannot write the workspace: {exc.strerror or exc}{where}; free "
        "space (or fix the disk) and run again: what was half-written is "
        "repaired then"
    )


Damaged = Literal["set-aside", "discard", "ignore"]


class JsonFile(Generic[T]):
    """One JSON file of local state: load it validated (or start afresh), save atomically.

    `shape` is a type (dataclasses, TypedDicts, `dict[str, X]`, `Annotated[...,
    AfterValidator(...)]` for checks of their own) that pydantic validates the file's
    JSON against, strictly: a string where a number belongs, an object where a list
    belongs, is the wrong shape. A missing file gives `default()`. A damaged or wrongly
    shaped file gives `default()` too, and by `damaged` policy is:

    - "set-aside": renamed NAME.damaged, kept for a person to look at (state: one bad
      file never stops every later run);
    - "discard": removed (caches: what they hold can be rebuilt);
    - "ignore": left alone (a reader that does not hold the workspace lock).
    """

    def __init__(
        self,
        path: Path,
        shape: Any,
        default: Callable[[], T],
        *,
        damaged: Damaged = "set-aside",
        indent: int | None = None,
        rows: bool = False,
        mode: int | None = None,
    ) -> None:
        self.path, self.shape, self.default = Path(path), shape, default
        self.damaged, self.indent, self.rows, self.mode = damaged, indent, rows, mode
        self.set_aside: bool = False  # whether the last load set a damaged file aside

    def load(self, digest: str | None = None) -> T:
        """The file's value; with `digest` (what `save` returned), only the very bytes
        saved then: any other content counts as damaged."""
        self.set_aside = False
        try:
            raw = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return self.default()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        if digest is not None and content_digest(raw) != digest:
            self._put_aside(ValueError("not the content saved last"))
            return self.default()
        try:
            value: T = _adapter(self.shape).validate_json(raw, strict=True)
        except ValueError as exc:  # pydantic's ValidationError: bad JSON or wrong shape
            self._put_aside(exc)
            return self.default()
        return value

    def _put_aside(self, exc: BaseException) -> None:
        if self.damaged == "ignore":
            return
        target = self.path.with_name(self.path.name + DAMAGED)
        try:
            if self.damaged == "discard":
                self.path.unlink()
            else:
                os.replace(self.path, target)
        except OSError:
            return
        self.set_aside = self.damaged == "set-aside"
        log.warning(
            "%s damaged %s (%s); starting afresh",
            "set aside" if self.set_aside else "removed",
            self.path.name,
            _first_problem(exc),
        )

    def save(self, value: Any) -> str:
        """Write `value`; returns the digest of what was written (for `load`)."""
        data = to_json(value, indent=self.indent, rows=self.rows)
        write_atomic(self.path, data, mode=self.mode)
        return content_digest(data)


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def to_json(value: Any, *, indent: int | None = None, rows: bool = False) -> bytes:
    """JSON text of `value`, keys sorted, unicode kept; a lone surrogate (text that came
    in undecodable) becomes '?', so the file always loads again. `rows`: each entry of a
    top-level mapping on a line of its own — readable like `indent`, but written by json's
    C encoder (any `indent` falls back to the pure-Python one, slow for thousands of
    entries)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if rows and isinstance(value, dict):
        text = _rows(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)
    return text.encode("utf-8", "replace")


def _rows(value: dict[str, Any]) -> str:
    def entry(key: Any, item: Any) -> str:  # `"key": item`, the key as json converts it
        return json.dumps({key: item}, ensure_ascii=False, sort_keys=True)[1:-1]

    fields = []
    for key, item in sorted(value.items()):
        if isinstance(item, dict) and item:
            opening = entry(key, {})[:-2]  # '"key": '
            entries = ",\n".join(entry(k, v) for k, v in sorted(item.items()))
            fields.append(f"{opening}{{\n{entries}\n}}")
        else:
            fields.append(entry(key, item))
    return "{" + ",\n".join(fields) + "}\n"


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)  # built once per shape, on first read


def _first_problem(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "the top"
        return f"{first.get('msg')} at {where}"
    return type(exc).__name__


def _aware_iso(value: str) -> str:
    # Later code parses these with fromisoformat and compares them with the run's clock
    # (UTC): a string that is not one, or a time without its zone, is the wrong shape.
    if datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("a date-time without its time zone")
    return value


IsoTime = Annotated[str, AfterValidator(_aware_iso)]
"""An ISO 8601 date-time with its zone, stored as text (a JsonFile shape's field)."""
