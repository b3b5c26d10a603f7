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

from tracker.digest.grouping import flag_of, memory_key
from tracker.models import Finding
from tracker.store.files import STATE_DIR, IsoTime, JsonFile

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

    last: IsoTime | None = None
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class ReportTold(Told):
    """What a report's analysts were last told, with the facts flagged to them."""

    facts: dict[str, Remembered] = field(default_factory=dict)


@dataclass
class DigestMemory:
    last_run: IsoTime | None = None
    reports: dict[str, ReportTold] = field(default_factory=dict)
    maintainers: Told = field(default_factory=Told)

    def report(self, report_id: str) -> ReportTold:
        return self.reports.get(report_id) or ReportTold()


def memory_file(root: Path | str) -> JsonFile[DigestMemory]:
    # Missing (first digest), damaged or misshapen (set aside): every fact counts as new.
    return JsonFile(Path(root) / STATE_DIR / MEMORY_FILE, DigestMemory, DigestMemory, indent=1)


def load_memory(root: Path | str) -> DigestMemory:
    return memory_file(root).load()


def save_memory(root: Path | str, memory: DigestMemory) -> None:
    memory_file(root).save(memory)


def next_facts(
    findings: list[Finding], before: dict[str, Remembered], today: date
) -> dict[str, Remembered]:
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
