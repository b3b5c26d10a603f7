"""Extractors, data-driven (tests/data/extract_cases.yaml), and comparison rules."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tracker.config import Fact
from tracker.evaluate.extract import EXTRACTORS, ExtractError
from tracker.evaluate.facts import Health, evaluate, matches
from tracker.store import snapshot_yaml

CASES = snapshot_yaml.loads((Path(__file__).parent / "data" / "extract_cases.yaml").read_bytes())
NOW = datetime(2025, 10, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_extractor_case(name):
    case = CASES[name]
    extractor = EXTRACTORS[case["extract"]]
    if case.get("error"):
        with pytest.raises(ExtractError):
            extractor(case["text"], case.get("params"))
    else:
        assert extractor(case["text"], case.get("params")) == case["expect"]


def fact(**kw) -> Fact:
    base = {"id": "f", "source": "fb", "path": ["a"], "extract": "text"}
    return Fact.model_validate({**base, **kw})


@pytest.mark.parametrize(
    "kw,current,agrees",
    [
        ({"expect": "Olzhas Bektenov", "extract": "person"}, "OLZHAS  bektenov", True),
        ({"expect": "Olžas Bektenov", "extract": "person"}, "Olzhas Bektenov", True),  # respelt
        ({"expect": "Olžas Bektenov"}, "Olzhas Bektenov", False),  # text: letters count
        ({"expect": "Olzhas Bektenov", "aliases": ["Olžas Bektenov"]}, "Olzas Bektenov", True),
        ({"expect": "Łódź"}, "lodz", True),
        ({"expect": 20260006, "extract": "number", "tolerance": "0.5%"}, 20360000, True),
        ({"expect": 20260006, "extract": "number", "tolerance": "0.5%"}, 20432662, False),
        ({"expect": 100, "extract": "number", "tolerance": 5}, 104, True),
        ({"expect": 100, "extract": "number", "tolerance": 5}, 106, False),
        ({"expect": "20,26 mln", "extract": "number", "tolerance": "0.1%"}, 20260006, True),
        ({"expect": "2024-02-06", "extract": "date"}, "2024-02-06", True),
        (
            {"expect": {"Kazakh": 71, "Russian": 14.9}, "extract": "shares"},
            {"Kazakh": 71, "Russian": 14.9, "other": 4.9},
            True,
        ),
        (
            {"expect": {"Kazakh": 71, "Russian": 15.5}, "extract": "shares"},
            {"Kazakh": 71, "Russian": 14.9},
            False,
        ),
    ],
)
def test_comparison(kw, current, agrees):
    assert matches(fact(**kw), current) is agrees


def test_statuses():
    snap = {"a": "Olzhas BEKTENOV"}
    f = fact(expect="Olzhas Bektenov", extract="person")
    assert evaluate("r", f, snap, Health(), NOW).status == "current"
    assert evaluate("r", f, {"a": "Prime Minister Roman SKLYAR"}, Health(), NOW).status == "stale"
    assert evaluate("r", f, {"b": "x"}, Health(), NOW).status == "unverifiable"
    assert evaluate("r", f, None, Health("never-fetched"), NOW).status == "unverifiable"
    failing = evaluate("r", f, snap, Health("failing", "2025-10-01", "HTTP 500"), NOW)
    assert failing.status == "source-failing" and failing.current == "Olzhas Bektenov"
    gone = evaluate("r", f, snap, Health("gone", "2026-02-04"), NOW)
    assert gone.status == "unverifiable" and gone.current == "Olzhas Bektenov"
    assert gone.since == "2026-02-04"
    expired = fact(expect="2026", valid_until=date(2025, 10, 1), source=None, path=[])
    assert evaluate("r", expired, None, Health(), NOW).status == "expired"
    tracked = fact(expect="2026", valid_until=date(2026, 12, 31), source=None, path=[])
    assert evaluate("r", tracked, None, Health(), NOW).status == "unchecked"


def test_acknowledged_only_for_the_reviewed_value():
    reviewed = {"on": date(2026, 2, 1), "value": "Roman Sklyar", "note": "ok"}
    f = fact(expect="Olzhas Bektenov", extract="person", reviewed=reviewed)
    assert evaluate("r", f, {"a": "Roman SKLYAR"}, Health(), NOW).status == "acknowledged"
    assert evaluate("r", f, {"a": "Someone ELSE"}, Health(), NOW).status == "stale"


def test_shares_stale_lists_each_share():
    f = fact(expect={"Kazakh": 68, "Russian": 19.3}, extract="shares")
    finding = evaluate("r", f, {"a": "Kazakh 71%, Russian 14.9%"}, Health(), NOW)
    assert finding.status == "stale"
    assert {d.name for d in finding.details.shares} == {"Kazakh", "Russian"}
