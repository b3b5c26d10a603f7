"""One "is this HTML where JSON was expected" sniff (sources/base.py) for every JSON kind."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tracker.config import HttpConfig
from tracker.errors import ParseError, SourceGone
from tracker.fetch.client import Http
from tracker.sources.acled import normalize_acled
from tracker.sources.acled_api import AcledClient
from tracker.sources.base import collector_paused, is_markup, load_json
from tracker.sources.factbook import normalize_factbook
from tracker.sources.wikidata import label_entities, load_entity_document

PAGE = "<!DOCTYPE html><html><body>We bid a fond farewell</body></html>"
MARKUP = [
    PAGE.encode(),
    b"  \r\n\t<html lang=en>",
    b"\xef\xbb\xbf<!doctype html>",
    b"<?xml version='1.0'?><error/>",
    b"<HTML>",
    b"\n\n<p>oops",
    ("\ufeff" + PAGE).encode("utf-16"),
    PAGE.encode("utf-16-le"),
    PAGE.encode("utf-32"),
]
JSON = [
    b'{"html": "<b>x</b>"}',
    b"[]",
    b" 1",
    b'"<html>"',
    b"",
    b"\xef\xbb\xbf{}",
    '{"a": "<"}'.encode("utf-16"),
]


@pytest.mark.parametrize("body", MARKUP)
def test_markup_is_seen_whatever_the_encoding(body):
    assert is_markup(body)


@pytest.mark.parametrize("body", JSON)
def test_json_is_not_markup(body):
    assert not is_markup(body)


def test_load_json_tells_gone_from_broken():
    with pytest.raises(
        SourceGone,
        match=r"x\.org: an HTML page where thing JSON was "
        r"expected; moved",
    ):
        load_json(PAGE.encode(), "x.org", "thing JSON", hint="moved")
    for broken in (b"{not json", b"[" * 100_000, b"1" * 5000, b"\xff\xfe\xfd"):
        with pytest.raises(ParseError, match="not valid JSON"):
            load_json(broken, "x.org", "thing JSON")
    assert load_json('{"a": "ż"}'.encode("utf-16"), "x", "y") == {"a": "ż"}


def test_no_garbage_collection_runs_deep_inside_a_parse():
    """json's decoder recurses once per level up to the interpreter's limit: a collection
    there would run some other object's finalizer with no stack left (it once failed a
    full run's check for unraisable errors). Unpaused, collections start with as few as
    a few dozen frames to spare."""
    to_spare: list[int] = []  # frames left when each collection started

    def frames_left() -> int:
        depth = 0

        def down() -> None:
            nonlocal depth
            depth += 1
            down()

        try:
            down()
        except RecursionError:
            pass
        return depth

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            to_spare.append(frames_left())

    deep = b"[" * 100_000 + b"]" * 100_000
    thresholds = gc.get_threshold()
    gc.set_threshold(50)  # a collection every 50 new containers: several on the way down
    gc.callbacks.append(note)
    try:
        with pytest.raises(ParseError, match="not valid JSON"):
            load_json(deep, "x.org", "thing JSON")
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*thresholds)
    assert all(frames > 100 for frames in to_spare), to_spare
    assert gc.isenabled()  # and on again afterwards


def test_a_paused_collector_stays_as_the_caller_had_it():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


@pytest.mark.parametrize("body", MARKUP[:3] + MARKUP[6:7])
def test_every_json_kind_calls_an_html_page_gone(body):
    kinds = [
        lambda: normalize_factbook(body, where="fb"),
        lambda: load_entity_document(body, "wd"),
        lambda: label_entities(body, "wd-api"),
        lambda: normalize_acled(body, utc("2025-01-01").date(), where="acled"),
    ]
    for read in kinds:
        with pytest.raises(SourceGone, match="an HTML page where .* was expected"):
            read()


def test_the_acled_api_client_calls_an_html_login_page_gone(server):
    """The token endpoint answers a captive portal's HTML page: gone, not garbage."""
    server.route("/oauth/token", Reply(body=PAGE.encode(), content_type="text/html"))

    async def go():
        async with Http(HttpConfig(retries=0)) as http:
            client = AcledClient(
                http,
                server.url(""),
                "user@example.org",
                "pw-123456",
                token_file=None,
                now=utc("2025-01-01"),
                timeout=5,
                max_bytes=1_000_000,
                env_names=("U", "P"),
            )
            await client.bearer()

    with pytest.raises(SourceGone, match="HTML page where ACLED JSON was expected.*moved"):
        asyncio.run(go())


def test_json_kinds_still_read_json():
    doc = {"Government": {"Capital": {"name": {"text": "Astana"}}}}
    assert normalize_factbook(json.dumps(doc).encode())["Government"]["Capital"]
