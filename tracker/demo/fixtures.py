"""SYNTHETIC fixtures for the offline demo: ACLED events, news items, the CIA farewell page.

Nothing here is real ACLED data or a real news item. The ACLED rows are generated so
that their aggregates equal the figures the Kazakhstan brief quotes (October 2025), then
ACLED "recodes" one 2025 event in March 2026 — the kind of revision the tracker exists to
catch (a 2024 attack's death toll goes from 1 to 2). The news items are invented headlines about real, documented events (the 2026
constitutional referendum, the 2026 MCI) so that matching can be shown.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

VAC = "Violence against civilians"
PROTESTS = "Protests"

# (year window, event type, sub-event type, civilian targeting, events, fatalities)
_PLAN = [
    ((date(2023, 1, 1), date(2023, 12, 31)), VAC, "Attack", True, 48, 2),
    ((date(2024, 1, 1), date(2024, 12, 31)), VAC, "Attack", True, 48, 5),
    ((date(2025, 1, 1), date(2025, 9, 12)), VAC, "Attack", True, 35, 3),
    ((date(2025, 1, 1), date(2025, 9, 12)), "Riots", "Mob violence", True, 2, 3),
    ((date(2023, 1, 1), date(2024, 12, 31)), PROTESTS, "Peaceful protest", False, 1227, 0),
    ((date(2023, 1, 1), date(2024, 12, 31)), PROTESTS, "Protest with intervention", False, 28, 0),
    ((date(2025, 1, 1), date(2025, 9, 12)), PROTESTS, "Peaceful protest", False, 315, 0),
    ((date(2025, 1, 1), date(2025, 9, 12)), PROTESTS, "Protest with intervention", False, 5, 0),
    ((date(2025, 9, 13), date(2026, 11, 15)), PROTESTS, "Peaceful protest", False, 410, 0),
    ((date(2025, 9, 13), date(2026, 11, 15)), VAC, "Attack", True, 41, 4),
]
RECODE_KNOWN = datetime(2026, 3, 2, tzinfo=timezone.utc)  # when ACLED revised one event
PUBLICATION_LAG = timedelta(days=7)  # ACLED publishes weekly


def acled_rows(today: datetime) -> list[dict[str, str]]:
    """Synthetic rows ACLED would serve on `today` (published a week after the event)."""
    rng = random.Random(398)
    rows: list[dict[str, str]] = []
    for (start, end), etype, sub, civilian, events, deaths in _PLAN:
        span = (end - start).days
        days = sorted(start + timedelta(days=rng.randrange(span + 1)) for _ in range(events))
        for index, day in enumerate(days):
            rows.append(
                _row(
                    len(rows) + 1,
                    day,
                    etype,
                    sub,
                    civilian,
                    deaths // events + (index < deaths % events),
                )
            )
    visible = [r for r in rows if _published(r) <= today]
    if today >= RECODE_KNOWN:  # a 2024 attack recoded: one more person died of injuries
        target = next(
            r
            for r in visible
            if r["event_date"].startswith("2024-")
            and r["event_type"] == VAC
            and r["fatalities"] == "1"
        )
        target["fatalities"] = "2"
        target["timestamp"] = str(int(RECODE_KNOWN.timestamp()))
    return visible


def _row(n: int, day: date, etype: str, sub: str, civilian: bool, deaths: int) -> dict[str, str]:
    published = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + PUBLICATION_LAG
    return {
        "event_id_cnty": f"KAZ{n:05d}",
        "event_date": day.isoformat(),
        "year": str(day.year),
        "event_type": etype,
        "sub_event_type": sub,
        "civilian_targeting": "Civilian targeting" if civilian else "",
        "country": "Kazakhstan",
        "iso": "398",
        "admin1": "Almaty",
        "location": "Almaty",
        "fatalities": str(deaths),
        "notes": "(synthetic demo event)",
        "timestamp": str(int(published.timestamp())),
    }


def _published(row: dict[str, str]) -> datetime:
    return datetime.fromtimestamp(int(row["timestamp"]), timezone.utc)


# Invented headlines about documented events; dates are the (simulated) publication dates.
NEWS: list[dict[str, Any]] = [
    {
        "feed": "timesca",
        "date": "2025-09-20",
        "title": "Prime Minister Bektenov chairs meeting on flood preparedness",
        "summary": "The government reviewed dams and evacuation plans after the 2024 floods.",
    },
    {
        "feed": "astanatimes",
        "date": "2025-11-05",
        "title": "Senate approves budget for 2026–2028",
        "summary": "Senators passed the republican budget; the monthly calculation index (MCI) "
        "is set at 4,325 tenge from 1 January 2026.",
    },
    {
        "feed": "tengrinews",
        "date": "2026-02-12",
        "title": "Tokayev signs decree on constitutional referendum",
        "summary": "A draft constitution would replace the bicameral Parliament with a "
        "unicameral Kurultai; the referendum is set for 15 March.",
    },
    {
        "feed": "kursiv",
        "date": "2026-03-16",
        "title": "Voters approve new constitution; Kurultai to replace Senate and Mazhilis",
        "summary": "Turnout was 73.12% and 87.15% voted yes. The constitution enters into force "
        "on 1 July 2026 and creates a vice-president post.",
    },
    {
        "feed": "timesca",
        "date": "2026-04-10",
        "title": "Премьер-министр Бектенов провёл заседание правительства",
        "summary": "<p>Правительство обсудило <b>паводки</b> и эвакуацию.</p>"
        "<script>alert('x')</script>",
    },
    {
        "feed": "astanatimes",
        "date": "2026-07-01",
        "title": "New constitution enters into force; Kurultai elections to be called",
        "summary": "Parliament's two chambers cease to exist; elections to the 145-seat "
        "Kurultai must be held within two months.",
    },
    {
        "feed": "kursiv",
        "date": "2026-09-15",
        "title": "Kurultai holds first session",
        "summary": "Deputies elected a speaker; the prime minister presented the government.",
    },
]


def rss_feed(title: str, link: str, today: datetime) -> bytes:
    """An RSS 2.0 document with the synthetic items of feed `title` published up to `today`
    (feeds without items of their own are well-formed and empty)."""
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    items = []
    for index, item in enumerate(NEWS):
        when = datetime.fromisoformat(item["date"]).replace(hour=9, tzinfo=timezone.utc)
        if when > today or item["feed"] != title:
            continue
        items.append(
            f"<item><title>{escape(item['title'])}</title>"
            f"<link>{escape(link)}/news/{index}</link><guid>{escape(link)}/news/{index}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(item['summary'])}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- SYNTHETIC demo feed -->\n'
        f'<rss version="2.0"><channel><title>{escape(title)} (synthetic demo)</title>'
        f"<link>{escape(link)}</link><description>synthetic</description>"
        f"{''.join(reversed(items))}</channel></rss>"
    ).encode()


FAREWELL_HTML = b"""<!DOCTYPE html><html lang="en"><head><title>Spotlighting The World
Factbook as We Bid a Fond Farewell - CIA</title></head><body><main><h1>Spotlighting The
World Factbook as We Bid a Fond Farewell</h1><p>(demo stand-in for the CIA's notice of
4 February 2026)</p></main></body></html>"""
