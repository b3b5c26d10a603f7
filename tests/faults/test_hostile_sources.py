"""One hostile source among good ones that change in the same run: the good ones are
committed, the digest is written, the hostile one is `source-failing` with a clear
one-line message, `tracker run` exits 3 without a traceback, and memory stays bounded.

Each case runs the real `tracker` command (tests/support/hostile.py) against the real local
server: a first, all-good run, then the run where one source answers with a hostile
document while both good sources change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.support.hostile import (
    ENV,
    FIRST,
    NEWS_1,
    WIKIDATA,
    Hostile,
    committed_since,
    feed,
    head,
    hostile_workspace,
    run_json,
)
from tests.support.server import LocalServer, Reply
from tracker.run.runner import run_once
from tracker.store.state import State

PEAK_KB = 150_000  # a `tracker run` of these three sources peaks near 70 MB
DEPTH = 100_000
DIGITS = "7" * 5000


def nested() -> Reply:
    return Reply(200, b"[" * DEPTH + b"]" * DEPTH)


def raw_json(text: str) -> Reply:
    return Reply(200, text.encode("ascii"))


def wikidata_with(placeholder_value: str) -> Reply:
    """The good entity document with one more key whose JSON text is `placeholder_value`."""
    document = json.loads((WIKIDATA / "Q232.json").read_bytes())
    document["entities"]["Q232"]["hostile"] = "@@"
    return raw_json(json.dumps(document).replace('"@@"', placeholder_value))


def labels_with_surrogate() -> Reply:
    """wbgetentities labels where one label is a lone surrogate escape."""
    labels = json.loads((WIKIDATA / "labels.json").read_bytes())
    for entity in labels["entities"].values():
        for label in (entity.get("labels") or {}).values():
            label["value"] = "@@"
    return raw_json(json.dumps(labels).replace('"@@"', '"x\\ud800"'))


def acled_rows(rows: str) -> Reply:
    return raw_json('{"status": 200, "success": true, "count": 1, "data": ' + rows + "}")


SURROGATE_ROW = (
    '[{"event_id_cnty": "KAZ0099", "event_date": "2025-08-01", "year": "2025", '
    '"event_type": "Protests\\ud800", "sub_event_type": "Peaceful protest", '
    '"civilian_targeting": "", "country": "Kazakhstan", "fatalities": "0", '
    '"timestamp": "1760000000"}]'
)


@dataclass(frozen=True)
class Case:
    kind: str
    serve: Callable[[Hostile], None]
    says: str  # in the one-line message
    extra: str = ""  # options of the hostile source
    url: str | None = None  # its URL, when that is the hostile part


CASES: dict[str, Case] = {
    # Hostile JSON, each kind that reads JSON
    "factbook: JSON nested 100,000 deep": Case(
        "factbook", lambda h: h.serve_bad(nested()), "not valid JSON"
    ),
    "factbook: a 5,000-digit integer": Case(
        "factbook",
        lambda h: h.serve_bad(
            raw_json(
                '{"categories": [{"title": "Government", "fields": [{"name": "n", "content": '
                + DIGITS
                + "}]}]}"
            )
        ),
        "not valid JSON",
    ),
    "factbook: a `fields` entry that is a string": Case(
        "factbook",
        lambda h: h.serve_bad(
            raw_json('{"categories": [{"title": "Government", "fields": ["oops"]}]}')
        ),
        "a `fields` entry is a str",
    ),
    "factbook: a lone surrogate": Case(
        "factbook",
        lambda h: h.serve_bad(
            raw_json(
                '{"categories": [{"title": "Government", "fields": [{"name": "head of '
                'government", "content": "x\\ud800"}]}]}'
            )
        ),
        "lone surrogate",
    ),
    "wikidata: JSON nested 100,000 deep": Case(
        "wikidata", lambda h: h.serve_bad(nested()), "not valid JSON"
    ),
    "wikidata: a 5,000-digit integer": Case(
        "wikidata", lambda h: h.serve_bad(wikidata_with(DIGITS)), "not valid JSON"
    ),
    "wikidata: a lone surrogate in the labels": Case(
        "wikidata",
        lambda h: h.server.route("/w/api.php", labels_with_surrogate()),
        "lone surrogate",
    ),
    "wikidata: claims of the wrong shape": Case(
        "wikidata",
        lambda h: h.serve_bad(
            raw_json(
                '{"entities": {"Q232": {"id": "Q232", "claims": {"P36": 7, "P6": [{"mainsnak": '
                '{"snaktype": "value", "datavalue": "oops"}}]}}}}'
            )
        ),
        "not Wikidata entity JSON",
    ),
    "acled: JSON nested 100,000 deep": Case(
        "acled", lambda h: h.serve_bad(nested()), "not valid JSON"
    ),
    "acled: a 5,000-digit integer": Case(
        "acled", lambda h: h.serve_bad(acled_rows("[" + DIGITS + "]")), "not valid JSON"
    ),
    "acled: a lone surrogate": Case(
        "acled", lambda h: h.serve_bad(acled_rows(SURROGATE_ROW)), "bad event_type"
    ),
    # Feeds: an encoding Python does not know; a URL with credentials in it
    "rss: an encoding Python does not know": Case(
        "rss",
        lambda h: h.serve_bad(
            Reply(200, feed(NEWS_1, "x-klingon-7").encode(), content_type="application/rss+xml")
        ),
        "'x-klingon-7', which Python does not know",
    ),
    "rss: user:pass@ in the URL": Case(
        "rss", lambda h: None, "user name or password", url="http://user:{pw}@{host}/bad.xml"
    ),
    # Terminal and markup safety: a server message holding Rich markup and ESC sequences
    "acled: a message with markup and escape sequences": Case(
        "acled",
        lambda h: h.serve_bad(
            Reply(
                200,
                json.dumps(
                    {
                        "success": False,
                        "data": [],
                        "error": [
                            {"message": "[/] [bold red]boom \x1b]0;pwned\x07\x1b[2J [link=x]y"}
                        ],
                    }
                ).encode(),
            )
        ),
        "ACLED reported an error",
    ),
}


@pytest.fixture
def hostile(tmp_path, request, monkeypatch):
    case: Case = CASES[request.param]
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with LocalServer() as server:
        url = None
        if case.url:
            url = case.url.format(pw="hunter2-S3cret", host=server.url("").split("//")[1])
        ws = hostile_workspace(tmp_path, server, case.kind, extra=case.extra, url=url)
        if case.url:  # the URL itself is hostile: the first run is of the good sources
            ws.serve_good_sources(1)
            run_once(ws.root, now=FIRST, only=["good-fb", "good-news"], send_email=False)
        else:
            ws.first_run()
        yield ws, case


@pytest.mark.parametrize("hostile", list(CASES), indirect=True)
def test_a_hostile_source_fails_alone(hostile):
    ws, case = hostile
    before = head(ws.root)
    ws.serve_good_sources(2)
    case.serve(ws)
    proc = ws.tracker("run", "--all", "--no-email", "--format", "json")
    print(f"peak {ws.peaks[-1]} kB")
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, proc.stderr[-3000:]
    assert proc.returncode == 3, output[-3000:]
    assert "\x1b" not in output and "\x07" not in output, "control characters reach the terminal"
    run = run_json(proc)
    outcome = {s["source"]: s for s in run["sources"]}
    # the good sources changed and are committed; the digest is written and committed
    assert outcome["good-fb"]["changed"] and outcome["good-news"]["changed"]
    changed = committed_since(ws.root, before)
    assert {"snapshots/good-fb.yaml", "snapshots/good-news.yaml"} <= changed, changed
    assert "snapshots/bad.yaml" not in changed, "a failed fetch is never a change"
    assert any(p.startswith("digests/") and p.endswith(".html") for p in changed), changed
    assert run["digests"], "the digest is written"
    # the hostile one: failing, with one clear line naming the cause
    error = outcome["bad"]["error"] or ""
    assert not outcome["bad"]["ok"] and case.says in error, error
    assert "\n" not in error and len(error) < 400, error
    assert "hunter2" not in output and "hunter2" not in error
    state = State.load(ws.root).source("bad")
    assert state.failures == 1 and state.last_error == error
    statuses = {f["fact"]: f["status"] for f in run["findings"]}
    assert statuses["pm"] == "current"
    assert all(
        status == "source-failing" for fact, status in statuses.items() if fact.startswith("bad-")
    )
    assert ws.peaks[-1] < PEAK_KB, f"peak memory {ws.peaks[-1]} kB"


def test_server_text_is_shown_as_text_never_as_markup_or_terminal_codes(tmp_path, monkeypatch):
    """A server message with Rich markup (`[/]`, `[link=…]`) and ESC sequences (window
    title, clear screen): the table output of run, sources and status shows it as text."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "acled")
        ws.first_run()
        ws.serve_good_sources(2)
        CASES["acled: a message with markup and escape sequences"].serve(ws)
        outputs = [
            ws.tracker("run", "--all", "--no-email"),
            ws.tracker("sources"),
            ws.tracker("status"),
        ]
    run, sources, status = outputs
    assert run.returncode == 3 and sources.returncode == 0 and status.returncode == 0, [
        p.stderr[-2000:] for p in outputs
    ]
    for proc in outputs:
        text = proc.stdout + proc.stderr
        assert "Traceback" not in text and "MarkupError" not in text, text[-2000:]
        assert "\x1b" not in text and "\x07" not in text, text
    assert "[/]" in run.stdout and "[bold red]boom" in run.stdout, run.stdout
