"""Record reviews in the report file (ruamel round-trip keeps comments and order)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from tracker.errors import ConfigError, GitStateError
from tracker.models import Finding
from tracker.workspace import Writer


def round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def record_review(
    writer: Writer, finding: Finding, now: datetime, *, note: str | None, accept: bool
) -> str | None:
    """`ack` (reviewed: {on, value, note}) or `accept` (also expect := current); commit.

    Refused (GitStateError, nothing written) while the report file has uncommitted edits:
    the review commit holds the review and nothing else."""
    report = writer.config.reports[finding.report]
    rel = str(report.file.relative_to(writer.root))
    refuse_uncommitted(writer, rel)
    yaml = round_trip_yaml()
    text = report.file.read_text(encoding="utf-8")
    tree = yaml.load(text)
    node = next((f for f in tree.get("facts", []) if f.get("id") == finding.fact), None)
    if node is None:
        raise ConfigError(f"fact {finding.fact!r} not found", file=str(report.file))
    if accept:
        if finding.current is None:
            raise ConfigError(f"{finding.fact}: no current value to accept ({finding.status})")
        old = node.get("expect")
        node["expect"] = _plain_value(finding.current)
    reviewed = CommentedMap()
    reviewed["on"] = now.date()
    reviewed["value"] = _plain_value(finding.current)
    if note:
        reviewed["note"] = note
    node["reviewed"] = reviewed
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    writer.write_file(rel, buffer.getvalue())
    verb = "Accept" if accept else "Acknowledge"
    detail = f": {old!r} → {finding.current!r}" if accept else f" ({finding.status})"
    message = f"{verb} {finding.report}/{finding.fact}{detail}" + (f"\n\n{note}" if note else "")
    return writer.commit([rel], message, when=now)


def refuse_uncommitted(writer: Writer, rel: str) -> None:
    if writer.store.uncommitted(rel, untracked=True):
        raise GitStateError(
            f"{rel} has uncommitted changes; a review commit holds only the "
            f"review: commit them first (git commit {rel}) or set them aside "
            f"(git stash push {rel}), then run again. Nothing was written."
        )


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = item
        return out
    return value
