"""Is the repository in a state a writer may commit in? (read from .git, no subprocess)

Every writer checks this before it fetches or writes anything: HEAD must be on the
workspace's branch (`git.branch`), and no merge, rebase, cherry-pick, revert or bisect may be
in progress. Otherwise commits would land on a branch nobody reads, or in an analyst's
half-done merge.
"""

from __future__ import annotations

from pathlib import Path

from tracker.errors import GitStateError

IN_PROGRESS = (
    ("MERGE_HEAD", "a merge", "finish it (git commit) or abort it (git merge --abort)"),
    (
        "rebase-merge",
        "a rebase",
        "finish it (git rebase --continue) or abort it (git rebase --abort)",
    ),
    (
        "rebase-apply",
        "a rebase or git am",
        "finish it (git rebase --continue) or abort it (git rebase --abort / git am --abort)",
    ),
    (
        "CHERRY_PICK_HEAD",
        "a cherry-pick",
        "finish it (git cherry-pick --continue) or abort it (git cherry-pick --abort)",
    ),
    (
        "REVERT_HEAD",
        "a revert",
        "finish it (git revert --continue) or abort it (git revert --abort)",
    ),
    (
        "sequencer",
        "a cherry-pick or revert of several commits",
        "finish it (git cherry-pick --continue / git revert --continue) or end it "
        "(git cherry-pick --abort / git revert --abort)",
    ),
    ("BISECT_LOG", "a bisect", "end it (git bisect reset)"),
)


def head_branch(git_dir: Path) -> str | None:
    """The branch HEAD points at, or None when HEAD is detached."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise GitStateError(f"cannot read {git_dir / 'HEAD'}: {exc.strerror}") from None
    prefix = "ref: refs/heads/"
    return head[len(prefix) :] if head.startswith(prefix) else None


def check_writable(git_dir: Path, branch: str, root: Path) -> None:
    """GitStateError saying what to do, unless a writer may commit to `branch` here."""
    check_in_progress(git_dir, root)
    current = head_branch(git_dir)
    if current is None:
        raise GitStateError(
            f"{root}: HEAD is detached; the workspace commits to branch "
            f"{branch!r} (git.branch in feeds.yaml): `git checkout {branch}`, "
            "then run again. Nothing was fetched or written."
        )
    if current != branch:
        raise GitStateError(
            f"{root}: HEAD is on branch {current!r}, but the workspace commits "
            f"to {branch!r} (git.branch in feeds.yaml): `git checkout {branch}` "
            "(or set git.branch), then run again. Nothing was fetched or "
            "written."
        )


def check_in_progress(git_dir: Path, root: Path) -> None:
    """GitStateError when a merge, rebase, cherry-pick, revert or bisect is under way (needs
    no configuration: a merge's conflict markers may be in feeds.yaml or a report)."""
    for marker, what, todo in IN_PROGRESS:
        if (git_dir / marker).exists():
            raise GitStateError(
                f"{root}: {what} is in progress; {todo}, then run again. "
                "Nothing was fetched or written."
            )
