"""What the previous digests said, kept in `.tracker/digest.json`:

    {"last_run": ISO,
     "reports": {REPORT: {"last": ISO, "sources": {SOURCE: health},
                          "facts": {FACT: {"key", "status", "first_reported"}}}},
     "maintainers": {"last": ISO, "sources": {SOURCE: health}}}

so the next digest can tell newly flagged facts from reminders and resolved ones, and a
change of source health from one already told. A damaged or wrongly shaped file is set
aside (JsonFile) and every fact counts as new once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tracker.digest.grouping import flag_of, memory_key
from tracker.models import Finding
from tracker.store.files import STATE_DIR, JsonFile, require_dict

MEMORY_FILE = "digest.json"


@dataclass(frozen=True)
class Remembered:
    """A fact a digest flagged: the problem's key, and when it was first reported."""

    key: str
    status: str
    first_reported: str


@dataclass
class Told:
    """What one audience was last told: when, and the unhealthy sources."""

    last: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Remembered] = field(default_factory=dict)


@dataclass
class DigestMemory:
    last_run: str | None = None
    reports: dict[str, Told] = field(default_factory=dict)
    maintainers: Told = field(default_factory=Told)

    def report(self, report_id: str) -> Told:
        return self.reports.get(report_id) or Told()

    def to_json(self) -> dict[str, Any]:
        return {"last_run": self.last_run,
                "reports": {rid: _told_json(t) for rid, t in self.reports.items()},
                "maintainers": {"last": self.maintainers.last,
                                "sources": dict(self.maintainers.sources)}}

    @classmethod
    def from_json(cls, data: Any) -> DigestMemory:
        data = require_dict(data)
        reports = require_dict(data.get("reports", {}))
        return cls(last_run=_optional_str(data.get("last_run")),
                   reports={str(rid): _told(t) for rid, t in reports.items()},
                   maintainers=_told(data.get("maintainers", {})))


def _told_json(told: Told) -> dict[str, Any]:
    return {"last": told.last, "sources": dict(told.sources),
            "facts": {fact: {"key": r.key, "status": r.status,
                             "first_reported": r.first_reported}
                      for fact, r in told.facts.items()}}


def _told(data: Any) -> Told:
    data = require_dict(data)
    sources = require_dict(data.get("sources", {}))
    facts = require_dict(data.get("facts", {}))
    return Told(last=_optional_str(data.get("last")),
                sources={str(k): _str(v) for k, v in sources.items()},
                facts={str(k): _remembered(v) for k, v in facts.items()})


def _remembered(data: Any) -> Remembered:
    data = require_dict(data)
    return Remembered(key=_str(data["key"]), status=_str(data["status"]),
                      first_reported=_str(data["first_reported"]))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def memory_file(root: Path | str) -> JsonFile[DigestMemory]:
    return JsonFile(Path(root) / STATE_DIR / MEMORY_FILE, DigestMemory.from_json, DigestMemory)


def load_memory(root: Path | str) -> DigestMemory:
    return memory_file(root).load()


def save_memory(root: Path | str, memory: DigestMemory) -> None:
    memory_file(root).save(memory.to_json(), indent=1)


def next_facts(findings: list[Finding], before: dict[str, Remembered],
               today: date) -> dict[str, Remembered]:
    """What to remember after a digest went out: the facts flagged now, since when."""
    out: dict[str, Remembered] = {}
    for finding in findings:
        seen = before.get(finding.fact)
        flag = flag_of(finding)
        if finding.status == "source-failing" and seen:
            out[finding.fact] = seen  # unknown now: neither resolved nor new
        elif flag:
            key = memory_key(finding)
            first = seen.first_reported if seen and seen.key == key else today.isoformat()
            out[finding.fact] = Remembered(key=key, status=flag, first_reported=first)
    return out
