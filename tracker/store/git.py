"""Git snapshot store (GitPython): canonical YAML files under snapshots/, one commit per run.

Reading history is the hot path of `tracker history` and `tracker status`: each snapshot
version is a git blob, and a blob never changes, so its parsed form is cached under
`.tracker/cache/` as JSON keyed by the blob id (JSON parses many times faster than YAML).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import git

from tracker.config import ID_PATTERN
from tracker.errors import StoreError
from tracker.store import snapshot_yaml
from tracker.store.files import SNAPSHOTS, STATE_DIR, JsonFile, inside, write_atomic

CACHE_KEEP = 5000  # parsed snapshot versions kept in .tracker/cache/blobs
IDENTITY = {"GIT_AUTHOR_NAME": "report-tracker", "GIT_AUTHOR_EMAIL": "tracker@localhost",
            "GIT_COMMITTER_NAME": "report-tracker", "GIT_COMMITTER_EMAIL": "tracker@localhost"}


@dataclass(frozen=True)
class Version:
    """One committed version of a file: commit, its date, the file's blob id."""

    commit: str
    date: datetime
    blob: str | None  # None when the commit deleted the file


def json_exact(data: Any) -> bool:
    """Whether JSON gives `data` back as it is: only text keys, no dates, no tuples."""
    if isinstance(data, dict):
        return all(isinstance(key, str) and json_exact(value) for key, value in data.items())
    if isinstance(data, list):
        return all(json_exact(item) for item in data)
    return data is None or isinstance(data, (str, bool, int, float))


