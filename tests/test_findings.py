"""Findings: the `unchecked` status, and the typed details with their JSON shape."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from tracker.config import Fact
from tracker.digest.build import build_digest
from tracker.digest.memory import ReportTold
from tracker.digest.model import ReportInfo
from tracker.evaluate.facts import Health, evaluate
from tracker.models import (
    STATUSES,
    Finding,
    FindingDetails,
    SecondaryCheck,
    ShareDifference,
    Window,
)

NOW = datetime(2025, 10, 8, tzinfo=timezone.utc)
DETAIL_KEYS = {
    "extract",
    "value_since",
    "primary_health",
    "gone_since",
    "also",
    "confirmed_by",
    "disagreement",
    "newer",
    "checked_against",
    "shares",
    "spelling",
    "window",
    "data_through",
    "accessed",
}
FINDING_KEYS = {
    "report",
    "fact",
    "status",
    "expected",
    "current",
    "since",
    "source",
    "path",
    "note",
    "claim",
    "section",
    "footnote",
    "details",
    "verifiability",
    "living",
    "living_checks",
}


def fact(**kw) -> Fact:
    return Fact.model_validate({"id": "f", **kw})


def test_a_fact_no_source_checks_is_unchecked_never_current():
    news_only = evaluate("r", fact(expect="2026", watch=["senate"]), None, Health(), NOW)
    assert news_only.status == "unchecked" and "news only" in news_only.note
    by_date = evaluate(
        "r", fact(expect="2026", valid_until=date(2026, 12, 31)), None, Health(), NOW
    )
    assert by_date.status == "unchecked" and "valid until 2026-12-31" in by_date.note
    assert "unchecked" in STATUSES


def test_an_unchecked_fact_still_expires_and_can_be_acknowledged():
    expired = fact(expect="2026", valid_until=date(2025, 10, 1))
    assert evaluate("r", expired, None, Health(), NOW).status == "expired"
    reviewed = fact(
        expect="2026",
        valid_until=date(2025, 10, 1),
        reviewed={"on": date(2025, 10, 2), "note": "still planned"},
    )
    assert evaluate("r", reviewed, None, Health(), NOW).status == "acknowledged"


def test_the_digest_does_not_count_unchecked_facts_as_agreeing():
    checked = evaluate(
        "r",
        fact(expect="Astana", source="fb", path=["capital"]),
        {"capital": "Astana"},
        Health(),
        NOW,
    )
    unchecked = evaluate("r", fact(id="g", expect="2026"), None, Health(), NOW)
    digest = build_digest(
        ReportInfo("r"), [checked, unchecked], memory=ReportTold(), news=[], sources={}, now=NOW
    )
    counts = digest.counts
    assert (counts.tracked, counts.agree, counts.unchecked) == (2, 1, 1)


def test_finding_json_has_the_documented_keys_and_typed_details():
    details = FindingDetails(
        extract="number",
        value_since="2026-01-22",
        also=[
            SecondaryCheck(
                source="wd",
                path=["P1082", "value"],
                value=20495975,
                agrees=False,
                since="2026-02-10",
                matches_primary=False,
            )
        ],
        disagreement=True,
        newer="wd",
        shares=[ShareDifference(name="Russian", expected=14.9, current=None)],
        window=Window(start="2025-01-01", end=None),
    )
    finding = Finding(
        "r",
        "population",
        "current",
        20260006,
        20260006,
        since=date(2026, 1, 22),
        source="fb",
        path=["a"],
        claim="about 20.26 million",
        section="People",
        footnote=1,
        details=details,
    )
    data = json.loads(json.dumps(finding.to_json()))
    assert set(data) == FINDING_KEYS and set(data["details"]) == DETAIL_KEYS
    assert data["since"] == "2026-01-22"
    assert data["details"]["also"] == [
        {
            "source": "wd",
            "path": ["P1082", "value"],
            "health": "ok",
            "value": 20495975,
            "error": None,
            "agrees": False,
            "since": "2026-02-10",
            "matches_primary": False,
            "resolved_path": None,
        }
    ]
    assert data["details"]["shares"] == [{"name": "Russian", "expected": 14.9, "current": None}]
    assert data["details"]["window"] == {"from": "2025-01-01", "to": None}
    assert (data["details"]["disagreement"], data["details"]["newer"]) == (True, "wd")


def test_empty_details_serialize_with_every_key():
    data = Finding("r", "f", "unchecked", "2026").to_json()
    assert set(data["details"]) == DETAIL_KEYS
    assert data["details"]["also"] == [] and data["details"]["window"] is None


def test_the_readme_documents_every_detail_and_the_unchecked_status():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| `extract` | the primary extractor |") :]
    table = table[: table.index("\n\n")]
    documented = {
        key for row in table.splitlines() for key in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    assert documented == DETAIL_KEYS
    assert "`unchecked` (no source checks the fact" in readme
