"""The digest as typed records: what `build` produces and the templates render.

Every string here is display-ready: values formatted (`20,432,662`), text from sources
reduced to plain text without control characters. Markup safety is the templates' job
(HTML autoescaping); nothing in the model is ever markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Why a fact needs review, worst first; also the order of the cards.
FLAGS = ("stale", "disagreement", "expired", "unverifiable")
# Health of a source that the digest reports, in the order it reports them.
PROBLEM_HEALTH = ("failing", "gone", "suspect", "quiet", "never-fetched")


@dataclass(frozen=True)
class ReportInfo:
    id: str
    title: str | None = None
    language: str | None = None
    published: str | None = None  # ISO date


@dataclass(frozen=True)
class SourceInfo:
    """One source as the digest sees it (from `tracker sources`)."""

    id: str
    title: str
    kind: str = ""
    link: str | None = None  # an http(s) URL or None
    health: str = "ok"
    since: str | None = None
    error: str | None = None  # only where the health is bad


@dataclass(frozen=True)
class CrossCheck:
    """What a secondary (`also:`) source says about a fact."""

    source: str
    title: str
    value: str
    agrees: bool | None  # None: the value could not be read
    since: str | None = None


@dataclass(frozen=True)
class ShareDiff:
    name: str
    expected: str
    current: str


@dataclass(frozen=True)
class FactEntry:
    """One fact on a card: what the report says and what its source says now."""

    fact: str
    status: str  # one of FLAGS
    expected: str
    current: str | None  # None: no source value to show
    claim: str | None = None
    section: str | None = None
    footnote: int | None = None
    path: str | None = None
    note: str | None = None
    also: tuple[CrossCheck, ...] = ()
    shares: tuple[ShareDiff, ...] = ()


@dataclass(frozen=True)
class NewsEntry:
    """One news item (however many facts and sections it matched)."""

    key: str
    title: str
    link: str | None
    published: str
    summary: str
    feed: str | None
    keywords: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # facts it matched
    sections: tuple[str, ...] = ()  # sections it matched without a fact
    match_ids: tuple[str, ...] = ()  # ids in .tracker/news.json, marked reported once sent


@dataclass
class Cause:
    """Facts that need review for one reason: expired together, stale from one source
    version, unreadable from one source, or the same sources disagreeing."""

    status: str  # one of FLAGS
    headline: str
    date: str | None = None
    days: int | None = None  # how long ago `date` was
    source: SourceInfo | None = None
    facts: list[FactEntry] = field(default_factory=list)
    news: list[NewsEntry] = field(default_factory=list)

    @property
    def section(self) -> str | None:
        """The section every fact of the card is in, if they share one."""
        sections = {f.section for f in self.facts}
        return sections.pop() if len(sections) == 1 else None


@dataclass(frozen=True)
class OpenLine:
    """A problem already reported: one line, since when."""

    fact: str
    status: str
    since: str | None
    first_reported: str | None
    checked: bool = True  # False: its source could not be read this time


@dataclass(frozen=True)
class ResolvedLine:
    fact: str
    status: str  # current | acknowledged
    was: str | None
    current: str


@dataclass(frozen=True)
class SourceLine:
    """Sources of one health: `3 sources could not be read: A, B, C`."""

    health: str
    text: str
    sources: tuple[SourceInfo, ...]
    facts_not_checked: int = 0


@dataclass(frozen=True)
class DeadLink:
    url: str
    footnotes: tuple[int, ...]
    state: str
    died: str
    status: int | None = None
    final_url: str | None = None
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    """Every fact of the report in exactly one bucket."""

    tracked: int
    agree: int  # current, and a source checks it
    unchecked: int  # no source checks it: tracked by expiry or news only
    review: int  # new problems
    still_open: int
    not_checked: int  # the source could not be read this time
    acknowledged: int


@dataclass
class Digest:
    report: ReportInfo
    date: str
    generated: str
    counts: Counts
    review: list[Cause] = field(default_factory=list)
    still_open: list[OpenLine] = field(default_factory=list)
    resolved: list[ResolvedLine] = field(default_factory=list)
    news: list[NewsEntry] = field(default_factory=list)  # not attached to a card
    news_count: int = 0  # items, attached or not
    sources: list[SourceLine] = field(default_factory=list)
    outage: bool = False  # every source of the report failed
    dead_links: list[DeadLink] = field(default_factory=list)
    maintainers_notified: bool = False
    health: dict[str, str] = field(default_factory=dict)  # unhealthy source → health
    health_news: bool = False
    has_new: bool = False
    subject: str = ""
    verifiability: str = ""  # living / frozen-only / unchecked counts, one sentence

    @property
    def review_facts(self) -> int:
        return sum(len(c.facts) for c in self.review)

    @property
    def reported_news(self) -> list[str]:
        """Ids of every news match this digest shows (attached or not)."""
        entries = [n for c in self.review for n in c.news] + self.news
        return [i for n in entries for i in n.match_ids]

    @property
    def empty(self) -> bool:
        return not (
            self.review
            or self.still_open
            or self.resolved
            or self.news
            or self.sources
            or self.dead_links
        )
