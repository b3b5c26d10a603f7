"""Checks across files, once every file is valid on its own: facts name defined sources,
fact ids are unique across reports, and what feeds.yaml says of reports names real ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.config.yamlfile import YamlDoc, error_at

if TYPE_CHECKING:
    from tracker.config import Config


def check_references(config: Config) -> None:
    """ConfigError (file:line) for the first reference that points nowhere."""
    _facts_name_sources(config)
    _fact_ids_unique(config)
    _feeds_name_reports(config)


def _facts_name_sources(config: Config) -> None:
    for report in config.reports.values():
        doc: YamlDoc | None = None
        for index, fact in enumerate(report.facts):
            refs = ([fact.primary] if fact.primary else []) + list(fact.also)
            for ref in refs:
                if ref.source in config.sources:
                    continue
                doc = doc if doc is not None else YamlDoc(report.file)
                known = ", ".join(sorted(config.sources)) or "none defined"
                raise error_at(
                    f"fact {fact.id!r} names source {ref.source!r}, which "
                    f"feeds.yaml does not define; known sources: {known}",
                    doc,
                    ("facts", index, "source"),
                )


def _fact_ids_unique(config: Config) -> None:
    """A fact id names one fact of the workspace (`tracker ack ID`, `history ID`): the same
    id in two reports would make those commands pick one silently."""
    first: dict[str, str] = {}
    for report in config.reports.values():
        for index, fact in enumerate(report.facts):
            if fact.id not in first:
                first[fact.id] = report.file.name
                continue
            raise error_at(
                f"duplicate fact id {fact.id!r}: also in {first[fact.id]}; fact "
                "ids must be unique across all reports",
                YamlDoc(report.file),
                ("facts", index, "id"),
            )


def _feeds_name_reports(config: Config) -> None:
    known = ", ".join(sorted(config.reports)) or "none"
    feeds = config.root / "feeds.yaml"
    for index, rid in enumerate(config.digest.reports or []):
        if rid not in config.reports:
            raise error_at(
                f"digest.reports names report {rid!r}, which reports/ does not "
                f"have; known reports: {known}",
                YamlDoc(feeds),
                ("digest", "reports", index),
            )
    for sid, options in config.sources.items():
        report = getattr(options, "report", None)
        if (
            options.kind != "citations"
            or report in config.reports
            or (config.root / "reports" / f"{report}.citations.yaml").is_file()
        ):
            continue  # a scanned report whose facts are not adopted yet has its links
        raise error_at(
            f"source {sid!r} checks the links of report {report!r}, which "
            f"reports/ does not have; known reports: {known}",
            YamlDoc(feeds),
            ("sources", sid, "report"),
        )
