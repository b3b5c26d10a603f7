"""The acled extractor's per-category index gives exactly what summing day by day gives,
and a map that is not clean is summed day by day, failing where that walk fails."""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from typing import Any

import pytest

from tracker.evaluate.extract import acled
from tracker.evaluate.extract.registry import ExtractError

TYPES = ["Protests", "Riots", "Battles", "Violence against civilians"]
SUBS = ["Peaceful protest", "Protest with intervention", "Mob violence", "Armed clash", ""]


def day_by_day(days: dict[str, Any], params: dict[str, Any]) -> int:
    start, end = params.get("from"), params.get("to")
    wanted = acled._Wanted(params)
    total = 0
    for day, categories in days.items():
        when = date.fromisoformat(day)
        if (start and when < start) or (end and when > end):
            continue
        total += sum(int(n) for key, n in (categories or {}).items() if wanted(key))
    return total


def random_case(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    def key() -> str:
        sub = rng.choice(SUBS)
        text = rng.choice(TYPES) + (f" › {sub}" if sub else "")
        return text + (" › civilian targeting" if rng.random() < 0.2 else "")

    def day() -> date:
        return date(2023, 1, 1) + timedelta(days=rng.randrange(900))

    days = {
        day().isoformat(): (
            {key(): rng.randrange(9) for _ in range(rng.randrange(4))}
            if rng.random() > 0.05
            else None
        )
        for _ in range(rng.randrange(60))
    }
    params: dict[str, Any] = {}
    for bound in ("from", "to"):
        if rng.random() < 0.7:
            params[bound] = day()
    if rng.random() < 0.5:
        params["event_type"] = rng.choice(TYPES + [TYPES[:2]])
    if rng.random() < 0.3:
        params["sub_event_type"] = rng.choice(SUBS[:4])
    if rng.random() < 0.3:
        params["civilian_targeting"] = rng.random() < 0.5
    return days, params


def test_index_sums_like_the_day_by_day_walk() -> None:
    seed = int(os.environ.get("TRACKER_ACLED_SEED", random.randrange(10**6)))
    print(f"seed {seed} (TRACKER_ACLED_SEED={seed} replays it)")
    rng = random.Random(seed)
    for _ in range(1500):
        days, params = random_case(rng)
        assert acled.extract_acled(days, params) == day_by_day(days, params), (days, params)


def test_a_map_that_is_not_clean_fails_where_the_walk_fails() -> None:
    window = {"from": date(2025, 1, 1), "to": date(2025, 1, 31)}
    # a bad count outside the window is never read
    days = {"2024-06-01": {"Protests": "many"}, "2025-01-05": {"Protests": 3}}
    assert acled.extract_acled(days, window) == 3
    with pytest.raises(ValueError):
        acled.extract_acled({"2025-01-05": {"Protests": "many"}}, window)
    # a day that is not a date is an ExtractError, wherever it is
    with pytest.raises(ExtractError, match="not a date"):
        acled.extract_acled({"2025-01-05": {"Protests": 1}, "soon": {}}, window)
    # a map changed after an extraction is read again, not from the index
    days = {"2025-01-05": {"Protests": 1}}
    assert acled.extract_acled(days, window) == 1
    days["2025-01-06"] = {"Protests": 4}
    assert acled.extract_acled(days, window) == 5
