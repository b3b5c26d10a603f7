"""The offline demo ends in the state the product promises (issue: Kazakhstan workspace)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def demo(demo_workspace) -> tuple[Path, str]:
    return demo_workspace  # one `tracker demo` for the session (conftest)


def cli_json(root: Path, *args: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "tracker.cli", "-w", str(root), *args,
                           "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_demo_prints_where_things_are(demo):
    root, out = demo
    assert f"Workspace: {root.resolve()}" in out
    assert "Latest digest:" in out and ".html" in out
    assert "Facts by status:" in out


def test_demo_final_state(demo):
    root, _ = demo
    rows = {r["fact"]: r for r in cli_json(root, "status", "--now", "2026-11-22T07:00")}
    assert rows["population"]["status"] == "stale"
    assert rows["population"]["since"] == "2026-01-22"
    assert rows["population"]["current"] == 20432662
    assert rows["senate-next-election"]["status"] == "expired"
    assert rows["mci-2025"]["status"] == "expired"
    hog = rows["head-of-government"]
    assert hog["status"] == "current" and "confirmed by wikidata-kz" in hog["note"]
    cia_facts = [r for r in rows.values() if r["source"] == "factbook-cia"]
    assert cia_facts and all(r["status"] == "unverifiable" for r in cia_facts)
    assert all(r["since"] == "2026-02-05" for r in cia_facts)


def test_demo_source_health(demo):
    root, _ = demo
    health = {r["source"]: r for r in cli_json(root, "sources", "--now", "2026-11-22T07:00")}
    assert health["factbook-cia"]["health"] == "gone"
    assert health["factbook-cia"]["first_failure"].startswith("2026-02-05")
    assert health["factbook-kz"]["health"] == "quiet"
    assert health["wikidata-kz"]["health"] == "ok"


def test_demo_leaves_history_and_digests(demo):
    root, _ = demo
    rows = cli_json(root, "history", "population")
    assert [r["value"] for r in rows][-2:] == [20260006, 20432662]
    digests = sorted(p.name for p in (root / "digests").iterdir())
    assert any(n.endswith(".html") for n in digests) and any(n.endswith(".txt") for n in digests)
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%s"], capture_output=True,
                         text=True).stdout
    assert "Update factbook-kz" in log
    assert not subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                              capture_output=True, text=True).stdout.strip()
