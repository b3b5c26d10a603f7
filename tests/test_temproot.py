"""The suite's temporary folders go under a RAM folder with room, when there is one
(tests/support/temproot.py); the variables choose otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.temproot import has_room, temp_root

ROOT = Path(__file__).resolve().parent.parent


def test_a_ram_folder_with_room_is_chosen(tmp_path: Path) -> None:
    assert temp_root({}, (tmp_path,)) == str(tmp_path)


def test_a_folder_without_room_or_absent_is_passed_over(tmp_path: Path) -> None:
    assert not has_room(tmp_path, min_free=1 << 62)  # no disk has 4 EiB free
    assert not has_room(tmp_path / "absent")
    assert temp_root({}, (tmp_path / "absent",)) is None  # pytest's own choice


def test_a_file_is_no_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert not has_room(tmp_path / "file")


def test_the_variables_choose(tmp_path: Path) -> None:
    candidates = (tmp_path,)
    assert temp_root({"TRACKER_TEST_TEMPROOT": "/elsewhere"}, candidates) == "/elsewhere"
    assert temp_root({"TRACKER_TEST_TEMPROOT": "system"}, candidates) is None
    assert temp_root({"PYTEST_DEBUG_TEMPROOT": "/mine"}, candidates) is None  # pytest's, kept


def test_this_sessions_folders_are_where_the_rule_says(tmp_path: Path) -> None:
    """The running suite: its tmp_path and TMPDIR under the chosen root, and the variable
    pytest reads gone again (a pytest the suite starts must choose its own root)."""
    expected = temp_root()
    if expected is None:
        pytest.skip("no RAM folder with room here, nor TRACKER_TEST_TEMPROOT: pytest's choice")
    assert tmp_path.resolve().is_relative_to(Path(expected).resolve())
    assert Path(os.environ["TMPDIR"]).resolve().is_relative_to(Path(expected).resolve())
    assert "PYTEST_DEBUG_TEMPROOT" not in os.environ


def test_a_session_follows_the_variable(tmp_path: Path) -> None:
    """A pytest told TRACKER_TEST_TEMPROOT=DIR puts its folders in DIR, `system` in the
    system's temp directory (here: TMPDIR, which the outer session set)."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import os\n"
        "def test_probe(tmp_path):\n"
        "    print('TMP_PATH', tmp_path)\n"
        "    print('TMPDIR', os.environ['TMPDIR'])\n"
    )
    chosen = tmp_path / "root"
    chosen.mkdir()
    system = tmp_path / "system"
    system.mkdir()
    for setting, expected in ((str(chosen), chosen), ("system", system)):
        env = {**os.environ, "TRACKER_TEST_TEMPROOT": setting, "TMPDIR": str(system)}
        env.pop("PYTEST_XDIST_WORKER", None)  # a session of its own, not a worker
        env.pop("PYTEST_ADDOPTS", None)
        out = subprocess.run(
            # the suite's conftest as a plugin: the probe lies outside tests/
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
            + ["-p", "tests.conftest", "--rootdir", str(tmp_path), str(probe)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env=env,
        )
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " /" in line)
        for name in ("TMP_PATH", "TMPDIR"):
            assert Path(lines[name]).is_relative_to(expected), (setting, lines)
