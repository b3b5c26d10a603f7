"""Plain data passed between the layers (no I/O, no behaviour beyond conversions)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

STATUSES = ("current", "stale", "expired", "unverifiable", "source-failing", "acknowledged")
HEALTHS = ("ok", "failing", "quiet", "gone", "never-fetched")


@dataclass(frozen=True)
class RawDocument:
    """What a fetch brought back, before normalizing: bytes plus HTTP metadata."""

    content: bytes
    url: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True)
class Change:
    """One path-level difference between two snapshots of a source."""

    source: str
    path: tuple[str, ...]
    change: str  # added | removed | changed
    old: Any = None
    new: Any = None
    commit: str | None = None
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "commit": self.commit, "date": self.date,
                "path": list(self.path), "change": self.change, "old": self.old, "new": self.new}


class Failure(str, Enum):
    """Why a source has no new snapshot in this run (SourceResult.failure)."""

    FETCH = "fetch"                    # network, HTTP status, size cap (FetchError)
    GONE = "gone"                      # 404/410 or HTML where data was expected
    PARSE = "parse"                    # the document is not what the kind expects
    UNEXPECTED = "unexpected"          # any other exception while reading this source
    SOURCE_DEADLINE = "source-deadline"  # the source's own time bound ran out
    RUN_DEADLINE = "run-deadline"      # the run's overall deadline came first
    STOPPED = "stopped"                # the daemon was asked to stop (SIGTERM)


@dataclass
class SourceResult:
    """How polling one source ended in this run."""

    source: str
    ok: bool
    changed: bool = False
    not_modified: bool = False
    error: str | None = None  # one line for people: the cause, never a traceback
    gone: bool = False
    changes: list[Change] = field(default_factory=list)
    snapshot: Any = field(default=None, repr=False)  # the new snapshot, when changed
    failure: Failure | None = None  # set exactly when not ok


@dataclass
class Finding:
    """The evaluation of one fact now."""

    report: str
    fact: str
    status: str
    expected: Any
    current: Any = None
    since: str | None = None
    source: str | None = None
    path: list[str] | None = None
    note: str | None = None
    claim: str | None = None
    section: str | None = None
    footnote: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        keys = ("report", "fact", "status", "expected", "current", "since", "source", "path",
                "note")
        data = asdict(self)
        return {k: _jsonable(data[k]) for k in keys}


class NoticeKind(str, Enum):
    """What a notice reports (the CLI styles and the JSON output key on this)."""

    EMAILED = "emailed"                # messages handed to the SMTP server
    EMAIL_WAITING = "email-waiting"    # not sent (server down, refused for now): outbox
    EMAIL_REJECTED = "email-rejected"  # refused for good: .tracker/outbox/rejected/
    RUN_DEADLINE = "run-deadline"      # the run's deadline cut some sources short
    RUN_STOPPED = "run-stopped"        # SIGTERM: unfinished sources dropped, digest skipped


@dataclass(frozen=True)
class Notice:
    """One outcome of a run besides its sources (email, deadline, stop) as a record:
    `message` is the line for people; `count` and `detail` carry the facts in it."""

    kind: NoticeKind
    message: str
    count: int = 0              # messages emailed / waiting / rejected, sources cut short
    detail: str | None = None   # the SMTP reason or the deadline, when there is one

    @property
    def warning(self) -> bool:
        return self.kind is not NoticeKind.EMAILED

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "count": self.count,
                "detail": self.detail}


@dataclass
class RunResult:
    """Everything one `run_once` did: per-source outcomes, the commit, the findings."""

    started: datetime
    sources: list[SourceResult] = field(default_factory=list)
    commit: str | None = None
    findings: list[Finding] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # email, deadline, stop outcomes
    repaired: list[str] = field(default_factory=list)  # crash-recovery notes (recovery.py)
    stopped: bool = False  # ended early on request: stored and committed, no digest
    parsed_in_workers: int = 0  # documents parsed by worker processes (run/pool.py)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if not s.ok]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Health:
    """What evaluation needs to know about a source's health (see state.py)."""

    health: str = "ok"
    since: str | None = None
    error: str | None = None
