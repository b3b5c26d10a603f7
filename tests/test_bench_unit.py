"""benchmarks/unit.py --small runs end to end: every measurement a whole tracker process,
the five simulated years written as real commits, the figures and ratios printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_PROFILES = ROOT.parent / "shared" / "data" / "cia-geos-kz"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_PROFILES.is_dir(), reason="needs ../shared/data/cia-geos-kz")
def test_unit_benchmark_small_mode(tmp_path: Path) -> None:
    keep = tmp_path / "unit"
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "unit.py"), "--small", "--keep", str(keep)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    print(text)
    for name in (
        "first run",
        "unchanged run",
        "5% changed run",
        "status",
        "status --report ONE",
        "digest (all reports)",
        "diff",
        "history cold",
        "history warm",
        "5y history cold",
        "5y history warm",
        "5y diff --since 30d",
        "5y status",
        "5y nightly run (real)",
    ):
        assert re.search(
            rf"^  {re.escape(name)} +wall +[\d.]+s  cpu +[\d.]+s  peak RSS", text, re.M
        ), name
    assert "bare interpreter start" in text and "growth " in text and "targets " in text
    assert re.search(r"\d+/\d+ file requests answered 304", text)
    # the simulated years are real commits of the workspace, its files as git has them
    workspace = keep / "ws-2"
    commits = int(
        subprocess.run(
            ["git", "-C", str(workspace), "rev-list", "--count", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    nights = int(re.search(r"five years: (\d+) nights → (\d+) commits", text).group(2))
    assert commits >= nights > 20
    status = subprocess.run(
        ["git", "-C", str(workspace), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == ""
    assert re.search(r"history unit-000/population-000 after five years: [1-9]\d* rows", text)
