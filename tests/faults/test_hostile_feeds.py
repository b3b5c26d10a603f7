"""Feeds as they come from the world: legacy multi-byte encodings, a damaged byte, dates a
feed cannot mean — through `run_once` and the real local server, beside good sources."""

from __future__ import annotations

import pytest

from tests.conftest import make_workspace, utc
from tests.support.hostile import feed
from tests.support.server import LocalServer, Reply
from tracker.run.runner import run_once
from tracker.sources.feed_encoding import feed_as_utf8
from tracker.sources.rss import normalize_feed
from tracker.store.git import GitStore

TITLES = {
    "shift_jis": "カザフスタン首相が来日",
    "euc-jp": "カザフスタン首相が来日",
    "gb2312": "哈萨克斯坦总理访华",
    "gbk": "哈萨克斯坦总理访华",
    "big5": "哈薩克總理訪台",
    "euc-kr": "카자흐스탄 총리 방한",
    "utf-7": "Премьер Бектенов 日本",
}
REPORT = """\
report: {id: kz, title: Feeds}
facts:
  - id: pm
    expect: Olzhas Bektenov
    watch: [Bektenov]
"""


def feeds_yaml(server: LocalServer, *names: str, max_items: int = 200) -> str:
    lines = ["sources:"] + [
        f"  {n}: {{kind: rss, url: '{server.url(f'/{n}.xml')}', max_items: {max_items}}}"
        for n in names
    ]
    return "\n".join(lines) + "\nhttp: {retries: 0}\n"


def matched_items(root) -> list[str]:
    """Ids of the feed items matched to a fact (reported by a digest or not)."""
    import json

    record = json.loads((root / ".tracker" / "news.json").read_text(encoding="utf-8"))
    return sorted(m["item"]["id"] for m in record["matches"].values())


def items(snapshot: dict) -> dict[str, str]:
    return {key: item["title"] for key, item in snapshot["items"].items()}


@pytest.mark.parametrize("encoding", list(TITLES))
def test_a_feed_in_a_legacy_multibyte_encoding_is_read_and_committed(tmp_path, encoding):
    title = TITLES[encoding]
    body = feed([("a1", title), ("a2", "Astana")], declared=encoding, channel="News").encode(
        encoding
    )
    with LocalServer() as server:
        server.route("/foreign.xml", Reply(200, body, content_type="text/xml"))
        server.route("/news.xml", Reply(200, feed([("n1", "Bektenov")]).encode()))
        root = make_workspace(
            tmp_path / "ws", feeds_yaml(server, "foreign", "news"), {"kz": REPORT}
        )
        result = run_once(root, now=utc("2025-10-08T21:00"), run_all=True, send_email=False)
    outcome = {s.source: s for s in result.sources}
    assert outcome["foreign"].ok and outcome["foreign"].changed, outcome["foreign"].error
    assert outcome["news"].ok and result.commit
    stored = GitStore(root).read_snapshot("foreign")
    assert items(stored) == {"a1": title, "a2": "Astana"}
    assert stored["title"] == "News"


def test_the_header_charset_does_not_override_a_valid_declaration():
    body = feed([("a1", TITLES["shift_jis"])], declared="shift_jis").encode("shift_jis")
    snapshot = normalize_feed(body, {"Content-Type": "text/xml; charset=iso-8859-1"})
    assert items(snapshot) == {"a1": TITLES["shift_jis"]}


@pytest.mark.parametrize("declared", ["x-klingon-7", "base64", "rot13", "unicode_escape"])
def test_an_encoding_python_cannot_read_documents_in_is_a_clear_failure(tmp_path, declared):
    body = feed([("a1", "Astana")], declared=declared, channel="News").encode("ascii")
    with LocalServer() as server:
        server.route("/bad.xml", Reply(200, body, content_type="text/xml"))
        server.route("/news.xml", Reply(200, feed([("n1", "Bektenov")]).encode()))
        root = make_workspace(tmp_path / "ws", feeds_yaml(server, "bad", "news"), {"kz": REPORT})
        result = run_once(root, now=utc("2025-10-08T21:00"), run_all=True, send_email=False)
    outcome = {s.source: s for s in result.sources}
    assert outcome["news"].ok and outcome["news"].changed and result.commit
    assert not outcome["bad"].ok
    assert f"declares the encoding {declared!r}, which Python does not know" in outcome["bad"].error


