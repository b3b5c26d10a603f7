"""Facts' histories kept in .tracker/cache/history: the next command reads only what was
committed since, gives what a fresh read gives (also after history is rewritten or the
cache damaged), and the versions of all snapshot files from one git log equal the
per-file logs."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import make_workspace, utc
from tests.test_history_gaps import FEEDS, REPORT, VERSIONS
from tracker.config import load_config
from tracker.evaluate.history import fact_history, prefetch_histories
from tracker.store.git import GitStore
from tracker.store.historycache import decode, encode

CACHE = Path(".tracker") / "cache" / "history"


def commit_versions(root: Path, versions) -> None:
    store = GitStore(root)
    for day, snap in versions:
        store.write_snapshot("fb", snap)
        store.commit([store.relpath("fb")], f"fb {day}", when=utc(day))


def histories(root: Path) -> dict[str, list]:
    """Every fact's history through a new store (a new command), cache as it is."""
    config, store = load_config(root), GitStore(root)
    refs = {fact.id: fact.primary for fact in config.reports["kz"].facts if fact.primary}
    prefetch_histories(store, list(refs.values()))
    return {fid: fact_history(store, ref) for fid, ref in refs.items()}


def uncached(root: Path) -> dict[str, list]:
    for entry in (root / CACHE).glob("*.json"):
        entry.unlink()
    return histories(root)


@pytest.fixture
def ws(tmp_path) -> Path:
    return make_workspace(tmp_path / "ws", FEEDS, {"kz": REPORT})


def test_the_cache_extends_with_new_versions_and_equals_a_fresh_read(ws):
    commit_versions(ws, VERSIONS[:2])
    first = histories(ws)
    assert list((ws / CACHE).glob("*.json")), "nothing cached"
    commit_versions(ws, VERSIONS[2:])
    extended = histories(ws)  # two versions from the cache, three read now
    assert extended == uncached(ws)
    assert extended != first
    assert histories(ws) == extended  # all from the cache


def test_a_rewritten_history_is_read_again(ws):
    commit_versions(ws, VERSIONS)
    before = histories(ws)
    subprocess.run(["git", "-C", str(ws), "reset", "-q", "--hard", "HEAD~3"], check=True)
    commit_versions(ws, [VERSIONS[4]])  # a different third version, same count as before
    after = histories(ws)
    assert after == uncached(ws)
    assert after != before


def test_a_damaged_or_foreign_cache_file_is_read_again(ws):
    commit_versions(ws, VERSIONS)
    good = histories(ws)
    for entry in (ws / CACHE).glob("*.json"):
        entry.write_text('{"key": "0/1", "entries": {"x": 1}}' if entry.name < "8" else "{not json")
    assert histories(ws) == good
    for entry in (ws / CACHE).glob("*.json"):  # an entry of the wrong shape
        data = json.loads(entry.read_text())
        for value in data["entries"].values():
            value["rows"] = "oops"
        entry.write_text(json.dumps(data))
    assert histories(ws) == good


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.50"),
        date(2024, 2, 6),
        {"b": 1, "a": [Decimal("2"), None]},
        "text",
        3,
        2.5,
        [1, "x"],
        True,
        None,
        {"$map": "looks like a tag"},
    ],
)
def test_values_come_back_equal_and_of_the_same_types(value):
    text = json.dumps(encode(value), sort_keys=True)  # as the cache file is written
    back = decode(json.loads(text))
    assert back == value and type(back) is type(value)
    if isinstance(value, dict):
        assert list(back) == list(value)  # key order kept


@pytest.mark.parametrize("value", [("a", 1), {1: "x"}, float("nan"), "\ud800", object()])
def test_values_json_cannot_give_back_are_refused(value):
    with pytest.raises((TypeError, UnicodeEncodeError)):
        encode(value)


def test_versions_of_all_files_from_one_log_equal_each_files_log(tmp_path):
    root = make_workspace(tmp_path / "ws", "sources: {}\n")
    store = GitStore(root)
    for n in range(6):
        changed = {f"s{k}" for k in range(4) if (n + k) % 3 != 1}
        for source in sorted(changed):
            store.write_snapshot(source, {"n": n, "s": source})
        if n == 4:
            (root / "snapshots" / "s0.yaml").unlink()
            changed.add("s0")
        store.commit(
            [store.relpath(s) for s in changed], f"night {n}", when=utc(f"2025-01-0{n + 1}")
        )
    paths = [store.relpath(f"s{k}") for k in range(5)]  # s4 was never written
    one_by_one = {path: GitStore(root).versions(path) for path in paths}
    bulk = GitStore(root)
    bulk.read_all_versions(paths)
    assert {path: bulk.versions(path) for path in paths} == one_by_one
    assert any(v.blob is None for v in one_by_one[paths[0]])  # the deletion is a version
    assert one_by_one[paths[4]] == []


def test_one_store_sees_its_own_commits_and_a_reset(ws):
    """HEAD is read from git's files and remembered: a commit or reset replaces one."""
    store = GitStore(ws)
    commit_versions(ws, VERSIONS[:1])
    assert len(store.versions(store.relpath("fb"))) == 1
    store.write_snapshot("fb", VERSIONS[1][1])
    store.commit([store.relpath("fb")], "one more", when=utc("2025-06-20"))
    assert len(store.versions(store.relpath("fb"))) == 2
    assert store.head() == store.repo.head.commit.hexsha
    subprocess.run(["git", "-C", str(ws), "reset", "-q", "--hard", "HEAD~1"], check=True)
    assert len(store.versions(store.relpath("fb"))) == 1
    subprocess.run(["git", "-C", str(ws), "pack-refs", "--all"], check=True)
    assert store.head() == store.repo.head.commit.hexsha


def test_at_the_same_head_the_history_needs_no_git_log(ws, monkeypatch):
    """A history cached whole at the commit HEAD still names is read without asking git
    for the versions; once HEAD moves (a commit, a reset) the versions are read again."""
    commit_versions(ws, VERSIONS[:3])
    first = histories(ws)
    reads: list[str] = []
    real = GitStore._read_versions

    def counted(self, relpath):
        reads.append(relpath)
        return real(self, relpath)

    monkeypatch.setattr(GitStore, "_read_versions", counted)
    monkeypatch.setattr(GitStore, "read_all_versions", lambda self, relpaths: None)
    config, store = load_config(ws), GitStore(ws)
    refs = {fact.id: fact.primary for fact in config.reports["kz"].facts if fact.primary}
    assert {fid: fact_history(store, ref) for fid, ref in refs.items()} == first
    assert reads == []
    commit_versions(ws, VERSIONS[3:])
    assert histories(ws) == uncached(ws) != first
    assert reads  # HEAD moved: the versions were read
    subprocess.run(["git", "-C", str(ws), "reset", "-q", "--hard", "HEAD~2"], check=True)
    reads.clear()
    assert histories(ws) == first
    assert reads
