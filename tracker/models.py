"""Plain data passed between the layers (no I/O, no behaviour beyond conversions)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

STATUSES = ("current", "stale", "expired", "unverifiable", "source-failing", "acknowledged",
            "unchecked")
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


@dataclass
class SourceResult:
    """How polling one source ended in this run."""

    source: str
    ok: bool
    changed: bool = False
    not_modified: bool = False
    error: str | None = None
    gone: bool = False
    changes: list[Change] = field(default_factory=list)
    snapshot: Any = field(default=None, repr=False)  # the new snapshot, when changed


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
                "note", "claim", "section", "footnote", "details")
        data = asdict(self)
        return {k: _jsonable(data[k]) for k in keys}


@dataclass
class RunResult:
    """Everything one `run_once` did: per-source outcomes, the commit, the findings."""

    started: datetime
    sources: list[SourceResult] = field(default_factory=list)
    commit: str | None = None
    findings: list[Finding] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # digest/email outcomes for the CLI
    repaired: list[str] = field(default_factory=list)  # crash-recovery notes (recovery.py)

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
