"""A run that dies after saving its state (while it evaluates facts or writes the digest)
leaves the validators it fetched tied to the snapshots it committed: the next run may
send them (a 304), instead of dropping them and fetching those sources unconditionally.
The SIGKILL test (test_crash_kill.py) found this; here it is one kill at that moment."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_workspace, utc
from tests.support.server import Reply
from tracker.evaluate import findings
from tracker.run.runner import run_once

FEEDS = """sources:
  fb:
    kind: factbook
    url: {url}
"""
REPORT = """report: {id: ops}
facts:
  - id: pm
    expect: Person One
    source: fb
    path: [Government, head of government, text]
"""
DOC = {"Government": {"head of government": {"text": "Person One"}}}


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even `finally` would, for real)."""


def test_validators_survive_a_death_after_the_state_was_saved(tmp_path, server, monkeypatch):
    server.route("/fb.json", Reply(body=json.dumps(DOC).encode(), etag=True))
    ws = make_workspace(tmp_path / "ws", FEEDS.format(url=server.url("/fb.json")), {"ops": REPORT})

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(findings, "evaluate_all", die)
    with pytest.raises(Killed):
        run_once(ws, now=utc("2026-03-02T07:00:00"), send_email=False)
    entry = json.loads((ws / ".tracker" / "state.json").read_text())["sources"]["fb"]
    assert entry["validators"].get("etag")
    assert entry["validators_for"], "tied to the committed snapshot in the same save"

    monkeypatch.undo()
    result = run_once(ws, now=utc("2026-03-03T07:00:00"), send_email=False)
    assert result.sources[0].not_modified, "the next run sent them and got a 304"
