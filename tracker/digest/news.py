"""Matched news for the digest: one entry per item, attached to the card it explains.

The news watch (tracker.evaluate.news) records one match per (item, fact or section); an
article naming the Senate, the prime minister and the Parliament is three matches. Here
they become one entry that knows every fact and section it matched, and that entry is
shown once: on the first card holding one of its facts (else one of its sections), or
else in the digest's News list.
"""

from __future__ import annotations

from typing import Any, Iterable

from tracker.digest.model import Cause, NewsEntry
from tracker.digest.values import clean, plain_text, safe_href


def news_entries(matches: Iterable[dict[str, Any]]) -> list[NewsEntry]:
    """One entry per news item, in the order items were first matched."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for match in matches:
        if isinstance(match, dict):
            grouped.setdefault(item_key(match), []).append(match)
    return [_entry(key, group) for key, group in grouped.items()]


def item_key(match: dict[str, Any]) -> str:
    item = _item(match)
    ident = item.get("id") or item.get("link") or item.get("title") or match.get("id")
    return f"{match.get('feed')}\0{ident}"


def _item(match: dict[str, Any]) -> dict[str, Any]:
    item = match.get("item")
    return item if isinstance(item, dict) else {}


def _entry(key: str, matches: list[dict[str, Any]]) -> NewsEntry:
    item = _item(matches[0])
    facts = _unique(clean(m.get("fact")) for m in matches if m.get("fact"))
    sections = _unique(
        clean(m.get("section")) for m in matches if m.get("section") and not m.get("fact")
    )
    return NewsEntry(
        key=key,
        title=plain_text(item.get("title"), 200) or "(untitled)",
        link=safe_href(item.get("link")),
        published=clean(item.get("published"))[:10],
        summary=plain_text(item.get("summary")),
        feed=clean(matches[0].get("feed")) or None,
        keywords=_unique(clean(m.get("keyword")) for m in matches if m.get("keyword")),
        facts=facts,
        sections=sections,
        match_ids=tuple(str(m["id"]) for m in matches if m.get("id")),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def attach(entries: list[NewsEntry], causes: list[Cause]) -> list[NewsEntry]:
    """Put each entry on the card it explains; → the entries no card took."""
    left = []
    for entry in entries:
        cause = _by_fact(entry, causes) or _by_section(entry, causes)
        if cause is None:
            left.append(entry)
        else:
            cause.news.append(entry)
    return left


def _by_fact(entry: NewsEntry, causes: list[Cause]) -> Cause | None:
    wanted = set(entry.facts)
    return next((c for c in causes if wanted & {f.fact for f in c.facts}), None)


def _by_section(entry: NewsEntry, causes: list[Cause]) -> Cause | None:
    wanted = set(entry.sections)
    return next((c for c in causes if wanted & {f.section for f in c.facts if f.section}), None)
