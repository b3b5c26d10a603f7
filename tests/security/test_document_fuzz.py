"""Document fuzzing (hypothesis): a real document of each kind with any part replaced by
any JSON value (or feed bytes with any damage) gives a storable snapshot or the source's
SourceError — never another exception, never a snapshot YAML cannot write.

`FUZZ_EXAMPLES=2000` for a deeper run; hypothesis prints the failing example (and its
seed with `--hypothesis-seed`), so every failure reproduces.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile import WIKIDATA, feed, profile
from tracker.config import AcledOptions, FactbookOptions, RssOptions, WikidataOptions
from tracker.errors import SourceError
from tracker.models import RawDocument
from tracker.sources.acled import AcledSource
from tracker.sources.factbook import FactbookSource
from tracker.sources.rss import RssSource
from tracker.sources.wikidata import WikidataSource
from tracker.store import snapshot_yaml

SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime(2025, 10, 8, tzinfo=timezone.utc)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "x\ud800",
            "\udfff",
            "<b>x</b>",
            "+2024-02-06T00:00:00Z",
            "2025-13-45",
            "value",
            "item",
            "quantity",
            "time",
            "monolingualtext",
            "preferred",
            "deprecated",
            "Q1",
            "P6",
            "1e400",
            "-0",
            "Protests",
            "\x00\x1b[2J",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def wikidata_document() -> dict[str, Any]:
    document = json.loads((WIKIDATA / "Q232.json").read_bytes())
    document["entities"].update(
        json.loads((WIKIDATA / "labels.json").read_bytes()).get("entities", {})
    )
    return document


ACLED = {
    "status": 200,
    "success": True,
    "data": [
        {
            "event_id_cnty": f"KAZ{n:04d}",
            "event_date": f"2025-0{n + 1}-01",
            "year": "2025",
            "event_type": "Protests",
            "sub_event_type": "Peaceful protest",
            "civilian_targeting": "",
            "country": "Kazakhstan",
            "fatalities": str(n),
            "timestamp": "1750000000",
        }
        for n in range(3)
    ],
}

SOURCES = {
    "factbook": (
        FactbookSource("fb", FactbookOptions(kind="factbook", url="http://x/")),
        profile(extra=2),
    ),
    "wikidata": (
        WikidataSource(
            "wd",
            WikidataOptions(
                kind="wikidata",
                entity="Q232",
                properties=["P6", "P35", "P1082", "P36"],
                languages=["en", "pl"],
            ),
        ),
        wikidata_document(),
    ),
    "acled": (
        AcledSource(
            "ac",
            AcledOptions(
                kind="acled",
                country="Kazakhstan",
                since="2025-01-01",
                credentials={"username_env": "U", "password_env": "P"},
            ),
        ),
        ACLED,
    ),
}


def paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    children = (
        list(node.items())[:30]
        if isinstance(node, dict)
        else list(enumerate(node[:4]))
        if isinstance(node, list)
        else []
    )
    for key, child in children:
        out += paths(child, path + (key,))
    return out


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(document)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copied


def storable_or_source_error(source: Any, body: bytes) -> None:
    try:
        snapshot = source.merge(None, source.normalize(RawDocument(body, "http://x/", NOW)))
    except SourceError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    snapshot_yaml.dumps(snapshot).encode("utf-8")  # what the store writes
    source.shrinkage(snapshot, snapshot)


def json_kind_case(kind: str):
    source, document = SOURCES[kind]
    choices = paths(document)

    @SETTINGS
    @given(st.lists(st.tuples(st.sampled_from(choices), values), min_size=1, max_size=3))
    def check(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
        mutated = document
        for path, value in edits:
            try:
                mutated = replaced(mutated, path, value)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier edit removed the way there
        storable_or_source_error(source, json.dumps(mutated).encode())

    return check


test_any_factbook_damage = json_kind_case("factbook")
test_any_wikidata_damage = json_kind_case("wikidata")
test_any_acled_damage = json_kind_case("acled")

FEED = feed([("a1", "Олжас Бектенов"), ("a2", "Astana &amp; Almaty")]).encode()
RSS = RssSource("news", RssOptions(kind="rss", url="http://x/"))


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, len(FEED)), st.integers(0, 40), st.binary(max_size=12)),
        min_size=1,
        max_size=4,
    )
)
def test_any_feed_damage(edits: list[tuple[int, int, bytes]]) -> None:
    body = FEED
    for at, cut, insert in edits:
        body = body[:at] + insert + body[at + cut :]
    storable_or_source_error(RSS, body)


@SETTINGS
@given(
    st.sampled_from(
        [
            "shift_jis",
            "euc-jp",
            "gb2312",
            "gbk",
            "big5",
            "euc-kr",
            "utf-7",
            "utf-16",
            "koi8-r",
            "iso-8859-5",
            "x-unknown",
            "utf-8",
        ]
    ),
    st.text(max_size=30),
)
def test_any_title_in_any_declared_encoding(encoding: str, title: str) -> None:
    text = feed([("a1", title.replace("<", "").replace("&", ""))], declared=encoding, channel="N")
    try:
        body = text.encode(encoding if encoding != "x-unknown" else "utf-8")
    except UnicodeError:
        body = text.encode("utf-8", "surrogatepass")
    storable_or_source_error(RSS, body)
