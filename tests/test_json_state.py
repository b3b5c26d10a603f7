"""Local JSON state through one helper (store/files.py JsonFile): each file that is
damaged *or of the wrong shape* is set aside (or, for caches, dropped) and the run starts
afresh — never an exception on every later run."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typing_extensions import TypedDict

from tests.conftest import utc
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event
from tests.support.server import Reply
from tests.support.unattended import REPORT, feeds, serve_epoch
from tracker.config import HttpConfig
from tracker.digest.job import load_memory
from tracker.evaluate.news import unreported_matches
from tracker.fetch.client import Http
from tracker.notify.outbox import Outbox
from tracker.run.runner import run_once
from tracker.sources.acled import AcledOptions, AcledSource
from tracker.store.files import IsoTime, JsonFile, to_json
from tracker.store.git import GitStore
from tracker.store.lock import HOLDER_FILE, RunLock, read_holder
from tracker.store.remote import SyncProblem, read_sync_problem, sync_record
from tracker.store.state import State

T0 = utc("2026-03-02T00:00:00")


class Shape(TypedDict, total=False):
    name: str
    count: int
    when: IsoTime
    tags: list[str]


@dataclass
class Point:
    x: int
    label: str | None = None


def file(tmp_path: Path, shape=Shape, **kw) -> JsonFile:
    return JsonFile(tmp_path / "thing.json", shape, dict if shape is Shape else lambda: None, **kw)


# ------------------------------------------------------------------ the helper


def test_missing_gives_the_default_and_save_round_trips(tmp_path):
    thing = file(tmp_path)
    assert thing.load() == {} and not thing.set_aside
    thing.save({"name": "Ołżas", "count": 3, "when": T0.isoformat(), "tags": ["a"]})
    assert thing.load() == {"name": "Ołżas", "count": 3, "when": T0.isoformat(), "tags": ["a"]}
    assert "Ołżas" in (tmp_path / "thing.json").read_text(encoding="utf-8")  # unicode kept
    assert [p.name for p in tmp_path.iterdir()] == ["thing.json"]  # no temp file left


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe garbage",
        b"[" * 100_000,  # damaged
        b'{"count": 1' + b"0" * 5000 + b"}",  # a number too long
        b'{"name": "x\\ud800"}',  # a lone surrogate escape
        b"[]",
        b'"text"',
        b"null",  # wrong shape: not an object
        b'{"count": "3"}',
        b'{"count": true}',
        b'{"tags": "a"}',  # wrong types, strictly
        b'{"tags": [1]}',
        b'{"when": "yesterday"}',
        b'{"when": "2026-03-02T00:00:00"}',  # a time without its zone
    ],
)
def test_damaged_or_misshapen_is_set_aside(tmp_path, content):
    (tmp_path / "thing.json").write_bytes(content)
    thing = file(tmp_path)
    assert thing.load() == {} and thing.set_aside
    assert (tmp_path / "thing.json.damaged").read_bytes() == content  # kept for a person
    assert not (tmp_path / "thing.json").exists()


def test_unknown_keys_are_ignored_not_refused(tmp_path):
    (tmp_path / "thing.json").write_text('{"name": "x", "added_later": 1}')
    assert file(tmp_path).load() == {"name": "x"}


def test_dataclass_shapes(tmp_path):
    thing = file(tmp_path, shape=Point)
    thing.save(Point(3, "p"))
    assert thing.load() == Point(3, "p")
    (tmp_path / "thing.json").write_text('{"x": "3"}')
    assert thing.load() is None and thing.set_aside


def test_discard_and_ignore_policies(tmp_path):
    path = tmp_path / "thing.json"
    path.write_text('{"count": "x"}')
    assert file(tmp_path, damaged="ignore").load() == {}
    assert path.read_text() == '{"count": "x"}'  # a reader without the lock leaves it
    assert file(tmp_path, damaged="discard").load() == {}
    assert not path.exists() and not (tmp_path / "thing.json.damaged").exists()


def test_text_that_came_in_undecodable_still_saves_and_loads(tmp_path):
    thing = file(tmp_path)
    thing.save({"name": "bad \udcff byte"})
    assert thing.load() == {"name": "bad ? byte"}


def test_rows_put_each_entry_of_a_top_level_mapping_on_a_line_of_its_own(tmp_path):
    """The layout of state.json and news.json: readable line by line, loads the same."""
    file = JsonFile(tmp_path / "rows.json", dict[str, Any], dict, rows=True)
    value = {"b": {"y": [1, 2], "x": {"deep": "é"}}, "a": 3, "c": {}}
    file.save(value)
    lines = (tmp_path / "rows.json").read_text(encoding="utf-8").splitlines()
    assert lines == ['{"a": 3,', '"b": {', '"x": {"deep": "é"},', '"y": [1, 2]', "},", '"c": {}}']
    assert file.load() == value
    odd = {"n": {1: "x", 2: None}, "t": True, "e": {"k": {}}}  # keys as json converts them
    assert json.loads(to_json(odd, rows=True)) == json.loads(json.dumps(odd))


def test_state_and_news_records_are_written_one_entry_per_line(workspace, server):
    from tests.support.faults import feed

    server.route("/a.xml", Reply(body=feed(3), content_type="application/rss+xml"))
    server.route("/b.xml", Reply(body=feed(4), content_type="application/rss+xml"))
    sources = "".join(f"  {n}: {{kind: rss, url: '{server.url(f'/{n}.xml')}'}}\n" for n in "ab")
    ws = workspace("sources:\n" + sources)
    run_once(ws, now=utc("2026-03-01T00:00:00"), send_email=False)
    for name, field in (("state.json", '"sources": {'), ("news.json", '"feeds": {')):
        lines = (ws / ".tracker" / name).read_text(encoding="utf-8").splitlines()
        fields = [line.lstrip("{") for line in lines]  # the first one opens the document
        assert field in fields, name
        at = fields.index(field)
        assert [line.split(":")[0] for line in lines[at + 1 : at + 3]] == ['"a"', '"b"'], name
        assert lines[at + 1].endswith("},") and lines[at + 3] in ("}}", "},"), name


def test_secret_files_are_private_from_the_start(tmp_path):
    JsonFile(tmp_path / "token.json", Shape, dict, mode=0o600).save({"name": "x"})
    assert stat.S_IMODE((tmp_path / "token.json").stat().st_mode) == 0o600


# ------------------------------------------------------------------ state.json


@pytest.fixture
def ws(workspace, server):
    root = workspace(feeds(server, 3), {"ops": REPORT})
    serve_epoch(server, 3, 0)
    run_once(root, now=T0, send_email=False)
    return root


@pytest.mark.parametrize(
    "content",
    [
        '{"sources": {"s0": "oops"}}',
        '{"sources": {"s0": {"failures": "many"}}}',
        '{"sources": {"s0": {"last_change": "last week"}}}',
        '{"sources": {"s0": {"validators": {"etag": 7}}}}',
        '{"sources": []}',
        "[]",
        '{"extra": "x"}',
    ],
)
def test_state_of_the_wrong_shape_is_set_aside_and_rebuilt(ws, content):
    state = ws / ".tracker" / "state.json"
    state.write_text(content)
    result = run_once(ws, now=T0, send_email=False)
    assert any("state.json.damaged" in note for note in result.repaired)
    assert (ws / ".tracker" / "state.json.damaged").read_text() == content
    assert all(s.ok for s in result.sources) and {s.source for s in result.sources} == {
        "s0",
        "s1",
        "s2",
    }  # health and validators afresh: everything fetched again
    assert result.commit is None  # nothing new upstream
    assert set(json.loads(state.read_text())["sources"]) == {"s0", "s1", "s2"}
    assert State.load(ws).source("s0").last_success == T0.isoformat()


def test_state_read_by_a_listing_command_is_set_aside_too(tmp_path):
    (tmp_path / ".tracker").mkdir()
    (tmp_path / ".tracker" / "state.json").write_text('{"sources": {"fb": "oops"}}')
    state = State.load(tmp_path)
    assert state.sources == {} and state.set_aside
    assert state.source("fb").failures == 0 and state.source("fb").last_success is None


# ------------------------------------------------------------------ digest, news, outbox


@pytest.mark.parametrize(
    "content",
    [
        '{"last_run": "soon"}',
        '{"reports": "r"}',
        '{"reports": {"ops": {"facts": {"pm": "x"}}}}',
        '{"maintainers": []}',
        "[1]",
    ],
)
def test_digest_memory_of_the_wrong_shape(ws, content):
    memory = ws / ".tracker" / "digest.json"
    memory.write_text(content)
    later = utc("2026-03-02T01:00:00")
    result = run_once(ws, now=later, send_email=False)
    assert all(s.ok for s in result.sources) and result.findings
    assert (ws / ".tracker" / "digest.json.damaged").read_text() == content
    assert load_memory(ws).last_run == later.isoformat()  # the digest pass ran


def test_news_record_of_the_wrong_shape(ws):
    news = ws / ".tracker" / "news.json"
    news.write_text('{"feeds": {"f": "x"}, "matches": {"m": {"id": "m"}}}')
    assert unreported_matches(ws) == []
    assert (ws / ".tracker" / "news.json.damaged").exists()


def test_sent_log_of_the_wrong_shape(tmp_path):
    outbox = Outbox(tmp_path)
    outbox.folder.mkdir(parents=True)
    (outbox.folder / "sent.json").write_text('{"<a@b>": true}')
    assert outbox.sent_ids() == []
    outbox.mark_sent("<c@d>")
    assert outbox.sent_ids() == ["<c@d>"]
    assert (outbox.folder / "sent.json.damaged").exists()


@pytest.mark.parametrize(
    "content",
    [
        '{"kind": "conflict"',
        "[]",
        '{"kind": 3, "message": "m", "remote": "origin", '
        '"branch": "main", "since": null, "last": null}',
    ],
    ids=["truncated", "a list", "a number for the kind"],
)
def test_a_sync_record_of_the_wrong_shape_is_set_aside(tmp_path, content):
    record = tmp_path / ".tracker" / "sync.json"
    record.parent.mkdir()
    record.write_text(content)
    assert read_sync_problem(tmp_path) is None
    assert (tmp_path / ".tracker" / "sync.json.damaged").read_text() == content
    assert not record.exists()


def test_a_sync_record_round_trips(tmp_path):
    problem = SyncProblem("conflict", "push failed", "origin", "main", "t0", "t1", 2, ["a"])
    sync_record(tmp_path).save(problem)
    assert read_sync_problem(tmp_path) == problem


# ------------------------------------------------------------------ lock note, blob cache


def test_a_misshapen_holder_note_is_left_to_the_holder(tmp_path):
    note = tmp_path / ".tracker" / HOLDER_FILE
    note.parent.mkdir()
    note.write_text('{"pid": "1234", "host": 5}')
    assert read_holder(tmp_path) is None and note.exists()  # read-only for others
    with RunLock(tmp_path) as lock:
        assert lock.previous_died  # a note was there: the previous holder did not finish
        assert read_holder(tmp_path)["pid"] > 0
    assert not note.exists()


def test_a_damaged_blob_cache_entry_is_dropped_and_parsed_again(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    store.write_snapshot("s", {"a": {"b": "1"}})
    store.commit(["snapshots/s.yaml"], "c", when=T0)
    [version] = store.versions("snapshots/s.yaml")
    store.load_blob(version.blob)
    entry = tmp_path / "ws" / ".tracker" / "cache" / "blobs" / f"{version.blob}.json"
    assert json.loads(entry.read_text()) == {"a": {"b": "1"}}
    entry.write_text('{"a": {"b": ')
    assert GitStore(tmp_path / "ws").load_blob(version.blob) == {"a": {"b": "1"}}
    assert json.loads(entry.read_text()) == {"a": {"b": "1"}}  # rebuilt
    assert not entry.with_name(entry.name + ".damaged").exists()


def test_the_blob_cache_holds_only_what_json_gives_back(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    store.write_snapshot("s", {1: "int key", "day": T0.date()})
    store.commit(["snapshots/s.yaml"], "c", when=T0)
    [version] = store.versions("snapshots/s.yaml")
    assert store.load_blob(version.blob) == {1: "int key", "day": T0.date()}
    assert not (tmp_path / "ws" / ".tracker" / "cache" / "blobs").exists()
    assert GitStore(tmp_path / "ws").load_blob(version.blob) == {1: "int key", "day": T0.date()}


# ------------------------------------------------------------------ ACLED caches


@pytest.fixture
def acled(server) -> FakeAcled:
    fake = FakeAcled(server)
    fake.rows = [
        event(f"KAZ{i:04d}", f"2024-0{1 + i % 9}-1{i % 10}", "Protests", "Peaceful protest")
        for i in range(5)
    ]
    return fake


def acled_fetch(fake: FakeAcled, state_dir: Path) -> dict:
    options = AcledOptions(
        kind="acled",
        url=fake.base,
        country="Kazakhstan",
        since="2023-01-01",
        page_size=10,
        credentials={"username_env": "U", "password_env": "P"},
    )
    source = AcledSource("acled-kz", options)
    source.state_dir, source.env = state_dir, {"U": USERNAME, "P": PASSWORD}

    async def go():
        async with Http(HttpConfig(backoff=0.01, retries=0)) as http:
            return source.normalize((await source.fetch(http, {}, T0)).raw)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "content",
    [
        '{"access": 1}',
        '["token"]',
        '{"access": "a", "refresh": null, "expires_at": "never",'
        ' "refresh_expires_at": null, "account": "x"}',
    ],
)
def test_an_acled_token_cache_of_the_wrong_shape_costs_one_login(acled, tmp_path, content):
    token = tmp_path / "acled" / "acled-kz.token.json"
    token.parent.mkdir()
    token.write_text(content)
    assert sum(acled_fetch(acled, tmp_path)["years"]["2024"].values()) == 5
    assert acled.grants == ["password"]
    assert json.loads(token.read_text())["access"] != 1
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert not token.with_name(token.name + ".damaged").exists()  # secrets are not kept


@pytest.mark.parametrize(
    "rows",
    [
        '"x"',
        '{"KAZ0001": "x"}',
        '{"KAZ0001": {"event_id_cnty": "KAZ0001", "event_date": "someday"}}',
        '{"KAZ0009": {"event_id_cnty": "KAZ0001", "event_date": "2024-01-11", '
        '"event_type": "Protests", "sub_event_type": "Peaceful protest", '
        '"civilian_targeting": "", "fatalities": "0", "timestamp": "1"}}',
    ],
)
def test_an_acled_row_cache_of_the_wrong_shape_costs_one_full_read(acled, tmp_path, rows):
    acled_fetch(acled, tmp_path)
    cache = tmp_path / "acled" / "acled-kz.rows.json"
    saved = json.loads(cache.read_text())
    cache.write_text(
        json.dumps({**{k: v for k, v in saved.items() if k != "rows"}})[:-1] + f', "rows": {rows}}}'
    )
    acled.reads.clear()
    snapshot = acled_fetch(acled, tmp_path)
    assert sum(snapshot["years"]["2024"].values()) == 5
    assert "timestamp" not in acled.reads[0]  # a full read, not an incremental one
    assert json.loads(cache.read_text())["rows"] == saved["rows"]
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
