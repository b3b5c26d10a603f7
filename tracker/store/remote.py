"""Team workspace: integrate the remote branch before writing, push after committing.

With `git: {remote: origin, push: true}` every writer, inside `Workspace.writing()`:

1. integrates `<remote>/<branch>`: `git fetch`, then a fast-forward, or a rebase of its own
   unpushed commits onto what the team pushed (`--committer-date-is-author-date`: a snapshot
   commit keeps its run's date, which history reads);
2. writes and commits (the body of `writing()`);
3. pushes — never forced; a push rejected because someone pushed meanwhile integrates
   again and retries, at most PUSH_ATTEMPTS times.

Nothing is ever lost. The remote unreachable: the commits stay local, the next writer
pushes them. A rebase that meets a conflict (both sides changed the same lines) is aborted
at once: both sides' commits stay where they were (ours on the local branch, theirs on the
remote) and nothing is pushed until a person merges. Either way the writer ends with
PushError (exit 3) and `.tracker/sync.json` holds the problem for the maintainers' mail
(`read_sync_problem`) until a push succeeds.

Integration runs only on a clean work tree (tracked files equal HEAD), so a person's
uncommitted edits never get mixed into a rebase. Before it moves HEAD it leaves a note
(`.tracker/integrating.json`, see unfinished.py) so that a run killed mid-rebase is undone
by the next writer. Credentials come from git itself (SSH agent, credential helpers): git is
told never to prompt, and every network operation is killed after `git.timeout` seconds.
"""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tracker.config.options import GitConfig
from tracker.errors import ConfigError, StoreError
from tracker.store.files import STATE_DIR, JsonFile
from tracker.store.git import GitStore
from tracker.store.unfinished import integrating

PUSH_ATTEMPTS = 4
INTEGRATION_PROBLEMS = ("unreachable", "conflict", "not-integrated")
RECORD_FILE = "sync.json"


@dataclass(frozen=True)
class SyncProblem:
    """Why the workspace is not in sync with its remote (`.tracker/sync.json`)."""

    kind: str  # unreachable | rejected | refused | conflict | not-integrated
    message: str
    remote: str
    branch: str
    since: str | None  # first writer that met this kind of problem
    last: str | None  # latest one
    unpushed: int = 0  # local commits waiting to be pushed
    files: list[str] = field(default_factory=list)  # conflicting / uncommitted files


def redact(text: str) -> str:
    """No credentials from a URL (`https://user:token@host/…`) in a message or a record."""
    return _USERINFO.sub(r"\1***@", text)


_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def network_env(timeout: float, *, ssh_configured: bool = False) -> dict[str, str]:
    """Git never prompts (there is no terminal in cron); ssh runs in batch mode with a
    connect timeout unless the user configured their own ssh command."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    if not (ssh_configured or os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH")):
        env["GIT_SSH_COMMAND"] = (
            f"ssh -o BatchMode=yes -o ConnectTimeout={max(1, int(min(timeout, 60)))}"
        )
    return env


def clone(url: str, root: Path, timeout: float) -> None:
    """`git clone URL ROOT` (bounded, never prompting); StoreError with git's message."""
    import git

    status, _, err = git.Git().execute(
        ["git", "clone", "--", url, str(root)],
        with_extended_output=True,
        with_exceptions=False,
        env=network_env(timeout),
        kill_after_timeout=timeout,
    )
    if status:
        raise StoreError(redact(f"git clone {url} failed: {' '.join(str(err).split())}"))


def sync_record(root: Path | str) -> JsonFile[SyncProblem | None]:
    """`.tracker/sync.json`: present while the workspace is out of sync with its remote;
    damaged or of the wrong shape, it is set aside and the next failure writes it anew."""
    return JsonFile(Path(root) / STATE_DIR / RECORD_FILE, SyncProblem, lambda: None)


def read_sync_problem(root: Path | str) -> SyncProblem | None:
    """The recorded sync problem, or None when the last writer was in sync."""
    return sync_record(root).load()


@dataclass(frozen=True)
class Integration:
    """How integrating the remote branch ended."""

    status: str  # in-sync | ahead | fast-forward | rebased | new-branch | unreachable |
    #              conflict | not-integrated
    detail: str = ""
    files: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        return self.status in ("fast-forward", "rebased")

    @property
    def blocked(self) -> bool:
        return self.status in ("conflict", "not-integrated")


