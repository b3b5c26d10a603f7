"""The Workspace: one wiring point for every command — where things are, the configuration,
the git store, local state — and the one write path every writer goes through.

    ws = Workspace(root)
    findings = evaluate_all(ws.config, ws.store, ws.state, now)       # readers
    with ws.writing(now=now, wait=wait) as writer:                    # writers
        writer.write_file("reports/x.yaml", text)
        writer.commit(["reports/x.yaml"], "Edit x", when=now)

`writing()` takes the run lock (LockError after `wait` s), undoes the tracker's own
integration a killed run left half done, checks the git state (branch, no merge/rebase in
progress: GitStateError, exit 4, before anything is fetched or written), repairs what a
dead run left, integrates the team remote when `git.remote` is set (store/remote.py), drops
HTTP validators not tied to the committed snapshots, and yields a Writer whose writes are
atomic and stay inside the workspace. After the body: validators tied to what was
committed, then the push (PushError, exit 3, once the lock is released: the work is
committed locally and the next writer pushes it). Nothing else opens the store or takes
the lock.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from tracker.config import Config, load_config
from tracker.errors import ConfigError, GitStateError, PushError
from tracker.store.configcache import cached_config
from tracker.store.files import (
    DIGESTS,
    REPORTS,
    SNAPSHOTS,
    STATE_DIR,
    check_layout,
    disk_error,
    inside,
    write_atomic,
)
from tracker.store.git import GitStore
from tracker.store.state import State
from tracker.store.yamlcache import YamlCache

if TYPE_CHECKING:  # the write path's parts are imported by writers only
    from tracker.store.remote import TeamSync
    from tracker.store.staging import Stager


class Workspace:
    """A workspace directory: feeds.yaml, reports/, snapshots/, digests/, .tracker/."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._state: State | None = None

    # ------------------------------------------------------------ layout

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def snapshots_dir(self) -> Path:
        return self.root / SNAPSHOTS

    @property
    def digests_dir(self) -> Path:
        return self.root / DIGESTS

    @property
    def reports_dir(self) -> Path:
        return self.root / REPORTS

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    # ------------------------------------------------------------ parts

    @cached_property
    def config(self) -> Config:
        """feeds.yaml and reports, validated (ConfigError, exit 2); kept per the files'
        content in .tracker/cache (the whole validated configuration, and each file's
        parsed values)."""
        return cached_config(
            self.root,
            self.cache_dir,
            lambda: load_config(self.root, cache=YamlCache(self.cache_dir / "yaml")),
        )

    @cached_property
    def store(self) -> GitStore:
        return GitStore(self.root)

    @property
    def state(self) -> State:
        """Local state (.tracker/state.json), loaded on first use."""
        if self._state is None:
            self._state = State.load(self.root)
        return self._state

    # ------------------------------------------------------------ the write path

    @contextmanager
    def writing(
        self,
        *,
        now: datetime | None = None,
        wait: float = 0.0,
        clean_on: tuple[type[BaseException], ...] = (),
    ) -> Iterator[Writer]:
        """The one write path: lock, git-state check, repair, integrate, the writer, push.

        An exception in `clean_on` (or a refused git state) ends the lock cleanly; any
        other keeps the holder note, so the next writer repairs what this one left. An
        exception in the body pushes nothing (the next writer pushes what was committed)."""
        from tracker.store.gitstate import check_in_progress, check_writable
        from tracker.store.lock import RunLock
        from tracker.store.recovery import recover
        from tracker.store.unfinished import integration_interrupted, undo_interrupted_integration

        git_dir = self.store.git_dir
        if not integration_interrupted(self.store):  # else: undone under the lock below
            check_in_progress(git_dir, self.root)  # before a merge's markers read as bad YAML
        config = self.config  # a bad configuration is refused before anything else
        check_layout(self.root, (SNAPSHOTS, DIGESTS, REPORTS))  # no symlinked folders
        sync = self._team_sync(config, now or datetime.now(timezone.utc))
        with (
            full_disk(),
            RunLock(self.root, wait=wait, started=now, clean_on=(GitStateError, *clean_on)) as lock,
        ):
            repaired = undo_interrupted_integration(self.store, config.git.branch)
            check_writable(git_dir, config.git.branch, self.root)
            repaired += recover(self.store, previous_died=lock.previous_died)
            if sync is not None and sync.integrate().moved:  # the team's files came in
                self.__dict__.pop("config", None)
                self.config  # noqa: B018 - a broken configuration pushed by others: exit 2
            self._state = None  # what a dead run or another process saved: read it now
            self._untie_validators()
            writer = Writer(self, repaired)
            try:
                yield writer
            finally:
                writer.stop_staging()  # no git child outlives the writer
            self._tie_validators()
            failure = sync.publish() if sync is not None else None
        if failure:
            raise PushError(failure)

    def _team_sync(self, config: Config, now: datetime) -> TeamSync | None:
        """The exchange with `git.remote` (None without one); a remote git does not know
        is a ConfigError before anything else."""
        if not config.git.remote:
            return None
        from tracker.store.remote import TeamSync

        sync = TeamSync(self.store, config.git, now)
        sync.check_remote()
        return sync

    def committed_snapshots(self) -> dict[str, str]:
        """{source id: blob id} of every snapshot at HEAD."""
        prefix = f"{SNAPSHOTS}/"
        return {
            rel[len(prefix) : -len(".yaml")]: blob
            for rel, blob in self.store.committed_blobs(SNAPSHOTS).items()
            if rel.endswith(".yaml")
        }

    def _untie_validators(self) -> None:
        state = self.state
        if any(entry.validators for entry in state.sources.values()):
            state.untie_validators(self.committed_snapshots())

    def _tie_validators(self) -> None:
        """Validators this writer recorded belong to the snapshots it committed."""
        state = self._state
        if (
            state is not None
            and state.pending_validators()
            and state.tie_validators(self.committed_snapshots())
        ):
            state.save()

    # ------------------------------------------------------------ creation

    @classmethod
    def create(
        cls, root: Path | str, files: dict[str, str], message: str, when: datetime | None = None
    ) -> Workspace:
        """A new workspace: git repository on branch main, these files, one commit."""
        root = Path(root)
        store = GitStore.init(root)
        for rel, text in files.items():
            path = inside(root, rel)
            if not path.exists():
                write_atomic(path, text)
        for folder in (SNAPSHOTS, DIGESTS, REPORTS):
            (root / folder).mkdir(exist_ok=True)
        store.commit(list(files), message, when=when)
        return cls(root)


