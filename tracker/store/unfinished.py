"""The tracker's own integration, interrupted: noted before it starts, undone after a crash.

Before a writer fast-forwards or rebases onto the remote (remote.py) it writes
`.tracker/integrating.json` — which operation, the commit HEAD was on (`head`) and the one it
moves to (`target`) — and removes the note when git returns. A note still there when the
next writer takes the lock means the run died inside git, and only that integration is
undone (`undo_interrupted_integration`, called before the git-state check):

* a rebase in progress whose state matches the note: `git rebase --abort` (the branch is as
  before; the remote's commits are still on the remote);
* a fast-forward cut short: the files it had written (content equal to `target`'s, not to
  HEAD's) are put back to HEAD; any other difference is a person's edit and is kept.

Integration only starts on a clean work tree, so what is put back was the tracker's.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # GitPython is imported where a repository is used
    import git

from tracker.store.files import STATE_DIR, JsonFile
from tracker.store.git import GitStore, blob_id
from tracker.store.gitstate import head_branch
from tracker.store.recovery import clear_stale_git_locks

log = logging.getLogger(__name__)

MARKER_FILE = "integrating.json"


@dataclass(frozen=True)
class IntegrationNote:
    """What a writer was doing when it started integrating (`.tracker/integrating.json`)."""

    op: str  # fast-forward | rebase
    head: str  # the commit HEAD was on
    target: str  # the commit it moves to
    branch: str
    pid: int | None = None  # the writer's (for a person reading the note)


def _marker_path(store: GitStore) -> Path:
    return store.root / STATE_DIR / MARKER_FILE


def _note_file(store: GitStore) -> JsonFile[IntegrationNote | None]:
    # a damaged note names nothing to undo: it is removed, and the git-state check then
    # refuses whatever git state the killed run left
    return JsonFile(_marker_path(store), IntegrationNote, lambda: None, damaged="discard")


@contextmanager
def integrating(store: GitStore, op: str, head: str, target: str, branch: str) -> Iterator[None]:
    """Note the integration while git runs; the note stays if the process dies inside."""
    _note_file(store).save(IntegrationNote(op, head, target, branch, os.getpid()))
    yield
    _marker_path(store).unlink(missing_ok=True)


def integration_interrupted(store: GitStore) -> bool:
    """Did a writer die inside its integration (the note is still there)?"""
    return _marker_path(store).exists()


def undo_interrupted_integration(store: GitStore, branch: str) -> list[str]:
    """Undo what a killed writer's integration left; one line per repair (also logged)."""
    path = _marker_path(store)
    note = _note_file(store).load()
    if note is None:  # none, or damaged (and removed)
        return []
    notes = clear_stale_git_locks(store)
    git_dir = store.git_dir
    rebase_dir = next(
        (git_dir / d for d in ("rebase-merge", "rebase-apply") if (git_dir / d).is_dir()), None
    )
    if rebase_dir is not None:
        if not _is_ours(rebase_dir, note):
            path.unlink(missing_ok=True)  # someone else's rebase: the git-state check says so
            return notes
        from git import GitCommandError

        try:
            store.repo.git.rebase("--abort")
        except GitCommandError as exc:
            notes.append(
                f"could not abort the rebase a killed run had started: "
                f"{' '.join(str(exc.stderr).split())}"
            )
            return _logged(notes)  # note kept; the git-state check refuses with what to do
        notes.append(
            f"aborted the rebase onto {note.target[:10]} a killed run had "
            f"started; {branch} is as it was before it"
        )
    elif head_branch(git_dir) == branch:
        notes += _put_back_half_written(store, note.target)
    path.unlink(missing_ok=True)
    return _logged(notes)


def _is_ours(rebase_dir: Path, note: IntegrationNote) -> bool:
    try:
        orig = (rebase_dir / "orig-head").read_text(encoding="utf-8").strip()
        onto = (rebase_dir / "onto").read_text(encoding="utf-8").strip()
    except OSError:
        return True  # killed before git wrote its own state: nobody else's either
    return orig == note.head and onto == note.target


def _put_back_half_written(store: GitStore, target: str) -> list[str]:
    """Files a cut-short fast-forward wrote (work tree and index each equal to HEAD's or
    `target`'s version, not both HEAD's) go back to HEAD."""
    repo = store.repo
    out = repo.git.status("--porcelain=v1", "-z", "--no-renames", "--untracked-files=all")
    restored = []
    for entry in out.split("\0"):
        rel = entry[3:]
        if len(entry) <= 3 or rel.startswith(f"{STATE_DIR}/"):
            continue
        head, theirs = _blob(repo, "HEAD", rel), _blob(repo, target, rel)
        if head == theirs:
            continue  # the fast-forward does not touch it: a person's change
        work, index = _work_blob(store.root / rel), _index_blob(repo, rel)
        if {work, index} <= {head, theirs}:
            _restore(repo, store.root, rel, head)
            restored.append(rel)
    return [f"put back {rel}: half written by a killed fast-forward" for rel in restored]


def _restore(repo: git.Repo, root: Path, rel: str, head: str | None) -> None:
    if head is not None:
        repo.git.checkout("HEAD", "--", rel)
        return
    repo.git.rm("--cached", "-q", "--ignore-unmatch", "--", rel)
    (root / rel).unlink(missing_ok=True)


def _blob(repo: git.Repo, rev: str, rel: str) -> str | None:
    from git import GitCommandError

    try:
        return str(repo.git.rev_parse("-q", "--verify", f"{rev}:{rel}"))
    except GitCommandError:
        return None


def _index_blob(repo: git.Repo, rel: str) -> str | None:
    fields = str(repo.git.ls_files("-s", "--", rel)).split()
    return fields[1] if len(fields) >= 2 else None


def _work_blob(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None
    return blob_id(path.read_bytes())


def _logged(notes: list[str]) -> list[str]:
    for note in notes:
        log.warning("recovery: %s", note)
    return notes
