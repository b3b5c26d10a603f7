"""`.tracker/digest.json`: typed, same shape on disk, a damaged or wrongly shaped file set
aside; and findings read the same whether their details are a mapping or a record."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.conftest import utc
from tracker.digest.build import build_digest
from tracker.digest.memory import (
    DigestMemory,
    Remembered,
    ReportTold,
    Told,
    load_memory,
    save_memory,
)
from tracker.digest.model import ReportInfo, SourceInfo
from tracker.digest.render import render_text
from tracker.models import Finding

NOW = utc("2026-03-01T06:00")


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


@dataclass
class Check:
    source: str
    value: object = None
    agrees: bool | None = None
    since: str | None = None


@dataclass
class Details:
    """What a typed FindingDetails may look like: attributes instead of keys."""

    value_since: str | None = None
    disagreement: bool = False
    also: list[Check] = field(default_factory=list)
    extract: str | None = None


def test_typed_details_read_like_a_mapping():
    def finding(details):
        return Finding(
            "kz",
            "head-of-government",
            "current",
            "Olzhas Bektenov",
            "Olzhas Bektenov",
            source="fb",
            claim="Premier",
            details=details,
        )

    checks = [Check("wd", "Roman Sklyar", False, "2026-02-20")]
    as_record = finding(Details(value_since="2024-02-08", disagreement=True, also=checks))
    as_mapping = finding(
        {"value_since": "2024-02-08", "disagreement": True, "also": [vars(c) for c in checks]}
    )
    sources = {
        "fb": SourceInfo(id="fb", title="Factbook"),
        "wd": SourceInfo(id="wd", title="Wikidata"),
    }
    texts = [
        render_text(
            build_digest(
                ReportInfo(id="kz"), [f], memory=ReportTold(), news=[], sources=sources, now=NOW
            )
        )
        for f in (as_record, as_mapping)
    ]
    assert texts[0] == texts[1]
    assert "Factbook and Wikidata disagree on 1 fact" in texts[0]
    assert "Also Wikidata: Roman Sklyar (disagrees, since 2026-02-20)" in texts[0]
