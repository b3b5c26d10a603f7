"""Draft facts from the security brief against the Factbook version the report read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.data import factbook_version, shared_path
from tracker.config import SourceRef, load_report
from tracker.evaluate.facts import extract
from tracker.reports.drafts import draft_facts, sentence_values
from tracker.reports.footnotes import parse_report
from tracker.sources.factbook import normalize_factbook
from tracker.store import snapshot_yaml


# Read-only for the tests below, and drafting the whole brief is the slow part: made once.
@pytest.fixture(scope="module")
def factbook_2025_10_07() -> dict:
    return normalize_factbook(factbook_version("2025-10-07"))


@pytest.fixture(scope="module")
def drafts(factbook_2025_10_07: dict) -> dict:
    text = shared_path("reports", "kazakhstan-security-2025.txt").read_text(encoding="utf-8")
    return draft_facts(parse_report(text), "kz-security-2025", {"factbook-kz": factbook_2025_10_07})


def _by_footnote(drafts: dict, footnote: int) -> dict:
    [fact] = [f for f in drafts["facts"] if f["footnote"] == footnote]
    return fact


def test_population_prime_minister_and_senate_election(
    drafts: dict, factbook_2025_10_07: dict
) -> None:
    population = _by_footnote(drafts, 1)
    assert (population["source"], population["path"], population["extract"]) == (
        "factbook-kz",
        ["People and Society", "Population", "total"],
        "number",
    )
    assert population["expect"] == 20_260_000 and population["tolerance"] == "0.5%"
    pm = _by_footnote(drafts, 10)
    assert (pm["path"], pm["extract"], pm["expect"]) == (
        ["Government", "Executive branch", "head of government"],
        "person",
        "Olzhas Bektenov",
    )
    senate = _by_footnote(drafts, 15)
    assert senate["path"] == [
        "Government",
        "Legislative branch - upper chamber",
        "expected date of next election",
    ]
    assert (senate["extract"], senate["expect"], senate["valid_until"]) == (
        "year",
        "2026",
        "2026-12-31",
    )
    # each suggestion really reads its expected value from that snapshot
    from tracker.config import Fact
    from tracker.evaluate.facts import matches

    for draft in (population, pm, senate):
        fact = Fact(**{k: v for k, v in draft.items()})
        value, _ = extract(
            factbook_2025_10_07,
            SourceRef(source="factbook-kz", path=draft["path"], extract=draft["extract"]),
        )
        assert matches(fact, value), draft["id"]


def test_claims_without_a_matching_source_are_drafted_without_one(drafts: dict) -> None:
    mci = [f for f in drafts["facts"] if f["footnote"] == 51 and f["extract"] == "number"]
    assert mci and mci[0]["expect"] == 3692 and "source" not in mci[0]
    assert "choose a source" in mci[0]["note"]


def test_draft_file_is_a_valid_report_file(tmp_path: Path, drafts: dict) -> None:
    path = tmp_path / "kz.draft.yaml"
    path.write_text(snapshot_yaml.dumps({"report": drafts["report"], "facts": drafts["facts"]}))
    report = load_report(path)
    assert len(report.facts) == len(drafts["facts"]) > 10


def test_sentence_values_in_polish_forms() -> None:
    values = sentence_values(
        "Od 1 stycznia 2025 r. MCI wynosi: 3 692 tenge, a ludność ok. "
        "20,26 mln, w tym 58,2% w miastach; wybory w 2026 r."
    )
    assert [(v.kind, v.value) for v in values] == [
        ("date", "2025-01-01"),
        ("percent", 58.2),
        ("number", 3692),
        ("number", 20_260_000),
        ("year", "2026"),
    ]


def test_scan_command_writes_and_commits(workspace) -> None:
    from typer.testing import CliRunner

    from tracker.cli.app import app

    root = workspace("sources: {}\n")
    report = shared_path("reports", "kazakhstan-security-2025.txt")
    result = CliRunner().invoke(
        app,
        [
            "-w",
            str(root),
            "report",
            "scan",
            str(report),
            "--id",
            "kz",
            "--now",
            "2025-10-15",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    out = json.loads(result.output)
    assert out["footnotes"] == 68 and out["commit"]
    assert {"outlet": "CIA (Central Intelligence Agency)", "footnotes": 18, "urls": 1} in out[
        "by_outlet"
    ]
    saved = snapshot_yaml.loads((root / "reports" / "kz.citations.yaml").read_text())
    assert len(saved["footnotes"]) == 68
    from tracker.store.git import GitStore

    assert GitStore(root).versions("reports/kz.draft.yaml")[0].date == utc("2025-10-15")


def test_scan_of_a_file_without_footnotes_writes_nothing(workspace, tmp_path: Path) -> None:
    from tracker.errors import ConfigError
    from tracker.reports.scan import scan_report

    root = workspace("sources: {}\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("Just a sentence.\n")
    with pytest.raises(ConfigError, match="no footnotes"):
        scan_report(root, plain, "plain", utc("2025-10-15"))
    assert not (root / "reports" / "plain.citations.yaml").exists()


def test_numbers_keep_their_scale_words_and_the_topic_word_names_the_claim() -> None:
    from tracker.reports.values import claimed

    sentence = "Według oficjalnych danych zginęło 238 osób, ponad 2 tys. zostało rannych."
    values = sentence_values(sentence)
    assert [(v.kind, v.value) for v in values] == [("number", 238), ("number", 2000)]
    assert [v.topic.slug for v in values if v.topic] == ["deaths", "injured"]
    assert claimed(sentence, values, future=False)[0].value == 238
    assert [v.value for v in sentence_values("Ludność: ok. 20,26 mln.")] == [20_260_000]
    assert [v.value for v in sentence_values("ok. 1,5 tys. firm i 5 млрд рублей")] == [
        1500,
        5_000_000_000,
    ]


def test_no_draft_expires_before_the_report_is_published() -> None:
    from datetime import date

    from tracker.reports.values import valid_until

    since = sentence_values("Od 2014 r. relacje będą napięte, a wybory odbędą się w 2026 r.")
    assert valid_until(since, date(2025, 10, 1)) == date(2026, 12, 31)
    assert (
        valid_until(sentence_values("Od 2014 r. relacje będą napięte."), date(2025, 10, 1)) is None
    )


def test_draft_ids_say_what_they_are(drafts: dict) -> None:
    ids = {f["id"] for f in drafts["facts"]}
    assert {
        "fn1-population",
        "fn10-prime-minister",
        "fn2-ethnic-groups",
        "fn15-next-senate-election",
    } <= ids
    [deaths] = [f for f in drafts["facts"] if f["id"] == "fn23-deaths"]
    assert deaths["expect"] == 238 and deaths["extract"] == "number"


def test_every_draft_of_both_reports_validates(
    shared: Path, tmp_path: Path, factbook_2025_10_07: dict
) -> None:
    from tracker.reports.scan import draft_yaml

    for name in ("kazakhstan-security-2025.txt", "kazakhstan-russia-relations-2023.txt"):
        parsed = parse_report((shared / "reports" / name).read_text(encoding="utf-8"))
        draft = draft_facts(parsed, "r", {"factbook-kz": factbook_2025_10_07})
        path = tmp_path / f"{name}.yaml"
        path.write_text(draft_yaml(draft))
        report = load_report(path)
        assert len(report.facts) == len(draft["facts"]) > 5
        assert all(
            f.valid_until is None or f.valid_until >= report.meta.published for f in report.facts
        ), name
