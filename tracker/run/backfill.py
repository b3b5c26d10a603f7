"""Import archived raw documents as dated commits, through the same normalize code."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tracker.config import Config
from tracker.errors import ConfigError
from tracker.models import RawDocument
from tracker.run.parse import Failed
from tracker.run.runner import store_document
from tracker.sources.base import make_source
from tracker.workspace import Workspace, Writer

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T_ ](\d{2})(\d{2})(\d{2})?)?")


@dataclass
class BackfillResult:
    commits: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def date_from_name(name: str) -> datetime:
    """'2024-05-02T2216.json' → 2024-05-02 22:16 UTC."""
    match = _STAMP.match(name)
    if not match:
        raise ValueError(name)
    day, hour, minute, second = match.groups()
    stamp = f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    try:
        return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(name) from None


def backfill(root: Path | str, source_id: str, directory: Path | str,
             config: Config | None = None) -> BackfillResult:
    """One commit per file whose normalized content differs, dated by the file name."""
    directory = Path(directory)
    workspace = Workspace(root)
    if config is not None:
        workspace.config = config  # already loaded by the caller
    config = workspace.config
    if source_id not in config.sources:
        raise ConfigError(f"unknown source {source_id!r}; known: "
                          f"{', '.join(sorted(config.sources)) or 'none'}")
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory")
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    dated = []
    for path in files:
        try:
            dated.append((date_from_name(path.name), path))
        except ValueError:
            raise ConfigError(f"{path.name}: file names must start with a date "
                              "YYYY-MM-DD[THHMM]", file=str(path)) from None
    with workspace.writing() as writer:  # a killed backfill gets repaired too
        return _import(writer, source_id, dated)


def _import(writer: Writer, source_id: str, dated: list[tuple[datetime, Path]]) -> BackfillResult:
    store = writer.store
    source = make_source(source_id, writer.config.sources[source_id])
    result = BackfillResult()
    for when, path in dated:
        raw = RawDocument(path.read_bytes(), str(path), when)
        outcome = store_document(store, source, raw)
        if isinstance(outcome, Failed):
            result.failed.append((path.name, outcome.message))
            continue
        if not outcome.changed:
            result.unchanged.append(path.name)
            continue
        message = f"Backfill {source_id} from {path.name}\n\n{len(outcome.changes)} change(s)"
        sha = writer.commit([store.relpath(source_id)], message, when=when)
        if sha:
            result.commits.append(sha)
    return result
