"""Helpers for the unattended-operation tests: a multi-source workspace served locally,
content that changes by "epoch", running `tracker` as a real subprocess, and a fingerprint
of a workspace (commits + snapshot files) to compare a crashed history with a clean one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.server import LocalServer, Reply
from tests.support.zygote import run as warm_run

REPORT = """\
report: {id: ops}
facts:
  - id: pm
    expect: Person Zero
    source: s0
    path: [Government, Executive branch, head of government]
    extract: text
"""
# Everything but the fact text is stable across epochs, so each commit changes a little.
TRACKER = [sys.executable, "-m", "tracker.cli"]


def feeds(server: LocalServer, count: int, schedule: str = "0 * * * *") -> str:
    lines = ["sources:"]
    for i in range(count):
        lines += [
            f"  s{i}:",
            "    kind: factbook",
            f"    url: {server.url(f'/s{i}.json')}",
            f'    schedule: "{schedule}"',
            "    timeout: 30",
        ]
    lines += ["http:", "  retries: 0", "  backoff: 0.01"]
    return "\n".join(lines) + "\n"


def document(source: int, epoch: int) -> bytes:
    """Source i changes every (i+1)-th epoch: some runs change many sources, some none."""
    return profile(source, epoch // (source + 1))


def profile(source: int, version: int) -> bytes:
    """A small Factbook-shaped document: its head of government and population move with
    `version`; a note keeps the document a realistic size."""
    doc = {
        "Government": {
            "Executive branch": {
                "head of government": {"text": f"Person {'Zero' if version == 0 else version}"}
            }
        },
        "People and Society": {
            "Population": {"total": {"text": f"{1000 + version * 7:,}"}},
            "Notes": {"text": f"source {source}, version {version} " * 30},
        },
    }
    return json.dumps(doc).encode()


def serve_epoch(server: LocalServer, count: int, epoch: int, delay: float = 0.0) -> None:
    for i in range(count):
        server.route(f"/s{i}.json", Reply(body=document(i, epoch), etag=True, delay=delay))


def tracker_cmd(root: Path, *args: str) -> list[str]:
    return [*TRACKER, "-w", str(root), *args]


def run_env() -> dict[str, str]:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def run_tracker(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return warm_run(
        tracker_cmd(root, *args), capture_output=True, text=True, timeout=timeout, env=run_env()
    )


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env=run_env()
    ).stdout


def commits(root: Path) -> list[str]:
    return git(root, "rev-list", "--reverse", "HEAD").split()


def fingerprint(root: Path) -> dict[str, object]:
    """What must be equal after a crashed history and a clean one: every commit's tree,
    date and message (oldest first), the snapshot and digest files in the work tree, and
    the local state a run keeps (source health and validators, the digest memory)."""
    log = git(root, "log", "--reverse", "--format=%T %ad%n%B%x00", "--date=iso-strict")
    files = {
        f"{p.parent.name}/{p.name}": p.read_text()
        for folder in ("snapshots", "digests")
        for p in sorted((root / folder).glob("*"))
    }
    local = {}
    for name in ("state.json", "digest.json"):
        path = root / ".tracker" / name
        local[name] = json.loads(path.read_text()) if path.exists() else None
    return {
        "commits": [c.strip() for c in log.split("\0") if c.strip()],
        "files": files,
        "local": local,
    }


def check_consistent(root: Path) -> None:
    """git fsck clean, every committed and work-tree snapshot parses, nothing uncommitted."""
    from tracker.store import snapshot_yaml

    fsck = subprocess.run(
        ["git", "fsck", "--full", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        env=run_env(),
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    for path in sorted((root / "snapshots").glob("*")):
        assert path.suffix == ".yaml", f"leftover file {path.name}"
        assert isinstance(snapshot_yaml.loads(path.read_bytes()), dict)
    for line in git(root, "ls-tree", "-r", "HEAD", "snapshots/").splitlines():
        blob = line.split()[2]
        raw = subprocess.run(
            ["git", "cat-file", "blob", blob], cwd=root, capture_output=True, check=True
        ).stdout
        assert isinstance(snapshot_yaml.loads(raw), dict)
    dirty = git(root, "status", "--porcelain", "--", "snapshots/", "digests/")
    assert dirty == "", f"uncommitted run output:\n{dirty}"
    assert not (root / ".git" / "index.lock").exists()
