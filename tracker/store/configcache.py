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
from pathlib import Path
from typing import Callable

from tracker.config import Config
from tracker.config.loader import FEEDS, REPORTS, report_files
from tracker.store.picklecache import PickleCache


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
        if isinstance(kept, Config):
            return kept
    config = load()  # ConfigError for an invalid configuration: nothing is kept
    if digest is not None and config_digest(root) == digest:  # not edited meanwhile
        config.files_digest = digest
        cache.save(digest, config)
    return config
