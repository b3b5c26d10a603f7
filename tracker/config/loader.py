"""Load feeds.yaml and reports/*.yaml into typed, validated objects.

Validation happens once, here. Every problem becomes a ConfigError naming the file, the
line, the key and what is allowed, so `tracker` can exit 2 before touching anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, MutableMapping

from tracker.config.extractors import EXTRACTOR_SPECS, ExtractorSpec
from tracker.config.facts import Fact, ReportFile, ReportMeta, Section
from tracker.config.options import (
    SOURCE_OPTIONS,
    DigestConfig,
    EmailConfig,
    FeedsFile,
    GitConfig,
    HttpConfig,
    RunConfig,
    SourceOptions,
)
from tracker.config.references import check_references
from tracker.config.types import is_ident
from tracker.config.yamlfile import Remember, ValueCache, YamlDoc, error_at, validate
from tracker.errors import ConfigError

FEEDS = "feeds.yaml"
REPORTS = "reports"
DERIVED = (".citations.yaml", ".draft.yaml")  # written by `report scan`, not reports


@dataclass
class Report:
    meta: ReportMeta
    facts: list[Fact]
    file: Path
    sections: list[Section] = field(default_factory=list)


@dataclass
class Config:
    root: Path
    sources: dict[str, SourceOptions]
    digest: DigestConfig
    email: EmailConfig | None
    http: HttpConfig
    git: GitConfig = field(default_factory=GitConfig)
    run: RunConfig = field(default_factory=RunConfig)
    # by id, in file order (a cached configuration reads each report's facts on first use)
    reports: MutableMapping[str, Report] = field(default_factory=dict)
    # what the files it was read from hash to (store/configcache.py), "" when not known:
    # results computed from this configuration are kept under it
    files_digest: str = ""

    def fact(self, ref: str) -> tuple[Report, Fact]:
        """Find a fact by `ID` or `REPORT/ID`."""
        report_id, _, fact_id = ref.rpartition("/")
        if report_id:
            reports = [self.reports[report_id]] if report_id in self.reports else []
        else:
            reports = list(self.reports.values())
        hits = [(r, f) for r in reports for f in r.facts if f.id == fact_id]
        if not hits:
            known = ", ".join(
                sorted(f"{r.meta.id}/{f.id}" for r in self.reports.values() for f in r.facts)[:20]
            )
            raise ConfigError(f"no fact {ref!r}; known facts: {known or 'none'}")
        return hits[0]


def load_config(root: Path | str, cache: ValueCache | None = None) -> Config:
    """Load and validate a whole workspace configuration (feeds + reports)."""
    root = Path(root)
    feeds_path = root / FEEDS
    if not feeds_path.exists():
        raise ConfigError(
            "feeds.yaml not found; is this a workspace? (`tracker init DIR`)", file=str(feeds_path)
        )
    doc = YamlDoc(feeds_path, cache)
    pending: list[Remember | None] = [doc.remember]
    feeds = validate(FeedsFile, doc.data or {}, feeds_path, (), doc)
    sources = {sid: _source_options(sid, raw, doc) for sid, raw in feeds.sources.items()}
    config = Config(
        root=root,
        sources=sources,
        digest=feeds.digest,
        email=feeds.email,
        http=feeds.http,
        git=feeds.git,
        run=feeds.run,
    )
    for path in report_files(root):
        report, remember = _load_report(path, cache)
        pending.append(remember)
        if report.meta.id in config.reports:
            raise ConfigError(
                f"duplicate report id {report.meta.id!r} (also in "
                f"{config.reports[report.meta.id].file.name})",
                file=str(path),
                key="report.id",
            )
        config.reports[report.meta.id] = report
    check_references(config)
    for remember in pending:
        if remember is not None:
            remember()  # all valid: keep the parsed values for the next run
    return config


def report_files(root: Path) -> list[Path]:
    """reports/*.yaml, leaving out derived files (citations, drafts)."""
    folder = Path(root) / REPORTS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if not p.name.endswith(DERIVED))


def load_report(path: Path) -> Report:
    return _load_report(path, None)[0]


def _load_report(path: Path, cache: ValueCache | None) -> tuple[Report, Remember | None]:
    doc = YamlDoc(path, cache)
    parsed = validate(ReportFile, doc.data, path, (), doc)
    seen: dict[str, int] = {}
    for index, fact in enumerate(parsed.facts):
        if fact.id in seen:
            raise error_at(
                f"duplicate fact id {fact.id!r} (first at facts[{seen[fact.id]}])",
                doc,
                ("facts", index, "id"),
            )
        seen[fact.id] = index
        _check_fact(fact, doc, ("facts", index))
    report = Report(meta=parsed.report, facts=parsed.facts, file=path, sections=parsed.sections)
    return report, doc.remember


def _check_fact(fact: Fact, doc: YamlDoc, loc: tuple[Any, ...]) -> None:
    """Extractors and their params, and an `expect` every extractor of the fact can
    compare — so that no fact fails later, at `status`, `run` or `digest` time."""
    specs = [_check_extractor(fact.extract, fact.params, doc, loc)]
    for j, ref in enumerate(fact.also):
        specs.append(_check_extractor(ref.extract, ref.params, doc, loc + ("also", j)))
    if fact.also and not fact.source:
        raise error_at(
            f"fact {fact.id!r} has `also` but no `source`: name the primary source "
            "(`also` lists the sources that cross-check it)",
            doc,
            loc + ("also",),
        )
    if fact.expect is None:
        if fact.source or fact.valid_until is None:
            raise error_at(
                f"fact {fact.id!r} has no `expect`: write what the report claims "
                "(only a fact without `source`, tracked by `valid_until`, may "
                "leave it out)",
                doc,
                loc + ("expect",),
            )
        return
    for spec in specs:
        try:
            spec.check_expect(fact.expect)
            for n, alias in enumerate(fact.aliases):
                spec.check_expect(alias, f"`aliases[{n}]`")
        except ValueError as exc:
            where = loc + (("aliases",) if "aliases[" in str(exc) else ("expect",))
            raise error_at(
                f"fact {fact.id!r}, extractor {spec.name!r}: {exc}", doc, where
            ) from None


def _check_extractor(
    name: str, params: dict[str, Any], doc: YamlDoc, loc: tuple[Any, ...]
) -> ExtractorSpec:
    """`loc`: the mapping holding `extract` and `params` (a fact, or one of its `also`)."""
    spec = EXTRACTOR_SPECS.get(name)
    if spec is None:
        raise error_at(
            f"unknown extractor {name!r}; allowed: {', '.join(sorted(EXTRACTOR_SPECS))}",
            doc,
            loc + ("extract",),
        )
    try:
        spec.check(params)
    except ValueError as exc:
        raise error_at(f"params for extractor {name!r}: {exc}", doc, loc + ("params",)) from None
    return spec


def _source_options(sid: str, raw: Any, doc: YamlDoc) -> SourceOptions:
    loc = ("sources", sid)
    if not is_ident(sid):
        raise error_at(
            f"bad source id {sid!r}: letters, digits, '.', '_', '-' only "
            "(it names snapshots/<id>.yaml)",
            doc,
            loc,
        )
    if not isinstance(raw, dict):
        raise error_at("a source must be a mapping with at least `kind`", doc, loc)
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in SOURCE_OPTIONS:
        raise error_at(
            f"unknown source kind {kind!r}; allowed: {', '.join(sorted(SOURCE_OPTIONS))}",
            doc,
            loc + ("kind",),
        )
    return validate(SOURCE_OPTIONS[kind], raw, doc.path, loc, doc)
