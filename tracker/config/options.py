"""Option types of feeds.yaml: every source kind's settings, http, digest, email.

Each source kind's options live here (not beside the kind's code) so that the loader can
validate a workspace without importing the kinds; `SOURCE_OPTIONS` maps a `kind` to its
model, and a conformance test holds it equal to the registry in `tracker.sources`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from tracker.config.types import (
    ID_PATTERN,
    Cron,
    Duration,
    EnvName,
    Keyword,
    MailAddress,
    Strict,
)


class SourceOptions(Strict):
    """Settings every source kind accepts; kinds subclass this with their own."""

    kind: str
    url: str | None = None
    title: str | None = None
    schedule: Cron | None = None
    expect_update_within: Duration | None = None
    timeout: float = Field(30.0, gt=0, description="seconds for one attempt, connect to last byte")
    deadline: float | None = Field(
        None,
        gt=0,
        description="seconds for the whole fetch, all requests and retries (default: derived)",
    )
    max_bytes: int = Field(20_000_000, gt=0)
    gone_after: int = Field(2, ge=1, description="consecutive 'gone' answers before health=gone")
    frozen: bool = False  # documented as no longer updated upstream (e.g. the Factbook)
    confirm_shrink: int = Field(
        2,
        ge=1,
        description="runs in a row that must bring the same "
        "much smaller document before it is committed (1: at once)",
    )


class FactbookOptions(SourceOptions):
    pass


class RssOptions(SourceOptions):
    max_items: int = Field(200, ge=1, le=10_000)
    include: list[Keyword] = []  # only items mentioning one of these are matched
    exclude: list[Keyword] = []  # items mentioning one of these are never matched


class WikidataOptions(SourceOptions):
    entity: str | None = Field(None, pattern=r"^Q[1-9]\d*$", description="the item, e.g. Q232")
    article: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="or the item of this Wikipedia article, e.g. 'Senate of Kazakhstan'",
    )
    site: str = Field(
        "enwiki", pattern=r"^[a-z][a-z0-9_]*wiki$", description="the wiki of `article`"
    )
    properties: list[str] = Field(min_length=1, description="property ids, e.g. [P6, P35]")
    languages: list[str] = Field(
        ["en"], min_length=1, description="label languages, first = the value's language"
    )

    @field_validator("properties")
    @classmethod
    def _property_ids(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not re.fullmatch(r"P[1-9]\d*", str(p))]
        if bad:
            raise ValueError(f"bad property id(s) {bad}: use ids like P6, P1082")
        return value

    @model_validator(mode="after")
    def _one_item(self) -> "WikidataOptions":
        if (self.entity is None) == (self.article is None):
            raise ValueError(
                "set `entity` (an item id such as Q232) or `article` (the "
                "Wikipedia article whose item is meant), one of the two"
            )
        return self


class Credentials(Strict):
    """Names of the environment variables holding the login (never the login itself)."""

    username_env: EnvName
    password_env: EnvName


class AcledOptions(SourceOptions):
    country: str = Field(min_length=1)
    since: date
    until: date | None = None  # default: open-ended (up to the run's date)
    credentials: Credentials
    page_size: int = Field(5000, ge=1, le=100_000)
    max_pages: int = Field(200, ge=1)  # bounds a server that keeps sending full pages
    full_refresh_every: Duration = Field(timedelta(days=28))  # re-read all, catch anything missed


class WorldBankOptions(SourceOptions):
    """World Bank Indicators API v2: one country, several indicators (no key needed)."""

    country: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 3166 alpha-3 code, e.g. KAZ")
    indicators: list[str] = Field(
        min_length=1, max_length=60, description="indicator codes, e.g. [SP.POP.TOTL]"
    )
    since: int | None = Field(
        None, ge=1900, le=2200, description="first year read (default: all years)"
    )
    per_page: int = Field(1000, ge=1, le=32_500)  # the API's own maximum is 32,500
    max_pages: int = Field(20, ge=1, le=1000)  # bounds a server that never ends paging

    @field_validator("indicators")
    @classmethod
    def _indicator_codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._]{0,79}", str(c))]
        if bad:
            raise ValueError(f"bad indicator code(s) {bad}: use codes like SP.POP.TOTL")
        if len(set(value)) != len(value):
            raise ValueError("an indicator is listed twice")
        return value


class CitationsOptions(SourceOptions):
    report: str = Field(
        pattern=ID_PATTERN, description="report id: reads reports/<report>.citations.yaml"
    )
    per_host: int = Field(2, ge=1, description="concurrent checks per host (politeness)")
    timeout: float = Field(15.0, gt=0)
    max_bytes: int = Field(5_000_000, gt=0)  # GET fallback only; HEAD has no body


SOURCE_OPTIONS: dict[str, type[SourceOptions]] = {
    "factbook": FactbookOptions,
    "rss": RssOptions,
    "wikidata": WikidataOptions,
    "acled": AcledOptions,
    "citations": CitationsOptions,
    "worldbank": WorldBankOptions,
}


class SmtpConfig(Strict):
    host: str
    port: int = 587
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    username: str | None = None
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    timeout: float = 30.0


class EmailConfig(Strict):
    smtp: SmtpConfig
    from_: MailAddress = Field(alias="from")
    to: list[MailAddress] = Field(min_length=1)
    maintainers: list[MailAddress] = []
    send_when_empty: bool = False
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DigestConfig(Strict):
    schedule: Cron | None = None
    reports: list[str] | None = None
    send_when_empty: bool = False


class HttpConfig(Strict):
    user_agent: str | None = None
    contact: str | None = None
    # Overall open connections. Polite per site (per_host), so the overall limit is only
    # a bound on sockets and memory in flight: 256 lets ~40 sites be polled at full
    # per-site speed at once, which is what hundreds of feeds need.
    concurrency: int = Field(256, ge=1)
    per_host: int = Field(6, ge=1)
    retries: int = Field(3, ge=0)
    backoff: float = Field(1.0, ge=0)
    max_retry_after: float = Field(120.0, ge=0)


class RunConfig(Strict):
    """How one `tracker run` (or daemon job) is bounded and where it parses."""

    # After this, sources still unfinished fail ("not finished within the run's
    # deadline"); the run stores what finished, commits and writes the digest. Long
    # enough for a slow ACLED sync, short enough that a run stuck on a hostile server
    # frees the lock for the next cron run.
    deadline: Duration = Field(timedelta(minutes=15))
    # Processes that parse documents beside the main one; None = one per core (at most
    # 4), 0 = parse in the main process only. Started only for runs with many documents.
    parse_workers: int | None = Field(None, ge=0, le=32)
    # Documents a run parses in-process before it starts the workers: starting them costs
    # about as much as parsing this many feeds (benchmarks/parsepool.py measures it).
    pool_threshold: int = Field(48, ge=0)

    @field_validator("deadline")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("the run's deadline must be longer than 0 s")
        return value


class GitConfig(Strict):
    """Where every writer commits: one branch; optionally integrate with and push to a
    remote (credentials come from git itself, never from this file)."""

    branch: str = Field("main", min_length=1, max_length=200, pattern=r"^[^\s~^:?*\[\\]+$")
    remote: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
    )
    push: bool = False
    timeout: float = Field(
        120.0,
        gt=0,
        description="seconds per git network operation "
        "(fetch, push, clone); a slower one is killed",
    )

    @field_validator("branch")
    @classmethod
    def _branch_name(cls, value: str) -> str:
        """A name git accepts (git check-ref-format) that no git command reads as an option."""
        if re.search(r"^[-/.]|\.\.|@\{|//|/\.|\.lock(/|$)|[/.]$|[\x00-\x1f\x7f]", value):
            raise ValueError(f"{value!r} is not a branch name git accepts")
        return value


class FeedsFile(Strict):
    sources: dict[str, dict[str, Any]] = {}
    digest: DigestConfig = DigestConfig()
    email: EmailConfig | None = None
    http: HttpConfig = HttpConfig()
    git: GitConfig = GitConfig()
    run: RunConfig = RunConfig()