class TeamSync:
    """One writer's exchange with the remote: `integrate()` first, `publish()` last."""

    def __init__(self, store: GitStore, settings: GitConfig, now: datetime) -> None:
        if not settings.remote:
            raise ValueError("TeamSync needs git.remote")
        self.store, self.now = store, now
        self.remote, self.branch = settings.remote, settings.branch
        self.push_enabled, self.timeout = settings.push, settings.timeout
        self.tracking = f"refs/remotes/{self.remote}/{self.branch}"
        self.first: Integration | None = None

    @property
    def upstream(self) -> str:
        return f"{self.remote}/{self.branch}"

    # ------------------------------------------------------------ before writing

    def check_remote(self) -> None:
        """ConfigError (nothing fetched) when git knows no such remote."""
        status, _, _ = self._git("remote", "get-url", self.remote)
        if status:
            raise ConfigError(
                f"git.remote: this repository has no remote {self.remote!r} "
                f"(add it: git remote add {self.remote} URL)",
                file="feeds.yaml",
            )

    def integrate(self) -> Integration:
        """Fetch, then fast-forward or rebase our unpushed commits onto the remote's."""
        result = self._integrate()
        if self.first is None:
            self.first = result
        if result.blocked or result.status == "unreachable":
            self._fail(result.status, result.detail, result.files)  # this run's digest tells
        else:
            previous = read_sync_problem(self.store.root)
            if previous is not None and previous.kind in INTEGRATION_PROBLEMS:
                self._clear()  # reachable and integrated again; a failed push records anew
        return result

    def _integrate(self) -> Integration:
        status, _, err = self._network(
            "fetch", "--no-tags", self.remote, f"+refs/heads/{self.branch}:{self.tracking}"
        )
        if status:
            if "couldn't find remote ref" in err.lower():
                self._git("update-ref", "-d", self.tracking)  # gone: the push recreates it
                return Integration("new-branch", f"{self.upstream} does not exist yet")
            return Integration("unreachable", f"cannot fetch from {self.remote}: {err}")
        ours, theirs = self._sha("HEAD"), self._sha(self.tracking)
        if ours is None or theirs is None or ours == theirs:
            return Integration("in-sync")
        if self._is_ancestor(theirs, ours):
            return Integration("ahead")
        dirty = self.store.uncommitted()
        if dirty:
            return Integration(
                "not-integrated",
                f"uncommitted changes in {', '.join(dirty)} "
                f"keep {self.upstream} out: commit or stash them",
                tuple(dirty),
            )
        if self._is_ancestor(ours, theirs):
            return self._fast_forward(ours, theirs)
        return self._rebase(ours, theirs)

    def _fast_forward(self, ours: str, theirs: str) -> Integration:
        with integrating(self.store, "fast-forward", ours, theirs, self.branch):
            status, _, err = self._git("merge", "--ff-only", "--no-stat", theirs)
        if status:
            return Integration("not-integrated", f"fast-forward to {self.upstream} refused: {err}")
        return Integration("fast-forward", f"fast-forwarded to {self.upstream}")

    def _rebase(self, ours: str, theirs: str) -> Integration:
        with integrating(self.store, "rebase", ours, theirs, self.branch):
            status, _, err = self._git(
                "-c",
                "rebase.autoStash=false",
                "-c",
                "rebase.updateRefs=false",
                "-c",
                "core.editor=true",
                "rebase",
                "--no-autosquash",
                "--committer-date-is-author-date",
                theirs,
                env=self.store.identity_env(),
            )
            if status and self._rebasing():
                files = self._conflicted()
                self._abort_rebase()
                return Integration(
                    "conflict",
                    f"this workspace's unpushed commits and "
                    f"{self.upstream} both changed {', '.join(files) or 'files'}",
                    tuple(files),
                )
        if status:
            return Integration("not-integrated", f"rebase onto {self.upstream} refused: {err}")
        return Integration("rebased", f"rebased local commits onto {self.upstream}")

    # ------------------------------------------------------------ after committing

    def publish(self) -> str | None:
        """Push (integrating again and retrying when rejected). None when the workspace is
        in sync; otherwise the reason, also recorded in .tracker/sync.json."""
        first = self.first or Integration("in-sync")
        if first.blocked:
            return self._fail(first.status, first.detail, first.files)
        if first.status == "unreachable" and (not self.push_enabled or not self.unpushed()):
            return self._fail("unreachable", first.detail)
        if not self.push_enabled:
            self._clear()
            return None
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            if not self.unpushed():
                self._clear()
                return None
            kind, detail = self._push()
            if kind == "ok":
                self._clear()
                return None
            if kind != "rejected" or attempt == PUSH_ATTEMPTS:
                return self._fail(kind, detail)
            again = self.integrate()  # someone pushed meanwhile: take it in, try again
            if again.blocked or again.status == "unreachable":
                return self._fail(again.status, again.detail, again.files)
            time.sleep(random.uniform(0.05, 0.3) * attempt)  # noqa: S311 - jitter only
        return self._fail("rejected", "push rejected")  # pragma: no cover - loop returns

    def _push(self) -> tuple[str, str]:
        ref = f"refs/heads/{self.branch}"
        status, out, err = self._network("push", "--porcelain", self.remote, f"{ref}:{ref}")
        if status == 0:
            sha = self._sha(ref)
            if sha:
                self._git("update-ref", self.tracking, sha)
            return "ok", ""
        flagged = [line for line in out.splitlines() if line.startswith("!\t")]
        summary = flagged[0].split("\t", 2)[-1] if flagged else ""
        if "[remote rejected]" in summary:
            return "refused", f"{self.remote} refused the push: {summary}; {err}".strip("; ")
        if "[rejected]" in summary:
            return (
                "rejected",
                f"{self.remote} rejected the push ({summary}) "
                f"{PUSH_ATTEMPTS} times: others keep pushing",
            )
        return "unreachable", f"cannot push to {self.remote}: {err or out}"

    def unpushed(self) -> int:
        ref = f"refs/heads/{self.branch}"
        spec = [f"{self.tracking}..{ref}"] if self._sha(self.tracking) else [ref]
        status, out, _ = self._git("rev-list", "--count", *spec)
        return int(out) if status == 0 and out.isdigit() else 0

    # ------------------------------------------------------------ the record

    def _fail(self, kind: str, detail: str, files: tuple[str, ...] = ()) -> str:
        unpushed = self.unpushed()
        kept = (
            f"{unpushed} local commit(s) kept, the next run pushes them"
            if unpushed
            else "nothing to push"
        )
        if kind == "conflict":
            message = (
                f"push failed: conflict: {detail}; the rebase was aborted and both "
                f"sides' commits are kept ({self.branch} here, {self.upstream} on the "
                f"server); merge by hand: git pull --rebase {self.remote} "
                f"{self.branch}, resolve, git rebase --continue, git push {self.remote} "
                f"{self.branch}"
            )
        elif kind == "unreachable" and not self.push_enabled:
            message = f"pull failed: {detail}"
        else:
            message = f"push failed: {detail}; {kept}"
        previous = read_sync_problem(self.store.root)
        stamp = self.now.isoformat()
        since = previous.since if previous and previous.kind == kind else stamp
        record = SyncProblem(
            kind, message, self.remote, self.branch, since, stamp, unpushed, list(files)
        )
        sync_record(self.store.root).save(record)
        return message

    def _clear(self) -> None:
        sync_record(self.store.root).path.unlink(missing_ok=True)

    # ------------------------------------------------------------ git

    def _git(
        self, *args: str, env: dict[str, str] | None = None, timeout: float | None = None
    ) -> tuple[int, str, str]:
        status, out, err = self.store.repo.git.execute(
            ["git", *args],
            with_extended_output=True,
            with_exceptions=False,
            env=env,
            kill_after_timeout=timeout,
        )
        return int(status or 0), str(out).strip(), redact(" ".join(str(err).split()))

    def _network(self, *args: str) -> tuple[int, str, str]:
        return self._git(*args, env=self._network_env(), timeout=self.timeout)

    def _network_env(self) -> dict[str, str]:
        configured = bool(self._git("config", "--get", "core.sshCommand")[1])
        return network_env(self.timeout, ssh_configured=configured)

    def _sha(self, rev: str) -> str | None:
        status, out, _ = self._git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        return out if status == 0 and out else None

    def _is_ancestor(self, older: str, newer: str) -> bool:
        return self._git("merge-base", "--is-ancestor", older, newer)[0] == 0

    def _rebasing(self) -> bool:
        git_dir = Path(self.store.repo.git_dir)
        return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()

    def _conflicted(self) -> list[str]:
        out = self._git("diff", "--name-only", "--diff-filter=U", "-z")[1]
        return sorted(p for p in out.split("\0") if p)

    def _abort_rebase(self) -> None:
        status, _, err = self._git("rebase", "--abort")
        if status:
            raise StoreError(
                f"could not abort the rebase onto {self.upstream}: {err}; run "
                "`git rebase --abort` in the workspace, then run again"
            )
