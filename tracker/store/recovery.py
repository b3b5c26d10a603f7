"""Crash recovery: make a workspace whole again after a run died (kill -9, power loss).

Called by the write path (`Workspace.writing`) right after it takes the run lock, so no
other tracker run is alive.
What a dead run can leave, and what is done about it:

* git children still running: a SIGKILL kills the tracker, not the `git commit` it
  started; wait for such processes (cwd in the workspace) to finish before touching git.
  Pure readers (`git cat-file --batch` helpers that GitPython keeps open in any process
  reading the workspace) hold no lock and are not waited for.
* stale git lock files (`index.lock`, `HEAD.lock`, `refs/**.lock`) with no live git
  process in the workspace: removed, otherwise every later git command fails.
* a corrupt index: rebuilt from HEAD (the work tree is untouched).
* half-written temp files (`write_atomic`'s `.NAME.XXXX.tmp`, the outbox's `*.tmp`): removed.
* snapshot and digest files written but never committed (the run died between write and
  commit): restored to HEAD, so this run fetches and derives them again. Committing them
  instead would record a run whose state (validators, health) was never saved.
* a commit made but state.json not saved (died in between): the source's `last_change` is
  set from git, so health ("quiet", "since") is what an uninterrupted run would have said.
* a damaged or wrongly shaped `.tracker/state.json`: set aside as `state.json.damaged` (State starts afresh).

Leftovers that only a dead run leaves (temp files, uncommitted snapshots) are repaired only
when the lock says the previous run did not finish, so nothing a person is doing by hand in
the work tree is thrown away on an ordinary run.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from pathlib import Path

from tracker.errors import StoreError
from tracker.store.files import SNAPSHOTS, STATE_DIR
from tracker.store.git import GitStore

log = logging.getLogger(__name__)

GIT_LOCKS = ("index.lock", "HEAD.lock", "packed-refs.lock")
TEMP_GLOB = ".*.tmp"  # write_atomic's temp names: .<name>.<random>.tmp
RUN_OUTPUT = (SNAPSHOTS, "digests")  # work-tree folders a run writes, then commits
OLD_TEMP_SECONDS = 3600  # older than this, a temp file is litter even after a clean run
STATE_FILE = "state.json"


def recover(store: GitStore, *, previous_died: bool, git_wait: float = 30.0) -> list[str]:
    """Repair what a dead run left; returns one line per repair (also logged)."""
    root = store.root
    notes: list[str] = []
    git_dir = store.git_dir
    if previous_died or _git_lock_files(git_dir):
        notes += _wait_for_git(root, git_wait)
        notes += _remove_git_locks(root, git_dir)
    notes += _repair_index(store, git_dir)
    notes += _remove_temp_files(root, any_age=previous_died)
    if previous_died:
        notes += _restore_run_output(store)
    notes += _set_aside_damaged_state(root)
    if previous_died:
        notes += _reconcile_state(store)
    for note in notes:
        log.warning("recovery: %s", note)
    return notes


# ------------------------------------------------------------------ git processes and locks


def _git_lock_files(git_dir: Path) -> list[Path]:
    found = [git_dir / name for name in GIT_LOCKS if (git_dir / name).exists()]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += sorted(refs.rglob("*.lock"))
    return found


# git commands that only read objects and refs: they never take index.lock, HEAD.lock or a
# ref lock. GitPython keeps `git cat-file --batch` helpers alive for as long as a Repo
# object lives, in any process that reads the workspace (a test, `tracker status`, an
# editor plugin); counting them as "a dead run's git still working" made recovery wait
# for processes that never end.
READ_ONLY_COMMANDS = frozenset(
    {
        "cat-file",
        "log",
        "show",
        "rev-list",
        "rev-parse",
        "ls-tree",
        "ls-files",
        "blame",
        "grep",
        "diff-tree",
        "for-each-ref",
        "show-ref",
        "name-rev",
        "merge-base",
        "version",
    }
)
# git's global options that take their value as the next argument
_GLOBAL_WITH_VALUE = frozenset(
    {
        "-C",
        "-c",
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--config-env",
        "--super-prefix",
        "--attr-source",
    }
)


def git_subcommand(cmdline: list[str]) -> str | None:
    """`git -C x -c a=b commit -m y` → "commit"; None if there is none."""
    args = iter(cmdline[1:])
    for arg in args:
        if arg in _GLOBAL_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _may_hold_git_locks(cmdline: list[str] | None) -> bool:
    """Anything not known to be a pure reader counts (an unreadable command line too)."""
    if not cmdline:
        return True
    name = Path(cmdline[0]).name
    if name.startswith("git-"):  # a dashed form (git-upload-pack, git-receive-pack, …)
        return name[len("git-") :] not in READ_ONLY_COMMANDS
    return git_subcommand(cmdline) not in READ_ONLY_COMMANDS


def live_git_processes(root: Path) -> list[int]:
    """Pids of git processes working in this workspace (their cwd is in it) that may hold
    its git locks: not our own children, not zombies, not pure readers (READ_ONLY_COMMANDS).
    A dead run's orphaned `git commit`, `git add` or background `gc` counts; so does a
    person's `git commit` waiting in an editor, whose locks are just as live."""
    import psutil

    target = root.resolve()
    pids = []
    for proc in psutil.process_iter(["pid", "ppid", "name", "cwd", "status", "cmdline"]):
        info = proc.info
        if not (info.get("name") or "").startswith("git") or info.get("ppid") == os.getpid():
            continue
        if info.get("status") == psutil.STATUS_ZOMBIE or not info.get("cwd"):
            continue
        try:
            cwd = Path(info["cwd"]).resolve()
        except OSError:
            continue
        if (cwd == target or target in cwd.parents) and _may_hold_git_locks(info.get("cmdline")):
            pids.append(info["pid"])
    return pids


