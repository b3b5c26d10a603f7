"""Terminal and markup safety (issue 15): text from sources never drives the terminal, and
nothing the CLI prints is read as Rich markup — for every command that shows such text."""

from __future__ import annotations

import json
import os

import pytest

from tests.cli_fixtures import HOSTILE, RAW_CONTROLS, cli, geos, make, tracker
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event, reply
from tests.support.server import LocalServer
from tracker.cli.output import one_line, print_json, safe

NOW = "2026-01-21T07:00"


def assert_safe(text: str) -> None:
    leaked = [c for c in RAW_CONTROLS if c in text]
    assert not leaked, f"raw control characters {leaked!r} reached the terminal:\n{text!r}"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    hostile = geos(
        "Prime Minister Alikhan SMAILOV " + HOSTILE,
        "20,260,006 (2024 est.)",
        motto="Unity " + HOSTILE,
    )
    with LocalServer() as server:
        return make(
            tmp_path_factory.mktemp("safety"), server, then=hostile, titles=("Flood " + HOSTILE,)
        )


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--now", NOW],
        ["status", "--now", NOW, "-v"],
        ["status", "--status", "stale", "--now", NOW],
        ["diff", "--since", "2026-01-01"],
        ["diff", "fb"],
        ["diff", "news", "--since", "2026-01-01"],
        ["history", "motto"],
        ["history", "head-of-government"],
        ["sources", "--now", NOW],
        ["digest", "--now", NOW],
        ["ack", "motto", "--note", HOSTILE, "--now", NOW],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_source_text_is_shown_escaped_and_literal(root, args, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # room: the escaped text is one piece
    outcome = cli("-w", str(root), *args)
    assert outcome.code == 0, outcome.err
    assert_safe(outcome.out + outcome.err)
    if args[0] in ("status", "ack") or args[1:] == ["motto"]:
        shown = outcome.out
        assert "\\x1b]0;PWNED\\x07" in shown  # visible, escaped
        if args[0] != "ack":
            assert "[/] [bold red]loud[/bold red] :smile:" in shown  # literal, not markup


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--now", NOW],
        ["diff", "--since", "2026-01-01"],
        ["history", "motto"],
        ["run", "--now", NOW],
    ],
)
def test_json_escapes_controls_and_keeps_the_text(root, args):
    outcome = cli("-w", str(root), *args, "--format", "json")
    assert outcome.code == (3 if args[0] == "run" else 0), outcome.err  # run: server gone
    assert_safe(outcome.out)
    data = json.loads(outcome.out)
    assert "\\u001b]0;PWNED\\u0007" in json.dumps(data)  # the text itself is intact


def test_a_servers_message_with_markup_and_escapes(server, workspace, monkeypatch):
    """ACLED quotes its server's error message: in `run`, `sources` and `status` its
    control characters are shown escaped and its markup literally (was: MarkupError,
    exit 1, after the run had committed the other sources)."""
    monkeypatch.setenv("ACLED_USERNAME", USERNAME)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    acled = FakeAcled(server)
    acled.rows = [event("KAZ0001", "2025-02-01", "Protests", "Peaceful protest")]
    acled.fail_next("/api/acled/read", reply({"success": False, "error": [{"message": HOSTILE}]}))
    server.route("/kz.json", body=geos("Prime Minister Olzhas BEKTENOV", "20,500,000"))
    root = workspace(
        f"""\
sources:
  fb:
    kind: factbook
    url: {server.url("/kz.json")}
  acled-kz:
    kind: acled
    url: {acled.base}
    country: Kazakhstan
    since: 2023-01-01
    credentials: {{username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}}
http:
  retries: 0
""",
        {
            "kz": """\
report: {id: kz}
facts:
  - {id: protests, expect: 1, source: acled-kz, path: [events], extract: acled,
     params: {from: 2025-01-01, to: 2025-12-31}}
"""
        },
    )
    run = tracker(
        "-w",
        str(root),
        "run",
        "--all",
        "--now",
        "2025-09-17T05:00",
        env={**os.environ, "COLUMNS": "300"},
    )
    assert run.returncode == 3, run.stdout + run.stderr  # not 1: the run completed
    assert_safe(run.stdout + run.stderr)
    assert "Traceback" not in run.stderr and "changed: fb" in run.stdout  # fb committed
    assert "ACLED reported an error: \\x1b]0;PWNED" in run.stdout
    assert "[/] [bold red]loud[/bold red] :smile:" in run.stdout  # literal, not markup
    monkeypatch.setenv("COLUMNS", "300")
    for args in (["sources"], ["status"]):
        outcome = cli("-w", str(root), *args)
        assert outcome.code == 0, outcome.err
        assert_safe(outcome.out + outcome.err)
    assert "\\x1b]0;PWNED" in cli("-w", str(root), "sources").out
    assert "[/] [bold red]loud" in cli("-w", str(root), "sources").out


def test_the_helpers(capsys):
    assert safe("a\x1b[2Jb\tc\nd\x9b\u202e") == "a\\x1b[2Jb\tc\nd\\x9b\\u202e"
    assert one_line("a\n\x1b b\t c") == "a \\x1b b c"
    print_json({"t": "\x1b\x9b\u202e\x7f"})
    out = capsys.readouterr().out
    assert_safe(out)
    assert json.loads(out) == {"t": "\x1b\x9b\u202e\x7f"}
