"""From a report to tracked facts: `report scan` drafts, `report adopt`, then `status`.

The workspace has the Factbook backfilled from the bundled demo archive. The brief is the
reference report when ../shared is there, and always a short brief written for these tests
(tests/data/reports/brief-pl.txt) in the same layout, holding the cases the drafts must get
right: scale words, several numbers in one sentence, "since 2014" beside a future verb.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_DATA, make_workspace
from tests.test_onboard_inspect import cli, unpack_demo_factbook
from tracker.config import load_config, load_report

BRIEF = TEST_DATA / "reports" / "brief-pl.txt"
FEEDS = """\
sources:
  factbook-kz:
    kind: factbook
    url: http://127.0.0.1:9/kz.json
"""
EVALUATED = {"current", "stale", "unverifiable", "unchecked"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("adopt")
    archive = unpack_demo_factbook(base / "archive")
    root = make_workspace(base / "ws", FEEDS)
    code, out = cli(root, "backfill", "factbook-kz", "--dir", str(archive))
    assert code == 0, out
    return root


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Path:
    """A copy of the backfilled workspace (git repository included) for one test."""
    return Path(shutil.copytree(template, tmp_path / "ws", symlinks=True))


def scan(root: Path, report: Path, report_id: str) -> dict:
    code, out = cli(
        root,
        "report",
        "scan",
        str(report),
        "--id",
        report_id,
        "--now",
        "2025-10-15",
        "--format",
        "json",
    )
    assert code == 0, out
    return json.loads(out)


def statuses(root: Path, report_id: str) -> dict[str, dict]:
    code, out = cli(
        root, "status", "--report", report_id, "--now", "2026-02-01", "--format", "json"
    )
    assert code == 0, out
    return {row["fact"]: row for row in json.loads(out)}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def test_scan_adopt_status_on_the_test_brief(ws: Path) -> None:
    scan(ws, BRIEF, "kz-brief")
    drafts = load_report(ws / "reports" / "kz-brief.draft.yaml")  # valid as it is
    by_id = {f.id: f for f in drafts.facts}
    assert by_id["fn1-population"].expect == 20_260_000
    assert by_id["fn1-population"].path == ["People and Society", "Population", "total"]
    assert by_id["fn3-prime-minister"].expect == "Olzhas Bektenov"
    assert by_id["fn6-deaths"].expect == 238  # not the "2 tys." beside it
    assert all(
        f.valid_until is None or f.valid_until >= drafts.meta.published for f in drafts.facts
    )  # "since 2014" expires nothing
    chosen = [
        "fn1-population",
        "fn2-ethnic-groups",
        "fn3-prime-minister",
        "fn4-next-senate-election",
        "fn6-deaths",
    ]
    code, out = cli(ws, "report", "adopt", "kz-brief", *chosen, "--format", "json")
    assert code == 0, out
    adopted = json.loads(out)
    assert adopted["created"] and adopted["adopted"] == chosen and adopted["commit"]
    rows = statuses(ws, "kz-brief")
    assert set(rows) == set(chosen)
    assert all(r["status"] in EVALUATED for r in rows.values()), rows
    assert rows["fn1-population"]["status"] == "stale"  # 20,26 mln → 20,432,662 (2025 est.)
    assert rows["fn3-prime-minister"]["status"] == "current"
    assert rows["fn4-next-senate-election"]["status"] == "current"
    assert rows["fn6-deaths"]["status"] == "unchecked"
    left = load_report(ws / "reports" / "kz-brief.draft.yaml")
    assert not {f.id for f in left.facts} & set(chosen)
    assert git(ws, "status", "--porcelain", "reports") == ""


def test_scan_adopt_status_on_the_reference_brief(ws: Path, shared: Path) -> None:
    result = scan(ws, shared / "reports" / "kazakhstan-security-2025.txt", "kz-security")
    assert result["drafts"] > 20
    chosen = [
        "fn1-population",
        "fn2-ethnic-groups",
        "fn9-next-presidential-election",
        "fn10-prime-minister",
        "fn15-next-senate-election",
    ]
    code, out = cli(ws, "report", "adopt", "kz-security", *chosen)
    assert code == 0, out
    rows = statuses(ws, "kz-security")
    assert set(rows) == set(chosen)
    assert all(r["status"] in EVALUATED and r["status"] != "expired" for r in rows.values())
    assert rows["fn10-prime-minister"]["status"] == "current"
    assert rows["fn2-ethnic-groups"]["status"] == "current"


def test_a_copied_draft_file_is_a_valid_report(ws: Path) -> None:
    scan(ws, BRIEF, "kz-brief")
    shutil.copy(ws / "reports" / "kz-brief.draft.yaml", ws / "reports" / "kz-brief.yaml")
    config = load_config(ws)
    assert len(config.reports["kz-brief"].facts) >= 5


def test_adopt_into_an_existing_report_keeps_its_comments(ws: Path) -> None:
    report = ws / "reports" / "kz.yaml"
    report.write_text(
        "# Kazakhstan, kept by hand\nreport:\n  id: kz\n  title: Kazakhstan\n"
        "facts:\n  # the capital, tracked by news\n  - id: capital\n"
        "    expect: Astana\n    valid_until: 2030-12-31\n"
    )
    git(ws, "add", "reports/kz.yaml")
    git(ws, "commit", "-qm", "report")
    scan(ws, BRIEF, "kz")
    code, out = cli(ws, "report", "adopt", "kz", "fn3-prime-minister")
    assert code == 0, out
    text = report.read_text()
    assert "# Kazakhstan, kept by hand" in text and "# the capital, tracked by news" in text
    assert [f.id for f in load_report(report).facts] == ["capital", "fn3-prime-minister"]
    assert "title: Kazakhstan" in text
    code, out = cli(ws, "report", "adopt", "kz", "fn3-prime-minister")
    assert code == 2 and "no draft 'fn3-prime-minister'" in out


def test_adopt_of_a_misspelt_draft_suggests_the_id(ws: Path) -> None:
    scan(ws, BRIEF, "kz-brief")
    code, out = cli(ws, "report", "adopt", "kz-brief", "fn1-populaton")
    assert code == 2 and "did you mean fn1-population" in out
    assert not (ws / "reports" / "kz-brief.yaml").exists()


def test_adopt_refuses_a_draft_the_configuration_refuses_and_writes_nothing(ws: Path) -> None:
    scan(ws, BRIEF, "kz-brief")
    drafts = ws / "reports" / "kz-brief.draft.yaml"
    drafts.write_text(drafts.read_text().replace("source: factbook-kz", "source: nowhere", 1))
    before = drafts.read_text()
    head = git(ws, "rev-parse", "HEAD")
    code, out = cli(ws, "report", "adopt", "kz-brief", "fn1-population")
    assert code == 2 and "nowhere" in out and "kz-brief.yaml" in out
    assert not (ws / "reports" / "kz-brief.yaml").exists()
    assert drafts.read_text() == before and git(ws, "rev-parse", "HEAD") == head


def test_adopt_refuses_an_uncommitted_report_file(ws: Path) -> None:
    scan(ws, BRIEF, "kz-brief")
    (ws / "reports" / "kz-brief.yaml").write_text("report: {id: kz-brief}\nfacts: []\n")
    code, out = cli(ws, "report", "adopt", "kz-brief", "fn1-population")
    assert code != 0 and "uncommitted" in out


def test_adopt_without_a_scan_says_how_to_make_drafts(ws: Path) -> None:
    code, out = cli(ws, "report", "adopt", "kz-brief", "fn1-population")
    assert code == 2 and "tracker report scan" in out