def _wait_for_git(root: Path, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    pids = live_git_processes(root)
    if not pids:
        return []
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = live_git_processes(root)
    if pids:
        return [f"git process(es) {pids} still running in the workspace after {timeout:g} s"]
    return ["waited for the git process of the previous run to finish"]


def clear_stale_git_locks(store: GitStore, git_wait: float = 30.0) -> list[str]:
    """Wait for a dead run's git child, then remove the git locks nobody holds."""
    git_dir = store.git_dir
    if not _git_lock_files(git_dir):
        return []
    return _wait_for_git(store.root, git_wait) + _remove_git_locks(store.root, git_dir)


def _remove_git_locks(root: Path, git_dir: Path) -> list[str]:
    locks = _git_lock_files(git_dir)
    if not locks or live_git_processes(root):
        return []  # a live git owns them (or there are none): never steal a lock in use
    notes = []
    for path in locks:
        try:
            path.unlink()
            notes.append(f"removed stale git lock {path.relative_to(git_dir.parent)}")
        except FileNotFoundError:
            continue
    return notes


def _repair_index(store: GitStore, git_dir: Path) -> list[str]:
    if store.index_intact():  # git's own check of the file, without starting git
        return []
    from git import GitCommandError

    try:
        store.repo.git.status("--porcelain")
        return []
    except GitCommandError as exc:
        text = f"{exc.stderr}"
        if "index" not in text or not store.repo.head.is_valid():
            raise StoreError(f"git status failed: {text.strip() or exc}") from None
    (git_dir / "index").unlink(missing_ok=True)
    store.repo.git.read_tree("HEAD")
    return ["rebuilt the corrupt git index from HEAD (work tree untouched)"]


# ------------------------------------------------------------------ work-tree files


def _remove_temp_files(root: Path, *, any_age: bool) -> list[str]:
    cutoff = time.time() - OLD_TEMP_SECONDS
    removed = []
    places = [(root / folder, TEMP_GLOB) for folder in RUN_OUTPUT]
    for folder, pattern in places + [(root / STATE_DIR, "**/*.tmp")]:
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            try:
                if any_age or path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(str(path.relative_to(root)))
            except FileNotFoundError:
                continue
    return [f"removed half-written file {name}" for name in sorted(removed)]


def _restore_run_output(store: GitStore) -> list[str]:
    """Snapshots/digests differing from HEAD (modified, staged, new, deleted) go back."""
    dirty = _dirty_files(store)
    if not dirty:
        return []
    in_head = set()
    if store.repo.head.is_valid():
        in_head = set(
            store.repo.git.ls_tree(
                "--name-only", "HEAD", "--", *[f"{d}/" for d in RUN_OUTPUT]
            ).split("\n")
        )
    tracked = [p for p in dirty if p in in_head]
    new = [p for p in dirty if p not in in_head]
    if tracked:
        store.repo.git.checkout("HEAD", "--", *tracked)
    if new:
        store.repo.git.rm("--cached", "-q", "--ignore-unmatch", "--", *new)
        for rel in new:
            (store.root / rel).unlink(missing_ok=True)
    return [
        f"restored {p} to the last commit (a dead run wrote it without committing)" for p in tracked
    ] + [f"removed {p}: written by a dead run, never committed" for p in new]


def _dirty_files(store: GitStore) -> list[str]:
    """Files directly in snapshots/ or digests/ that differ from HEAD in any way."""
    out = store.repo.git.status(
        "--porcelain=v1",
        "-z",
        "--no-renames",
        "--untracked-files=all",
        "--",
        *[f"{d}/" for d in RUN_OUTPUT],
    )
    paths = []
    for entry in out.split("\0"):
        rel = entry[3:]
        folder, _, name = rel.partition("/")
        if folder in RUN_OUTPUT and name and "/" not in name and not name.startswith("."):
            paths.append(rel)
    return sorted(set(paths))


def _set_aside_damaged_state(root: Path) -> list[str]:
    from tracker.store.state import State

    if not State.load(root).set_aside:  # loading sets a damaged or misshapen file aside
        return []
    return [
        f"set aside damaged {STATE_DIR}/{STATE_FILE} as {STATE_FILE}.damaged; "
        "source health and HTTP validators start afresh"
    ]


def _reconcile_state(store: GitStore) -> list[str]:
    """A snapshot commit newer than the source's recorded last change means the dead run
    committed but never saved state.json: take the change time from git (commits carry
    the run's clock), as an uninterrupted run would have recorded it."""
    from tracker.store.state import State

    if not store.repo.head.is_valid():
        return []
    state = State.load(store.root)
    notes = []
    for rel in store.repo.git.ls_tree("--name-only", "HEAD", f"{SNAPSHOTS}/").split("\n"):
        if not rel.endswith(".yaml"):
            continue
        sid = rel[len(SNAPSHOTS) + 1 : -len(".yaml")]
        versions = store.versions(rel)
        entry = state.source(sid)
        if not versions or versions[-1].blob is None:
            continue
        committed = versions[-1].date
        if entry.last_change is None or datetime.fromisoformat(entry.last_change) < committed:
            entry.last_change = committed.isoformat()
            notes.append(
                f"{sid}: last change set to {entry.last_change} from git (the dead "
                "run committed it but did not save its state)"
            )
    if notes:
        state.save()
    return notes
