"""Git snapshot store (GitPython): canonical YAML files under snapshots/, one commit per run.

Reading history is the hot path of `tracker history` and `tracker status`: each snapshot
version is a git blob, and a blob never changes, so its parsed form is cached under
`.tracker/cache/` as JSON keyed by the blob id (JSON parses many times faster than YAML).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, Iterator

if TYPE_CHECKING:
    import git

from tracker.config import ID_PATTERN
from tracker.errors import StoreError
from tracker.store import snapshot_yaml
from tracker.store.files import SNAPSHOTS, STATE_DIR, JsonFile, inside, write_atomic
from tracker.store.historycache import HistoryCache
from tracker.store.picklecache import PickleCache

CACHE_KEEP = 5000  # parsed snapshot versions kept in .tracker/cache/blobs
# parsed versions kept in memory: history reads each version once for all facts on it,
# diff reads pairs; a parsed Factbook profile is megabytes
MEMO_KEEP = 16
IDENTITY = {
    "GIT_AUTHOR_NAME": "report-tracker",
    "GIT_AUTHOR_EMAIL": "tracker@localhost",
    "GIT_COMMITTER_NAME": "report-tracker",
    "GIT_COMMITTER_EMAIL": "tracker@localhost",
}

# how git refuses a commit for want of an identity (with user.useConfigOnly, or none at all)
IDENTITY_REFUSED = re.compile(
    r"auto-detection is disabled|identity unknown|unable to auto-detect|empty ident name"
)

# how `git commit -- paths` refuses a path that is neither in the index nor at HEAD
UNKNOWN_PATH = re.compile(r"did not match any file\(s\) known to git")


def _dates(when: datetime | None) -> dict[str, str]:
    """A commit's author and committer date in git's environment; none: git's clock."""
    if when is None:
        return {}
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}


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


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _raw_log_entries(out: str) -> Iterator[tuple[str, Version]]:
    """(path, version) of each file a `git log -z --format='@%H %ct' --raw` output names."""
    tokens = iter(out.split("\0"))
    commit, date = "", datetime.fromtimestamp(0, timezone.utc)
    for token in tokens:
        token = token.lstrip("\n")
        if token.startswith("@"):
            commit, _, stamp = token[1:].partition(" ")
            date = datetime.fromtimestamp(int(stamp), timezone.utc)
        elif token.startswith(":"):
            fields = token.split()
            path = next(tokens, "")
            yield path, Version(commit, date, None if fields[4].startswith("D") else fields[3])


