"""Kept results (issue 19): the validated configuration and a command's findings are read
back from .tracker/cache while their inputs are the same — and only then. Every input of
evaluation, changed alone, makes the next command evaluate again, and what it then gets
is what a fresh evaluation gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.cli_fixtures import make
from tracker.errors import ConfigError
from tracker.evaluate import findings as findings_module
from tracker.evaluate.findings import evaluate_all
from tracker.evaluate.kept import RACY_NS
from tracker.workspace import Workspace

NOW = datetime(2026, 1, 21, 7, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    from tests.support.server import LocalServer

    with LocalServer() as server:
        return make(tmp_path_factory.mktemp("kept"), server)


@pytest.fixture
def root(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(made, copy, symlinks=True)
    shutil.rmtree(copy / ".tracker" / "cache", ignore_errors=True)
    time.sleep(RACY_NS / 1e9)  # files changed this recently are not trusted (below)
    return copy


def shown(found) -> list[dict]:
    return [f.to_json() for f in found]


def evaluated(root: Path, now: datetime = NOW, report: str | None = None) -> list[dict]:
    ws = Workspace(root)
    return shown(evaluate_all(ws.config, ws.store, ws.state, now, report))


def fresh(root: Path, now: datetime = NOW, report: str | None = None) -> list[dict]:
    """What evaluation gives, no cache involved."""
    from tracker.config import load_config

    ws = Workspace(root)
    config = load_config(root)
    return shown(findings_module._evaluate_all(config, ws.store, ws.state, now, report))


def no_evaluation(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("evaluated again although nothing changed")

    monkeypatch.setattr(findings_module, "_evaluate_all", refuse)


def test_a_second_command_reads_the_findings_back(root, monkeypatch):
    first = evaluated(root)
    assert (root / ".tracker/cache/findings.pickle").is_file()
    no_evaluation(monkeypatch)
    assert evaluated(root) == first
    assert evaluated(root, report="kz") == [f for f in first if f["report"] == "kz"]


def git(root: Path, *args: str, **env: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, env=env or None
    )


def edit_claim(root: Path) -> None:
    path = root / "reports/kz.yaml"
    path.write_text(path.read_text().replace("expect: Unity", "expect: Harmony"))


def edit_snapshot(root: Path) -> None:  # same length: only the file's identity tells
    path = root / "snapshots/fb.yaml"
    text = path.read_text()
    assert "SMAILOV" in text
    path.write_text(text.replace("SMAILOV", "SMAILEV"))


def source_failing(root: Path) -> None:
    path = root / ".tracker/state.json"
    state = json.loads(path.read_text())
    entry = state["sources"]["fb"]
    entry.update(failures=2, first_failure="2026-01-20T08:00:00+00:00", last_error="HTTP 503")
    path.write_text(json.dumps(state))


def history_rewritten(root: Path) -> None:
    """The same files, but the snapshot's last version committed on another day (the
    digest commit after it dropped, its files left as they are)."""
    import os

    git(root, "reset", "-q", "--soft", "HEAD~1")
    day = "2026-01-18T07:00:00+00:00"
    env = {**os.environ, "GIT_COMMITTER_DATE": day}
    git(root, "commit", "-q", "--amend", "--no-edit", f"--date={day}", **env)


CHANGES = {
    "a claim edited": edit_claim,
    "a snapshot edited in the work tree": edit_snapshot,
    "a source now failing": source_failing,
    "the history rewritten": history_rewritten,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_each_input_changed_alone_evaluates_again(root, change):
    before = evaluated(root)
    CHANGES[change](root)
    after = evaluated(root)
    assert after == fresh(root)
    assert after != before


def test_another_day_evaluates_again(root):
    earlier = NOW - timedelta(days=60)  # senate-next-election's claim was not expired yet
    before = evaluated(root, earlier)
    assert before == fresh(root, earlier)
    assert evaluated(root) == fresh(root) != before


def test_a_damaged_cache_is_computed_again(root):
    first = evaluated(root)
    for name in ("findings.pickle", "config.pickle"):
        (root / ".tracker/cache" / name).write_bytes(b"\x80\x05not a pickle")
    assert evaluated(root) == first


def test_an_invalid_configuration_is_refused_though_a_valid_one_was_kept(root):
    evaluated(root)
    path = root / "feeds.yaml"
    path.write_text(path.read_text().replace("kind: rss", "kind: nonsense"))
    with pytest.raises(ConfigError, match="nonsense"):
        Workspace(root).config  # noqa: B018


def test_a_moved_workspace_has_its_own_paths(root, tmp_path):
    evaluated(root)
    moved = tmp_path / "moved"
    shutil.move(root, moved)
    config = Workspace(moved).config
    assert config.root == moved
    assert all(report.file.parent == moved / "reports" for report in config.reports.values())


def test_a_new_report_file_is_read(root):
    evaluated(root)
    extra = root / "reports/other.yaml"
    extra.write_text("report: {id: other, title: Other}\nfacts:\n  - id: x\n    expect: 1\n")
    assert "other" in Workspace(root).config.reports


def test_one_report_evaluated_alone_is_no_answer_for_all(root, monkeypatch):
    (root / "reports/other.yaml").write_text(
        "report: {id: other, title: Other}\nfacts:\n  - id: x\n    expect: 1\n"
    )
    alone = evaluated(root, report="kz")
    with monkeypatch.context() as patched:
        no_evaluation(patched)
        assert evaluated(root, report="kz") == alone  # kept
        with pytest.raises(AssertionError, match="evaluated again"):
            evaluated(root)  # only kz was kept: all are evaluated
    every = evaluated(root)
    assert every == fresh(root) and [f["report"] for f in every].count("other") == 1
    no_evaluation(monkeypatch)
    assert evaluated(root) == every
    assert evaluated(root, report="other") == [f for f in every if f["report"] == "other"]


def test_a_kept_configuration_reads_a_report_only_when_asked(root):
    from tracker.store.configcache import LazyReports

    first = Workspace(root).config
    assert not isinstance(first.reports, LazyReports)  # validated from the files
    kept = Workspace(root).config
    assert isinstance(kept.reports, LazyReports) and list(kept.reports) == list(first.reports)
    assert kept.reports["kz"].facts == first.reports["kz"].facts
    assert kept.fact("kz/motto")[1] == first.fact("motto")[1]


def test_a_damaged_report_in_the_kept_configuration_is_read_from_its_file(root):
    import pickle

    from tracker.store.picklecache import PickleCache

    first = Workspace(root).config
    cache = PickleCache(root / ".tracker/cache/config.pickle")
    with cache.path.open("rb") as handle:
        version, digest, kept = pickle.load(handle)
    kept.reports["kz"] = b"\x80\x05damaged"
    cache.save(digest, kept)
    config = Workspace(root).config
    assert config.reports["kz"].facts == first.reports["kz"].facts


def test_status_json_is_the_same_from_kept_texts_as_from_fresh_findings(root):
    from tests.cli_fixtures import cli
    from tracker.cli.status_view import ordered

    def status_json(*extra: str) -> list[dict]:
        outcome = cli(
            "-w", str(root), "status", "--now", NOW.isoformat(), "--format", "json", *extra
        )
        assert outcome.code == 0, outcome.err
        return json.loads(outcome.out)

    ws = Workspace(root)
    from tracker.config import load_config

    found = findings_module._evaluate_all(load_config(root), ws.store, ws.state, NOW, None)
    expected = json.loads(json.dumps([f.to_json() for f in ordered(found)], default=str))
    assert status_json() == expected  # evaluated, texts kept
    assert status_json() == expected  # from the kept texts
    assert status_json("--status", "stale") == [f for f in expected if f["status"] == "stale"]
    from tracker.evaluate.kept import KeptFindings

    (root / ".tracker/cache/findings.pickle").unlink()
    ws = Workspace(root)
    KeptFindings(ws.config, ws.store, ws.state, NOW).save(None, found)  # without texts
    with pytest.MonkeyPatch.context() as patched:
        no_evaluation(patched)  # the texts are made from the kept findings
        assert status_json("--report", "kz") == expected
        assert status_json() == expected


def test_a_digest_commit_keeps_the_findings_without_asking_git(root, monkeypatch):
    """The digests' commit changes nothing under snapshots/: the findings still hold at
    the new HEAD, known from the kept record alone; any other new HEAD asks git."""
    from tracker.digest.job import run_digests
    from tracker.store.git import GitStore

    found = Workspace(root)
    every = evaluate_all(found.config, found.store, found.state, NOW)
    ws = Workspace(root)
    with ws.writing(now=NOW) as writer:
        outcome = run_digests(writer, every, NOW, send=False, force=True)
    assert outcome.commit
    asked: list[str] = []
    real = GitStore.last_commit_in
    monkeypatch.setattr(
        GitStore, "last_commit_in", lambda self, *a: asked.append("git") or real(self, *a)
    )
    no_evaluation(monkeypatch)
    assert evaluated(root) == shown(every) and asked == []
    git(root, "commit", "-q", "--allow-empty", "-m", "someone's commit")
    assert evaluated(root) == shown(every) and asked == ["git"]


def test_findings_made_right_after_a_snapshot_changed_are_not_kept(root, monkeypatch):
    """Within the file system's clock tick a same-size rewrite in place would keep the
    file's identity: findings made that close to a change are not kept."""
    changed = (root / "snapshots/fb.yaml").stat().st_ctime_ns
    monkeypatch.setattr(time, "time_ns", lambda: changed + RACY_NS // 2)
    first = evaluated(root)
    assert not (root / ".tracker/cache/findings.pickle").exists()
    monkeypatch.setattr(time, "time_ns", lambda: changed + 2 * RACY_NS)
    assert evaluated(root) == first
    assert (root / ".tracker/cache/findings.pickle").exists()
