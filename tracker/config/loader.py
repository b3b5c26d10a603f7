"""Load feeds.yaml and reports/*.yaml into typed, validated objects.

Validation happens once, here. Every problem becomes a ConfigError naming the file, the
line, the key and what is allowed, so `tracker` can exit 2 before touching anything.
"""
from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from tracker.store import yamlcache
from tracker.errors import ConfigError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> timedelta:
    """'45d', '12h', '30m', '2w', '90s' → timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match or isinstance(value, bool):
        raise ValueError(f"bad duration {value!r}: use a number and a unit s|m|h|d|w, e.g. 45d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def check_cron(value: str) -> str:
    """A five-field crontab expression, read in UTC (APScheduler's own parser)."""
    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(value, str) or len(value.split()) != 5:
        raise ValueError(f"bad cron expression {value!r}: need five fields "
                         "'minute hour day month weekday', e.g. '0 4 * * 4'")
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {value!r}: {exc}") from None
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Cron = Annotated[str, AfterValidator(check_cron)]
Ident = Annotated[str, Field(pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, arbitrary_types_allowed=True,
                              defer_build=True)


class SourceOptions(Strict):
    """Settings every source kind accepts; kinds subclass this with their own."""

    kind: str
    url: str | None = None
    title: str | None = None
    schedule: Cron | None = None
    expect_update_within: Duration | None = None
    timeout: float = Field(30.0, gt=0)
    max_bytes: int = Field(20_000_000, gt=0)
    gone_after: int = Field(2, ge=1, description="consecutive 'gone' answers before health=gone")
    frozen: bool = False  # documented as no longer updated upstream (e.g. the Factbook)


class SmtpConfig(Strict):
    host: str
    port: int = 587
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    username: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


class EmailConfig(Strict):
    smtp: SmtpConfig
    from_: str = Field(alias="from")
    to: list[str]
    maintainers: list[str] = []
    send_when_empty: bool = False
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DigestConfig(Strict):
    schedule: Cron | None = None
    reports: list[str] | None = None
    send_when_empty: bool = False


class HttpConfig(Strict):
    user_agent: str | None = None
    contact: str | None = None
    concurrency: int = Field(32, ge=1)
    per_host: int = Field(6, ge=1)
    retries: int = Field(3, ge=0)
    backoff: float = Field(1.0, ge=0)
    max_retry_after: float = Field(120.0, ge=0)


class FeedsFile(Strict):
    sources: dict[str, dict[str, Any]] = {}
    digest: DigestConfig = DigestConfig()
    email: EmailConfig | None = None
    http: HttpConfig = HttpConfig()


class SourceRef(Strict):
    """Where a value lives: source + path (+ path alternatives) + extractor."""

    source: Ident
    path: list[Any] = []
    extract: str = "text"
    params: dict[str, Any] = {}

    @field_validator("path")
    @classmethod
    def _paths(cls, value: list[Any]) -> list[Any]:
        return normalize_path(value)

    @property
    def alternatives(self) -> list[list[str]]:
        """`path` is one key list or a list of alternative key lists (shape drift)."""
        if self.path and isinstance(self.path[0], list):
            return self.path
        return [self.path]


class Reviewed(Strict):
    on: date
    value: Any = None
    note: str | None = None


class Fact(Strict):
    id: Ident
    section: str | None = None
    footnote: int | None = None
    claim: str | None = None
    expect: Any = None
    aliases: list[str] = []
    source: Ident | None = None
    path: list[Any] = []
    extract: str = "text"
    params: dict[str, Any] = {}
    tolerance: float | str | None = None
    valid_until: date | None = None
    watch: list[str] = []
    also: list[SourceRef] = []
    reviewed: Reviewed | None = None
    note: str | None = None

    @field_validator("path")
    @classmethod
    def _paths(cls, value: list[Any]) -> list[Any]:
        return normalize_path(value)

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\s*\d+(\.\d+)?\s*%?\s*", value):
            raise ValueError(f"bad tolerance {value!r}: a number (absolute) or like '0.5%'")
        return value

    @property
    def primary(self) -> SourceRef | None:
        if not self.source:
            return None
        return SourceRef(source=self.source, path=self.path, extract=self.extract,
                         params=self.params)


class ReportMeta(Strict):
    id: Ident
    title: str | None = None
    language: str | None = None
    published: date | None = None
    text: str | None = None
    url: str | None = None
    authors: list[str] = []


class Section(Strict):
    """A report section watched for news by keywords (facts carry their own `watch`)."""

    title: Annotated[str, Field(min_length=1)]
    watch: list[Annotated[str, Field(min_length=1)]] = []


class ReportFile(Strict):
    report: ReportMeta
    sections: list[Section] = []
    facts: list[Fact] = []


def normalize_path(value: list[Any]) -> list[Any]:
    """Accept [k1, k2] or [[k1, k2], [k1, k3]]; keys become strings."""
    if value and all(isinstance(v, list) for v in value):
        return [[str(k) for k in alt] for alt in value]
    if any(isinstance(v, (list, dict)) for v in value):
        raise ValueError("path is a list of keys, or a list of alternative key lists")
    return [str(k) for k in value]


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
    reports: dict[str, Report] = field(default_factory=dict)

    def fact(self, ref: str) -> tuple[Report, Fact]:
        """Find a fact by `ID` or `REPORT/ID`."""
        report_id, _, fact_id = ref.rpartition("/")
        hits = [(r, f) for r in self.reports.values() for f in r.facts
                if f.id == fact_id and (not report_id or r.meta.id == report_id)]
        if not hits:
            known = ", ".join(sorted(f"{r.meta.id}/{f.id}" for r in self.reports.values()
                                     for f in r.facts)[:20])
            raise ConfigError(f"no fact {ref!r}; known facts: {known or 'none'}")
        return hits[0]


# ---------------------------------------------------------------- loading


def load_config(root: Path | str) -> Config:
    """Load and validate a whole workspace configuration (feeds + reports)."""
    root = Path(root)
    feeds_path = root / "feeds.yaml"
    if not feeds_path.exists():
        raise ConfigError("feeds.yaml not found; is this a workspace? (`tracker init DIR`)",
                          file=str(feeds_path))
    cache = root / ".tracker" / "cache" / "yaml"  # parsed values per file content
    tree = _Doc(feeds_path, cache)
    pending = [tree.remember]
    feeds = _validate(FeedsFile, tree.data or {}, feeds_path, (), tree)
    sources = {sid: _source_options(sid, raw, tree, feeds_path)
               for sid, raw in feeds.sources.items()}
    config = Config(root=root, sources=sources, digest=feeds.digest, email=feeds.email,
                    http=feeds.http)
    for path in report_files(root):
        report, remember = _load_report(path, cache)
        pending.append(remember)
        if report.meta.id in config.reports:
            raise ConfigError(f"duplicate report id {report.meta.id!r} (also in "
                              f"{config.reports[report.meta.id].file.name})", file=str(path),
                              key="report.id")
        config.reports[report.meta.id] = report
    _check_references(config)
    for remember in pending:
        if remember is not None:
            remember()  # all valid: keep the parsed values for the next run
    return config


def report_files(root: Path) -> list[Path]:
    """reports/*.yaml, leaving out derived files (citations, drafts)."""
    folder = root / "reports"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml")
                  if not p.name.endswith((".citations.yaml", ".draft.yaml")))


def load_report(path: Path) -> Report:
    return _load_report(path, None)[0]


def _load_report(path: Path, cache: Path | None) -> tuple[Report, Any]:
    tree = _Doc(path, cache)
    parsed = _validate(ReportFile, tree.data, path, (), tree)
    seen: dict[str, int] = {}
    for index, fact in enumerate(parsed.facts):
        if fact.id in seen:
            raise ConfigError(f"duplicate fact id {fact.id!r} (first at facts[{seen[fact.id]}])",
                              file=str(path), line=_line_of(tree, ("facts", index, "id")),
                              key=f"facts[{index}].id")
        seen[fact.id] = index
        _check_extractor(fact.extract, fact.params, tree, path, ("facts", index, "extract"))
        for j, ref in enumerate(fact.also):
            _check_extractor(ref.extract, ref.params, tree, path, ("facts", index, "also", j))
    report = Report(meta=parsed.report, facts=parsed.facts, file=path, sections=parsed.sections)
    return report, tree.remember


def _check_extractor(name: str, params: dict[str, Any], tree: Any, path: Path,
                     loc: tuple[Any, ...]) -> None:
    from tracker.evaluate.extract import EXTRACTORS

    extractor = EXTRACTORS.get(name)
    if extractor is None:
        raise ConfigError(f"unknown extractor {name!r}; allowed: {', '.join(sorted(EXTRACTORS))}",
                          file=str(path), line=_line_of(tree, loc), key=_dotted(loc))
    try:
        extractor.check(params)
    except ValueError as exc:
        raise ConfigError(f"params for extractor {name!r}: {exc}", file=str(path),
                          line=_line_of(tree, loc), key=_dotted(loc)) from None


def _source_options(sid: str, raw: Any, tree: Any, path: Path) -> SourceOptions:
    from tracker.sources.base import SOURCES

    loc = ("sources", sid)
    if not isinstance(sid, str) or not re.fullmatch(ID_PATTERN, sid):  # `$` alone allows "id\n"
        raise ConfigError(f"bad source id {sid!r}: letters, digits, '.', '_', '-' only "
                          "(it names snapshots/<id>.yaml)", file=str(path),
                          line=_line_of(tree, loc), key=_dotted(loc))
    if not isinstance(raw, dict):
        raise ConfigError("a source must be a mapping with at least `kind`", file=str(path),
                          line=_line_of(tree, loc), key=_dotted(loc))
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in SOURCES:
        raise ConfigError(f"unknown source kind {kind!r}; allowed: {', '.join(sorted(SOURCES))}",
                          file=str(path), line=_line_of(tree, loc + ("kind",)),
                          key=_dotted(loc + ("kind",)))
    return _validate(SOURCES[kind].Options, raw, path, loc, tree=tree)


def _check_references(config: Config) -> None:
    for report in config.reports.values():
        tree = None
        for index, fact in enumerate(report.facts):
            refs = ([fact.primary] if fact.primary else []) + list(fact.also)
            for ref in refs:
                if ref.source not in config.sources:
                    tree = tree if tree is not None else _Doc(report.file)
                    known = ", ".join(sorted(config.sources)) or "none defined"
                    raise ConfigError(
                        f"fact {fact.id!r} names source {ref.source!r}, which feeds.yaml does "
                        f"not define; known sources: {known}", file=str(report.file),
                        line=_line_of(tree, ("facts", index, "source")),
                        key=f"facts[{index}].source")


class _Doc:
    """A YAML file parsed fast (libyaml via ruamel's C parser) for its values; parsed again
    in round-trip mode, which records line numbers, only when an error must name a line."""

    def __init__(self, path: Path, cache_dir: Path | None = None) -> None:
        self.path = path
        raw = _read_bytes(path)
        self.data, self.remember = yamlcache.load(path, raw, cache_dir,
                                                  lambda: _read_yaml(path, "safe", raw))
        self._tree: Any = None

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = _read_yaml(self.path, "rt")
        return self._tree


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None


def _read_yaml(path: Path, typ: str, raw: bytes | None = None) -> Any:
    # ruamel is imported here: with the values cached (yamlcache.py) a run needs no parser
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ=typ)  # C parser for "safe" (pure=False is the default)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load((path.read_bytes() if raw is None else raw).decode("utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or str(exc)).strip()
        if "duplicate" in str(exc).lower():
            problem = f"duplicate key: {problem}"
        raise ConfigError(f"invalid YAML: {problem}", file=str(path), line=line) from None
    except (YAMLError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None


def _validate(model: type[BaseModel], data: Any, path: Path, prefix: tuple[Any, ...],
              tree: "_Doc") -> Any:
    try:
        return model.model_validate(_plain(data))
    except ValidationError as exc:
        raise _config_error(exc, model, tree, path, prefix) from None


def _config_error(exc: ValidationError, model: type[BaseModel], tree: Any, path: Path,
                  prefix: tuple[Any, ...]) -> ConfigError:
    messages = []
    first: tuple[int | None, str] | None = None
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        line, key = _line_of(tree, loc), _dotted(loc)
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(model, tuple(err["loc"])[:-1]))
            text = f"unknown key {loc[-1]!r}; allowed: {allowed}"
        elif err["type"] == "missing":
            text = "required key is missing"
        else:
            text = f"{err['msg']} (got {err.get('input')!r})"
            text = text.replace("Value error, ", "")
        messages.append(f"{path}:{line or '?'}: {key}: {text}")
        first = first or (line, key)
    assert first is not None
    error = ConfigError(messages[0], file=str(path), line=first[0], key=first[1])
    error.args = ("\n".join(messages),)
    return error


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str]:
    for part in loc:
        if isinstance(part, int) or not _is_model(model):
            model = _inner_model(model)
            if isinstance(part, int):
                continue
        if _is_model(model) and part in model.model_fields:
            model = _inner_model(model.model_fields[part].annotation)
        else:
            model = _inner_model(model)
    if not _is_model(model):
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _inner_model(annotation: Any) -> Any:
    if _is_model(annotation):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, Union, types.UnionType) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if _is_model(found):
                return found
    return annotation


def _line_of(doc: "_Doc", loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest key along `loc` that ruamel recorded."""
    line, node = None, doc.tree
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc else line
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _plain(node: Any) -> Any:
    """ruamel round-trip nodes → plain dict/list/scalars (keeps dates as dates)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float)) else k: _plain(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, date):
        return date(node.year, node.month, node.day) if not hasattr(node, "hour") else node
    return node
