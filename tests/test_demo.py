"""The offline demo ends in the state the product promises (issue: Kazakhstan workspace)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.zygote import run as warm_run


@pytest.fixture
def demo(demo_workspace) -> tuple[Path, str]:
    return demo_workspace  # one `tracker demo` for the session (conftest)


def cli_json(root: Path, *args: str) -> list[dict]:
    proc = warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *args, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_demo_prints_where_things_are(demo):
    root, out = demo
    assert f"Workspace: {root.resolve()}" in out
    assert "Latest digest:" in out and ".html" in out
    assert "Facts by status:" in out
    assert "Verifiability: 41 facts checked by a living source" in out


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
    log = subprocess.run(
        ["git", "-C", str(root), "log", "--format=%s"], capture_output=True, text=True
    ).stdout
    assert "Update factbook-kz" in log
    assert not subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()


def test_living_sources_confirm_and_contradict_the_factbook_after_february(demo):
    """The World Bank's hand-built releases: July 2025 (2024 population, 2023 urban share),
    July 2026 (adds the 2025 population)."""
    root, _ = demo
    rows = {r["fact"]: r for r in cli_json(root, "status", "--now", "2026-11-22T07:00")}
    urban = rows["urbanization"]
    assert urban["status"] == "current" and urban["verifiability"] == "living"
    assert {
        "source": "worldbank-kz",
        "value": 58.2,
        "path": ["SP.URB.TOTL.IN.ZS", "2023"],
        "agrees": True,
        "period": "2023",
    } in urban["living_checks"]
    population = {c["source"]: c for c in rows["population"]["living_checks"]}
    assert population["worldbank-kz"]["value"] == 20391030  # the 2025 figure: contradicts
    assert (population["worldbank-kz"]["period"], population["worldbank-kz"]["agrees"]) == (
        "2025",
        False,
    )
    assert "worldbank-kz says 20391030 for 2025, disagrees" in rows["population"]["note"]
    forces = rows["armed-forces-formed-1992"]  # the Factbook dropped it; Wikidata has it
    assert forces["status"] == "unverifiable" and forces["living_checks"][0]["agrees"]
    assert rows["unrest-2022-deaths"]["source"] == "wikidata-unrest-2022"
    assert rows["unrest-2022-deaths"]["status"] == "current"
    changes = cli_json(root, "diff", "worldbank-kz", "--since", "2026-02-05")
    assert [(c["date"][:10], c["path"], c["change"]) for c in changes] == [
        ("2026-07-02", ["SP.POP.TOTL", "2025"], "added"),
        ("2026-07-02", ["lastupdated"], "changed"),
    ]
    health = {r["source"]: r for r in cli_json(root, "sources", "--now", "2026-11-22T07:00")}
    assert health["worldbank-kz"]["health"] == "ok" and not health["worldbank-kz"]["frozen"]
    assert health["factbook-kz"]["frozen"] and health["factbook-cia"]["health"] == "gone"


def test_status_at_80_columns_is_readable(demo):
    """Issue 17's acceptance: `COLUMNS=80 tracker status` in the demo workspace, piped."""
    import os

    from tracker.cli.status_view import ORDER

    root, _ = demo
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "-w",
            str(root),
            "status",
            "--now",
            "2026-11-22T07:00",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = cli_json(root, "status", "--now", "2026-11-22T07:00")
    starts = [line.split()[0] for line in lines if line.strip() and not line.startswith(" ")]
    for row in rows:
        if row["status"] != "current":
            assert row["fact"] in starts, row["fact"]  # whole, at the start of its line
    order = [row["status"] for row in rows]
    assert order == sorted(order, key=ORDER.index)  # problems first
    ids = {r["fact"] for r in rows}
    shown = [
        (line.split()[1:] or lines[i + 1].split())[0]
        for i, line in enumerate(lines)
        if line.split()[:1] and line.split()[0] in ids
    ]
    assert shown == order
    assert lines[-1].startswith(f"{len(rows)} facts: ") and "stale" in lines[-1]
