"""The warm `tracker` children of tests/support/zygote.py answer as real subprocesses do."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import make_workspace
from tests.support import zygote

TRACKER = [sys.executable, "-m", "tracker.cli"]
FEEDS = "sources:\n  fb: {kind: factbook, url: 'http://127.0.0.1:9/kz.json'}\n"


def both(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess[str], ...]:
    kwargs.setdefault("env", dict(os.environ))
    kwargs["env"].setdefault("PYTHONPATH", zygote.ROOT)
    real = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    warm = zygote.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    return real, warm


def test_a_failing_command_gives_the_same_code_and_streams():
    real, warm = both([*TRACKER, "-w", "/nonexistent/ws", "status"])
    assert real.returncode == warm.returncode == 2
    assert (real.stdout, real.stderr) == (warm.stdout, warm.stderr)
    assert "feeds.yaml not found" in warm.stderr


def test_the_working_directory_and_environment_are_the_callers(tmp_path):
    make_workspace(tmp_path / "ws", FEEDS, {})
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    real, warm = both([*TRACKER, "-w", "ws", "sources"], cwd=tmp_path, env=env)
    assert real.returncode == warm.returncode == 0, warm.stderr
    assert real.stdout == warm.stdout and "fb" in warm.stdout


def test_an_interpreter_that_would_start_otherwise_gets_a_real_process():
    base = zygote.shared().env
    assert zygote.warm(dict(base), base)
    assert not zygote.warm({**base, "PYTHONIOENCODING": "latin-1"}, base)
    assert not zygote.warm({**base, "LC_ALL": "C"}, base) or base.get("LC_ALL") == "C"
    assert not zygote.warm({**base, "PYTHONPATH": f"/elsewhere{os.pathsep}{zygote.ROOT}"}, base)
    # A fork of the zygote would write UTF-8; a real interpreter started with this
    # variable writes "é" as latin-1, which the caller's UTF-8 text mode then refuses.
    with pytest.raises(UnicodeDecodeError):
        zygote.run(
            [*TRACKER, "-w", "/nonexistent/é", "status"],
            capture_output=True,
            text=True,
            env={**base, "PYTHONIOENCODING": "latin-1"},
        )


@pytest.mark.waits
def test_a_child_past_its_timeout_is_killed_and_the_zygote_goes_on(tmp_path):
    root = make_workspace(tmp_path / "ws", FEEDS, {})
    daemon = [*TRACKER, "-w", str(root), "schedule", "--interval", "60", "--no-email"]
    with pytest.raises(subprocess.TimeoutExpired):
        zygote.run(daemon, capture_output=True, text=True, timeout=1)
    after = zygote.run([*TRACKER, "-w", str(root), "sources"], capture_output=True, text=True)
    assert after.returncode == 0 and "fb" in after.stdout
