"""Feed item dates a feed cannot mean: they must not decide which items a snapshot keeps.

A feed keeps its newest `max_items` items, so an item dated far in the future ranks first
for ever: three items dated 2100 would hold every slot of a three-item feed and silence
its real news from then on. Dates before 1990 (no feed is that old) are as wrong, and a
year written with four digits must be the year read (`Mon, 01 Jan 0001` is not
2001-01-01, which the RFC 822 rule for two-digit years makes of it).

Such an item keeps its place in the snapshot but loses its date (`published: null`):
undated items rank last, so they cannot crowd out dated news.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

EARLIEST_YEAR = 1990
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew: a day ahead is plausible
ISO = "%Y-%m-%dT%H:%M:%SZ"
_DATE_KEYS = ("published", "updated", "created")
# a four-digit year in a date's text (not a time, zone offset or longer number)
_YEAR = re.compile(r"(?<![\d:+\-.])(\d{4})(?![\d:])")


def item_date(entry: Any) -> str | None:
    """The first plausible date of a feedparser entry as ISO 8601 UTC, or None."""
    for key in _DATE_KEYS:
        stamp = dict.get(entry, f"{key}_parsed")  # plain dict access: no alias lookup
        if stamp and _believable(stamp, dict.get(entry, key)):
            second = min(stamp.tm_sec, 59)  # a leap second
            when = datetime(
                stamp.tm_year,
                stamp.tm_mon,
                stamp.tm_mday,
                stamp.tm_hour,
                stamp.tm_min,
                second,
                tzinfo=timezone.utc,
            )
            return when.strftime(ISO)
    return None


def _believable(stamp: time.struct_time, text: Any) -> bool:
    if stamp.tm_year < EARLIEST_YEAR:
        return False
    written = _YEAR.search(text) if isinstance(text, str) else None
    return written is None or int(written.group(1)) == stamp.tm_year


def horizon(now: datetime) -> str:
    """The latest date an item may carry when read at `now` (ISO, comparable as text)."""
    return (now.astimezone(timezone.utc) + FUTURE_SLACK).strftime(ISO)


def undate_future(items: dict[str, dict[str, Any]], latest: str) -> None:
    """Items dated after `latest` lose their date (in place)."""
    for item in items.values():
        if not plausible(item.get("published"), latest):
            item["published"] = None


def plausible(published: Any, latest: str | None) -> bool:
    """An ISO date from EARLIEST_YEAR up to `latest` (None: no upper bound)."""
    if not isinstance(published, str) or published[:4] < str(EARLIEST_YEAR):
        return False
    return latest is None or published <= latest


def latest_of(dates: Iterable[Any]) -> str | None:
    """How late an item kept from an earlier snapshot may be dated: a day after the newest
    date the feed shows now (None when it shows none). Snapshots written before dates
    were checked may hold items dated 2100; this keeps them from ranking first."""
    shown = [d for d in dates if isinstance(d, str)]
    if not shown:
        return None
    newest = datetime.strptime(max(shown), ISO).replace(tzinfo=timezone.utc)
    return horizon(newest)
