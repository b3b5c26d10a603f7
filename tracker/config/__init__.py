"""Configuration: option types (types, options, facts, extractors: leaves), the readers of
the values a fact states (numbers, number_words, dates: leaves shared with the extractors),
the loader with file:line errors (loader, yamlfile), and cross-reference checks
(references)."""

from __future__ import annotations

from tracker.config.facts import Fact, ReportFile, ReportMeta, Reviewed, Section, SourceRef
from tracker.config.loader import Config, Report, load_config, load_report, report_files
from tracker.config.options import (
    SOURCE_OPTIONS,
    AcledOptions,
    CitationsOptions,
    DigestConfig,
    EmailConfig,
    FactbookOptions,
    GitConfig,
    HttpConfig,
    RssOptions,
    RunConfig,
    SmtpConfig,
    SourceOptions,
    WikidataOptions,
)
from tracker.config.types import ID_PATTERN, Duration, Strict, is_ident, parse_duration

__all__ = [
    "ID_PATTERN",
    "SOURCE_OPTIONS",
    "AcledOptions",
    "CitationsOptions",
    "Config",
    "DigestConfig",
    "Duration",
    "EmailConfig",
    "FactbookOptions",
    "Fact",
    "GitConfig",
    "HttpConfig",
    "Report",
    "ReportFile",
    "ReportMeta",
    "Reviewed",
    "RssOptions",
    "RunConfig",
    "Section",
    "SmtpConfig",
    "SourceOptions",
    "SourceRef",
    "Strict",
    "WikidataOptions",
    "is_ident",
    "load_config",
    "load_report",
    "parse_duration",
    "report_files",
]