def test_an_unknown_declaration_is_read_in_the_header_charset_when_it_fits():
    body = feed([("a1", "Zażółć")], declared="x-klingon-7", channel="N").encode("iso-8859-2")
    decoded = feed_as_utf8(body, "iso-8859-2", "feed")
    assert decoded.encoding == "iso8859-2" and "Zażółć".encode() in decoded.content


def test_one_invalid_byte_changes_one_item_not_the_whole_feed(tmp_path):
    """Today's bug: the feed turned to windows-1252 mojibake — 6 false changes, the item's
    keyword never matched, the news item was lost, then 5 changes committed back."""
    first = [
        ("n1", "Токаев подписал указ"),
        ("n2", "Астана: новый мост"),
        ("n3", "Алматы: выставка"),
    ]
    second = [("n4", "Бектенов встретился с инвесторами (Bektenov)"), *first]
    damaged = (
        feed(second)
        .encode()
        .replace("инвесторами".encode(), "инвест".encode() + b"\xff" + "орами".encode())
    )
    with LocalServer() as server:
        server.route(
            "/news.xml",
            Reply(200, feed(first).encode(), content_type="application/rss+xml; charset=utf-8"),
        )
        root = make_workspace(tmp_path / "ws", feeds_yaml(server, "news"), {"kz": REPORT})
        run_once(root, now=utc("2025-10-08T21:00"), run_all=True, send_email=False)
        server.route(
            "/news.xml", Reply(200, damaged, content_type="application/rss+xml; charset=utf-8")
        )
        result = run_once(root, now=utc("2025-10-08T22:00"), run_all=True, send_email=False)
        changes = result.sources[0].changes
        assert [(c.change, c.path[:2]) for c in changes] == [("added", ("items", "n4"))], changes
        stored = items(GitStore(root).read_snapshot("news"))
        assert stored["n1"] == "Токаев подписал указ", "the other items are untouched"
        assert stored["n4"] == "Бектенов встретился с инвест\ufffdорами (Bektenov)"
        assert matched_items(root) == ["n4"], "the news item is matched by its keyword"
        server.route(
            "/news.xml",
            Reply(200, feed(second).encode(), content_type="application/rss+xml; charset=utf-8"),
        )
        repaired = run_once(root, now=utc("2025-10-08T23:00"), run_all=True, send_email=False)
    fixed = repaired.sources[0].changes
    assert len(fixed) <= 1 and all(c.path[:2] == ("items", "n4") for c in fixed), fixed


def test_a_feed_mislabelled_as_utf8_is_still_read_as_windows_1252():
    body = feed([("a1", "Café Zürich — déjà vu")], channel="Café").encode("cp1252")
    assert items(normalize_feed(body, {"Content-Type": "text/xml"})) == {
        "a1": "Café Zürich — déjà vu"
    }


def test_utf16_and_utf32_with_and_without_a_bom():
    text = feed([("a1", "Олжас Бектенов")], declared="utf-16")
    for body in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        assert items(normalize_feed(body))["a1"] == "Олжас Бектенов"
    body32 = feed([("a1", "Олжас")], declared="utf-32").encode("utf-32")
    assert items(normalize_feed(body32))["a1"] == "Олжас"


def test_a_feed_declaring_utf16_whose_bytes_are_ascii_is_not_garbled():
    body = feed([("a1", "Astana")], declared="UTF-16", channel="News").encode("ascii")
    assert items(normalize_feed(body))["a1"] == "Astana"


