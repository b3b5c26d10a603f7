"""Every command, every option and argument, malformed: exit 2, one line, no traceback,
nothing written (issue 17: `tracker diff factbook-kz --since garbage` printed a
GitCommandError traceback).

The cases are built from the app itself: a new option without malformed values listed
here fails `test_every_option_has_malformed_values`, so none is forgotten.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from tests.cli_fixtures import cli, make, tracker
from tests.support.server import LocalServer
from tracker.cli.app import app

FREE_TEXT = {"--note"}  # any text is a note

# option (or argument name) → malformed values; "{file}" / "{dir}" are filled in below
BAD = {
    "--workspace": ["{file}"],
    "--log-file": ["/nonexistent-folder/x.log", "{dir}"],
    "--now": ["garbage", "2026-02-30", "2026-13-01T25:00", ""],
    "--wait": ["abc", "-1", "nan", "inf"],
    "--misfire-grace": ["abc", "-5"],
    "--interval": ["abc", "0", "-1"],
    "--format": ["xml", ""],
    "--clone": ["", "--upload-pack=touch /tmp/owned", "ftp://example.org/ws.git"],
    "--status": ["nope", "stale,nope", ","],
    "--since": ["garbage", "2026-02-30", "-all", "--output=/tmp/x", "HEAD..main", "nope~1"],
    "--report": ["nope"],
    "--source": ["nope"],
    "--output": ["digest.pdf", "{dir}"],
    "--dir": ["/nonexistent-folder", "{file}"],
    "--id": ["../evil", "a b", "-x"],
    "fact": ["nope", "kz/nope", "nope/population"],
    "source": ["nope"],
    "file": ["/nonexistent-folder/r.txt", "{dir}"],
    "directory": ["{file}"],
    "--grep": ["", "  "],
    "--extract": ["nope", ""],
    "--within": ["(", "no group here"],
    "--index": ["abc", "1.5"],
    "--pattern": ["(", ""],
    "--group": ["a b", "1x"],
    "--label": ["", " "],
    "--param": ["nokey", "=1", "a=[unclosed"],
    "keys": [""],
    "--published": ["garbage", "2026-02-30", ""],
    "--from": ["../evil", "a b"],
    "report_id": ["../evil", "a b"],
    "draft_ids": ["nope"],
}
# good values for what a command needs besides the option under test
GOOD_ARGS = {
    "backfill": ["fb", "--dir", "{dir}"],
    "diff": ["fb"],
    "history": ["population"],
    "ack": ["population"],
    "accept": ["population"],
    "report scan": ["{report}"],
    "init": ["{new}"],
    "demo": ["{new}"],
    "paths": ["fb"],
    "probe": ["fb", "Government"],
    "report adopt": ["kz", "fn1-population"],
}
# where an argument under test stands among the command's good arguments
POSITION = {
    "fact": 0,
    "source": 0,
    "file": 0,
    "directory": 0,
    "report_id": 0,
    "keys": 1,
    "draft_ids": 1,
}


def commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    out = {}
    for name, command in group.commands.items():
        for sub, cmd in (getattr(command, "commands", None) or {name: command}).items():
            out[name if sub == name else f"{name} {sub}"] = cmd
    return out


def cases() -> list[tuple[str, str, str]]:
    out = []
    for name, command in commands().items():
        for param in command.params:
            if getattr(param, "is_flag", False) or param.opts[0] in FREE_TEXT:
                continue
            key = param.opts[0] if param.opts[0].startswith("-") else param.name
            if name == "demo" and key == "directory":
                out.append((name, key, "{nonempty}"))
            for value in BAD.get(key, []):
                out.append((name, key, value))
    return out


def test_every_option_has_malformed_values():
    missing = sorted(
        {
            f"{name} {param.opts[0]}"
            for name, command in commands().items()
            for param in command.params
            if not getattr(param, "is_flag", False)
            and param.opts[0] not in FREE_TEXT
            and (param.opts[0] if param.opts[0].startswith("-") else param.name) not in BAD
        }
    )
    assert not missing, f"no malformed values listed for: {missing}"


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("bad")
    with LocalServer() as server:
        root = make(tmp, server)
    (tmp / "a-file").write_text("not a folder\n")
    (tmp / "empty").mkdir()
    (tmp / "nonempty").mkdir()
    (tmp / "nonempty" / "x").write_text("x")
    (tmp / "report.txt").write_text("Text [1].\n\n1 Source, https://example.org/a\n")
    return {
        "root": str(root),
        "file": str(tmp / "a-file"),
        "dir": str(tmp / "empty"),
        "nonempty": str(tmp / "nonempty"),
        "report": str(tmp / "report.txt"),
        "new": str(tmp / "new-workspace"),
    }


def fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def head(root: Path) -> str:
    """The branch's commit, read from the ref file (no git process per case)."""
    ref = (root / ".git" / "HEAD").read_text().split("ref:")[-1].strip()
    return (root / ".git" / ref).read_text()


@pytest.mark.parametrize("name,option,value", cases(), ids=lambda v: str(v) or "empty")
def test_malformed_value_is_exit_2_in_one_line(places, name, option, value):
    root = Path(places["root"])
    before = head(root)
    given = [fill(a, places) for a in GOOD_ARGS.get(name, [])]
    value = fill(value, places)
    if option.startswith("-"):
        args = [*name.split(), *given, option, value]
    else:  # the argument under test replaces the good one
        position = POSITION[option]
        args = [*name.split(), *given[:position], value, *given[position + 1 :]]
    outcome = cli("-w", str(root), *args) if option != "--workspace" else cli(*args)
    shown = f"tracker {' '.join(args)}\nstdout: {outcome.out}\nstderr: {outcome.err}"
    assert outcome.code == 2, shown
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), shown
    assert "Traceback" not in outcome.err and outcome.out == "", shown
    assert head(root) == before, "nothing may be committed"
    assert not (root / ".tracker" / "run.holder.json").exists(), "no lock note left behind"
    assert not Path(places["new"]).exists(), "nothing may be created"


@pytest.mark.parametrize("since", ["garbage", "2026-02-30"])
def test_the_issues_diff_examples_through_the_console_script(places, since):
    proc = tracker("-w", places["root"], "diff", "fb", "--since", since)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "--since" in proc.stderr


def test_usage_errors_are_one_line_too(places):
    for args in (
        ["no-such-command"],
        ["status", "--no-such-option"],
        ["history"],
        ["status", "--format"],
        ["-q", "-v", "status"],
    ):
        outcome = cli("-w", places["root"], *args)
        assert outcome.code == 2, args
        assert len(outcome.err.strip().splitlines()) == 1, (args, outcome.err)
        assert outcome.err.startswith("error: ") and "Traceback" not in outcome.err


def test_an_unexpected_error_is_one_line_and_its_traceback_only_with_verbose(places, monkeypatch):
    import tracker.evaluate.findings as findings

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(findings, "evaluate_all", broken)
    quiet = cli("-w", places["root"], "status")
    assert quiet.code == 1 and quiet.err.startswith("error: unexpected KeyError")
    assert len(quiet.err.strip().splitlines()) == 1
    loud = cli("-w", places["root"], "status", "-v")
    assert loud.code == 1 and "Traceback" in loud.err and "boom" in loud.err
