"""The `acled` extractor: a count over a date window from an ACLED aggregate snapshot.

A report states ACLED figures over a period — "6 deaths between 1 January and 12 September
2025", "320 protests, 5 with intervention" — so a fact names the window and the filters:

    source: acled-kz
    path: [fatalities]          # or [events]: what is counted
    extract: acled
    params: {from: 2025-01-01, to: 2025-09-12, event_type: Protests,
             sub_event_type: [Protest with intervention], civilian_targeting: true}

The path leads to one of the snapshot's day maps (see sources/acled.py). ACLED
recodes past events, so the sum can change after publication; the fact then turns `stale`
with the report's count as `expected` and ACLED's count now as `current`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from datetime import date, timedelta
from typing import Any

from tracker.config.extractors import acled_bound as _bound
from tracker.config.extractors import as_list as _as_list
from tracker.evaluate.extract.registry import ExtractError, register
from tracker.models import FindingDetails, Window
from tracker.text import fold

REACH_MARGIN = timedelta(days=14)  # ACLED publishes weekly: two missed updates is "well past"


def annotate(snapshot: Any, params: dict[str, Any], details: FindingDetails) -> str | None:
    """Record the window counted and how far the data reaches (its latest event); a note
    when that is well past the window's end, or when the data was read before the window
    closed."""
    start, end = _bound(params, "from"), _bound(params, "to")
    details.window = Window(
        start=start.isoformat() if start else None, end=end.isoformat() if end else None
    )
    if not isinstance(snapshot, dict):
        return None
    through, accessed = snapshot.get("data_through"), snapshot.get("accessed")
    details.data_through = str(through) if through else None
    details.accessed = str(accessed) if accessed else None
    if not through or end is None:
        return None
    try:
        reach = date.fromisoformat(str(through))
        read_on = date.fromisoformat(str(accessed)) if accessed else None
    except ValueError:
        return None
    if reach > end + REACH_MARGIN:
        return (
            f"ACLED data now reaches {reach.isoformat()}, {(reach - end).days} days "
            f"past this count's window ({_window_text(start, end)})"
        )
    if read_on and read_on < end:
        return (
            f"ACLED data was read on {read_on.isoformat()}, before this count's window "
            f"ends ({end.isoformat()}): the count may still grow"
        )
    return None


@register("acled", annotate=annotate)
def extract_acled(days: Any, params: dict[str, Any]) -> int:
    """Sum a day map ({day: {category: count}}) over the window, for matching categories."""
    if not isinstance(days, dict) or "events" in days:
        raise ExtractError(
            "the acled extractor sums a day map: set `path` to [events] or "
            "[fatalities] of an ACLED snapshot"
        )
    start, end = _bound(params, "from"), _bound(params, "to")
    wanted = _Wanted(params)
    index = _index(days)
    if index is None:  # not a clean day map: sum it day by day, failing where it fails
        return _sum_days(days, start, end, wanted)
    total = 0
    for key, (dates, running) in index.items():
        low = bisect_left(dates, start) if start else 0
        high = bisect_right(dates, end) if end else len(dates)
        if low < high and wanted(key):
            total += running[high] - running[low]
    return total


def _sum_days(days: dict[Any, Any], start: date | None, end: date | None, wanted: "_Wanted") -> int:
    total = 0
    for day, categories in days.items():
        try:
            when = date.fromisoformat(str(day))
        except ValueError:
            raise ExtractError(f"not an ACLED day map: key {day!r} is not a date") from None
        if (start and when < start) or (end and when > end):
            continue
        total += sum(int(n) for key, n in (categories or {}).items() if wanted(key))
    return total


Index = dict[str, tuple[list[date], list[int]]]
_INDEXES: "OrderedDict[int, tuple[Any, int, Index | None]]" = OrderedDict()


def _index(days: dict[Any, Any]) -> Index | None:
    """Per category key: its days in order and the running total of its counts — a
    window's sum is then two bisections per category, not a walk over every day. Many
    facts count the same snapshot's map: built once per map (kept for the few maps read
    last, by identity and size). None when the map is not clean (a day that is not a
    date, a count that is not a number, a key that is not text): that map is summed day
    by day, with the errors of that walk."""
    hit = _INDEXES.get(id(days))
    if hit is not None and hit[0] is days and hit[1] == len(days):
        _INDEXES.move_to_end(id(days))
        return hit[2]
    index = _build_index(days)
    _INDEXES[id(days)] = (days, len(days), index)
    if len(_INDEXES) > 8:
        _INDEXES.popitem(last=False)
    return index


def _build_index(days: dict[Any, Any]) -> Index | None:
    entries: dict[str, list[tuple[date, int]]] = {}
    try:
        for day, categories in days.items():
            when = date.fromisoformat(str(day))
            if categories and not isinstance(categories, dict):
                return None
            for key, n in (categories or {}).items():
                if not isinstance(key, str):
                    return None
                entries.setdefault(key, []).append((when, int(n)))
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None
    index: Index = {}
    for key, counts in entries.items():
        counts.sort(key=lambda entry: entry[0])
        running = [0]
        for _, n in counts:
            running.append(running[-1] + n)
        index[key] = ([when for when, _ in counts], running)
    return index


class _Wanted:
    """Whether a category key counts under the fact's params; the params folded once and
    each key decided once (a day map repeats the same few keys on every day)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.event_types = _folded(params["event_type"]) if "event_type" in params else None
        self.sub_event_types = (
            _folded(params["sub_event_type"]) if "sub_event_type" in params else None
        )
        self.civilian = params.get("civilian_targeting")
        self.decided: dict[str, bool] = {}

    def __call__(self, key: str) -> bool:
        if key not in self.decided:
            self.decided[key] = self._decide(key)
        return self.decided[key]

    def _decide(self, key: str) -> bool:
        from tracker.sources.acled import split_key

        event_type, sub_event_type, civilian = split_key(key)
        if self.event_types is not None and fold(event_type) not in self.event_types:
            return False
        if self.sub_event_types is not None and fold(sub_event_type) not in self.sub_event_types:
            return False
        return self.civilian is None or civilian == self.civilian


def _folded(value: Any) -> set[str]:
    return {fold(v) for v in _as_list(value)}


def _window_text(start: date | None, end: date) -> str:
    return f"{start.isoformat() if start else 'start'} to {end.isoformat()}"
