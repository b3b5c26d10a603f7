"""Findings kept from the last evaluation, while nothing they depend on has changed.

A fact's finding is a pure function of: the configuration (the report, the fact, the
sources' options), the snapshot files in the work tree, the committed history of
snapshots/ (when a value first appeared), each source's health (local state, read at
`now`) and today's date (expiry, reviews). The key below is made of exactly those — the
configuration's file digest, each snapshot file's identity, every source's health, the
date — and the history is checked beside it: the newest commit under snapshots/ must be
the one they were made from (known without asking git while HEAD is a commit it was
known at). So a command whose inputs are the same as the last evaluation's (`status`
after the nightly run, `digest`, a run that changed nothing) reads the findings back
instead of evaluating thousands of facts again. Any change to any input evaluates
everything again, as before.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeGuard

from tracker.config import Config
from tracker.errors import StoreError
from tracker.models import Finding, json_text
from tracker.store.files import STATE_DIR
from tracker.store.git import GitStore
from tracker.store.picklecache import PickleCache, pickled, unpickled
from tracker.store.state import State

RACY_NS = 100_000_000  # well above any file system's timestamp tick (Linux: a jiffy)


class KeptFindings:
    """The findings of the last evaluation, in `.tracker/cache/findings.pickle`: each
    report's pickled apart, so that a command about one report unpickles only its own;
    `complete` when every report's is there."""

    def __init__(self, config: Config, store: GitStore, state: State, now: datetime) -> None:
        self.cache = PickleCache(Path(store.root) / STATE_DIR / "cache" / "findings.pickle")
        self.store = store
        # A file's times tick with the file system's clock: a snapshot rewritten in place,
        # at the same size, within the tick it was looked at keeps its identity. Findings
        # are not kept when a snapshot changed that recently (git's "racy clean" rule; the
        # clock of the files, not the evaluation's `now`).
        looked_at = time.time_ns()
        self.key, newest = _key(config, store, state, now)
        self.racy = looked_at - newest < RACY_NS
        self.reports = list(config.reports)

    def load(self, report: str | None) -> list[Finding] | None:
        kept = self._kept()
        if kept is None or not (kept.complete or report in kept.reports):
            return None
        found: list[Finding] = []
        for rid in self._chosen(report):
            part = _part(kept, rid)
            if part is None:
                return None
            found += part
        return found

    def load_json(self, report: str | None) -> list[tuple[str, str]] | None:
        """(status, JSON text) of each finding `load` gives: the texts are made once per
        kept evaluation and kept with it (`status --format json` needs nothing else)."""
        kept = self._kept()
        if kept is None or not (kept.complete or report in kept.reports):
            return None
        out: list[tuple[str, str]] = []
        made = False
        for rid in self._chosen(report):
            if rid not in kept.texts:
                part = _part(kept, rid)
                if part is None:
                    return None
                kept.texts[rid], made = finding_texts(part), True
            out += kept.texts[rid]
        if made:
            self.cache.save(self.key or "", kept)
        return out

    def save(
        self,
        report: str | None,
        findings: list[Finding],
        texts: list[tuple[str, str]] | None = None,
    ) -> None:
        """Keep `findings` (of `report`, or of all), and their `texts` when given."""
        if self.key is None:
            return
        parts: dict[str, list[Finding]] = {}
        lines: dict[str, list[tuple[str, str]]] = {}
        for index, finding in enumerate(findings):
            parts.setdefault(finding.report, []).append(finding)
            if texts is not None:
                lines.setdefault(finding.report, []).append(texts[index])
        kept = self._kept() if report is not None else None
        if kept is None:
            kept = _Kept(complete=report is None)
        kept.head, kept.snapshots = self.store.head(), self.store.last_commit_in()
        for rid in self._chosen(report):
            part = pickled(parts.get(rid, []))
            if part is None:
                return  # a value pickle cannot hold: not kept
            kept.reports[rid] = part
            kept.texts.pop(rid, None)
            if texts is not None:
                kept.texts[rid] = lines.get(rid, [])
        if not self.racy:
            self.cache.save(self.key, kept)

    def _chosen(self, report: str | None) -> list[str]:
        return [report] if report is not None else self.reports

    def still_hold(self) -> None:
        """Say that the kept findings hold at the commit HEAD names now: called after a
        commit that changed nothing under snapshots/ (the digests), so that the next
        command sees the same HEAD and needs no git to know the history is the same."""
        kept = self._kept()
        if kept is not None and kept.head != self.store.head():
            kept.head = self.store.head()
            self.cache.save(self.key or "", kept)

    def _kept(self) -> _Kept | None:
        if self.key is None:
            return None
        kept = self.cache.load(self.key)
        if not isinstance(kept, _Kept) or not all(
            isinstance(getattr(kept, name, None), dict) for name in ("reports", "texts")
        ):
            return None  # of another shape (an earlier format): evaluate again
        if kept.head != self.store.head() and kept.snapshots != self.store.last_commit_in():
            return None  # the history of snapshots/ is not the one they were made from
        return kept


@dataclass
class _Kept:
    complete: bool
    reports: dict[str, bytes] = field(default_factory=dict)  # report id → pickled findings
    texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # … → JSON
    # The history they were made from: the newest commit under snapshots/ then; and a
    # commit HEAD named while it was so (the same HEAD: the same history, no git asked).
    snapshots: str | None = None
    head: str | None = None


def _part(kept: _Kept, report: str) -> list[Finding] | None:
    """One report's findings (none kept: it has no facts); None when damaged."""
    if report not in kept.reports:
        return []
    part = unpickled(kept.reports[report])
    return part if _findings(part) else None


def finding_texts(findings: list[Finding]) -> list[tuple[str, str]]:
    """(status, JSON text) of each finding."""
    return [(f.status, json_text(f.to_json())) for f in findings]


def _findings(value: Any) -> TypeGuard[list[Finding]]:
    return isinstance(value, list) and all(isinstance(item, Finding) for item in value)


def _key(config: Config, store: GitStore, state: State, now: datetime) -> tuple[str | None, int]:
    """The digest of every input of evaluation (see the module note), None when one is
    not known (a configuration not read from files, a snapshot that cannot be read); and
    the newest snapshot file's modification time (ns)."""
    if not config.files_digest:
        return None, 0
    digest = hashlib.sha1(f"{config.files_digest}\0{now.date().isoformat()}\0".encode())
    newest = 0
    try:
        for source_id, options in sorted(config.sources.items()):
            health = state.source(source_id).health(options, now)
            stamp = store.snapshot_stamp(source_id)
            newest = max(newest, *stamp[2:]) if stamp else newest
            line = f"{source_id}\0{health.health}\0{health.since}\0{health.error}\0{stamp}\n"
            digest.update(line.encode("utf-8", "surrogatepass"))
    except StoreError:  # evaluation itself says what is wrong
        return None, 0
    return digest.hexdigest(), newest