class GitStore:
    """The workspace's git repository, seen as a store of snapshot versions."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if not (self.root / ".git").exists():
            self.repo  # noqa: B018 - no .git: a bare repository, or none (StoreError)
        self._memo: OrderedDict[str, Any] = OrderedDict()  # LRU of parsed blobs
        self.derived: dict[Any, Any] = {}  # per-instance memo for values derived from history
        self._versions: dict[tuple[str, str], list[Version]] = {}
        self._history_cache: HistoryCache | None = None
        self._head_memo: tuple[Any, ...] | None = None
        self._identity: dict[str, str] | None = None  # git environment; None: not yet known

    @functools.cached_property
    def repo(self) -> git.Repo:
        """GitPython's repository, opened on first use: a command that reads only what
        is kept (`status` from kept findings, `history` at the same HEAD) needs no git."""
        import git

        try:
            return git.Repo(self.root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise StoreError(f"{self.root}: not a git repository (run `tracker init`)") from None

    @property
    def history_cache(self) -> HistoryCache:
        """Facts' histories kept across commands (evaluate/history.py reads and fills it)."""
        if self._history_cache is None:
            self._history_cache = HistoryCache(self.root)
        return self._history_cache

    @classmethod
    def init(cls, root: Path | str) -> "GitStore":
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        if not (root / ".git").exists():
            import git

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
        from git import GitCommandError

        try:
            blob = self.repo.git.rev_parse(f"{rev}:{self.relpath(source_id)}")
        except GitCommandError:
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

    def commit(
        self,
        paths: Iterable[str],
        message: str,
        when: datetime | None = None,
        indexed: Collection[str] = frozenset(),
    ) -> str | None:
        """Commit exactly `paths` as the work tree has them; no commit (None) when nothing
        changed. `git commit -- paths` takes each path's content from the work tree
        itself, but only for paths git already knows: the others are added first, except
        those `indexed` (put in the index meanwhile, store/staging.py)."""
        paths = sorted(set(paths))
        if not paths:
            return None
        existing = [p for p in paths if (self.root / p).exists()]
        gone = [p for p in paths if not (self.root / p).exists()]
        from git import GitCommandError

        try:
            self._stage([p for p in existing if p not in indexed], gone)
            skipped = [p for p in existing if p in indexed]
            if not self._commit_staged(paths, message, when, skipped):
                return None
        except GitCommandError as exc:
            detail = " ".join(str(exc.stderr or exc).split())  # one line
            raise StoreError(f"git commit failed: {detail[:300]}") from None
        return self.head()

    def _stage(self, new: list[str], gone: list[str]) -> None:
        if new:
            self.repo.git.add("--", *new)
        if gone:
            self.repo.git.rm("--cached", "--ignore-unmatch", "-q", "--", *gone)

    def _commit_staged(
        self, paths: list[str], message: str, when: datetime | None, skipped: list[str]
    ) -> bool:
        """Commit what is staged of `paths`; False when nothing was. Whether anything is
        staged is asked only once git refused: most commits have something, and one with
        nothing to commit fails (status 1) without writing anything. A path git does not
        know among those not added (`skipped`: the index replaced behind the writer's
        back) is added then, and the commit made again."""
        from git import GitCommandError

        try:
            self._run_commit(paths, message, when)
        except GitCommandError as exc:
            if skipped and UNKNOWN_PATH.search(str(exc.stderr or "")):
                self._stage(skipped, [])
                return self._commit_staged(paths, message, when, [])
            if not self._staged(paths):
                return False
            raise
        return True

    def _run_commit(self, paths: list[str], message: str, when: datetime | None) -> None:
        """`git commit` of `paths`. While it is not known whether git has an identity,
        the first commit asks git to use only a configured one (no user@host guessed from
        the machine's name); where git has none, it refuses, and the commit is made again
        under the tracker's own. That costs a second process only where nothing is
        configured, instead of a `git config` before every store's first commit."""
        from git import GitCommandError

        if self._identity is not None:
            self._git_commit(paths, message, self._identity, when)
            return
        try:
            self._git_commit(paths, message, {}, when, config_only=True)
        except GitCommandError as exc:
            if not IDENTITY_REFUSED.search(str(exc.stderr or "")):
                raise
            self._git_commit(paths, message, self.identity_env(), when)
            return
        self._identity = {}

    def _git_commit(
        self,
        paths: list[str],
        message: str,
        identity: dict[str, str],
        when: datetime | None,
        config_only: bool = False,
    ) -> None:
        # The message on stdin: a run over hundreds of sources writes one longer than
        # the kernel's 128 KB limit for a single argument (E2BIG).
        with tempfile.TemporaryFile() as stdin:
            stdin.write(message.encode("utf-8"))
            stdin.seek(0)
            git = self.repo.git(c="user.useConfigOnly=true") if config_only else self.repo.git
            git.commit("-q", "-F", "-", "--", *paths, env=identity | _dates(when), istream=stdin)

    def _staged(self, paths: list[str]) -> bool:
        if self.head() is None:
            return bool(self.repo.git.diff("--cached", "--name-only", "--", *paths))
        return bool(self.repo.git.diff("--cached", "--name-only", "HEAD", "--", *paths))

    def identity_env(self) -> dict[str, str]:
        """The tracker's own identity, only where git has none configured (cron, CI)."""
        if self._identity is None:
            self._identity = {} if self._identity_configured() else dict(IDENTITY)
        return self._identity

    def _identity_configured(self) -> bool:
        # Asked of git, which reads what `git commit` will: GitPython's reader finds the
        # user's ~/.gitconfig through the password database even where HOME is unset
        # (some cron and service environments), where git itself reads none and refuses.
        from git import GitCommandError

        try:
            return bool(self.repo.git.config("--get", "user.email"))
        except GitCommandError:  # status 1: not set
            return False

    # ------------------------------------------------------------ history

    def versions(self, relpath: str) -> list[Version]:
        """Every commit that changed `relpath`, oldest first, with the file's blob id."""
        return list(self._versions_at_head(relpath))

    def last_version(self, relpath: str) -> Version | None:
        """The newest of `versions(relpath)` (without copying them all)."""
        versions = self._versions_at_head(relpath)
        return versions[-1] if versions else None

    def _versions_at_head(self, relpath: str) -> list[Version]:
        head = self.head()
        if head is None:
            return []
        key = (relpath, head)  # history only grows with HEAD
        if key not in self._versions:
            self._versions[key] = self._read_versions(relpath)
        return self._versions[key]

    def read_all_versions(self, relpaths: Iterable[str]) -> None:
        """Read the versions of many snapshot files with one `git log` (instead of one per
        file); `versions` then answers from memory. Only on a history without merges:
        there a log of the folder lists, per file, exactly the commits a log of the file
        would (with merges, git's history simplification may differ by path)."""
        head = self.head()
        wanted = {p for p in relpaths if (p, head) not in self._versions}
        if head is None or len(wanted) < 2 or self._has_merges(head):
            return
        found: dict[str, list[Version]] = {path: [] for path in wanted}
        out = self.repo.git.log(
            "-z", "--format=@%H %ct", "--raw", "--no-abbrev", "--no-renames", "--", f"{SNAPSHOTS}/"
        )
        for path, version in _raw_log_entries(out):
            if path in found:
                found[path].append(version)
        for path, versions in found.items():
            versions.reverse()
            self._versions[(path, head)] = versions

    def _has_merges(self, head: str) -> bool:
        key = ("merges", head)
        if key not in self.derived:
            count = self.repo.git.rev_list("--min-parents=2", "--count", head, "--")
            self.derived[key] = int(count) > 0
        return bool(self.derived[key])

    def _read_versions(self, relpath: str) -> list[Version]:
        out = self.repo.git.log(
            "-z", "--format=@%H %ct", "--raw", "--no-abbrev", "--no-renames", "--", relpath
        )
        versions = [version for path, version in _raw_log_entries(out) if path == relpath]
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
        if len(self._memo) > MEMO_KEEP:
            self._memo.popitem(last=False)
        return data

    def _cache_file(self, blob: str) -> JsonFile[Any]:
        # Any JSON is a snapshot's shape; a damaged entry is removed and parsed again.
        return JsonFile(
            self.root / STATE_DIR / "cache" / "blobs" / f"{blob}.json",
            Any,
            lambda: None,
            damaged="discard",
        )

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
        """The commit HEAD names (None before the first commit), read from git's files:
        GitPython's own lookup costs a millisecond, and status asks once per source."""
        git_dir, common = self._git_dirs
        head_file = os.path.join(git_dir, "HEAD")
        memo = self._head_memo
        if (
            memo is not None
            and _stamp(head_file) == memo[0]
            and _stamp(memo[1]) == memo[2]
            and _stamp(memo[3]) == memo[4]
        ):
            return memo[5]
        before = _stamp(head_file)
        head = self._read_head()
        ref = self._head_ref()
        ref_file = (
            os.path.join(git_dir if os.path.exists(os.path.join(git_dir, ref)) else common, ref)
            if ref
            else head_file
        )
        packed = os.path.join(common, "packed-refs")
        # A commit or checkout replaces one of these files (new inode, size or time): an
        # equal stamp of all three is the same HEAD. Not kept if HEAD moved meanwhile.
        self._head_memo = (
            (before, ref_file, _stamp(ref_file), packed, _stamp(packed), head)
            if before is not None and before == _stamp(head_file)
            else None
        )
        return head

    def _head_ref(self) -> str:
        try:
            text = (self._git_dirs[0] / "HEAD").read_text("utf-8").strip()
        except OSError:
            return ""
        return text[5:].strip() if text.startswith("ref: ") else ""

    @functools.cached_property
    def _git_dirs(self) -> tuple[Path, Path]:
        """(git dir, common dir): `.git` itself in an ordinary repository (no GitPython
        needed to read HEAD); a linked worktree or a bare repository asks GitPython."""
        dot = self.root / ".git"
        if dot.is_dir() and not dot.is_symlink() and not (dot / "commondir").exists():
            return dot.resolve(), dot.resolve()
        return Path(self.repo.git_dir), Path(self.repo.common_dir)

    def _read_head(self) -> str | None:
        git_dir, common = self._git_dirs
        try:
            text = (git_dir / "HEAD").read_text("utf-8").strip()
        except OSError:
            return self._head_by_git()
        if not text.startswith("ref: "):
            return text if re.fullmatch(r"[0-9a-f]{40,64}", text) else self._head_by_git()
        ref = text[5:].strip()
        for folder in (git_dir, common):
            with contextlib.suppress(OSError):
                sha = (folder / ref).read_text("utf-8").strip()
                return sha if re.fullmatch(r"[0-9a-f]{40,64}", sha) else self._head_by_git()
        return self._packed_ref(common, ref)

    def _packed_ref(self, common: Path, ref: str) -> str | None:
        try:
            lines = (common / "packed-refs").read_text("utf-8").splitlines()
        except OSError:
            return None  # no such ref: an unborn branch
        for line in lines:
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
        return None

    def _head_by_git(self) -> str | None:
        return self.repo.head.commit.hexsha if self.repo.head.is_valid() else None

    def last_commit_in(self, folder: str = SNAPSHOTS) -> str | None:
        """The newest commit that changed something under `folder` (None: none did): the
        history every snapshot's versions are read from ends there."""
        head = self.head()
        if head is None:
            return None
        key = ("last commit in", folder, head)  # a commit's history never changes
        if key not in self.derived:
            self.derived[key] = self.repo.git.rev_list("-1", head, "--", f"{folder}/").strip()
        return self.derived[key] or None

    def snapshot_stamp(self, source_id: str) -> tuple[int, ...] | None:
        """Identity of the snapshot file in the work tree (None: absent): inode, size and
        both times in ns — any write (an atomic replace, an editor, a checkout) changes
        one of them, and the change time cannot be set back."""
        try:
            st = os.stat(self.snapshot_path(source_id))
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns

    def committed_blobs(self, folder: str = SNAPSHOTS) -> dict[str, str]:
        """{path: blob id} of the files directly in `folder` at HEAD. A commit's tree
        never changes, so the listing is kept under `.tracker/cache/` for the commit it
        was read at: a writer at the same HEAD (every unchanged run) needs no git."""
        head = self.head()
        if head is None:
            return {}
        kept = PickleCache(self.root / STATE_DIR / "cache" / f"tree-{folder}.pickle")
        blobs = kept.load(head)
        if not isinstance(blobs, dict):
            blobs = self._listed_blobs(head, folder)
            kept.save(head, blobs)
        return blobs

    def _listed_blobs(self, commit: str, folder: str) -> dict[str, str]:
        # one `git ls-tree`: git lists a folder of a thousand snapshots faster than
        # GitPython reads the tree object in Python
        listing = self.repo.git.ls_tree("-z", "--full-tree", commit, "--", f"{folder}/")
        out = {}
        for entry in listing.split("\0"):
            meta, _, path = entry.partition("\t")
            fields = meta.split()
            if (
                len(fields) == 3
                and fields[1] == "blob"
                and path.count("/") == folder.count("/") + 1
            ):
                out[path] = fields[2]
        return out

    def index_intact(self) -> bool:
        """True when `.git/index` is whole: git's signature and a known version, and a
        trailing checksum that is the hash of the rest (what git checks before it reads
        an index). False means "ask git": a damaged file, none, or one this check does
        not read (a zero checksum under index.skipHash, another hash, a split index whose
        shared part is another file)."""
        try:
            data = (self.git_dir / "index").read_bytes()
            if any(name.startswith("sharedindex.") for name in os.listdir(self.git_dir)):
                return False
        except OSError:
            return False
        if data[:4] != b"DIRC" or int.from_bytes(data[4:8], "big") not in (2, 3, 4):
            return False
        for algorithm, size in (("sha1", 20), ("sha256", 32)):
            body, checksum = data[:-size], data[-size:]
            if len(body) >= 12 and hashlib.new(algorithm, body).digest() == checksum:
                return True
        return False

    @property
    def git_dir(self) -> Path:
        """The repository's git directory (an ordinary repository's `.git` is found
        without GitPython)."""
        return self._git_dirs[0]

    def uncommitted(self, *paths: str, untracked: bool = False) -> list[str]:
        """Files (under `paths`, default all) whose index or work tree differs from HEAD:
        someone's edits not committed yet; with `untracked`, files git does not track too."""
        out = self.repo.git.status(
            "--porcelain=v1",
            "-z",
            "--no-renames",
            f"--untracked-files={'all' if untracked else 'no'}",
            "--",
            *paths,
        )
        return sorted({entry[3:] for entry in out.split("\0") if len(entry) > 3})
