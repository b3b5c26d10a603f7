"""Backfill real archives into real git repositories; history of facts from git.

The vendored Factbook versions (tests/data/factbook: every change of head of government
and population, the population's shape change, an unchanged re-publication) are enough
for every test here; one test reads every version of the complete archives in ../shared."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_workspace, utc
from tests.support.cli import tracker
from tests.support.data import GEOS, SIMPLE, factbook_folder, factbook_names, shared_path
from tracker.config import load_config
from tracker.evaluate.facts import Health, evaluate
from tracker.evaluate.history import fact_history
from tracker.run.backfill import backfill, date_from_name
from tracker.store.git import GitStore

FEEDS = """\
sources:
  factbook-kz:
    kind: factbook
    url: http://127.0.0.1:9/kz.json
"""
REPORT = """\
report: {id: kz}
facts:
  - id: head-of-government
    expect: Olzhas Bektenov
    source: factbook-kz
    path: [Government, Executive branch, head of government]
    extract: person
  - id: population
    expect: 20,260,006
    source: factbook-kz
    path:
      - [People and Society, Population, total]
      - [People and Society, Population, text]
    extract: number
    tolerance: 0.5%
"""


def _backfilled(tmp_factory, name: str, archive: str) -> Path:
    folder = tmp_factory.mktemp(name)
    root = make_workspace(folder / "ws", FEEDS, {"kz": REPORT})
    backfill(root, "factbook-kz", factbook_folder(archive, folder / "raw"))
    return root


@pytest.fixture(scope="module")
def geos_ws(tmp_path_factory) -> Path:
    return _backfilled(tmp_path_factory, "geos", GEOS)


@pytest.fixture(scope="module")
def simple_ws(tmp_path_factory) -> Path:
    return _backfilled(tmp_path_factory, "simple", SIMPLE)


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return tracker(root, *args)


def history_values(root: Path, fact: str) -> list:
    proc = cli(root, "history", fact, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_head_of_government_history_from_geos(geos_ws):
    rows = history_values(geos_ws, "head-of-government")
    assert [r["value"] for r in rows] == ["Askar Mamin", "Alikhan Smailov", "Olzhas Bektenov"]
    assert rows[-1]["since"] == "2024-02-08"
    assert set(rows[0]) == {"value", "since", "commit"}


def test_head_of_government_history_from_factbook_json(simple_ws):
    rows = history_values(simple_ws, "kz/head-of-government")
    assert [r["value"] for r in rows] == [
        "Karim Masimov",
        "Bakytzhan Sagintayev",
        "Askar Mamin",
        "Alikhan Smailov",
        "Olzhas Bektenov",
    ]


def test_population_shape_change_is_not_a_new_value(geos_ws):
    rows = history_values(geos_ws, "population")
    values = [r["value"] for r in rows]
    assert values == sorted(set(values)), "each value once, growing"
    assert values[-2:] == [20260006, 20432662]
    may_2024 = [r for r in rows if r["value"] == 20260006][0]
    assert may_2024["since"].startswith("2024-05")
    assert len([r for r in rows if r["since"].startswith("2024-05")]) == 1


def test_population_current_in_october_2025_stale_in_january_2026(geos_ws):
    store = GitStore(geos_ws)
    config = load_config(geos_ws)
    fact = config.reports["kz"].facts[1]
    versions = store.versions("snapshots/factbook-kz.yaml")
    by_day = {v.date.date().isoformat(): v for v in versions}
    october = store.load_blob(by_day["2025-10-07"].blob)
    january = store.load_blob(by_day["2026-01-22"].blob)
    assert evaluate("kz", fact, october, Health(), utc("2025-10-08")).status == "current"
    finding = evaluate("kz", fact, january, Health(), utc("2026-01-23"))
    assert finding.status == "stale" and finding.current == 20432662


def test_backfill_commits_are_dated_by_file_name(geos_ws):
    store = GitStore(geos_ws)
    versions = store.versions("snapshots/factbook-kz.yaml")
    assert versions[0].date == utc("2021-02-02T14:51")
    commit = store.repo.commit(versions[-1].commit)
    assert commit.authored_datetime == commit.committed_datetime
    assert commit.authored_datetime == utc("2026-01-22T22:32")
    assert len(versions) < len(factbook_names(GEOS)), "unchanged files skipped"


def test_git_log_p_reads_as_field_history(geos_ws):
    log = subprocess.run(
        ["git", "-C", str(geos_ws), "log", "-p", "-1", "--", "snapshots/factbook-kz.yaml"],
        capture_output=True,
        text=True,
    ).stdout
    assert "-    total: 20,260,006 (2024 est.)" in log
    assert "+    total: 20,432,662 (2025 est.)" in log
    changed = [
        line
        for line in log.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) < 200, "a version's diff is a handful of fields, not the whole file"


def test_diff_command_json_shape(geos_ws):
    proc = cli(geos_ws, "diff", "factbook-kz", "--since", "2026-01-22", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    population = [r for r in rows if r["path"] == ["People and Society", "Population", "total"]]
    assert population == [
        {
            "source": "factbook-kz",
            "commit": population[0]["commit"],
            "date": population[0]["date"],
            "path": population[0]["path"],
            "change": "changed",
            "old": "20,260,006 (2024 est.)",
            "new": "20,432,662 (2025 est.)",
        }
    ]
    assert all(r["change"] in ("added", "removed", "changed") for r in rows)


def test_history_is_read_from_cache_the_second_time(geos_ws):
    store = GitStore(geos_ws)
    config = load_config(geos_ws)
    ref = config.reports["kz"].facts[0].primary
    first = fact_history(store, ref)
    cache = list((geos_ws / ".tracker" / "cache" / "blobs").glob("*.json"))
    assert len(cache) >= len(first)
    assert fact_history(GitStore(geos_ws), ref) == first


def test_backfill_rejects_undated_names(tmp_path):
    root = make_workspace(tmp_path / "ws", FEEDS, {"kz": REPORT})
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(
        sorted(factbook_folder(GEOS, tmp_path / "archive").iterdir())[0], raw / "latest.json"
    )
    proc = cli(root, "backfill", "factbook-kz", "--dir", str(raw))
    assert proc.returncode == 2 and "latest.json" in proc.stderr and "YYYY-MM-DD" in proc.stderr
    assert not (root / "snapshots" / "factbook-kz.yaml").exists()


def test_date_from_name():
    assert date_from_name("2024-05-02T2216.json") == utc("2024-05-02T22:16")
    assert date_from_name("2024-05-02.json") == utc("2024-05-02T00:00")
    with pytest.raises(ValueError):
        date_from_name("2024-13-02.json")


@pytest.mark.slow
def test_complete_archive_reads_the_known_people_in_order():
    """Every archived version (../shared/data, both formats, 337 files) normalizes and
    reads a head of government; in order, they are the known people, each once. (The git
    side is the vendored versions' job above: a backfill of all of them takes minutes.)"""
    from tracker.config import SourceRef
    from tracker.evaluate.facts import extract
    from tracker.sources.factbook import normalize_factbook

    ref = SourceRef(
        source="factbook-kz",
        extract="person",
        path=["Government", "Executive branch", "head of government"],
    )
    expected = {
        GEOS: ["Askar Mamin", "Alikhan Smailov", "Olzhas Bektenov"],
        SIMPLE: [
            "Karim Masimov",
            "Bakytzhan Sagintayev",
            "Askar Mamin",
            "Alikhan Smailov",
            "Olzhas Bektenov",
        ],
    }
    for archive, people in expected.items():
        seen: list[str] = []
        for path in sorted(shared_path("data", archive).glob("*.json")):
            value, _ = extract(normalize_factbook(path.read_bytes()), ref)
            if not seen or seen[-1] != value:
                seen.append(value)
        assert seen == people, archive