@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#55296;", "&#x110000;", "&#0;", "&#99999999999999999999;"]
)
def test_a_character_reference_to_no_character_does_not_lose_the_feed(reference):
    body = feed([("a1", f"broken {reference} title"), ("a2", "Astana")]).encode()
    snapshot = normalize_feed(body)
    assert items(snapshot) == {"a1": "broken \ufffd title", "a2": "Astana"}


# ------------------------------------------------------------------ dates


def dated_feed(dated: list[tuple[str, str]]) -> bytes:
    rows = "".join(
        f"<item><guid>{guid}</guid><title>{guid} Bektenov</title>"
        f"<link>https://news.example.org/{guid}</link><pubDate>{when}</pubDate>"
        "</item>"
        for guid, when in dated
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>T</title><link>https://news.example.org/</link>{rows}</channel></rss>"
    ).encode()


FUTURE = [(f"spam{n}", "Fri, 01 Jan 2100 00:00:00 GMT") for n in range(3)]


def test_items_dated_far_in_the_future_do_not_hold_the_slots(tmp_path):
    with LocalServer() as server:
        server.route("/news.xml", Reply(200, dated_feed(FUTURE)))
        root = make_workspace(
            tmp_path / "ws", feeds_yaml(server, "news", max_items=3), {"kz": REPORT}
        )
        run_once(root, now=utc("2025-10-08T21:00"), run_all=True, send_email=False)
        today = [("real", "Wed, 08 Oct 2025 21:30:00 GMT")]
        server.route("/news.xml", Reply(200, dated_feed(today + FUTURE)))
        result = run_once(root, now=utc("2025-10-08T22:00"), run_all=True, send_email=False)
    stored = GitStore(root).read_snapshot("news")["items"]
    assert "real" in stored and stored["real"]["published"] == "2025-10-08T21:30:00Z"
    assert list(stored)[0] == "real", "the dated news ranks first"
    assert all(stored[k]["published"] is None for k in stored if k.startswith("spam"))
    assert ("added", ("items", "real")) in [
        (c.change, c.path[:2]) for c in result.sources[0].changes
    ]
    assert matched_items(root) == ["real"], "today's news is matched"


def test_a_snapshot_from_before_the_check_keeps_no_future_item_first():
    from tracker.sources.rss import merge_feeds

    old = {
        "title": "T",
        "link": None,
        "items": {
            f"spam{n}": {
                "title": "x",
                "link": None,
                "published": "2100-01-01T00:00:00Z",
                "summary": "",
            }
            for n in range(3)
        },
    }
    new = normalize_feed(dated_feed([("real", "Wed, 08 Oct 2025 21:30:00 GMT")]))
    assert list(merge_feeds(old, new, 3)["items"])[0] == "real"


@pytest.mark.parametrize(
    "written",
    [
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "0001-01-01T00:00:00Z",
        "Sat, 01 Jan 1972 00:00:00 GMT",
        "Thu, 31 Dec 9999 23:59:59 GMT",
    ],
)
def test_dates_no_feed_can_mean_are_dropped(written):
    from datetime import datetime, timezone

    from tracker.config import RssOptions
    from tracker.models import RawDocument
    from tracker.sources.rss import RssSource

    source = RssSource("news", RssOptions(kind="rss", url="https://news.example.org/"))
    raw = RawDocument(
        dated_feed([("odd", written)]),
        "https://news.example.org/",
        datetime(2025, 10, 8, tzinfo=timezone.utc),
    )
    assert source.normalize(raw)["items"]["odd"]["published"] is None


def test_two_digit_years_and_plausible_dates_are_kept():
    snapshot = normalize_feed(
        dated_feed([("a", "Wed, 08 Oct 25 21:30:00 GMT"), ("b", "2025-10-08T21:30:00+02:00")])
    )
    assert snapshot["items"]["a"]["published"] == "2025-10-08T21:30:00Z"
    assert snapshot["items"]["b"]["published"] == "2025-10-08T19:30:00Z"
