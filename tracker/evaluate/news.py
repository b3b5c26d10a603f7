"""News watch: match new feed items to the facts and sections of reports, remember them.

A fact's `watch` keywords and a report section's `watch` keywords are looked for in an
item's title and summary, ignoring case and diacritics, on word boundaries ("PM" does not
hit "PMs"); a keyword ending in `*` is a prefix, for inflected languages ("Бектенов*" hits
"Бектенова", "premier*" hits "premiera"). A feed's `include`/`exclude` keywords decide
which of its items are matched at all.

What has been seen and matched lives in `.tracker/news.json` (local, survives restarts):
per feed, the ids of the items already looked at, and the matches with their
`reported_at`. Every item is matched once, when it first appears in its feed's snapshot;
the first snapshot of a feed is a baseline (its items are seen, not reported), so adding a
feed does not flood the digest with old news.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from filelock import FileLock
from typing_extensions import Required, TypedDict

from tracker.config import Config
from tracker.store.files import STATE_DIR, IsoTime, JsonFile
from tracker.store.git import GitStore
from tracker.text import fold

NEWS_FILE = "news.json"
SEEN_KEPT = 5_000  # ids remembered per feed beyond those in its snapshot
REPORTED_KEPT = timedelta(days=180)  # reported matches are forgotten after this
ITEM_KEYS = ("title", "link", "published", "summary")


@dataclass(frozen=True)
class Target:
    """What an item can be matched to: a fact (with its section) or a section alone."""

    report: str
    fact: str | None
    section: str | None
    keywords: tuple[str, ...]


# ------------------------------------------------------------------ matching (pure)


@lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    """A keyword → a regex over folded text; None for a keyword with no letters left.

    Words are separated by spaces or hyphens ("prime minister" ~ "prime-minister"); a word
    ending in `*` is a prefix ("организованн* преступност*")."""
    words = [w for w in re.split(r"[\s\-‐‑–]+", fold(keyword)) if w.strip("*")]
    if not words:
        return None
    body = r"[\s\-‐‑–]+".join(
        re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words
    )
    return re.compile(r"(?<!\w)" + body + r"(?!\w)")


def first_hit(keywords: Iterable[str], folded_text: str) -> str | None:
    """The first keyword (as written in the config) found in already folded text."""
    for keyword in keywords:
        pattern = keyword_pattern(keyword)
        if pattern is not None and pattern.search(folded_text):
            return keyword
    return None


def item_text(item: dict[str, Any]) -> str:
    return fold(f"{item.get('title') or ''}\n{item.get('summary') or ''}")


def passes_filters(folded_text: str, include: list[str], exclude: list[str]) -> bool:
    if include and first_hit(include, folded_text) is None:
        return False
    return first_hit(exclude, folded_text) is None


def targets_of(config: Config) -> list[Target]:
    """Every fact with `watch` keywords and every watched section of every report."""
    out = []
    for report in config.reports.values():
        for fact in report.facts:
            if fact.watch:
                out.append(Target(report.meta.id, fact.id, fact.section, tuple(fact.watch)))
        for section in report.sections:
            if section.watch:
                out.append(Target(report.meta.id, None, section.title, tuple(section.watch)))
    return out


def match_item(
    item: dict[str, Any],
    targets: list[Target],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> list[tuple[Target, str]]:
    """(target, keyword that hit) for each target the item mentions; [] if filtered out."""
    text = item_text(item)
    if not passes_filters(text, list(include), list(exclude)):
        return []
    # A unit's reports watch the same few words: each searched once per item, not once
    # per target (thousands of targets, a handful of distinct keywords)
    found: dict[str, bool] = {}
    hits = []
    for target in targets:
        for keyword in target.keywords:
            if keyword not in found:
                pattern = keyword_pattern(keyword)
                found[keyword] = pattern is not None and pattern.search(text) is not None
            if found[keyword]:
                hits.append((target, keyword))
                break
    return hits


def match_id(target: Target, feed: str, item_id: str) -> str:
    basis = "\0".join((target.report, target.fact or "", target.section or "", feed, item_id))
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def make_match(
    target: Target, keyword: str, feed: str, item_id: str, item: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": match_id(target, feed, item_id),
        "report": target.report,
        "fact": target.fact,
        "section": target.section,
        "keyword": keyword,
        "feed": feed,
        "item": {"id": item_id, **{k: _text(item.get(k)) for k in ITEM_KEYS}},
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# ------------------------------------------------------------------ the record


class _Item(TypedDict, total=False):
    id: Required[str]
    title: str | None
    link: str | None
    published: str | None
    summary: str | None


class _Match(TypedDict, total=False):
    id: Required[str]
    report: str | None
    fact: str | None
    section: str | None
    keyword: str
    feed: str
    item: Required[_Item]
    matched_at: IsoTime
    reported_at: IsoTime | None


class _Feed(TypedDict, total=False):
    seen: list[str]
    since: IsoTime
    digest: str
    stat: list[int]


class _Record(TypedDict, total=False):
    feeds: dict[str, _Feed]
    matches: dict[str, _Match]


def _record(root: Path | str) -> JsonFile[_Record]:
    # Damaged or misshapen (a killed disk, a hand edit): kept aside for a person, started
    # afresh. Feeds then get a new baseline, so nothing is reported twice or falsely.
    # one feed (and one match) per line: readable, and quick to write for many feeds
    return JsonFile(Path(root) / STATE_DIR / NEWS_FILE, _Record, _Record, rows=True)


def _lock(root: Path | str) -> FileLock:
    path = Path(root) / STATE_DIR / NEWS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=60)


def _load(root: Path | str) -> dict[str, Any]:
    data: dict[str, Any] = dict(_record(root).load())
    data.setdefault("feeds", {})
    data.setdefault("matches", {})
    return data


def _save(root: Path | str, data: dict[str, Any]) -> None:
    _record(root).save(data)


def _remember(seen: list[str], current: list[str]) -> list[str]:
    """All ids in the snapshot, plus the most recent SEEN_KEPT ids that left it."""
    in_snapshot = set(current)
    merged = list(dict.fromkeys(seen + current))
    gone = [i for i in merged if i not in in_snapshot]
    drop = set(gone[: max(0, len(gone) - SEEN_KEPT)])
    return [i for i in merged if i not in drop]


# ------------------------------------------------------------------ public API


def match_new_items(
    root: Path | str,
    config: Config,
    now: datetime,
    store: GitStore,
    fresh: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Match the items of every rss snapshot not seen before; store them as pending.

    Returns the new matches. Reads the snapshots as written (a failed fetch leaves its
    snapshot untouched, so it can never bring new items). A feed whose snapshot file is
    byte-for-byte what was matched last time is skipped without parsing it (and without
    reading it when its size and mtime are unchanged; news.json is then not rewritten
    either: an unchanged pass over 1,000 feeds read 20 MB for nothing); `fresh` may
    hand over snapshots this run already holds in memory.
    """
    feeds = [sid for sid, options in config.sources.items() if options.kind == "rss"]
    if not feeds:
        return []
    targets: list[Target] | None = None  # read from every report: only when a feed changed
    new_matches: list[dict[str, Any]] = []
    with _lock(root):
        data = _load(root)
        dirty = False
        for feed in feeds:
            path = store.snapshot_path(feed)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            record = data["feeds"].get(feed)
            # size and mtime as last time: the very file matched then (no read, no hash)
            signature = [stat.st_size, stat.st_mtime_ns]
            if record is not None and record.get("stat") == signature:
                continue
            digest = hashlib.sha1(path.read_bytes()).hexdigest()
            if record is not None and record.get("digest") == digest:
                record["stat"], dirty = signature, True
                continue  # nothing new can be in an unchanged snapshot
            snapshot = (fresh or {}).get(feed) or store.read_snapshot(feed)
            if not isinstance(snapshot, dict) or not isinstance(snapshot.get("items"), dict):
                continue
            targets = targets if targets is not None else targets_of(config)
            new_matches += _match_feed(
                data, feed, snapshot["items"], targets, config.sources[feed], now
            )
            data["feeds"][feed].update(digest=digest, stat=signature)
            dirty = True
        if dirty:
            _save(root, data)
    return new_matches


