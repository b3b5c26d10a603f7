"""The Kazakhstan report file (reports/kz-security-2025.yaml) against the real report and
the real Factbook versions: it loads, cites footnotes that exist, and was right when written."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tests.support.data import factbook_version, shared_path
from tracker.config import Fact, load_config
from tracker.evaluate.extract import EXTRACTORS
from tracker.evaluate.facts import Health, evaluate
from tracker.sources.factbook import normalize_factbook

ROOT = Path(__file__).resolve().parents[1]
REPORT_ID = "kz-security-2025"
REPORT_TEXT = "reports/kazakhstan-security-2025.txt"

# Factbook-linked facts the report states although the Factbook version it would have read
# (cached 2025-10-07) does not say so: the Factbook dropped the sentences on 2025-07-17 and
# the report paraphrased the older text. Each carries a `note:` in the report file.
KNOWN_DISAGREEMENTS = {"armed-forces-formed-1992", "peacekeeper-training-centre-2008"}

PARLIAMENT_ENDS = date(2026, 6, 30)  # the 2026 constitution: Kurultai from 1 July 2026


@pytest.fixture(scope="module")
def report():
    return load_config(ROOT).reports[REPORT_ID]


def factbook_facts(report) -> list[Fact]:
    return [f for f in report.facts if f.source in ("factbook-kz", "factbook-cia")]


def snapshot_of(stamp: str) -> dict:
    return normalize_factbook(factbook_version(stamp))


def statuses(report, snapshot: dict, now: datetime) -> dict[str, tuple[str, object]]:
    out = {}
    for fact in factbook_facts(report):
        finding = evaluate(REPORT_ID, fact, snapshot, Health(), now)
        out[fact.id] = (finding.status, finding.current)
    return out


# ------------------------------------------------------------------ the file itself


def test_every_fact_validates_and_is_complete(report):
    facts = report.facts
    assert len(facts) >= 40
    assert {
        "head-of-government",
        "population",
        "senate-next-election",
        "head-of-state",
        "capital",
    } <= {f.id for f in facts}
    for fact in facts:
        Fact.model_validate(fact.model_dump())  # round-trips through validation
        missing = [k for k in ("section", "footnote", "claim", "watch") if not getattr(fact, k)]
        assert not missing, f"{fact.id}: missing {missing}"
        assert fact.expect is not None, fact.id
        if fact.source:
            assert fact.path and fact.extract in EXTRACTORS, fact.id


def test_claims_are_english_paraphrases_not_the_reports_polish(report):
    polish = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")
    offenders = [f.id for f in report.facts if polish.search(f.claim or "")]
    assert offenders == []


def test_time_bound_claims_expire_but_none_was_expired_when_published(report):
    by_id = {f.id: f for f in report.facts}
    published = report.meta.published
    for fact in report.facts:
        if fact.valid_until:
            assert fact.valid_until > published, fact.id
    parliament = [
        f for f in report.facts if f.id.startswith(("mazhilis-", "senate-", "parliament-"))
    ]
    assert len(parliament) >= 15
    for fact in parliament:
        assert fact.valid_until and fact.valid_until <= PARLIAMENT_ENDS, fact.id
    assert by_id["senate-next-election"].valid_until < date(2026, 11, 1)
    assert by_id["mci-2025"].valid_until == date(2025, 12, 31)


def test_acled_facts_are_tracked_by_source_or_expiry(report):
    acled = [f for f in report.facts if f.id.startswith("acled-")]
    assert {
        "acled-deaths-2024",
        "acled-civilian-deaths-2025-window",
        "acled-protests-2025",
        "acled-protests-intervention-2025",
        "acled-violence-civilians-2025",
    } <= {f.id for f in acled}
    for fact in acled:
        assert fact.source or fact.valid_until, fact.id


def test_known_disagreements_are_noted_in_the_file(report):
    by_id = {f.id: f for f in report.facts}
    for fact_id in KNOWN_DISAGREEMENTS:
        assert by_id[fact_id].source == "factbook-kz"
        assert "2025-07-17" in (by_id[fact_id].note or ""), fact_id
    # the MCI figure is wrong in the report (3,692 was the 2024 value): noted, not linked
    assert "3,932" in (by_id["mci-2025"].note or "")


# ------------------------------------------------------------------ against the real report


def report_footnotes(text: str) -> set[int]:
    """Footnote numbers both cited in the body ('[12]') and defined at a page end."""
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    defined = {int(n) for n in re.findall(r"(?m)^\s*(\d{1,3}) (?=[A-Z])", text)}
    return cited & defined


def test_every_footnote_exists_in_the_report_text(report):
    footnotes = report_footnotes(shared_path(*REPORT_TEXT.split("/")).read_text(encoding="utf-8"))
    assert len(footnotes) == 68
    unknown = {f.id: f.footnote for f in report.facts if f.footnote not in footnotes}
    assert unknown == {}


# ------------------------------------------------------------------ against the real Factbook


def test_report_was_right_at_the_2025_10_07_factbook_version(report):
    found = statuses(report, snapshot_of("2025-10-07"), datetime(2025, 10, 8, tzinfo=timezone.utc))
    assert len(found) >= 40
    wrong = {k: v for k, v in found.items() if v[0] != "current"}
    assert set(wrong) == KNOWN_DISAGREEMENTS, wrong
    assert all(status == "unverifiable" for status, _ in wrong.values())


def test_known_disagreements_were_current_before_the_factbook_dropped_them(report):
    found = statuses(report, snapshot_of("2025-07-10"), datetime(2025, 7, 11, tzinfo=timezone.utc))
    assert {k: found[k][0] for k in KNOWN_DISAGREEMENTS} == dict.fromkeys(
        KNOWN_DISAGREEMENTS, "current"
    )


def test_only_population_goes_stale_at_the_2026_01_22_version(report):
    before = statuses(report, snapshot_of("2025-10-07"), datetime(2025, 10, 8, tzinfo=timezone.utc))
    after = statuses(report, snapshot_of("2026-01-22"), datetime(2026, 1, 23, tzinfo=timezone.utc))
    assert after["population"] == ("stale", 20432662)
    changed = {k for k in after if after[k][0] != before[k][0]}
    assert changed == {"population"}


# ------------------------------------------------------------------ extractor support it needs


@pytest.mark.parametrize(
    "text, params, expected",
    [
        ("3/19/2023", {"month_first": True}, "2023-03-19"),  # the Factbook's US notation
        ("1/5/2024", {"month_first": True}, "2024-01-05"),
        ("1/5/2024", {}, "2024-05-01"),  # day first by default
        ("20 November 2022", {"month_first": True}, "2022-11-20"),
    ],
)
def test_date_extractor_reads_slash_dates(text, params, expected):
    EXTRACTORS["date"].check(params)
    assert EXTRACTORS["date"](text, params) == expected
