"""A value computed from a workspace's files, kept under `.tracker/cache/` with the digest
of the inputs it was computed from; given back only while that digest is the same.

Pickle, not JSON: what is kept (the validated configuration, a command's findings) is
typed objects whose values — decimals, dates, nested records — JSON would not give back
as they were, and rebuilding them through validation is the cost being saved. Loading a
pickle can run code, so this is only for `.tracker/`, the workspace's own local folder:
it is never committed nor fetched from anyone (a team shares the repository, not
`.tracker/`), and whoever can write there can already write `.git/hooks`, which git runs.
The files are written readable by the user only.

It is only a cache: an entry that is missing, damaged, of another tracker version or
for other inputs is simply computed again; a workspace that cannot be written has none.
"""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import Any

from tracker.store.files import write_atomic
from tracker.version import __version__

FORMAT = 2  # bump when what an entry holds changes shape or meaning


# what pickling a value it cannot hold raises (a lambda, a recursion too deep, …)
PICKLE_ERRORS = (pickle.PicklingError, TypeError, AttributeError, RecursionError)


def pickled(value: Any) -> bytes | None:
    """`value` pickled, or None when pickle cannot hold it (then it is simply not kept)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except PICKLE_ERRORS:
        return None


def unpickled(data: bytes) -> Any | None:
    """What `pickled` made, or None when it does not unpickle (a damaged cache file, an
    older format): the caller computes it again."""
    try:
        return pickle.loads(data)  # noqa: S301 - see the module note
    except Exception:  # noqa: BLE001 - damaged in any way: compute again
        return None


class PickleCache:
    """One entry per file: (the inputs' digest, the value)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.version = f"{__version__}/{FORMAT}"

    def load(self, digest: str) -> Any | None:
        """The value kept for `digest`, or None."""
        try:
            with self.path.open("rb") as handle:
                version, kept, value = pickle.load(handle)  # noqa: S301 - see the module note
        except Exception:  # noqa: BLE001 - missing, damaged, an old format: compute again
            return None
        return value if (version, kept) == (self.version, digest) else None

    def save(self, digest: str, value: Any) -> None:
        """Keep `value` for `digest` (best effort: a read-only workspace has no cache)."""
        data = pickled((self.version, digest, value))
        if data is not None:
            with contextlib.suppress(OSError):
                write_atomic(self.path, data, mode=0o600)
