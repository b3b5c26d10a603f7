"""`tracker history` from real git: a value that disappears is a row (null, dated), and so
is its return; a change of shape (path alternatives) or of spelling is no new row."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import make_workspace, utc
from tracker.cli.app import app
from tracker.config import load_config
from tracker.evaluate.findings import evaluate_all
from tracker.store.git import GitStore
from tracker.store.state import State

FEEDS = """\
sources:
  fb:
    kind: factbook
    url: http://127.0.0.1:9/kz.json
"""
REPORT = """\
report: {id: kz}
facts:
  - id: mazhilis-term
    expect: 5
    source: fb
    path: [Government, Legislative branch, text]
    extract: number
    params: {within: 'Mazhilis members serve (\\w+)-year terms'}
  - id: population
    expect: 20260006
    source: fb
    path:
      - [People and Society, Population, total]
      - [People and Society, Population, text]
    extract: number
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: urban
    expect: 58.2
    source: fb
    path: [People and Society, Urbanization, urban population]
    extract: percent
  - id: senate-next-election
    expect: "2026"
    valid_until: 2026-12-31
    watch: [senate]
"""
TERM = "The Mazhilis has 98 seats. Mazhilis members serve {} terms."


def snapshot(
    term: str | None, population: dict[str, str], head: str, urban: str | None = None
) -> dict[str, Any]:
    legislative = "The Mazhilis has 98 seats." if term is None else TERM.format(term)
    people: dict[str, Any] = {"Population": population}
    if urban:
        people["Urbanization"] = {"urban population": urban}
    return {
        "Government": {
            "Legislative branch": {"text": legislative},
            "Executive branch": {"head of government": head},
        },
        "People and Society": people,
    }


BEKTENOV = "Prime Minister Olzhas BEKTENOV (since 6 February 2024)"
VERSIONS = [  # (date, snapshot): what the source said, one commit each
    ("2025-06-01", snapshot("five-year", {"total": "20,260,006 (2024 est.)"}, BEKTENOV)),
    ("2025-06-20", snapshot("five-year", {"text": "20,260,006 (2024 est.)"}, BEKTENOV)),
    (
        "2025-07-17",
        snapshot(
            None,
            {"text": "20,260,006 (2024 est.)"},
            "Prime Minister Olzhas BEKTENOW (since 6 February 2024)",
            urban="58.2% of total population (2023)",
        ),
    ),
    (
        "2025-09-01",
        snapshot(
            "5-year",
            {"total": "20,432,662 (2025 est.)"},
            BEKTENOV,
            urban="58.2% of total population (2023)",
        ),
    ),
    (
        "2025-10-01",
        snapshot(
            "5-year",
            {"total": "20,432,662 (2025 est.)"},
            "Prime Minister Roman SKLYAR (since 1 October 2025)",
        ),
    ),
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("gaps") / "ws", FEEDS, {"kz": REPORT})
    store = GitStore(root)
    for day, snap in VERSIONS:
        store.write_snapshot("fb", snap)
        store.commit([store.relpath("fb")], f"fb {day}", when=utc(day))
    return root


def history(root: Path, fact: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["-w", str(root), "history", fact, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def values(rows: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    return [(row["value"], row["since"]) for row in rows]


def test_a_dropped_sentence_is_a_dated_null_row_and_its_return_another(ws):
    rows = history(ws, "mazhilis-term")
    assert values(rows) == [(5, "2025-06-01"), (None, "2025-07-17"), (5, "2025-09-01")]
    assert all(set(row) == {"value", "since", "commit"} for row in rows)
    commits = {row["commit"] for row in rows}
    assert len(commits) == 3 and all(len(c) == 40 for c in commits)


def test_the_last_row_is_what_the_source_says_now(ws):
    rows = history(ws, "urban")  # absent at first: the history starts when it appears
    assert values(rows) == [(58.2, "2025-07-17"), (None, "2025-10-01")]


def test_a_change_of_shape_is_not_a_gap(ws):
    assert values(history(ws, "population")) == [(20260006, "2025-06-01"), (20432662, "2025-09-01")]


def test_a_new_spelling_of_the_same_person_is_no_new_row(ws):
    rows = history(ws, "head-of-government")
    assert values(rows) == [("Olzhas Bektenov", "2025-06-01"), ("Roman Sklyar", "2025-10-01")]


def test_the_table_says_when_the_value_was_gone(ws):
    result = CliRunner().invoke(app, ["-w", str(ws), "history", "mazhilis-term"])
    assert result.exit_code == 0 and "gone from the source" in result.output


def findings_at(root: Path, now: datetime) -> dict[str, Any]:
    config, store = load_config(root), GitStore(root)
    return {f.fact: f for f in evaluate_all(config, store, State.load(root), now)}


def test_findings_after_the_gaps(ws):
    found = findings_at(ws, utc("2025-10-02T06:00"))
    term = found["mazhilis-term"]
    assert (term.status, term.current, term.since) == ("current", 5, "2025-09-01")
    urban = found["urban"]
    assert urban.status == "unverifiable" and urban.current is None
    assert "path not found" in urban.note
    senate = found["senate-next-election"]
    assert senate.status == "unchecked" and "no source checks" in senate.note
    assert found["head-of-government"].status == "stale"


def test_status_json_carries_claim_section_footnote_and_details(ws):
    result = CliRunner().invoke(
        app, ["-w", str(ws), "status", "--format", "json", "--now", "2025-10-02T06:00"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["fact"]: row for row in json.loads(result.output)}
    assert rows["senate-next-election"]["status"] == "unchecked"
    details = rows["population"]["details"]
    assert set(details) >= {
        "extract",
        "value_since",
        "also",
        "confirmed_by",
        "disagreement",
        "newer",
        "window",
        "shares",
        "spelling",
    }
    assert details["value_since"] == "2025-09-01" and details["disagreement"] is False
    assert rows["population"]["claim"] is None and "section" in rows["population"]
