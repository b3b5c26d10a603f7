"""README "Track a new report": the shell block runs as written, command by command.

Beside the new workspace the test puts what the block names: `../factbook-archive` (the
Factbook versions bundled with the demo, unpacked) and `../brief.txt` (the short Polish
brief of tests/data/reports). The walkthrough touches no network.
"""

from __future__ import annotations

import re
import shlex
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_DATA
from tests.test_onboard_inspect import unpack_demo_factbook
from tracker.cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def walkthrough() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Track a new report\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "README: no sh block under 'Track a new report'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_walkthrough_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the walkthrough opened a network connection")

    unpack_demo_factbook(tmp_path / "factbook-archive")
    shutil.copy(TEST_DATA / "reports" / "brief-pl.txt", tmp_path / "brief.txt")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_WORKSPACE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    outputs: dict[str, str] = {}
    for line in walkthrough():
        for step in line.split("&&"):
            words = shlex.split(step, comments=True)
            if words[0] == "cd":
                monkeypatch.chdir(words[1])
                continue
            assert words[0] == "tracker", line
            result = CliRunner().invoke(app, words[1:])
            assert result.exit_code == 0, f"{step.strip()}\n{result.output}"
            outputs[words[1] if words[1] != "report" else f"report {words[2]}"] = " ".join(
                result.output.split()
            )
    assert "path: [People and Society, Population, total]" in outputs["paths"]
    assert "reads (number): 20432662" in outputs["probe"]
    assert "20260006" in outputs["probe"] and "2026-01-22" in outputs["probe"]
    assert (
        "adopted fn1-population, fn2-ethnic-groups, fn3-prime-minister" in outputs["report adopt"]
    )
    assert "all well" in outputs["check"]
    status = outputs["status"]
    assert "3 facts: 1 stale, 2 current" in status, status
    assert "expected 20260000 · current 20432662" in status
