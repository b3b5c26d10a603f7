"""The digests of the real demo (`tracker demo`): short, grouped by cause, every problem
named; a run without network is one line, not a list of every fact it could not check.

Targets for the final digest: the HTML at most four phone screens (3,400 px tall at 390 px
wide in headless Chromium), the text at most 150 lines of at most 80 columns."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.chromium import CHROMIUM, page_size
from tests.support.zygote import run as warm_run
from tracker.digest.values import columns
from tracker.evaluate.findings import evaluate_all
from tracker.workspace import Workspace

FINAL = datetime(2026, 11, 22, 6, 30, tzinfo=timezone.utc)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (apt-get install chromium); "
    "the digest's height on a phone was not measured",
)


def tracker(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return warm_run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture
def demo(demo_workspace) -> Path:
    return demo_workspace[0]  # one `tracker demo` for the session (conftest)


def last_digest(root: Path, ext: str) -> str:
    return sorted((root / "digests").glob(f"*.{ext}"))[-1].read_text(encoding="utf-8")


def needing_attention(root: Path) -> list[str]:
    workspace = Workspace(root)
    findings = evaluate_all(workspace.config, workspace.store, workspace.state, FINAL)
    return [f.fact for f in findings if f.status not in ("current", "unchecked")]


def test_the_final_text_digest_is_short_narrow_and_names_every_problem(demo):
    text = last_digest(demo, "txt")
    lines = text.splitlines()
    assert len(lines) <= 150, len(lines)
    assert max(columns(line) for line in lines) <= 80
    problems = needing_attention(demo)
    assert len(problems) >= 30  # the demo's report has that many facts needing review
    missing = [fact for fact in problems if fact not in text]
    assert not missing
    words = " ".join(text.split())
    assert "36 agree with their sources" in words
    assert "9 only tracked by expiry or news" in words  # never counted as agreeing
    assert (
        "Verifiability: 41 facts checked by a living source (63% of the 65 with a "
        "source), 24 only by a frozen or gone one, 14 by none (unchecked)." in words
    )


@needs_chromium
def test_the_final_html_digest_fits_four_phone_screens(demo):
    markup = last_digest(demo, "html")
    height, width = page_size(markup, 390)
    assert height <= 3400, f"{height} px tall at 390 px wide"
    assert width <= 390, "wider than the phone: it would scroll sideways"
    shown = html.unescape(markup)
    missing = [fact for fact in needing_attention(demo) if fact not in shown]
    assert not missing


def test_facts_that_expired_together_are_one_card_with_their_news_once(demo):
    text = (demo / "digests" / "2026-07-02-kz-security-2025.txt").read_text(encoding="utf-8")
    assert text.count("expired on 2026-06-30") == 1
    assert "19 time-bound claims expired on 2026-06-30" in text
    news = "New constitution enters into force"
    assert text.count(news) == 1
    assert text.index(news) < text.index("- parliament-bicameral")  # on the card, first
    for fact in ("parliament-bicameral", "mazhilis-seats-nsdp", "senate-last-election"):
        assert f"- {fact} (footnote" in text


def test_a_run_without_network_is_one_line_for_analysts(demo, tmp_path):
    root = tmp_path / "offline"
    shutil.copytree(demo, root, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACLED_")}
    proc = tracker(
        "-w", str(root), "run", "--all", "--now", "2026-11-24T07:00", "--no-email", env=env
    )  # the demo's server is gone: nothing answers
    assert proc.returncode == 3, proc.stderr[-2000:]
    text = (root / "digests" / "2026-11-24-kz-security-2025.txt").read_text(encoding="utf-8")
    sources = len(Workspace(root).config.sources)
    assert sources == 25
    words = " ".join(text.split())
    assert f"{sources} sources could not be read: none of this report's sources answered" in words
    assert "39 facts keep their last known state" in words
    assert "NOT CHECKED" not in text and "head-of-state" not in text  # no entry per fact
    assert f"still open · {sources} sources failing" in words
    assert len(text.splitlines()) <= 80
