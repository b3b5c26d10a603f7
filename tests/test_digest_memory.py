"""`.tracker/digest.json`: typed, same shape on disk, a damaged or wrongly shaped file set
aside."""

from __future__ import annotations

import json

import pytest

from tracker.digest.memory import (
    DigestMemory,
    Remembered,
    ReportTold,
    Told,
    load_memory,
    save_memory,
)


def test_memory_round_trips_in_the_documented_shape(tmp_path):
    memory = DigestMemory(
        last_run="2026-03-01T06:00:00+00:00",
        reports={
            "kz": ReportTold(
                last="2026-03-01T06:00:00+00:00",
                sources={"acled-kz": "failing"},
                facts={"population": Remembered("stale|1|[]", "stale", "2026-02-01")},
            )
        },
        maintainers=Told(last=None, sources={"acled-kz": "failing"}),
    )
    save_memory(tmp_path, memory)
    on_disk = json.loads((tmp_path / ".tracker" / "digest.json").read_text())
    assert on_disk == {
        "last_run": "2026-03-01T06:00:00+00:00",
        "maintainers": {"last": None, "sources": {"acled-kz": "failing"}},
        "reports": {
            "kz": {
                "last": "2026-03-01T06:00:00+00:00",
                "sources": {"acled-kz": "failing"},
                "facts": {
                    "population": {
                        "key": "stale|1|[]",
                        "status": "stale",
                        "first_reported": "2026-02-01",
                    }
                },
            }
        },
    }
    assert load_memory(tmp_path) == memory


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"reports": []}',
        '{"reports": {"kz": {"facts": {"a": 1}}}}',
        '{"reports": {"kz": {"facts": {"a": {"key": "k", "status": "stale"}}}}}',
        '{"last_run": 5}',
        '{"reports": {"kz": {"sources": {"a": ["failing"]}}}}',
    ],
)
def test_a_damaged_or_wrongly_shaped_memory_is_set_aside(tmp_path, content):
    path = tmp_path / ".tracker" / "digest.json"
    path.parent.mkdir()
    path.write_text(content)
    assert load_memory(tmp_path) == DigestMemory()
    assert not path.exists() and (tmp_path / ".tracker" / "digest.json.damaged").exists()
