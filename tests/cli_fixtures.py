"""A small workspace for the CLI tests, fed by the real local HTTP server.

One Factbook-shaped source (`fb`) and one RSS feed (`news`), one report with a fact of
every status that a run can produce offline: stale, expired, unverifiable, unchecked,
current — and one fact id longer than an 80-column line leaves room for.
Source text can be made hostile: ESC sequences, Rich markup, emoji codes.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import make_workspace, utc
from tests.support.zygote import run as warm_run
from tracker.cli import core
from tracker.cli.app import app
from tracker.run.runner import run_once

# What a hostile source may send: set the window title, clear the screen, an OSC 8
# hyperlink, a one-byte CSI, a bidi override, Rich markup, an emoji code.
HOSTILE = (
    "\x1b]0;PWNED\x07 \x1b[2J \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ "
    "\x9b31m \u202eevil [/] [bold red]loud[/bold red] :smile:"
)
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")
LONG_ID = "a-fact-id-that-is-much-too-long-to-share-its-line-with-the-status-columns-x"


def geos(head_of_government: str, population: str, motto: str = "Unity") -> bytes:
    def field(name: str, subfield: str, content: str) -> dict:
        return {"name": name, "subfields": [{"name": subfield, "content": content}]}

    return json.dumps(
        {
            "categories": [
                {
                    "title": "Government",
                    "fields": [
                        field("Executive branch", "head of government", head_of_government),
                        field("Motto", "text", motto),
                    ],
                },
                {
                    "title": "People and Society",
                    "fields": [field("Population", "total", population)],
                },
            ]
        }
    ).encode()


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><guid>n{i}</guid><title><![CDATA[{t}]]></title>"
        f"<link>https://news.example/{i}</link>"
        f"<pubDate>Wed, 21 Jan 2026 0{i}:00:00 GMT</pubDate></item>"
        for i, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>News</title><link>https://news.example/</link>{items}"
        f"</channel></rss>"
    ).encode()


BEKTENOV = geos("Prime Minister Olzhas BEKTENOV (since 6 February 2024)", "20,260,006 (2024 est.)")
SMAILOV = geos("Prime Minister Alikhan SMAILOV (since 11 January 2022)", "20,260,006 (2024 est.)")

REPORT = f"""\
report: {{id: kz, title: Kazakhstan}}
facts:
  - id: population
    section: People
    footnote: 3
    claim: About 20.26 million people live in Kazakhstan.
    expect: 20260006
    source: fb
    path: [People and Society, Population, total]
    extract: number
    tolerance: 0.5%
  - id: head-of-government
    section: Government
    footnote: 10
    claim: The prime minister is Olzhas Bektenov.
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: motto
    expect: Unity
    source: fb
    path: [Government, Motto, text]
    extract: text
  - id: {LONG_ID}
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
  - id: missing-path
    expect: "1992"
    source: fb
    path: [Military, Formed, text]
    extract: year
  - id: senate-next-election
    expect: "2026"
    valid_until: 2025-12-31
    source: fb
    path: [People and Society, Population, total]
    extract: text
  - id: flood-evacuations
    expect: 108000
    watch: [flood]
"""


def feeds(server) -> str:
    return f"""\
sources:
  fb:
    kind: factbook
    url: {server.url("/kz.json")}
    timeout: 5
  news:
    kind: rss
    url: {server.url("/feed.xml")}
    timeout: 5
digest:
  schedule: "0 6 * * *"
http:
  retries: 0
"""


def make(
    tmp_path: Path,
    server,
    *,
    first: bytes = BEKTENOV,
    then: bytes = SMAILOV,
    titles: tuple[str, ...] = ("Flood in the north",),
) -> Path:
    """The workspace after two runs: `first` on 2026-01-10, `then` on 2026-01-20."""
    root = make_workspace(tmp_path / "ws", feeds(server), {"kz": REPORT})
    server.route("/kz.json", body=first)
    server.route("/feed.xml", body=rss(*titles), content_type="application/rss+xml")
    run_once(root, now=utc("2026-01-10T07:00"), run_all=True, send_email=False)
    server.route("/kz.json", body=then)
    run_once(root, now=utc("2026-01-20T07:00"), run_all=True, send_email=False)
    return root


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def cli(*args: str) -> Outcome:
    """The console script's own path (core.run), in process: fast, same errors."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = core.run(app, list(args))
    return Outcome(code, out.getvalue(), err.getvalue())


def tracker(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """The real console script in a child process (not a terminal: stdout is a pipe)."""
    return warm_run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        **kw,
    )
