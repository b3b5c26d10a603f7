"""Plain data passed between the layers (no I/O, no behaviour beyond conversions)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

# `unchecked`: no source checks the fact (no `source`: tracked only by expiry or news)
STATUSES = (
    "current",
    "stale",
    "expired",
    "unverifiable",
    "source-failing",
    "acknowledged",
    "unchecked",
)
HEALTHS = ("ok", "failing", "quiet", "gone", "never-fetched", "suspect")


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
        return {
            "source": self.source,
            "commit": self.commit,
            "date": self.date,
            "path": list(self.path),
            "change": self.change,
            "old": self.old,
            "new": self.new,
        }


class Failure(str, Enum):
    """Why a source has no new snapshot in this run (SourceResult.failure)."""

    FETCH = "fetch"  # network, HTTP status, size cap (FetchError)
    GONE = "gone"  # 404/410 or HTML where data was expected
    PARSE = "parse"  # the document is not what the kind expects
    UNEXPECTED = "unexpected"  # any other exception while reading this source
    SOURCE_DEADLINE = "source-deadline"  # the source's own time bound ran out
    RUN_DEADLINE = "run-deadline"  # the run's overall deadline came first
    STOPPED = "stopped"  # the daemon was asked to stop (SIGTERM)


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
    suspect: str | None = None  # held back: why the answer looks like a fault (run/suspect.py)
    failure: Failure | None = None  # set exactly when not ok


@dataclass
class SecondaryCheck:
    """What one `also:` source says about a fact."""

    source: str
    path: list[Any] = field(default_factory=list)
    health: str = "ok"
    value: Any = None
    error: str | None = None  # why no value could be read
    agrees: bool | None = None  # with the claim; None when no value was read
    since: str | None = None  # the date this value first appeared
    matches_primary: bool | None = None  # says the same as the primary source
    resolved_path: list[str] | None = None  # the path taken, where `latest` named a period

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ShareDifference:
    """One share of a `shares` fact that no longer agrees (names as the report has them)."""

    name: str
    expected: Any
    current: Any


@dataclass(frozen=True)
class Window:
    """The date window a count covers (ACLED facts); JSON `{"from", "to"}`."""

    start: str | None
    end: str | None

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end}


@dataclass
class FindingDetails:
    """Everything behind a finding's status besides its value: for the digest, the CLI and
    `--format json` (`details`)."""

    extract: str = "text"  # the primary extractor
    value_since: str | None = None  # when the current value first appeared in git
    primary_health: str | None = None
    gone_since: str | None = None
    also: list[SecondaryCheck] = field(default_factory=list)
    confirmed_by: list[str] = field(default_factory=list)  # secondary sources that agree
    disagreement: bool = False  # the sources say different things
    newer: str | None = None  # the source whose value appeared last
    checked_against: str | None = None  # the secondary source that decided (primary gone)
    shares: list[ShareDifference] = field(default_factory=list)  # stale shares
    spelling: str | None = None  # the source's spelling of the same person
    window: Window | None = None  # ACLED: the window counted
    data_through: str | None = None  # ACLED: the latest event date
    accessed: str | None = None  # ACLED: when the data was read

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["also"] = [check.to_json() for check in self.also]
        data["shares"] = [_jsonable(asdict(share)) for share in self.shares]
        data["window"] = self.window.to_json() if self.window else None
        return _jsonable(data)


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
    details: FindingDetails = field(default_factory=FindingDetails)
    # living | frozen | unchecked (tracker.evaluate.verifiability), and what a living
    # `also:` source says where the primary one is frozen or gone
    verifiability: str | None = None
    living_checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def living(self) -> bool:
        """Whether a source that can still change checks this fact."""
        return self.verifiability == "living"

    def to_json(self) -> dict[str, Any]:
        keys = (
            "report",
            "fact",
            "status",
            "expected",
            "current",
            "since",
            "source",
            "path",
            "note",
            "claim",
            "section",
            "footnote",
            "verifiability",
            "living_checks",
        )
        data = {k: _jsonable(getattr(self, k)) for k in keys}
        data["details"] = self.details.to_json()
        data["living"] = self.living
        return data


class NoticeKind(str, Enum):
    """What a notice reports (the CLI styles and the JSON output key on this)."""

    EMAILED = "emailed"  # messages handed to the SMTP server
    EMAIL_WAITING = "email-waiting"  # not sent (server down, refused for now): outbox
    EMAIL_REJECTED = "email-rejected"  # refused for good: .tracker/outbox/rejected/
    RUN_DEADLINE = "run-deadline"  # the run's deadline cut some sources short
    RUN_STOPPED = "run-stopped"  # SIGTERM: unfinished sources dropped, digest skipped
    SOURCE_HELD = "source-held"  # a suspicious answer held back (run/suspect.py)


@dataclass(frozen=True)
class Notice:
    """One outcome of a run besides its sources (email, deadline, stop) as a record:
    `message` is the line for people; `count` and `detail` carry the facts in it."""

    kind: NoticeKind
    message: str
    count: int = 0  # messages emailed / waiting / rejected, sources cut short
    detail: str | None = None  # the SMTP reason or the deadline, when there is one

    @property
    def warning(self) -> bool:
        return self.kind is not NoticeKind.EMAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "message": self.message,
            "count": self.count,
            "detail": self.detail,
        }


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


def json_text(data: Any) -> str:
    """One record as JSON on one line, as `--format json` prints each (text as it is;
    what JSON has no type for, such as a decimal, as its text)."""
    return json.dumps(data, ensure_ascii=False, default=str)


_PLAIN = (str, int, float, type(None))


def _jsonable(value: Any) -> Any:
    if isinstance(value, _PLAIN):  # most values: returned before the other checks
        return value
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