def _match_feed(
    data: dict[str, Any],
    feed: str,
    items: dict[str, Any],
    targets: list[Target],
    options: Any,
    now: datetime,
) -> list[dict[str, Any]]:
    record = data["feeds"].get(feed)
    current = list(items)
    if record is None:  # first sight of this feed: a baseline, nothing reported
        data["feeds"][feed] = {"seen": _remember([], current), "since": now.isoformat()}
        return []
    seen = set(record.get("seen") or [])
    found = []
    for item_id in current:
        if item_id in seen:
            continue  # already matched (or not) once: a changed title is no new item
        for target, keyword in match_item(
            items[item_id],
            targets,
            getattr(options, "include", []),
            getattr(options, "exclude", []),
        ):
            match = make_match(target, keyword, feed, item_id, items[item_id])
            if match["id"] not in data["matches"]:
                data["matches"][match["id"]] = {
                    **match,
                    "matched_at": now.isoformat(),
                    "reported_at": None,
                }
                found.append(match)
    record["seen"] = _remember(list(record.get("seen") or []), current)
    return found


def unreported_matches(root: Path | str) -> list[dict[str, Any]]:
    """Pending matches, newest item first: {id, report, fact, section, keyword, feed, item}."""
    with _lock(root):
        data = _load(root)
    pending = [m for m in data["matches"].values() if not m.get("reported_at")]
    pending.sort(key=lambda m: (m["item"].get("published") or "", m["id"]), reverse=True)
    keys = ("id", "report", "fact", "section", "keyword", "feed", "item")
    return [{k: m.get(k) for k in keys} for m in pending]


def mark_reported(root: Path | str, ids: list[str], now: datetime) -> None:
    """Record that these matches were reported; they are never returned again."""
    wanted = set(ids)
    with _lock(root):
        data = _load(root)
        for match_id_, match in data["matches"].items():
            if match_id_ in wanted and not match.get("reported_at"):
                match["reported_at"] = now.isoformat()
        cutoff = (now - REPORTED_KEPT).isoformat()
        data["matches"] = {
            k: m
            for k, m in data["matches"].items()
            if not m.get("reported_at") or m["reported_at"] >= cutoff
        }
        _save(root, data)
