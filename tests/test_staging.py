"""Staging ahead of the commit (store/staging.py): a run hands each snapshot file to git as
it is written, so the blobs are stored while other sources are still fetched; the commit
adds only what git did not surely stage, so a Stager that fails costs time, never a file."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

import psutil
import pytest

from tests.support.server import Reply
from tests.test_perf_structure import _command_line, feeds, rss
from tracker.run.runner import run_once
from tracker.store.git import GitStore, blob_id
from tracker.store.staging import Stager
from tracker.workspace import Workspace

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def staged(store: GitStore) -> dict[str, str]:
    """{path: blob id} of the index."""
    out = store.repo.git.ls_files("--stage", "-z")
    entries = {}
    for line in filter(None, out.split("\0")):
        meta, path = line.split("\t", 1)
        entries[path] = meta.split()[1]
    return entries


def has_object(store: GitStore, blob: str) -> bool:
    return store.repo.git.cat_file("-t", blob, with_exceptions=False) == "blob"


def stagers() -> list[psutil.Process]:
    """This process's `git update-index` children (one that ends meanwhile is skipped)."""
    children = psutil.Process().children(recursive=True)
    return [c for c in children if " update-index " in f" {_command_line(c)} "]


def test_added_files_are_in_the_index_once_closed(workspace):
    root = workspace("sources: {}\n")
    store = GitStore(root)
    stager = Stager(store)
    texts = {f"snapshots/s{i}.yaml": f"n: {i}\n" for i in range(30)}
    for rel, text in texts.items():
        (root / rel).parent.mkdir(exist_ok=True)
        (root / rel).write_text(text)
        stager.add(rel)
    stager.close()
    stager.close()  # idempotent
    index = staged(store)
    for rel, text in texts.items():
        assert index[rel] == blob_id(text.encode()) and has_object(store, index[rel])


@pytest.mark.parametrize("git_has_ended", [False, True], ids=["git running", "git ended"])
def test_a_failing_stager_logs_one_line_and_the_commit_stages(workspace, caplog, git_has_ended):
    """A path git cannot add (gone before git read it) ends the Stager; no exception,
    and the commit still stages and commits the files that are there. Git's own reason
    is the one line, whether the Stager learns of the failure when it closes git's input
    or when the next path meets a closed pipe (git quicker than this process)."""
    root = workspace("sources: {}\n")
    store = GitStore(root)
    (root / "snapshots").mkdir()
    (root / "snapshots" / "a.yaml").write_text("a: 1\n")
    stager = Stager(store)
    with caplog.at_level(logging.INFO, logger="tracker.store.staging"):
        stager.add("snapshots/missing.yaml")
        if git_has_ended:  # the next path meets a closed pipe, not a running git
            assert stager._proc is not None
            stager._proc.wait(timeout=30)
        stager.add("snapshots/a.yaml")
        stager.close()
        stager.add("snapshots/b.yaml")  # after giving up: nothing, no second line
        stager.close()
    [record] = caplog.records
    message = record.getMessage()
    assert "git update-index exited 128" in message and "missing.yaml" in message, message
    assert "\n" not in message
    assert "snapshots/a.yaml" not in staged(store)  # git stopped at the missing one
    assert store.commit(["snapshots/a.yaml"], "add a") is not None
    assert store.repo.git.status("--porcelain", "snapshots/") == ""


def test_a_git_killed_mid_way_costs_nothing_but_time(workspace, caplog):
    root = workspace("sources: {}\n")
    store = GitStore(root)
    (root / "snapshots").mkdir()
    stager = Stager(store)
    (root / "snapshots" / "a.yaml").write_text("a: 1\n")
    stager.add("snapshots/a.yaml")
    [git] = stagers()
    git.kill()
    git.wait(10)
    with caplog.at_level(logging.INFO, logger="tracker.store.staging"):
        for i in range(200):  # a broken pipe, soon: never an exception
            (root / "snapshots" / f"b{i}.yaml").write_text(f"b: {i}\n")
            stager.add(f"snapshots/b{i}.yaml")
        stager.close()
    # one line, and no second git started on the next path: this test reaped the killed
    # git itself (psutil), so the Stager finds it ended with status 0 but not done
    [record] = caplog.records
    assert "git update-index ended before it was given every path" in record.getMessage()
    assert not stagers()


