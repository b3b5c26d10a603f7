"""Checks across files, once every file is valid on its own: facts name defined sources."""
from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.config.yamlfile import YamlDoc, error_at

if TYPE_CHECKING:
    from tracker.config import Config


def check_references(config: Config) -> None:
    """ConfigError (file:line) for a fact naming a source that feeds.yaml does not define."""
    for report in config.reports.values():
        doc: YamlDoc | None = None
        for index, fact in enumerate(report.facts):
            refs = ([fact.primary] if fact.primary else []) + list(fact.also)
            for ref in refs:
                if ref.source in config.sources:
                    continue
                doc = doc if doc is not None else YamlDoc(report.file)
                known = ", ".join(sorted(config.sources)) or "none defined"
                raise error_at(f"fact {fact.id!r} names source {ref.source!r}, which "
                               f"feeds.yaml does not define; known sources: {known}", doc,
                               ("facts", index, "source"))
