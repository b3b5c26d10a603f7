"""ACLED normalize (strict rows → aggregates) and the `acled` window extractor (pure)."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from tests.conftest import TEST_DATA
from tracker.errors import ParseError, SourceGone
from tracker.evaluate.extract import EXTRACTORS
from tracker.models import FindingDetails, Window
from tracker.sources.acled import ATTRIBUTION, normalize_acled
from tracker.store import snapshot_yaml

SAMPLE = TEST_DATA / "acled" / "kz-sample.synthetic.json"  # synthetic rows, not ACLED data
ACCESSED = date(2025, 9, 17)


def sample() -> dict:
    return json.loads(SAMPLE.read_text())


def normalize(document: dict) -> dict:
    return normalize_acled(json.dumps(document).encode(), ACCESSED)


def test_snapshot_holds_aggregates_attribution_and_no_raw_row() -> None:
    snap = normalize(sample())
    assert snap["attribution"] == ATTRIBUTION
    assert snap["accessed"] == "2025-09-17"
    assert snap["data_through"] == "2025-09-05"
    assert snap["events"]["2024-02-14"] == {
        "Protests › Peaceful protest": 2,
        "Protests › Protest with intervention": 1,
    }
    assert snap["fatalities"]["2024-06-01"] == {
        "Violence against civilians › Attack › civilian targeting": 2
    }
    assert "2024-02-14" not in snap["fatalities"]  # zero fatalities are not listed
    assert snap["years"] == {
        "2023": {"events": 3, "fatalities": 2},
        "2024": {"events": 5, "fatalities": 3},
        "2025": {"events": 4, "fatalities": 4},
    }
    text = snapshot_yaml.dumps(snap)
    for raw in ("KAZ9", "synthetic) not a real", "Almaty", "1757000000"):
        assert raw not in text  # ids, notes, places, timestamps stay out of git


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("fatalities", "", "fatalities must be a whole number"),
        ("fatalities", "two", "fatalities must be a whole number"),
        ("fatalities", 1, "fatalities must be a whole number"),
        ("fatalities", "-1", "fatalities must be a whole number"),
        ("event_date", "14/02/2024", "event_date must be 'YYYY-MM-DD'"),
        ("event_date", "2024-02-30", "not a calendar date"),
        ("civilian_targeting", "yes", "civilian_targeting must be"),
        ("event_type", "", "bad event_type"),
        ("timestamp", None, "timestamp must be a whole number"),
    ],
)
def test_a_malformed_row_is_an_error_naming_row_and_field(field, value, message) -> None:
    document = sample()
    document["data"][4][field] = value
    with pytest.raises(ParseError) as caught:
        normalize(document)
    assert message in str(caught.value)
    assert "row 4 ('KAZ9005')" in str(caught.value)


def test_missing_field_and_bad_envelopes_are_errors() -> None:
    document = sample()
    del document["data"][0]["sub_event_type"]
    with pytest.raises(ParseError, match="row 0 .* missing field.*sub_event_type"):
        normalize(document)
    with pytest.raises(ParseError, match="success: false"):
        normalize({"success": False, "data": [], "error": [{"message": "x"}]})
    with pytest.raises(ParseError, match="not valid JSON"):
        normalize_acled(b'{"data": [', ACCESSED)
    with pytest.raises(ParseError, match="no `data` list"):
        normalize({"success": True})
    with pytest.raises(SourceGone):
        normalize_acled(b"<!DOCTYPE html><html>moved</html>", ACCESSED)


def acled(params: dict) -> int:
    """The count over `measure` (the fact's path: events or fatalities) with params."""
    params = dict(params)
    days = normalize(sample())[params.pop("measure")]
    extractor = EXTRACTORS["acled"]
    extractor.check(params)
    return extractor(days, params)


def test_window_sums_with_filters() -> None:
    assert acled({"measure": "events"}) == 12
    assert acled({"measure": "fatalities", "from": "2025-01-01", "to": "2025-09-12"}) == 4
    assert acled({"measure": "fatalities", "from": date(2024, 1, 1), "to": date(2024, 12, 31)}) == 3
    assert (
        acled(
            {
                "measure": "events",
                "event_type": "protests",
                "from": "2024-01-01",
                "to": "2024-12-31",
            }
        )
        == 3
    )  # names compare case-insensitively
    assert acled({"measure": "events", "sub_event_type": ["Protest with intervention"]}) == 2
    assert acled({"measure": "fatalities", "civilian_targeting": True}) == 8
    assert acled({"measure": "fatalities", "civilian_targeting": False}) == 1
    assert (
        acled(
            {
                "measure": "events",
                "event_type": ["Riots", "Violence against civilians"],
                "to": "2024-06-01",
            }
        )
        == 3
    )  # window bounds are inclusive


@pytest.mark.parametrize(
    "params, message",
    [
        ({"from": "12.09.2025"}, "`from` must be an ISO date"),
        ({"from": "2025-09-12", "to": "2025-01-01"}, "is after"),
        ({"civilian_targeting": "yes"}, "true or false"),
        ({"event_type": [""]}, "a name or a list of names"),
        ({"measure": "events"}, "unknown"),
    ],
)
def test_bad_params_are_refused_at_load(params, message) -> None:
    with pytest.raises(ValueError, match=message):
        EXTRACTORS["acled"].check(params)


def test_annotation_says_how_far_the_data_reaches() -> None:
    snap = normalize(sample())
    annotate = EXTRACTORS["acled"].annotate
    later = copy.deepcopy(snap)
    later["data_through"] = "2026-03-20"
    window = {"from": "2025-01-01", "to": "2025-09-12"}
    assert annotate(snap, window, FindingDetails()) is None  # a quiet last week is no gap
    note = annotate(later, window, FindingDetails())
    assert note == (
        "ACLED data now reaches 2026-03-20, 189 days past this count's window "
        "(2025-01-01 to 2025-09-12)"
    )
    early = FindingDetails()
    assert annotate(snap, {"to": "2025-12-31"}, early) == (
        "ACLED data was read on 2025-09-17, before this count's window ends (2025-12-31): "
        "the count may still grow"
    )
    assert early.data_through == "2025-09-05" and early.window == Window(None, "2025-12-31")


def test_extractor_needs_a_day_map() -> None:
    from tracker.evaluate.extract import ExtractError

    with pytest.raises(ExtractError, match=r"set `path` to \[events\] or \[fatalities\]"):
        EXTRACTORS["acled"](normalize(sample()), {})
    with pytest.raises(ExtractError, match="key 'Protests' is not a date"):
        EXTRACTORS["acled"]({"Protests": {}}, {})