@pytest.mark.waits
def test_a_run_stores_blobs_while_slower_sources_are_fetched(server, workspace):
    """The fast feed's blob is in git's object store while the slow feed is still out;
    after the run the index, HEAD and the work tree agree and no git child is left."""
    server.route("/f0.xml", Reply(body=rss(0), content_type="application/rss+xml"))
    server.route("/f1.xml", Reply(body=rss(1), delay=3.0, content_type="application/rss+xml"))
    root = workspace(feeds(server, 2, run="{parse_workers: 0}"))
    store = GitStore(root)
    early: list[bool] = []

    def progress(done: int, total: int) -> None:
        if done == 1:
            blob = blob_id((root / "snapshots" / "feed00.yaml").read_bytes())
            deadline = time.monotonic() + 2.5  # git stores it at once, not at the commit
            while not has_object(store, blob) and time.monotonic() < deadline:
                time.sleep(0.02)
            early.append(has_object(store, blob) and store.head() == head)

    head = store.head()
    result = run_once(root, now=NOW, run_all=True, send_email=False, progress=progress)
    assert early == [True]
    assert result.commit is not None and store.head() == result.commit
    assert store.repo.git.status("--porcelain") == ""
    assert not stagers()


def test_an_error_in_the_writer_leaves_no_git_child(workspace):
    root = workspace("sources: {}\n")
    (root / "snapshots").mkdir()
    try:
        with Workspace(root).writing(now=NOW) as writer:
            writer.write_and_stage("snapshots/a.yaml", "a: 1\n")
            assert stagers()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not stagers()
    assert "snapshots/a.yaml" in staged(GitStore(root))  # git finished; the next writer repairs


def test_a_warning_for_every_file_does_not_stall_git_or_the_run(workspace):
    """With core.autocrlf, git warns once a file: those warnings are read as they come,
    so git keeps reading paths and the writer keeps writing (no full pipe either way)."""
    import threading

    root = workspace("sources: {}\n")
    store = GitStore(root)
    store.repo.git.config("core.autocrlf", "true")
    (root / "snapshots").mkdir()
    names = [
        f"snapshots/source-with-a-rather-long-identifier-to-fill-pipes-{i:05d}.yaml"
        for i in range(2000)
    ]
    for rel in names:
        (root / rel).write_text(f"n: {rel}\n")
    stager = Stager(store)
    worker = threading.Thread(target=lambda: ([stager.add(rel) for rel in names], stager.close()))
    worker.daemon = True
    worker.start()
    worker.join(timeout=120)
    try:
        assert not worker.is_alive(), "staging stalled"
    finally:
        for git in stagers():
            git.kill()
    index = staged(store)
    assert all(rel in index for rel in names)


def test_a_git_that_stops_reading_makes_the_writer_wait_a_bounded_time(
    workspace, caplog, monkeypatch
):
    """git stopped (SIGSTOP) while paths keep coming: once its input pipe is full, a path
    waits at most WRITE_WAIT s; then staging is given up (git ended) and the writer goes
    on, the commit staging what is left."""
    import signal

    import tracker.store.staging as staging

    monkeypatch.setattr(staging, "WRITE_WAIT", 0.3)
    root = workspace("sources: {}\n")
    (root / "snapshots").mkdir()
    (root / "snapshots" / "a.yaml").write_text("a: 1\n")
    stager = Stager(GitStore(root))
    stager.add("snapshots/a.yaml")
    [git] = stagers()
    git.send_signal(signal.SIGSTOP)
    import threading

    def write_many() -> None:
        for i in range(5000):  # ~300 KB of paths: far more than a pipe holds
            stager.add(f"snapshots/source-with-a-long-identifier-{i:05d}.yaml")
        stager.close()

    writer = threading.Thread(target=write_many, daemon=True)
    with caplog.at_level(logging.INFO, logger="tracker.store.staging"):
        writer.start()
        writer.join(timeout=30)
    try:
        assert not writer.is_alive(), "the writer waited on a stopped git"
    finally:
        if git.is_running():
            git.kill()
    assert any("took no path for 0.3 s" in r.getMessage() for r in caplog.records)
    assert not stagers()