@contextmanager
def full_disk() -> Iterator[None]:
    """A full or read-only disk ends the writer with one line (StoreError); the lock's
    holder note stays, so the next writer repairs what was half-written."""
    try:
        yield
    except OSError as exc:
        error = disk_error(exc)
        if error is None:
            raise
        raise error from None


class Writer:
    """What a writer may do while it holds the workspace (see Workspace.writing)."""

    def __init__(self, workspace: Workspace, repaired: list[str]) -> None:
        self.workspace = workspace
        self.repaired = repaired
        self._stager: Stager | None = None

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def config(self) -> Config:
        return self.workspace.config

    @property
    def store(self) -> GitStore:
        return self.workspace.store

    @property
    def state(self) -> State:
        return self.workspace.state

    def write_file(self, rel: str, text: str) -> Path:
        """Write `rel` (inside the workspace, no symlinks on the way) atomically."""
        path = inside(self.root, rel)
        write_atomic(path, text)
        return path

    def write_and_stage(self, rel: str, text: str) -> Path:
        """`write_file`, then hand `rel` to git at once (store/staging.py): for a writer
        that writes many files before its commit, which adds only what git did not
        surely stage."""
        path = self.write_file(rel, text)
        if self._stager is None:
            from tracker.store.staging import Stager

            self._stager = Stager(self.store)
        self._stager.add(rel)
        return path

    def stop_staging(self) -> None:
        if self._stager is not None:
            self._stager.close()

    def write_snapshot(self, source_id: str, data: Any) -> bool:
        """Canonical YAML of a snapshot; False (nothing written) when unchanged."""
        rel = self.store.relpath(source_id)
        inside(self.root, rel)
        return self.store.write_snapshot(source_id, data)

    def commit(self, paths: list[str], message: str, when: datetime | None = None) -> str | None:
        """Commit exactly `paths` (None when nothing changed); what the Stager put in the
        index is not added again."""
        self.stop_staging()  # git's index is the commit's now
        for rel in paths:
            inside(self.root, rel)
        indexed = self._stager.indexed if self._stager is not None else frozenset()
        return self.store.commit(paths, message, when=when, indexed=indexed)

    def save_state(self) -> None:
        """Save the state with this writer's fresh validators tied to the snapshots now
        committed: call it after the commit. Tied in the same write, a run killed after
        it (while it evaluates or writes the digest) leaves them usable; left pending,
        the next run would drop them and fetch those sources unconditionally."""
        if self.state.pending_validators():  # HEAD's tree is read only when needed
            self.state.tie_validators(self.workspace.committed_snapshots())
        self.state.save()