def blob_id(content: bytes) -> str:
    """The id git gives these bytes as a blob (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class GitStore:
    """The workspace's git repository, seen as a store of snapshot versions."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        try:
            self.repo = git.Repo(self.root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise StoreError(f"{self.root}: not a git repository (run `tracker init`)") from None
        self._memo: OrderedDict[str, Any] = OrderedDict()  # LRU of parsed blobs
        self.derived: dict[Any, Any] = {}  # per-instance memo for values derived from history
        self._versions: dict[tuple[str, str], list[Version]] = {}

    @classmethod
    def init(cls, root: Path | str) -> "GitStore":
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        if not (root / ".git").exists():
            git.Repo.init(root, initial_branch="main")
        return cls(root)

    # ------------------------------------------------------------ files

    def snapshot_path(self, source_id: str) -> Path:
        """snapshots/<id>.yaml — refused (StoreError) when snapshots/ or the file is a
        symbolic link: whatever it points to must never be read as the previous snapshot
        (its content would reach diffs and commit messages) nor be written."""
        if not isinstance(source_id, str) or not re.fullmatch(ID_PATTERN, source_id):
            raise StoreError(f"bad source id {source_id!r}: it would escape {SNAPSHOTS}/")
        return inside(self.root, f"{SNAPSHOTS}/{source_id}.yaml")

    def relpath(self, source_id: str) -> str:
        self.snapshot_path(source_id)  # refuses an id that would escape snapshots/
        return f"{SNAPSHOTS}/{source_id}.yaml"

    def read_snapshot(self, source_id: str, rev: str | None = None) -> Any:
        """The snapshot in the work tree (rev=None) or at a revision; None if absent."""
        if rev is None:
            path = self.snapshot_path(source_id)
            if not path.exists():
                return None
            raw = path.read_bytes()
            # The file's git blob id keys the cache that history reads fill: a JSON parse
            # instead of YAML when this version was read before. Fresh objects: callers
            # may change what they get.
            cached = self._cached(blob_id(raw))
            return cached if cached is not None else snapshot_yaml.loads(raw)
        try:
            blob = self.repo.git.rev_parse(f"{rev}:{self.relpath(source_id)}")
        except git.GitCommandError:
            return None
        return self.load_blob(blob)

    def write_snapshot(self, source_id: str, data: Any) -> bool:
        """Write canonical YAML; returns False (and writes nothing) when the file already
        holds this data — also when it differs only in formatting (written by an older
        version): a new format is never a change of the source."""
        path = self.snapshot_path(source_id)
        text = snapshot_yaml.dumps(data)
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            existing = None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}") from None
        if existing is not None and snapshot_yaml.unchanged(existing, text):
            return False
        write_atomic(path, text)
        return True

    # ------------------------------------------------------------ commits

    def commit(self, paths: Iterable[str], message: str, when: datetime | None = None) -> str | None:
        """Stage `paths` and commit them; no commit (None) when nothing changed."""
        paths = sorted(set(paths))
        if not paths:
            return None
        existing = [p for p in paths if (self.root / p).exists()]
        gone = [p for p in paths if not (self.root / p).exists()]
        try:
            if existing:
                self.repo.git.add("--", *existing)
            if gone:
                self.repo.git.rm("--cached", "--ignore-unmatch", "-q", "--", *gone)
            if not self._staged(paths):
                return None
            # The message on stdin: a run over hundreds of sources writes one longer than
            # the kernel's 128 KB limit for a single argument (E2BIG).
            with tempfile.TemporaryFile() as stdin:
                stdin.write(message.encode("utf-8"))
                stdin.seek(0)
                self.repo.git.commit("-q", "-F", "-", "--", *paths, env=self._env(when),
                                     istream=stdin)
        except git.GitCommandError as exc:
            detail = " ".join(str(exc.stderr or exc).split())  # one line
            raise StoreError(f"git commit failed: {detail[:300]}") from None
        return self.repo.head.commit.hexsha

    def _staged(self, paths: list[str]) -> bool:
        if not self.repo.head.is_valid():
            return bool(self.repo.git.diff("--cached", "--name-only", "--", *paths))
        return bool(self.repo.git.diff("--cached", "--name-only", "HEAD", "--", *paths))

    def _env(self, when: datetime | None) -> dict[str, str]:
        env = self.identity_env()
        if when is not None:
            stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        return env

    def identity_env(self) -> dict[str, str]:
        """The tracker's own identity, only where git has none configured (cron, CI)."""
        return {} if self._has_identity() else dict(IDENTITY)

    def _has_identity(self) -> bool:
        reader = self.repo.config_reader()
        try:
            return bool(reader.get_value("user", "email", ""))
        except Exception:  # noqa: BLE001 - missing sections raise several types
            return False

    # ------------------------------------------------------------ history

    def versions(self, relpath: str) -> list[Version]:
        """Every commit that changed `relpath`, oldest first, with the file's blob id."""
        if not self.repo.head.is_valid():
            return []
        key = (relpath, self.repo.head.commit.hexsha)  # history only grows with HEAD
        if key not in self._versions:
            self._versions[key] = self._read_versions(relpath)
        return list(self._versions[key])

    def _read_versions(self, relpath: str) -> list[Version]:
        out = self.repo.git.log("--format=@%H %ct", "--raw", "--no-abbrev", "--no-renames",
                                "--", relpath)
        versions: list[Version] = []
        commit, stamp = "", 0
        for line in out.splitlines():
            if line.startswith("@"):
                commit, _, ts = line[1:].partition(" ")
                stamp = int(ts)
            elif line.startswith(":"):
                fields = line.split()
                blob = None if fields[4].startswith("D") else fields[3]
                versions.append(Version(commit, datetime.fromtimestamp(stamp, timezone.utc), blob))
        versions.reverse()
        return versions

    def load_blob(self, blob: str) -> Any:
        """Parsed content of a snapshot blob, cached by blob id (immutable)."""
        if blob in self._memo:
            self._memo.move_to_end(blob)
            return self._memo[blob]
        data = self._cached(blob)
        if data is None:
            data = snapshot_yaml.loads(self.repo.odb.stream(bytes.fromhex(blob)).read())
            if json_exact(data):  # dates or non-text keys would come back changed
                with contextlib.suppress(OSError):  # the cache is an optimization only
                    self._cache_file(blob).save(data)
        self._memo[blob] = data
        if len(self._memo) > 64:
            self._memo.popitem(last=False)
        return data

    def _cache_file(self, blob: str) -> JsonFile[Any]:
        # Any JSON is a snapshot's shape; a damaged entry is removed and parsed again.
        return JsonFile(self.root / STATE_DIR / "cache" / "blobs" / f"{blob}.json", Any,
                        lambda: None, damaged="discard")

    def _cached(self, blob: str) -> Any:
        try:
            return self._cache_file(blob).load()
        except StoreError:  # unreadable: parse the YAML instead
            return None

    def prune_cache(self, keep: int = CACHE_KEEP) -> int:
        """Drop the least recently written cache entries beyond `keep` (bounded disk)."""
        folder = self.root / STATE_DIR / "cache" / "blobs"
        if not folder.is_dir():
            return 0
        entries = list(os.scandir(folder))
        if len(entries) <= keep:
            return 0
        entries.sort(key=lambda e: e.stat().st_mtime)
        for entry in entries[: len(entries) - keep]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        return len(entries) - keep

    def head(self) -> str | None:
        return self.repo.head.commit.hexsha if self.repo.head.is_valid() else None

    def committed_blobs(self, folder: str = SNAPSHOTS) -> dict[str, str]:
        """{path: blob id} of the files directly in `folder` at HEAD (read through
        GitPython's running `cat-file`, no new process)."""
        if not self.repo.head.is_valid():
            return {}
        try:
            tree = self.repo.head.commit.tree / folder
        except KeyError:
            return {}
        return {f"{folder}/{blob.name}": blob.hexsha for blob in tree.blobs}

    def uncommitted(self, *paths: str, untracked: bool = False) -> list[str]:
        """Files (under `paths`, default all) whose index or work tree differs from HEAD:
        someone's edits not committed yet; with `untracked`, files git does not track too."""
        out = self.repo.git.status("--porcelain=v1", "-z", "--no-renames",
                                   f"--untracked-files={'all' if untracked else 'no'}",
                                   "--", *paths)
        return sorted({entry[3:] for entry in out.split("\0") if len(entry) > 3})
