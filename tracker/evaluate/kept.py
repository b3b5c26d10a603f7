"""Findings kept from the last evaluation, while nothing they depend on has changed.

A fact's finding is a pure function of: the configuration (the report, the fact, the
sources' options), the snapshot files in the work tree, the committed history of
snapshots/ (when a value first appeared), each source's health (local state, read at
`now`) and today's date (expiry, reviews). The key below is made of exactly those — the
configuration's file digest, each snapshot file's identity, the newest commit under
snapshots/, every source's health, the date — so a command whose inputs are the same as
the last evaluation's (`status` after the nightly run, `digest`, a run that changed
nothing) reads the findings back instead of evaluating thousands of facts again. Any
change to any input evaluates everything again, as before.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, TypeGuard

from tracker.config import Config
from tracker.errors import StoreError
from tracker.models import Finding
from tracker.store.files import STATE_DIR
from tracker.store.git import GitStore
from tracker.store.picklecache import PickleCache
from tracker.store.state import State


class KeptFindings:
    """The findings of every fact, and of single reports, under `.tracker/cache/findings/`."""

    def __init__(self, config: Config, store: GitStore, state: State, now: datetime) -> None:
        self.folder = Path(store.root) / STATE_DIR / "cache" / "findings"
        self.key = _key(config, store, state, now)

    def load(self, report: str | None) -> list[Finding] | None:
        if self.key is None:
            return None
        kept = self._cache(report).load(self.key)
        if not _findings(kept) and report is not None:  # the whole workspace's, filtered
            every = self._cache(None).load(self.key)
            if _findings(every):
                kept = [f for f in every if f.report == report]
        return kept if _findings(kept) else None

    def save(self, report: str | None, findings: list[Finding]) -> None:
        if self.key is not None:
            self._cache(report).save(self.key, findings)

    def _cache(self, report: str | None) -> PickleCache:
        name = "all" if report is None else hashlib.sha1(report.encode()).hexdigest()
        return PickleCache(self.folder / f"{name}.pickle")


def _findings(value: Any) -> TypeGuard[list[Finding]]:
    return isinstance(value, list) and all(isinstance(item, Finding) for item in value)


def _key(config: Config, store: GitStore, state: State, now: datetime) -> str | None:
    """The digest of every input of evaluation (see the module note); None when one is
    not known (a configuration not read from files, a snapshot that cannot be read)."""
    if not config.files_digest:
        return None
    digest = hashlib.sha1(f"{config.files_digest}\0{now.date().isoformat()}\0".encode())
    try:
        digest.update(f"{store.last_commit_in()}\0".encode())
        for source_id, options in sorted(config.sources.items()):
            health = state.source(source_id).health(options, now)
            stamp = store.snapshot_stamp(source_id)
            line = f"{source_id}\0{health.health}\0{health.since}\0{health.error}\0{stamp}\n"
            digest.update(line.encode("utf-8", "surrogatepass"))
    except StoreError:  # evaluation itself says what is wrong
        return None
    return digest.hexdigest()