def init_workspace(directory: Path | str) -> Path:
    """`tracker init`: refuses to overwrite an existing feeds.yaml."""
    from tracker.examples import FEEDS_EXAMPLE, GITIGNORE, REPORT_EXAMPLE

    root = Path(directory)
    if (root / "feeds.yaml").exists():
        raise ConfigError(
            "a workspace already exists here (feeds.yaml found)", file=str(root / "feeds.yaml")
        )
    Workspace.create(
        root,
        {
            ".gitignore": GITIGNORE,
            "feeds.yaml": FEEDS_EXAMPLE,
            "reports/example.yaml": REPORT_EXAMPLE,
        },
        "Create workspace",
    )
    return root


def clone_workspace(
    url: str, directory: Path | str, *, now: datetime, timeout: float = 120.0
) -> Path:
    """`tracker init --clone URL DIR`: a workspace from the team's remote. The clone's
    remote is `origin` (renamed to the workspace's `git.remote` if that differs) and HEAD is
    on `git.branch`. An empty remote gets the example workspace, set up to push there."""
    from tracker.store.remote import clone, redact

    root = Path(directory)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ConfigError(f"{root}: exists and is not an empty folder; clone into a new one")
    created = not root.exists()
    try:
        clone(url, root, timeout)
        store = GitStore(root)
        empty = store.head() is None
        if not empty and not (root / "feeds.yaml").is_file():
            raise ConfigError(f"{redact(url)} holds no feeds.yaml: not a tracker workspace")
        if not empty:
            _match_settings(Workspace(root), store)
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return _seed_remote(root, store, now) if empty else root


def _match_settings(workspace: Workspace, store: GitStore) -> None:
    settings = workspace.config.git
    if settings.remote and settings.remote != "origin":
        store.repo.git.remote("rename", "origin", settings.remote)
    if store.repo.head.is_detached or store.repo.active_branch.name != settings.branch:
        from git import GitCommandError

        try:
            store.repo.git.checkout(settings.branch)
        except GitCommandError:
            raise ConfigError(
                f"git.branch: the remote has no branch {settings.branch!r}",
                file=str(workspace.root / "feeds.yaml"),
            ) from None


def _seed_remote(root: Path, store: GitStore, now: datetime) -> Path:
    """An empty remote: the example workspace on branch main, pushed to origin."""
    from tracker.examples import FEEDS_EXAMPLE, GITIGNORE, REPORT_EXAMPLE

    store.repo.git.symbolic_ref("HEAD", "refs/heads/main")
    feeds = FEEDS_EXAMPLE.replace(
        "  branch: main", "  branch: main\n  remote: origin\n  push: true", 1
    )
    workspace = Workspace.create(
        root,
        {".gitignore": GITIGNORE, "feeds.yaml": feeds, "reports/example.yaml": REPORT_EXAMPLE},
        "Create workspace",
        when=now,
    )
    from tracker.store.remote import TeamSync

    sync = TeamSync(workspace.store, workspace.config.git, now)
    failure = sync.publish()
    if failure:
        raise PushError(failure)
    return root


__all__ = ["Workspace", "Writer", "init_workspace", "clone_workspace"]
