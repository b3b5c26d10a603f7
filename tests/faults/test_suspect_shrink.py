"""A valid answer that lost most of a source's content is held back as `suspect`: not
committed, facts keep the last good value and say so, maintainers are told; the same
document on `confirm_shrink` consecutive runs is committed (tests/support/hostile.py)."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

import pytest

from tests.conftest import utc
from tests.support.hostile import (
    ENV,
    WIKIDATA,
    committed_since,
    geos,
    head,
    hostile_workspace,
    profile,
    run_json,
)
from tests.support.server import LocalServer, Reply
from tracker.config import CitationsOptions
from tracker.run.runner import run_once
from tracker.sources.citations import CitationsSource
from tracker.store.git import GitStore
from tracker.store.state import State

RUNS = [utc(f"2025-10-{day:02d}T04:00") for day in range(8, 14)]
EMAIL = """\
email:
  smtp: {host: 127.0.0.1, port: 9, security: plain}
  from: tracker@example.org
  to: [analysts@example.org]
  maintainers: [it@example.org]
"""


@pytest.fixture
def env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def serve_factbook(ws, document) -> None:
    ws.server.route("/bad.json", body=json.dumps(document).encode())


def run(ws, n: int, **kw):
    ws.serve_good_sources(1 + n % 2)  # the good sources change on every run
    return run_once(ws.root, now=RUNS[n], run_all=True, send_email=kw.pop("send", False), **kw)


def outcome(result, source="bad"):
    return next(s for s in result.sources if s.source == source)


def finding(result, fact="bad-pm"):
    return next(f for f in result.findings if f.fact == fact)


EMPTY = {"name": "Kazakhstan", "categories": []}
HALF = geos(
    {
        "Government": {"head of government": "Olzhas Bektenov", "capital": "Astana"},
        "Category 0": {"field 0.0": "text 0.0"},
        "Category 1": {"field 1.0": "x"},
    }
)


@pytest.mark.parametrize("suspicious", [EMPTY, HALF], ids=["categories: []", "half missing"])
def test_a_shrunken_profile_is_held_back_then_confirmed(tmp_path, env, suspicious):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook")
        ws.first_run()
        kept = (ws.root / "snapshots" / "bad.yaml").read_bytes()
        serve_factbook(ws, suspicious)
        before = head(ws.root)
        second = run(ws, 1)
        bad = outcome(second)
        assert bad.ok and not bad.changed and bad.suspect, bad
        assert "held back as suspect" in bad.suspect and "left" in bad.suspect
        assert [(n.kind.value, n.message) for n in second.notices] == [
            ("source-held", bad.suspect)
        ], second.notices
        changed = committed_since(ws.root, before)
        assert "snapshots/bad.yaml" not in changed and "snapshots/good-fb.yaml" in changed
        assert (ws.root / "snapshots" / "bad.yaml").read_bytes() == kept
        fact = finding(second)
        assert fact.status == "current" and fact.current == "Olzhas Bektenov"
        assert "held back as suspect" in (fact.note or ""), fact.note
        health = State.load(ws.root).source("bad").health(ws_options(ws), RUNS[1])
        assert health.health == "suspect"
        sources = run_json(ws.tracker("sources", "--format", "json"))
        assert {s["source"]: s["health"] for s in sources}["bad"] == "suspect"
        digest = (ws.root / second.digests[0]).read_text()
        assert "held back" in digest, digest
        # the same document again: it is real after all (confirm_shrink: 2)
        third = run(ws, 2)
        assert outcome(third).changed and not outcome(third).suspect
        assert "snapshots/bad.yaml" in committed_since(ws.root, before)
        assert finding(third).status in ("unverifiable", "current")
        assert State.load(ws.root).source("bad").suspect_digest is None


def ws_options(ws):
    from tracker.config import load_config

    return load_config(ws.root).sources["bad"]


def test_the_good_document_coming_back_ends_the_suspicion_without_a_commit(tmp_path, env):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook")
        ws.first_run()
        serve_factbook(ws, EMPTY)
        assert outcome(run(ws, 1)).suspect
        serve_factbook(ws, profile())
        before = head(ws.root)
        third = run(ws, 2)
    assert outcome(third).ok and not outcome(third).changed and not outcome(third).suspect
    assert "snapshots/bad.yaml" not in committed_since(ws.root, before)
    assert State.load(ws.root).source("bad").suspect_digest is None
    assert "held back" not in (finding(third).note or "")


def test_another_suspicious_document_starts_the_count_again(tmp_path, env):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook")
        ws.first_run()
        serve_factbook(ws, EMPTY)
        assert outcome(run(ws, 1)).suspect
        serve_factbook(ws, HALF)
        assert outcome(run(ws, 2)).suspect, "a different document: held back again"
        assert outcome(run(ws, 3)).changed, "the same one twice in a row: committed"


@pytest.mark.parametrize("confirm, held", [(1, 0), (3, 2)])
def test_confirm_shrink_sets_how_many_runs_must_agree(tmp_path, env, confirm, held):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook", extra=f"confirm_shrink: {confirm}")
        ws.first_run()
        serve_factbook(ws, EMPTY)
        outcomes = [outcome(run(ws, n)) for n in range(1, held + 2)]
    assert [bool(o.suspect) for o in outcomes] == [True] * held + [False]
    assert outcomes[-1].changed


def test_the_maintainers_are_told(tmp_path, env):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook")
        (ws.root / "feeds.yaml").write_text((ws.root / "feeds.yaml").read_text() + EMAIL)
        GitStore(ws.root).commit(["feeds.yaml"], "email", when=RUNS[0])
        ws.first_run()
        serve_factbook(ws, EMPTY)
        run(ws, 1, send=True)  # nothing listens on port 9: the messages wait in the outbox
    messages = [
        BytesParser(policy=policy.SMTP).parse(p.open("rb"))
        for p in (ws.root / ".tracker" / "outbox").glob("*.eml")
    ]
    to_maintainers = [m for m in messages if "it@example.org" in str(m["To"])]
    assert to_maintainers, [str(m["To"]) for m in messages]
    body = to_maintainers[-1].get_body(("plain",)).get_content()
    assert "suspect" in str(to_maintainers[-1]["Subject"]) and "bad" in body, body
    assert "no categories left" in body


def test_a_wikidata_entity_that_lost_most_statements_is_held_back(tmp_path, env):
    entity = json.loads((WIKIDATA / "Q232.json").read_bytes())
    claims = entity["entities"]["Q232"]["claims"]
    for prop in ("P6", "P35", "P1082"):
        claims.pop(prop, None)
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "wikidata")
        ws.first_run()
        server.route(ws.bad_path(), body=json.dumps(entity).encode())
        second = run(
            ws,
            1,
        )
    assert outcome(second).suspect and "properties with statements left" in outcome(second).suspect
    assert finding(second, "bad-capital").status == "current"


def test_acled_losing_half_its_events_for_the_same_query_is_held_back(tmp_path, env):
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "acled")
        ws.first_run()
        assert ws.acled is not None
        gone = {"KAZ0003", "KAZ0004"}
        ws.acled.rows = [r for r in ws.acled.rows if r["event_id_cnty"] not in gone]
        ws.acled.deleted = [
            {"event_id_cnty": e, "deleted_timestamp": "1900000000"} for e in sorted(gone)
        ]
        second = run(ws, 1)
    assert outcome(second).suspect and "2 of 4 events counted left" in outcome(second).suspect
    assert finding(second, "bad-fatalities").current == 2


def test_citations_most_working_links_failing_at_once_is_suspicious():
    source = CitationsSource("links", CitationsOptions(kind="citations", report="kz"))
    ok = {"state": "ok", "status": 200, "final_url": None, "gone": False}
    dead = {"state": "gone", "status": 404, "final_url": None, "gone": True}
    previous = {f"https://x.example/{n}": ok for n in range(6)}
    mostly_dead = {url: dead if n < 4 else ok for n, url in enumerate(previous)}
    one_dead = {url: dead if n == 0 else ok for n, url in enumerate(previous)}
    assert source.shrinkage(previous, mostly_dead) == "2 of 6 working links left"
    assert source.shrinkage(previous, one_dead) is None


def test_a_feed_never_shrinks_its_snapshot_so_it_is_never_suspect(tmp_path, env):
    from tests.support.hostile import feed

    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "rss")
        ws.first_run()
        server.route("/bad.xml", Reply(200, feed([]).encode(), content_type="application/rss+xml"))
        second = run(ws, 1)
    assert outcome(second).ok and not outcome(second).suspect and not outcome(second).changed
