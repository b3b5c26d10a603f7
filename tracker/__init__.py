"""report-tracker: keep a country report's facts in step with their sources.

The public API, imported on first use (so `tracker --help` stays fast):
`run_once`, `Workspace`, `load_config`, the records of `tracker.models` and the errors of
`tracker.errors`.
"""

from __future__ import annotations

import importlib
from typing import Any

from tracker.version import __version__ as __version__

_EXPORTS = {
    "run_once": "tracker.run.runner",
    "Workspace": "tracker.workspace",
    "load_config": "tracker.config",
    "Config": "tracker.config",
    "Finding": "tracker.models",
    "RunResult": "tracker.models",
    "SourceResult": "tracker.models",
    "Change": "tracker.models",
    "Notice": "tracker.models",
    "NoticeKind": "tracker.models",
    "Failure": "tracker.models",
    "FindingDetails": "tracker.models",
    "SecondaryCheck": "tracker.models",
    "TrackerError": "tracker.errors",
    "ConfigError": "tracker.errors",
    "SourceError": "tracker.errors",
    "StoreError": "tracker.errors",
    "GitStateError": "tracker.errors",
    "LockError": "tracker.errors",
    "NotifyError": "tracker.errors",
}
__all__ = sorted(["__version__", *_EXPORTS])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")
