"""A real git server on loopback for the team-workspace tests: bare repositories under one
folder, served by `git daemon --enable=receive-pack` (push allowed, no auth), which can be
stopped and started again on the same port mid-test.

    with GitDaemon(tmp_path / "server") as daemon:
        daemon.bare("team")                 # an empty bare repository, branch main
        url = daemon.url("team")            # git://127.0.0.1:PORT/team.git
        with daemon.down(): ...             # connections refused meanwhile
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=git_env(), timeout=60
    )
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def git_env() -> dict[str, str]:
    return dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GitDaemon:
    def __init__(self, base: Path) -> None:
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "GitDaemon":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bare(self, name: str) -> Path:
        """An empty bare repository; every ref update is logged (to prove no force push)."""
        path = self.base / f"{name}.git"
        git(self.base, "init", "-q", "--bare", "-b", "main", str(path))
        git(path, "config", "core.logAllRefUpdates", "always")
        git(path, "config", "receive.denyNonFastForwards", "false")  # the client must not force
        return path

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                f"--base-path={self.base}",
                "--export-all",
                "--enable=receive-pack",
                "--informative-errors",
                str(self.base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("git daemon exited at start") from None
                time.sleep(0.05)
        raise RuntimeError("git daemon did not start listening")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @contextmanager
    def down(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.start()


def ref_updates_are_fast_forwards(bare: Path, ref: str = "refs/heads/main") -> list[str]:
    """Every logged update of `ref` on the server: each old value is an ancestor of the
    new one (no force push ever happened). Returns the new values, oldest first."""
    log = (bare / "logs" / ref).read_text(encoding="utf-8").splitlines()
    values = []
    for line in log:
        old, new = line.split()[:2]
        if set(old) != {"0"}:
            assert (
                subprocess.run(
                    ["git", "merge-base", "--is-ancestor", old, new], cwd=bare, env=git_env()
                ).returncode
                == 0
            ), f"forced update {old}→{new}"
        values.append(new)
    return values
