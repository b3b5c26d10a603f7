"""The git store: canonical YAML, no empty commits, the parse cache and its bound."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import utc
from tests.support.unattended import run_env
from tracker.errors import StoreError
from tracker.store import snapshot_yaml
from tracker.store.git import IDENTITY, GitStore, blob_id


def test_canonical_yaml_is_stable_and_readable():
    data = {"b": {"z": "1", "a": "two\nlines"}, "a": [1, 2], "ü": "Ołżas"}
    text = snapshot_yaml.dumps(data)
    assert text == snapshot_yaml.dumps(snapshot_yaml.loads(text))
    assert text.index("a:") < text.index("b:")  # sorted keys
    assert "Ołżas" in text and "|" in text  # unicode kept, literal block
    assert snapshot_yaml.loads(text) == data


def test_no_commit_when_nothing_changed(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    assert store.write_snapshot("s", {"a": "1"}) is True
    first = store.commit(["snapshots/s.yaml"], "first", when=utc("2025-01-01"))
    assert first and store.write_snapshot("s", {"a": "1"}) is False
    assert store.commit(["snapshots/s.yaml"], "again", when=utc("2025-01-02")) is None
    store.write_snapshot("s", {"a": "2"})
    second = store.commit(["snapshots/s.yaml"], "second", when=utc("2025-01-03"))
    assert store.read_snapshot("s", rev=first) == {"a": "1"}
    assert [v.commit for v in store.versions("snapshots/s.yaml")] == [first, second]


def test_a_commit_is_two_git_commands_and_a_refused_one_is_an_error(tmp_path, monkeypatch):
    """`git add` then `git commit`: whether anything is staged is asked only when git
    refuses, so that a refusal with something staged (a hook, say) is still an error."""
    store = GitStore.init(tmp_path / "ws")
    store.write_snapshot("s", {"a": "1"})
    # nothing staged of these paths, before the first commit: git refuses, no commit
    assert store.commit(["snapshots/gone.yaml"], "nothing", when=utc("2025-01-01")) is None
    assert not store.repo.head.is_valid()
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert store.commit(["snapshots/s.yaml"], "first", when=utc("2025-01-01"))
    commands = [
        line.split("git ")[1].split()[0]
        for line in trace.read_text().splitlines()
        if "built-in: git " in line
    ]
    assert [c for c in commands if c in ("add", "diff", "commit")] == ["add", "commit"], commands
    monkeypatch.delenv("GIT_TRACE")
    hook = tmp_path / "ws" / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)  # the suite's git copies no templates
    hook.write_text("#!/bin/sh\necho refused by the hook >&2\nexit 1\n")
    hook.chmod(0o755)
    store.write_snapshot("s", {"a": "2"})
    with pytest.raises(StoreError, match="refused by the hook"):
        store.commit(["snapshots/s.yaml"], "second", when=utc("2025-01-02"))
    assert store.read_snapshot("s") == {"a": "2"}  # the work tree keeps what was written
    assert len(store.versions("snapshots/s.yaml")) == 1


def test_blob_id_is_gits(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"key: value\n")
    git = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True)
    assert blob_id(path.read_bytes()) == git.stdout.strip()


def test_work_tree_reads_use_the_history_cache_and_stay_private(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    store.write_snapshot("s", {"a": {"b": "1"}})
    store.commit(["snapshots/s.yaml"], "c", when=utc("2025-01-01"))
    [version] = store.versions("snapshots/s.yaml")
    store.load_blob(version.blob)  # fills the cache
    cache = tmp_path / "ws" / ".tracker" / "cache" / "blobs" / f"{version.blob}.json"
    cache.write_text('{"a": {"b": "from cache"}}')  # prove the cache is what is read
    one = GitStore(tmp_path / "ws").read_snapshot("s")
    assert one == {"a": {"b": "from cache"}}
    one["a"]["b"] = "changed by a caller"
    assert GitStore(tmp_path / "ws").read_snapshot("s") == {"a": {"b": "from cache"}}


def test_cache_is_bounded(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    folder = tmp_path / "ws" / ".tracker" / "cache" / "blobs"
    folder.mkdir(parents=True)
    for i in range(30):
        (folder / f"{i:040x}.json").write_text("{}")
        os.utime(folder / f"{i:040x}.json", (1000 + i, 1000 + i))
    assert store.prune_cache(keep=10) == 20
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 10 and left[0] == f"{20:040x}.json"  # the newest kept


def test_the_last_commit_in_a_folder_is_asked_of_git_once_per_head(tmp_path, monkeypatch):
    store = GitStore.init(tmp_path / "ws")
    store.write_snapshot("s", {"a": "1"})
    first = store.commit(["snapshots/s.yaml"], "first", when=utc("2025-01-01"))
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert store.last_commit_in() == first and store.last_commit_in() == first
    asked = trace.read_text().count("built-in: git rev-list")
    assert asked == 1, trace.read_text()
    (tmp_path / "ws" / "notes.txt").write_text("not a snapshot\n")
    other = store.commit(["notes.txt"], "notes", when=utc("2025-01-02"))
    assert other != first and store.last_commit_in() == first  # a new HEAD: asked again
    assert trace.read_text().count("built-in: git rev-list") == 2
    store.write_snapshot("s", {"a": "2"})
    second = store.commit(["snapshots/s.yaml"], "second", when=utc("2025-01-03"))
    assert store.last_commit_in() == second


def _gecos_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()


@pytest.mark.parametrize(
    "configured, expected",
    [
        ("[user]\n\tname = Analyst\n\temail = analyst@unit.example\n", "analyst@unit.example"),
        ("", IDENTITY["GIT_AUTHOR_EMAIL"]),
        # an email but no name: git's own name for the account, as git would commit it
        ("[user]\n\temail = analyst@unit.example\n", "analyst@unit.example"),
    ],
    ids=["identity-configured", "none-configured", "email-only"],
)
def test_commits_are_under_the_configured_identity_or_the_trackers_own(
    tmp_path, monkeypatch, configured, expected
):
    """Git's identity is learned from the first commit, not asked before it: a configured
    one is used as it is, none (cron, CI) means the tracker's own for this and every later
    commit, never one guessed from the machine's name; and no `git config` process at all
    where an identity is configured."""
    if configured.startswith("[user]\n\temail") and not _gecos_name():
        pytest.skip("this account has no name in the password database for git to use")
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(configured)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    for name in ("EMAIL", *IDENTITY):
        monkeypatch.delenv(name, raising=False)
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    store = GitStore.init(tmp_path / "ws")
    for n in range(3):
        store.write_snapshot("s", {"a": str(n)})
        assert store.commit(["snapshots/s.yaml"], f"version {n}", when=utc("2025-01-01"))
    authors = store.repo.git.log("--format=%ae %ce").split("\n")
    assert authors == [f"{expected} {expected}"] * 3
    commits = trace.read_text().count("built-in: git commit")
    asked = trace.read_text().count("built-in: git config")
    if configured.startswith("[user]\n\tname"):
        assert (commits, asked) == (3, 0), "one process per commit, no question asked"
    else:
        assert (commits, asked) == (4, 1), "one refusal and one question, then known"


def test_a_commit_works_where_home_is_unset(tmp_path):
    """Some cron and service environments have no HOME: git then reads no user config and
    refuses to commit without an identity, while GitPython would still find the user's
    ~/.gitconfig through the password database. The store asks git, so it commits under
    its own identity there."""
    script = (
        "import sys; from tracker.store.git import GitStore; "
        "store = GitStore.init(sys.argv[1]); store.write_snapshot('s', {'a': '1'}); "
        "print(store.commit(['snapshots/s.yaml'], 'first'))"
    )
    env = {k: v for k, v in run_env().items() if k not in ("HOME", "GIT_CONFIG_GLOBAL")}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    author = subprocess.run(
        ["git", "-C", str(tmp_path / "ws"), "log", "-1", "--format=%ae"],
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    assert author == IDENTITY["GIT_AUTHOR_EMAIL"], "committed under its own identity"
