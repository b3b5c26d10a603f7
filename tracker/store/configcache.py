"""The validated configuration, kept per the bytes of the files it is read from.

Validating a unit's configuration (a hundred reports, thousands of facts) is most of what
a command like `status` costs before it reads a snapshot. The files' bytes decide the
result, so it is kept under `.tracker/cache/config.pickle` with their digest: feeds.yaml,
every report file, the names in reports/ (a citations file's presence is checked), and
where the workspace is (the configuration holds its paths). Any change — an edit, a new
or removed report, a move — validates again, and only a valid configuration is kept: an
invalid one is reported by the loader, every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, MutableMapping

from tracker.config import Config
from tracker.config.loader import FEEDS, REPORTS, Report, report_files
from tracker.store.picklecache import PickleCache, pickled, unpickled


def config_digest(root: Path) -> str | None:
    """The digest of everything the configuration is read from; None when a file cannot
    be read (the loader then says which, and why)."""
    root = Path(root)
    digest = hashlib.sha1(str(root.resolve()).encode())
    folder = root / REPORTS
    names = sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []
    digest.update(("\0".join(names) + "\0\0").encode())
    try:
        for path in [root / FEEDS, *report_files(root)]:
            raw = path.read_bytes()
            digest.update(b"%s\0%d\0" % (path.name.encode(), len(raw)) + raw)
    except (OSError, UnicodeEncodeError):
        return None
    return digest.hexdigest()


def cached_config(root: Path, cache_dir: Path, load: Callable[[], Config]) -> Config:
    """The configuration `load()` gives, from the cache while the files are the same."""
    digest = config_digest(root)
    cache = PickleCache(Path(cache_dir) / "config.pickle")
    if digest is not None:
        kept = cache.load(digest)
        if isinstance(kept, _Kept):
            return kept.config(lambda: load().reports)
    config = load()  # ConfigError for an invalid configuration: nothing is kept
    if digest is not None and config_digest(root) == digest:  # not edited meanwhile
        config.files_digest = digest
        kept = _Kept.of(config)
        if kept is not None:
            cache.save(digest, kept)
    return config


@dataclass
class _Kept:
    """A configuration without its reports, and each report pickled apart: most commands
    read the facts of a few reports, or none (`status` from kept findings)."""

    rest: Config
    reports: dict[str, bytes]

    @classmethod
    def of(cls, config: Config) -> _Kept | None:
        """None when a report holds what pickle cannot (then nothing is kept)."""
        parts = {rid: pickled(report) for rid, report in config.reports.items()}
        if any(part is None for part in parts.values()):
            return None
        return cls(replace(config, reports={}), {r: p for r, p in parts.items() if p})

    def config(self, reload: Callable[[], MutableMapping[str, Report]]) -> Config:
        return replace(self.rest, reports=LazyReports(self.reports, reload))


class LazyReports(MutableMapping[str, Report]):
    """Reports by id, in file order, each unpickled when first read; a part that does
    not unpickle (a damaged cache file) is read from the files again (`reload`)."""

    def __init__(
        self, parts: dict[str, bytes], reload: Callable[[], MutableMapping[str, Report]]
    ) -> None:
        self._parts: dict[str, bytes | None] = dict(parts)
        self._read: dict[str, Report] = {}
        self._reload = reload

    def __getitem__(self, report_id: str) -> Report:
        if report_id not in self._read:
            part = self._parts[report_id]  # KeyError: no such report
            assert part is not None
            report = unpickled(part)
            if not isinstance(report, Report):  # damaged: validated afresh from the files
                report = self._reload()[report_id]
            self._read[report_id] = report
        return self._read[report_id]

    def __setitem__(self, report_id: str, report: Report) -> None:
        self._parts[report_id], self._read[report_id] = None, report

    def __delitem__(self, report_id: str) -> None:
        del self._parts[report_id]
        self._read.pop(report_id, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)
