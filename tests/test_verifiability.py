"""Verifiability: which facts a living source checks, which only a frozen or gone one,
which none — per fact in `status --format json`, per report in `status` and the digest;
`sources` marks frozen and gone sources; a frozen primary with a living `also:` shows the
living value and whether it agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.worldbank_server import FakeWorldBank
from tests.support.zygote import run as warm_run
from tracker.config import load_config
from tracker.evaluate.findings import evaluate_all
from tracker.evaluate.verifiability import (
    FROZEN,
    LIVING,
    UNCHECKED,
    ReportVerifiability,
    classify,
    summarize,
)
from tracker.run.runner import run_once
from tracker.workspace import Workspace

POP = "SP.POP.TOTL"
T1, T2 = utc("2026-02-10T04:00"), utc("2026-03-10T04:00")


def feeds(base: str) -> str:
    def source(sid: str, extra: str = "") -> str:
        return (
            f"  {sid}:\n    kind: worldbank\n    url: {base}\n    country: KAZ\n"
            f"    indicators: [{POP}]\n    timeout: 2\n    gone_after: 1\n{extra}"
        )

    return (
        "sources:\n"
        + source("frozen-wb", "    frozen: true\n")
        + source("live-wb")
        + source("doomed-wb").replace("country: KAZ", "country: UZB")
        + "http:\n  retries: 0\n"
    )


REPORT = """\
report: {id: kz}
facts:
  - id: living-primary
    expect: 20286084
    source: live-wb
    path: [SP.POP.TOTL, latest]
    extract: number
  - id: frozen-with-living-also
    expect: 20286084
    source: frozen-wb
    path: [SP.POP.TOTL, "2024"]
    extract: number
    also:
      - {source: live-wb, path: [SP.POP.TOTL, latest], extract: number}
  - id: frozen-only
    expect: 20286084
    source: frozen-wb
    path: [SP.POP.TOTL, "2024"]
    extract: number
  - id: gone-only
    expect: 1
    source: doomed-wb
    path: [SP.POP.TOTL, latest]
    extract: number
  - id: no-source
    expect: 238
"""


@pytest.fixture
def ws(workspace, server):
    api = FakeWorldBank(server)
    api.add(POP, "Population, total", {"2023": 20033842, "2024": 20286084})
    uzbekistan = FakeWorldBank(server, country="UZB")
    uzbekistan.add(POP, "Population, total", {"2024": 1})
    root = workspace(feeds(server.url("")), {"kz": REPORT})
    run_once(root, now=T1, send_email=False)
    api.add(POP, "Population, total", {"2023": 20033842, "2024": 20286084, "2025": 20495975})
    server.route(uzbekistan.path(POP), status=404)  # doomed-wb: gone from now on
    run_once(root, now=T2, send_email=False)
    return root


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *args, "--now", "2026-03-10T05:00"],
        capture_output=True,
        text=True,
    )


def status_json(root: Path) -> dict[str, dict]:
    proc = cli(root, "status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {row["fact"]: row for row in json.loads(proc.stdout)}


def test_each_fact_says_whether_a_living_source_checks_it(ws):
    rows = status_json(ws)
    assert {f: (r["verifiability"], r["living"]) for f, r in rows.items()} == {
        "living-primary": (LIVING, True),
        "frozen-with-living-also": (LIVING, True),
        "frozen-only": (FROZEN, False),
        "gone-only": (FROZEN, False),
        "no-source": (UNCHECKED, False),
    }


def test_a_frozen_primary_shows_what_the_living_source_says(ws):
    rows = status_json(ws)
    row = rows["frozen-with-living-also"]
    assert row["status"] == "current"  # the frozen source still says what the report says
    assert row["living_checks"] == [
        {
            "source": "live-wb",
            "value": 20495975,
            "path": [POP, "2025"],
            "agrees": False,
            "period": "2025",
        }
    ]
    assert "living check: live-wb says 20495975 for 2025, disagrees" in row["note"]
    assert rows["living-primary"]["living_checks"] == []  # its own source is living
    assert rows["frozen-only"]["living_checks"] == []


def test_status_and_the_digest_show_the_reports_verifiability(ws):
    proc = cli(ws, "status")
    assert proc.returncode == 0, proc.stderr
    line = (
        "kz: 2 facts checked by a living source (50% of the 4 with a source), 2 only by "
        "a frozen or gone one, 1 by none (unchecked)"
    )
    assert line in " ".join(proc.stdout.split())
    digest = cli(ws, "digest")
    assert digest.returncode == 0, digest.stderr
    assert "Verifiability: 2 facts checked by a living source" in digest.stdout


def test_sources_marks_frozen_and_gone_sources(ws):
    proc = cli(ws, "sources", "--format", "json")
    rows = {r["source"]: r for r in json.loads(proc.stdout)}
    assert (rows["frozen-wb"]["frozen"], rows["frozen-wb"]["health"]) == (True, "ok")
    assert (rows["live-wb"]["frozen"], rows["live-wb"]["health"]) == (False, "ok")
    assert rows["doomed-wb"]["health"] == "gone"
    table = cli(ws, "sources").stdout
    assert "ok (frozen)" in table and "gone" in table


def test_summaries_count_every_fact_once(ws):
    workspace = Workspace(ws)
    findings = evaluate_all(workspace.config, workspace.store, workspace.state, T2)
    [summary] = summarize(findings)
    assert summary == ReportVerifiability("kz", living=2, frozen=2, unchecked=1)
    assert summary.total == len(findings) and summary.checked == 4 and summary.share == 0.5


def test_a_source_is_living_unless_frozen_or_gone(workspace):
    root = workspace(
        "sources:\n  a: {kind: rss, url: 'http://x/a'}\n"
        "  b: {kind: rss, url: 'http://x/b', frozen: true}\n",
        {"r": "report: {id: r}\nfacts:\n  - {id: f, expect: 1, source: b, also: [{source: a}]}\n"},
    )
    config = load_config(root)
    fact = config.reports["r"].facts[0]
    assert classify(fact, config.sources, lambda sid: "ok") == (LIVING, ["a"])
    assert classify(fact, config.sources, lambda sid: "gone") == (FROZEN, [])
    assert classify(fact, config.sources, lambda sid: "failing") == (LIVING, ["a"])
    assert classify(fact, config.sources, lambda sid: "never-fetched") == (LIVING, ["a"])
