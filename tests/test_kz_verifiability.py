"""The Kazakhstan workspace after the Factbook: at least 60% of its source-checked facts have
a living source (primary or `also:`), summed from `tracker status --format json`; the
Factbook sources are frozen; what is left without a living source is the Factbook's alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_workspace
from tests.support.zygote import run as warm_run
from tracker.config import load_config

ROOT = Path(__file__).resolve().parents[1]
LIVING_KINDS = {"wikidata", "worldbank", "acled"}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A copy of this repository's workspace files (the repository is the example)."""
    reports = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "reports").glob("*.yaml")}
    root = make_workspace(
        tmp_path_factory.mktemp("kz") / "ws",
        (ROOT / "feeds.yaml").read_text(encoding="utf-8"),
        reports,
    )
    shutil.copy(ROOT / "reports" / "README.md", root / "reports" / "README.md")
    return root


@pytest.fixture(scope="module")
def rows(example) -> list[dict]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "-w",
            str(example),
            "status",
            "--format",
            "json",
            "--now",
            "2026-12-01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_at_least_60_percent_of_source_checked_facts_have_a_living_source(rows):
    checked = [r for r in rows if r["verifiability"] in ("living", "frozen")]
    living = [r for r in checked if r["living"]]
    assert len(checked) >= 64  # the 64 the Factbook and ACLED checked, and more
    print(f"{len(living)} of {len(checked)} source-checked facts have a living source")
    assert len(living) / len(checked) >= 0.60, (len(living), len(checked))


def test_the_field_agrees_with_the_configuration(example, rows):
    config = load_config(example)
    facts = {f.id: f for f in config.reports["kz-security-2025"].facts}
    for row in rows:
        fact = facts[row["fact"]]
        sources = [s for s in [fact.source, *(a.source for a in fact.also)] if s]
        kinds = {config.sources[s].kind for s in sources if not config.sources[s].frozen}
        if not sources:
            assert row["verifiability"] == "unchecked" and not row["living"], row["fact"]
        elif kinds:
            assert row["verifiability"] == "living" and row["living"], row["fact"]
            assert kinds <= LIVING_KINDS, (row["fact"], kinds)
        else:
            assert row["verifiability"] == "frozen" and not row["living"], row["fact"]
            assert {config.sources[s].kind for s in sources} == {"factbook"}, row["fact"]


def test_the_factbook_sources_are_frozen_and_sources_says_so(example):
    config = load_config(example)
    assert config.sources["factbook-kz"].frozen and config.sources["factbook-cia"].frozen
    proc = warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(example), "sources", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    frozen = {r["source"] for r in json.loads(proc.stdout) if r["frozen"]}
    assert frozen == {"factbook-kz", "factbook-cia"}


def test_every_living_link_is_explained_in_the_reports_readme(example):
    config = load_config(example)
    readme = (example / "reports" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Living sources") :]
    for fact in config.reports["kz-security-2025"].facts:
        living = [a.source for a in fact.also] + (
            [fact.source]
            if fact.source and config.sources[fact.source].kind in ("wikidata", "worldbank")
            else []
        )
        if living:
            assert f"`{fact.id}`" in section, fact.id
