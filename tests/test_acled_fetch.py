"""ACLED fetch against a fake ACLED API on the real local HTTP server: OAuth, paging,
faults, incremental updates and deleted events. All rows are synthetic."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event, reply
from tests.support.server import Reply
from tracker.config import HttpConfig
from tracker.errors import FetchError, ParseError, SourceError
from tracker.fetch.client import Http
from tracker.sources.acled import AcledOptions, AcledSource

NOW = utc("2025-09-17T05:00:00")
ENV = {"ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD}
P, VAC = "Protests", "Violence against civilians"


@pytest.fixture
def acled(server) -> FakeAcled:
    fake = FakeAcled(server)
    fake.rows = [
        event(f"KAZ{i:04d}", f"2024-0{1 + i % 9}-1{i % 10}", P, "Peaceful protest")
        for i in range(23)
    ]
    fake.rows.append(event("KAZ0100", "2025-07-02", VAC, "Attack", 1, civilian=True))
    fake.rows.append(event("KAZ0200", "2022-12-31", P, "Peaceful protest"))  # before `since`
    return fake


def make_source(acled: FakeAcled, state_dir: Path | None, **extra) -> AcledSource:
    settings = {
        "kind": "acled",
        "url": acled.base,
        "country": "Kazakhstan",
        "since": "2023-01-01",
        "page_size": 10,
        "credentials": {"username_env": "ACLED_USERNAME", "password_env": "ACLED_PASSWORD"},
    }
    options = AcledOptions(**{**settings, **extra})
    source = AcledSource("acled-kz", options)
    source.state_dir, source.env = state_dir, dict(ENV)
    return source


def fetch(source: AcledSource, now=NOW) -> dict:
    async def go():
        async with Http(HttpConfig(backoff=0.01, retries=2)) as http:
            fetched = await source.fetch(http, {}, now)
        return source.normalize(fetched.raw)

    return asyncio.run(go())


def total(snapshot: dict) -> int:
    return sum(sum(day.values()) for day in snapshot["events"].values())


def test_pages_until_a_short_page_and_aggregates(acled, tmp_path) -> None:
    snapshot = fetch(make_source(acled, tmp_path))
    assert total(snapshot) == 24  # 23 + 1 in the window; the 2022 row is outside
    assert [q["page"] for q in acled.reads] == ["1", "2", "3"]
    first = acled.reads[0]
    assert first["event_date"] == "2023-01-01|2025-09-17"
    assert first["event_date_where"] == "BETWEEN" and first["_format"] == "json"
    assert "notes" not in first["fields"] and "fatalities" in first["fields"]
    assert acled.grants == ["password"]
    assert snapshot["query"]["country"] == "Kazakhstan"
    assert snapshot["accessed"] == "2025-09-17"


def test_token_is_cached_privately_and_reused(acled, tmp_path) -> None:
    fetch(make_source(acled, tmp_path))
    fetch(make_source(acled, tmp_path), now=NOW + timedelta(hours=2))
    assert acled.grants == ["password"]  # the second run used the cached token
    token_file = tmp_path / "acled" / "acled-kz.token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert PASSWORD not in token_file.read_text()


def test_expired_token_401_then_refresh_then_success(acled, tmp_path) -> None:
    fetch(make_source(acled, tmp_path))
    acled.expire_tokens()  # revoked server-side while our clock still trusts it
    snapshot = fetch(make_source(acled, tmp_path), now=NOW + timedelta(hours=1))
    assert total(snapshot) == 24
    assert acled.grants == ["password", "refresh_token"]
    # a day later the cached access token is past its life: refreshed without a 401
    fetch(make_source(acled, tmp_path), now=NOW + timedelta(days=2))
    assert acled.grants == ["password", "refresh_token", "refresh_token"]


def test_refused_refresh_falls_back_to_password(acled, tmp_path) -> None:
    fetch(make_source(acled, tmp_path))
    acled.expire_tokens()
    acled.fail_next("/oauth/token", reply({"error": "invalid_grant"}, 400))
    fetch(make_source(acled, tmp_path), now=NOW + timedelta(hours=1))
    assert acled.grants == ["password", "password"]  # the refused refresh is not counted


def test_403_says_the_account_lacks_api_access(acled, tmp_path) -> None:
    acled.no_access = True
    with pytest.raises(FetchError) as caught:
        fetch(make_source(acled, tmp_path))
    assert caught.value.status == 403
    assert "no API access" in str(caught.value) and "myACLED" in str(caught.value)


def test_wrong_password_names_the_env_vars_not_the_values(acled, tmp_path) -> None:
    source = make_source(acled, tmp_path)
    source.env = {**ENV, "ACLED_PASSWORD": "wrong-password-123"}
    with pytest.raises(FetchError) as caught:
        fetch(source)
    message = str(caught.value)
    assert "$ACLED_USERNAME" in message and "$ACLED_PASSWORD" in message
    assert "wrong-password-123" not in message and USERNAME not in message


def test_missing_env_var_is_a_source_error(acled, tmp_path) -> None:
    source = make_source(acled, tmp_path)
    source.env = {"ACLED_USERNAME": USERNAME}
    with pytest.raises(SourceError, match=r"\$ACLED_PASSWORD .* is not set"):
        fetch(source)
    assert acled.grants == []


def test_429_with_retry_after_is_honoured(acled, tmp_path) -> None:
    acled.fail_next("/api/acled/read", Reply(429, b"slow down", headers={"Retry-After": "0"}))
    assert total(fetch(make_source(acled, tmp_path))) == 24
    assert acled.server.hits("/api/acled/read") == 4  # 429 + three pages


def test_persistent_500_fails_the_source(acled, tmp_path) -> None:
    acled.fail_next("/api/acled/read", *[Reply(500, b"oops")] * 3)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(make_source(acled, tmp_path))


def test_malformed_json_is_a_parse_error(acled, tmp_path) -> None:
    acled.fail_next("/api/acled/read", Reply(200, b'{"success": true, "data": [{"event'))
    with pytest.raises(ParseError, match="not valid JSON"):
        fetch(make_source(acled, tmp_path))


def test_success_false_surfaces_the_api_errors(acled, tmp_path) -> None:
    acled.fail_next(
        "/api/acled/read",
        reply(
            {
                "success": False,
                "error": [{"message": "Invalid field: evnt_date"}, {"message": "Query too large"}],
            }
        ),
    )
    with pytest.raises(FetchError, match="Invalid field: evnt_date; Query too large"):
        fetch(make_source(acled, tmp_path))


def test_a_page_that_repeats_forever_is_stopped(acled, tmp_path) -> None:
    acled.repeat_pages = True
    with pytest.raises(ParseError, match="page 2 repeats page 1"):
        fetch(make_source(acled, tmp_path))
    assert acled.server.hits("/api/acled/read") == 2


def test_full_pages_without_end_are_bounded(acled, tmp_path) -> None:
    acled.rows = [event(f"KAZ{i:04d}", "2024-05-05", P, "Peaceful protest") for i in range(40)]
    with pytest.raises(ParseError, match="after 3 pages"):
        fetch(make_source(acled, tmp_path, max_pages=3))


def test_a_malformed_row_fails_without_touching_the_cache(acled, tmp_path) -> None:
    fetch(make_source(acled, tmp_path))
    cache = tmp_path / "acled" / "acled-kz.rows.json"
    before = cache.read_text()
    acled.rows.append(
        event("KAZ0300", "2025-08-01", P, "Peaceful protest", timestamp=1_760_000_000)
    )
    acled.rows[-1]["fatalities"] = "n/a"
    with pytest.raises(ParseError, match="KAZ0300.*fatalities must be a whole number"):
        fetch(make_source(acled, tmp_path), now=NOW + timedelta(days=7))
    assert cache.read_text() == before


def test_weekly_update_is_incremental_and_removes_deleted_events(acled, tmp_path) -> None:
    first = fetch(make_source(acled, tmp_path))
    assert first["fatalities"]["2025-07-02"]
    week = NOW + timedelta(days=7)
    acled.rows.append(
        event("KAZ0101", "2025-09-15", P, "Protest with intervention", timestamp=1_758_500_000)
    )
    acled.rows = [r for r in acled.rows if r["event_id_cnty"] != "KAZ0100"]
    acled.deleted = [
        {
            "event_id_cnty": "KAZ0100",
            "deleted_timestamp": str(int((week - timedelta(days=2)).timestamp())),
        }
    ]
    second = fetch(make_source(acled, tmp_path), now=week)
    assert "2025-07-02" not in second["events"] and "2025-07-02" not in second["fatalities"]
    assert second["events"]["2025-09-15"] == {"Protests › Protest with intervention": 1}
    assert acled.reads[-1]["timestamp_where"] == ">="  # only rows changed since last time
    assert acled.reads[-1]["timestamp"] == "1750000000"
    assert total(second) == 24


def test_cache_for_another_query_is_not_reused(acled, tmp_path) -> None:
    fetch(make_source(acled, tmp_path))
    fetch(make_source(acled, tmp_path, since="2024-01-01"), now=NOW + timedelta(days=1))
    assert "timestamp" not in acled.reads[-1]  # a full read, not an update of another query
    cache = json.loads((tmp_path / "acled" / "acled-kz.rows.json").read_text())
    assert all(r["event_date"] >= "2024-01-01" for r in cache["rows"].values())
