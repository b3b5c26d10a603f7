"""Local, uncommitted run state in .tracker/state.json: HTTP validators and source health.

HTTP validators (ETag, Last-Modified) are tied to the committed snapshot they produced
(`validators_for`: its git blob id). A fetch that records new validators leaves them untied;
the write path ties them to HEAD's snapshot once the run has committed
(`tie_validators`), and before the next fetch drops every validator whose snapshot is not
the committed one (`untie_validators`): commits made on another branch and abandoned, a
reset, another clone's newer snapshot, a run killed before it committed. A 304 can then
only ever confirm the snapshot that is really in HEAD.

Health is derived from the record of attempts: `ok`, `failing` (last attempt failed),
`gone` (the last `gone_after` attempts answered 404/410 or HTML instead of data), `quiet`
(fetched fine but unchanged for longer than `expect_update_within`), `never-fetched`,
and `suspect`: the last answer lost most of the source's content and is held back, not
committed, until the same document arrives on `confirm_shrink` runs in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from tracker.config import SourceOptions
from tracker.models import Health
from tracker.store.files import STATE_DIR, IsoTime, JsonFile

STATE_FILE = "state.json"
MAX_RETRY_BACKOFF = timedelta(hours=6)


@dataclass
class SourceState:
    last_attempt: IsoTime | None = None
    last_success: IsoTime | None = None
    last_change: IsoTime | None = None
    failures: int = 0
    first_failure: IsoTime | None = None
    last_error: str | None = None
    gone_count: int = 0
    gone_since: IsoTime | None = None
    validators: dict[str, str] = field(default_factory=dict)
    validators_for: str | None = None  # blob id of the committed snapshot they came with
    # a held-back answer (sources/shrink.py): which document, how often in a row, since when
    suspect_digest: str | None = None
    suspect_count: int = 0
    suspect_since: IsoTime | None = None
    suspect_reason: str | None = None

    def succeeded(self, now: datetime, changed: bool, validators: dict[str, str]) -> None:
        self.last_attempt = self.last_success = now.isoformat()
        if changed or self.last_change is None:
            self.last_change = now.isoformat()
        self.failures, self.first_failure, self.last_error = 0, None, None
        self.gone_count, self.gone_since = 0, None
        if changed or validators != self.validators:
            self.validators_for = None  # tied once this run's snapshot is committed
        self.validators = dict(validators)
        self.clear_suspect()

    def held_back(self, now: datetime, digest: str, reason: str, needed: int) -> bool:
        """A suspicious answer arrived: count it (the same document as last time: one more
        in a row; another: the first). True while it is still held back (fewer than
        `needed` in a row); False once confirmed — the caller commits it. The validators
        stay those of the committed snapshot, so the next fetch asks again in full."""
        self.last_attempt = now.isoformat()
        self.failures, self.first_failure, self.last_error = 0, None, None
        self.gone_count, self.gone_since = 0, None
        if digest != self.suspect_digest:
            self.suspect_digest, self.suspect_count = digest, 0
            self.suspect_since = now.isoformat()
        self.suspect_count += 1
        self.suspect_reason = reason
        return self.suspect_count < needed

    def clear_suspect(self) -> None:
        self.suspect_digest, self.suspect_count = None, 0
        self.suspect_since = self.suspect_reason = None

    def failed(self, now: datetime, error: str, gone: bool) -> None:
        self.last_attempt = now.isoformat()
        self.failures += 1
        self.first_failure = self.first_failure or now.isoformat()
        self.last_error = error
        if gone:
            self.gone_count += 1
            self.gone_since = self.gone_since or now.isoformat()
        else:
            self.gone_count, self.gone_since = 0, None

    def health(self, options: SourceOptions, now: datetime) -> Health:
        if self.gone_count >= options.gone_after:
            return Health("gone", _day(self.gone_since), self.last_error)
        if self.failures:
            return Health("failing", _day(self.first_failure), self.last_error)
        if self.suspect_digest is not None:
            return Health("suspect", _day(self.suspect_since), self.suspect_reason)
        if self.last_success is None:
            return Health("never-fetched")
        quiet_after = options.expect_update_within
        if (
            quiet_after
            and self.last_change
            and now - datetime.fromisoformat(self.last_change) > quiet_after
        ):
            return Health("quiet", _day(self.last_change), None)
        return Health("ok", _day(self.last_change))

    def retry_not_before(self) -> datetime | None:
        """After failures, wait 5 min, 10 min, … (max 6 h) before trying again."""
        if not self.failures or not self.last_attempt:
            return None
        wait = min(timedelta(minutes=5) * 2 ** (self.failures - 1), MAX_RETRY_BACKOFF)
        return datetime.fromisoformat(self.last_attempt) + wait


def _day(stamp: str | None) -> str | None:
    return stamp[:10] if stamp else None


class _StateFile(TypedDict, total=False):
    extra: dict[str, Any]
    sources: dict[str, SourceState]


@dataclass
class State:
    path: Path
    sources: dict[str, SourceState] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    set_aside: bool = False  # the file was damaged or of the wrong shape: set aside at load

    @classmethod
    def load(cls, root: Path) -> "State":
        """The state of the workspace at `root`. Missing, damaged (a killed disk, a hand
        edit) or of the wrong shape: set aside as state.json.damaged and started afresh
        (health and HTTP validators are rebuilt by the next fetches; no snapshot is lost)."""
        file = state_file(root)
        data = file.load()
        return cls(
            file.path,
            dict(data.get("sources") or {}),
            dict(data.get("extra") or {}),
            set_aside=file.set_aside,
        )

    def source(self, source_id: str) -> SourceState:
        return self.sources.setdefault(source_id, SourceState())

    def untie_validators(self, committed: dict[str, str]) -> list[str]:
        """Forget validators not tied to the source's committed snapshot ({source id: blob
        id}); the next fetch of those sources is unconditional. Returns their ids."""
        untied = []
        for sid, entry in self.sources.items():
            if entry.validators and (
                entry.validators_for is None or entry.validators_for != committed.get(sid)
            ):
                entry.validators, entry.validators_for = {}, None
                untied.append(sid)
        return untied

    def pending_validators(self) -> list[str]:
        return [
            sid
            for sid, entry in self.sources.items()
            if entry.validators and entry.validators_for is None
        ]

    def tie_validators(self, committed: dict[str, str]) -> list[str]:
        """Tie fresh validators to the snapshot now committed for their source."""
        tied = []
        for sid in self.pending_validators():
            blob = committed.get(sid)
            if blob is not None:
                self.sources[sid].validators_for = blob
                tied.append(sid)
        return tied

    def save(self) -> None:
        sources = {sid: vars(entry) for sid, entry in self.sources.items()}
        state_file(self.path.parent.parent).save({"extra": self.extra, "sources": sources})


def state_file(root: Path) -> JsonFile[_StateFile]:
    # one source per line: readable, and quick to write for thousands of sources
    return JsonFile(Path(root) / STATE_DIR / STATE_FILE, _StateFile, _StateFile, rows=True)


def source_health(config: Any, state: State, now: datetime) -> list[dict[str, Any]]:
    """`tracker sources` rows, one per configured source, in feeds.yaml order."""
    rows = []
    for sid, options in config.sources.items():
        entry = state.source(sid)
        health = entry.health(options, now)
        rows.append(
            {
                "source": sid,
                "kind": options.kind,
                "health": health.health,
                "last_success": entry.last_success,
                "failures": entry.failures,
                "first_failure": entry.first_failure,
                "last_error": f"latest answer held back: {health.error}"
                if health.health == "suspect"
                else entry.last_error,
                "since": health.since,
                "frozen": options.frozen,
            }
        )
    return rows
