"""ACLED without changes is like a 304 (issue 19): when the update sends only the newest
rows again, unchanged, and deletes nothing, and the committed snapshot was made from these
rows (its validator), the fetch brings no document; anything else brings the document,
and what it holds is always what a full read would."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.acled_server import FakeAcled, event
from tests.test_acled_fetch import NOW, VAC, P, make_source
from tracker.config import HttpConfig
from tracker.fetch.client import Http
from tracker.sources.acled import DOCUMENT

DAY = timedelta(days=1)


@pytest.fixture
def acled(server) -> FakeAcled:
    fake = FakeAcled(server)
    fake.rows = [
        event(f"KAZ{i:04d}", f"2024-0{1 + i % 9}-1{i % 10}", P, "Peaceful protest", timestamp=ts)
        for i, ts in enumerate([1_750_000_000] * 20 + [1_750_000_500] * 3)
    ]
    return fake


def fetched(acled: FakeAcled, state: Path | None, validators: dict, now=NOW):
    source = make_source(acled, state)

    async def go():
        async with Http(HttpConfig(backoff=0.01, retries=0)) as http:
            return await source.fetch(http, validators, now)

    result = asyncio.run(go())
    snapshot = source.normalize(result.raw) if result.raw is not None else None
    return result, snapshot


def full_read(acled: FakeAcled, tmp_path: Path, now) -> dict:
    """What a fetch without any local rows gives."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    return fetched(acled, fresh, {}, now)[1]


def test_nothing_changed_and_the_snapshot_made_from_these_rows_is_a_304(acled, tmp_path):
    first, snapshot = fetched(acled, tmp_path, {})
    assert snapshot is not None and set(first.validators) == {DOCUMENT}
    second, nothing = fetched(acled, tmp_path, first.validators, NOW + DAY)
    assert second.raw is None and nothing is None
    assert second.validators == first.validators
    assert acled.reads[-1]["timestamp"] == "1750000500"  # only the newest rows were sent again


def test_without_the_validator_the_same_rows_give_the_same_document(acled, tmp_path):
    """A run killed before its snapshot was committed drops the validator: the next fetch
    brings the document again, though the rows are the same."""
    first, snapshot = fetched(acled, tmp_path, {})
    again, same = fetched(acled, tmp_path, {}, NOW + DAY)
    assert again.raw is not None and again.validators == first.validators
    assert {**same, "accessed": None} == {**snapshot, "accessed": None}


def newer_row(acled):
    acled.rows.append(event("KAZ0500", "2025-08-01", VAC, "Attack", 2, timestamp=1_760_000_000))


def resent_row_changed(acled):  # same timestamp as the newest, other content
    acled.rows[-1] = {**acled.rows[-1], "fatalities": "4"}


def deleted_row(acled):
    acled.rows = acled.rows[1:]
    stamp = str(int((NOW + DAY / 2).timestamp()))
    acled.deleted = [{"event_id_cnty": "KAZ0000", "deleted_timestamp": stamp}]


CHANGES = {"a newer row": newer_row, "a resent row changed": resent_row_changed}
CHANGES["a deleted event"] = deleted_row


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_any_change_upstream_brings_the_document_a_full_read_gives(acled, tmp_path, change):
    first, snapshot = fetched(acled, tmp_path, {})
    CHANGES[change](acled)
    later = NOW + DAY
    second, updated = fetched(acled, tmp_path, first.validators, later)
    assert second.raw is not None and second.validators != first.validators
    assert updated == full_read(acled, tmp_path, later) != snapshot


def test_killed_between_the_rows_and_the_sync_file_loses_nothing(acled, tmp_path):
    """The rows file is written first: with the sync file of the run before, the next
    fetch asks for the same updates again and ends where a full read does."""
    first, _ = fetched(acled, tmp_path, {})
    sync = tmp_path / "acled" / "acled-kz.sync.json"
    before = sync.read_bytes()
    newer_row(acled)
    fetched(acled, tmp_path, first.validators, NOW + DAY)
    sync.write_bytes(before)  # as if killed right after writing the rows
    later = NOW + 2 * DAY
    third, snapshot = fetched(acled, tmp_path, first.validators, later)
    assert third.raw is not None
    assert snapshot == full_read(acled, tmp_path, later)


def test_rows_changed_behind_the_sync_file_cost_one_full_read(acled, tmp_path):
    first, snapshot = fetched(acled, tmp_path, {})
    rows = tmp_path / "acled" / "acled-kz.rows.json"
    kept = json.loads(rows.read_text())
    kept["rows"].pop("KAZ0003")  # valid shape, not what was written
    rows.write_text(json.dumps(kept))
    acled.reads.clear()
    second, again = fetched(acled, tmp_path, first.validators, NOW + DAY)
    assert "timestamp" not in acled.reads[0]  # a full read
    assert second.raw is not None and {**again, "accessed": None} == {
        **snapshot,
        "accessed": None,
    }