def test_what_git_staged_well_is_known_as_indexed_after_close(workspace):
    """`indexed` names the paths git surely put in the index: none while git may still
    be reading, all of them once it ended well, none after a failure."""
    root = workspace("sources: {}\n")
    (root / "snapshots").mkdir()
    for name in ("a", "b"):
        (root / "snapshots" / f"{name}.yaml").write_text(f"{name}: 1\n")
    good = Stager(GitStore(root))
    good.add("snapshots/a.yaml")
    good.add("snapshots/b.yaml")
    assert good.indexed == frozenset()  # not closed: git may not have read them yet
    good.close()
    assert good.indexed == {"snapshots/a.yaml", "snapshots/b.yaml"}
    bad = Stager(GitStore(root))
    bad.add("snapshots/missing.yaml")
    bad.add("snapshots/a.yaml")
    bad.close()
    assert bad.indexed == frozenset()


def git_commands(monkeypatch) -> list[list[str]]:
    """Every git command GitPython runs in this process from now on (its argv)."""
    import git.cmd

    seen: list[list[str]] = []
    execute = git.cmd.Git.execute

    def recording(self, command, *args, **kwargs):
        seen.append([str(part) for part in command])
        return execute(self, command, *args, **kwargs)

    monkeypatch.setattr(git.cmd.Git, "execute", recording)
    return seen


def subcommands(commands: list[list[str]]) -> list[str]:
    """The git subcommand of each argv (after git's own options such as -c x=y)."""
    names = []
    for argv in commands:
        words = iter(argv[1:])
        for word in words:
            if word in ("-c", "-C"):
                next(words, None)
            elif not word.startswith("-"):
                names.append(word)
                break
    return names


def test_a_run_commits_what_it_staged_without_adding_it_again(server, workspace, monkeypatch):
    """The staged snapshots need no `git add` before `git commit -- paths` (which takes
    their content from the work tree), and the new HEAD is read from git's files."""
    for i in range(3):
        server.route(f"/f{i}.xml", Reply(body=rss(i), content_type="application/rss+xml"))
    root = workspace(feeds(server, 3, run="{parse_workers: 0}"))
    commands = git_commands(monkeypatch)
    result = run_once(root, now=NOW, run_all=True, send_email=False)
    names = subcommands(commands)
    assert result.commit is not None and names.count("commit") == 1, names
    assert "add" not in names and "cat-file" not in names, names
    store = GitStore(root)
    assert result.commit == store.repo.git.rev_parse("HEAD")
    assert store.repo.git.status("--porcelain") == ""
    assert sorted(store.committed_blobs()) == [f"snapshots/feed{i:02d}.yaml" for i in range(3)]


def test_a_path_taken_as_indexed_that_git_does_not_know_is_added_and_committed(workspace):
    """The index replaced behind the writer's back: git refuses the unknown path, the
    commit adds every path and commits again; nothing is lost."""
    root = workspace("sources: {}\n")
    (root / "snapshots").mkdir()
    (root / "snapshots" / "a.yaml").write_text("a: 1\n")
    store = GitStore(root)
    commit = store.commit(["snapshots/a.yaml"], "add a", indexed={"snapshots/a.yaml"})
    assert commit is not None and commit == store.repo.git.rev_parse("HEAD")
    assert store.repo.git.show("HEAD:snapshots/a.yaml") == "a: 1"
    assert store.repo.git.status("--porcelain") == ""
    assert store.commit(["snapshots/a.yaml"], "again", indexed={"snapshots/a.yaml"}) is None


def test_a_tracked_file_changed_after_staging_is_committed_as_the_work_tree_has_it(workspace):
    """`git commit -- paths` takes the work tree's content, not a stale staged one."""
    root = workspace("sources: {}\n")
    (root / "snapshots").mkdir()
    path = root / "snapshots" / "a.yaml"
    path.write_text("a: 1\n")
    store = GitStore(root)
    store.commit(["snapshots/a.yaml"], "add a")
    path.write_text("a: 2\n")
    stager = Stager(store)
    stager.add("snapshots/a.yaml")
    stager.close()
    path.write_text("a: 3\n")
    assert store.commit(["snapshots/a.yaml"], "a is 3", indexed=stager.indexed) is not None
    assert store.repo.git.show("HEAD:snapshots/a.yaml") == "a: 3"
    assert store.repo.git.status("--porcelain") == ""
