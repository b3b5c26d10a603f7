"""One error hierarchy, turned into exit codes in one place (cli.py).

TrackerError
├── ConfigError          bad feeds.yaml / report file       → exit 2
├── SourceError          one source could not be read       → exit 3 (run continues)
│   ├── FetchError       network, HTTP status, size cap
│   │   └── SourceGone   404/410 or HTML where data was expected
│   └── ParseError       the document is not what the kind expects
├── StoreError           git or the workspace on disk
│   ├── GitStateError    HEAD not on the workspace's branch, a merge/rebase… → exit 4
│   └── PushError        the team remote could not be synced (commits kept)  → exit 3
├── LockError            another run holds the workspace    → exit 75
└── NotifyError          sending the digest failed
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""

    exit_code = 1


class ConfigError(TrackerError):
    """A configuration file is invalid; the message names file, line and key."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file, self.line, self.key = file, line, key
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        if key and not message.startswith(f"{key}:"):
            message = f"{key}: {message}"
        super().__init__(f"{where}{message}")


class SourceError(TrackerError):
    """A source could not be fetched or understood; never a change in the facts."""

    exit_code = 3
    gone = False


class FetchError(SourceError):
    """The HTTP exchange failed (status, timeout, connection, size cap)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class SourceGone(FetchError):
    """The source answers, but no longer with the document (404/410, an HTML notice)."""

    gone = True


class ParseError(SourceError):
    """The document arrived but is not what this source kind expects."""


class StoreError(TrackerError):
    """The git store or a workspace file could not be read or written."""


class GitStateError(StoreError):
    """The repository is in a state no writer may commit in (another branch, a detached
    HEAD, a merge, rebase, cherry-pick or bisect in progress): nothing fetched or written."""

    exit_code = 4


class PushError(StoreError):
    """The work was done and committed locally, but the team remote could not be synced
    (unreachable, a conflict, a rejected push): nothing lost, the next writer retries."""

    exit_code = 3


class LockError(TrackerError):
    """Another run holds the workspace lock."""

    exit_code = 75


class NotifyError(TrackerError):
    """The digest could not be sent."""
