"""The `tracker` command line in this process (Typer's CliRunner), shaped like
`subprocess.run(..., capture_output=True, text=True)`: returncode, stdout, stderr.

A `python -m tracker.cli` child costs most of a second of CPU in imports; tests whose
subject is a command's behaviour (not the process: signals, pipes, another process's lock)
use this. tests/test_cli_exit.py and the lock, schedule and crash tests keep real processes.
"""

from __future__ import annotations

import subprocess
import traceback
from pathlib import Path


def tracker(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`tracker -w ROOT ARGS…`, run in this process (`env`: variables set meanwhile)."""
    from typer.testing import CliRunner

    from tracker.cli.app import app

    argv = ["-w", str(root), *args]
    result = CliRunner().invoke(app, argv, env=env)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # as a child prints it
    return subprocess.CompletedProcess(["tracker", *argv], result.exit_code, result.stdout, stderr)
