"""News watch: keyword matching, the persistent record, and `tracker run` end to end."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import utc
from tests.support.server import Reply
from tests.support.zygote import run as warm_run
from tracker.evaluate.news import (
    Target,
    keyword_pattern,
    mark_reported,
    match_item,
    unreported_matches,
)
from tracker.run.runner import run_once
from tracker.store.git import GitStore

RSS = Path(__file__).parent / "data" / "rss"
HOG = Target(
    "kz",
    "head-of-government",
    "Government",
    ("prime minister", "Bektenov*", "премьер-министр*", "premier*"),
)
POP = Target("kz", "population", "Population", ("population", "население", "ludność"))
TERROR = Target("kz", None, "Terroryzm", ("terrorism", "terroryzm*", "терроризм*"))


def item(title: str, summary: str = "") -> dict:
    return {"title": title, "link": None, "published": None, "summary": summary}


def hits(title: str, summary: str = "", targets=(HOG, POP, TERROR), **filters) -> list:
    return [
        (t.fact or t.section, k)
        for t, k in match_item(item(title, summary), list(targets), **filters)
    ]


# ------------------------------------------------------------------ matching


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Prime Minister visits Aktau", [("head-of-government", "prime minister")]),
        ("PRIME-MINISTER visits Aktau", [("head-of-government", "prime minister")]),
        ("Премьер-министра Бектенова критикуют", [("head-of-government", "премьер-министр*")]),
        ("Премьер министр выступил", [("head-of-government", "премьер-министр*")]),
        ("Premiera Kazachstanu krytykują", [("head-of-government", "premier*")]),
        ("Ludnosc Kazachstanu rośnie", [("population", "ludność")]),  # diacritics folded
        ("ЛЮДНОСТЬ / НАСЕЛЕНИЕ выросло", [("population", "население")]),
        ("Zagrożenie terroryzmem", [("Terroryzm", "terroryzm*")]),
    ],
)
def test_keywords_in_english_russian_polish_ignore_case_and_diacritics(title, expected):
    assert hits(title) == expected


def test_bektenov_in_cyrillic_matches_only_with_a_cyrillic_keyword():
    assert hits("Олжас Бектенов", targets=[Target("kz", "f", None, ("Bektenov",))]) == []
    assert hits("Олжас Бектенов", targets=[Target("kz", "f", None, ("Бектенов",))]) == [
        ("f", "Бектенов")
    ]


@pytest.mark.parametrize(
    "text", ["populations", "depopulation", "prime ministers", "suprememinister", "premierleague"]
)
def test_word_boundaries(text):
    targets = [Target("kz", "f", None, ("population", "prime minister", "premier"))]
    assert hits(text, targets=targets) == []


def test_each_word_of_a_keyword_may_be_a_prefix():
    crime = Target(
        "kz", None, "Organised crime", ("организованн* преступност*", "przestępczoś* zorganizowan*")
    )
    assert hits("Удар по организованной преступности", targets=[crime]) == [
        ("Organised crime", "организованн* преступност*")
    ]
    assert hits("Przestępczość zorganizowana rośnie", targets=[crime]) == [
        ("Organised crime", "przestępczoś* zorganizowan*")
    ]
    assert hits("организованный отдых", targets=[crime]) == []


def test_the_example_report_matches_an_inflected_russian_pm_item():
    from tracker.config import load_config
    from tracker.evaluate.news import targets_of

    targets = targets_of(load_config(Path(__file__).resolve().parents[1]))
    found = match_item(item("Премьер-министра Бектенова критикуют"), targets)
    assert "head-of-government" in [t.fact for t, _ in found]


def test_keyword_without_letters_matches_nothing():
    assert keyword_pattern("*") is None and keyword_pattern(" - ") is None
    assert hits("anything", targets=[Target("kz", "f", None, ("*",))]) == []


def test_summary_is_searched_and_one_match_per_target():
    assert hits("Weather", "the prime minister and Bektenov said") == [
        ("head-of-government", "prime minister")
    ]


def test_include_and_exclude_filters():
    title = "Prime minister of Kyrgyzstan resigns"
    assert hits(title, include=["Kazakhstan", "Казахстан*"]) == []
    assert hits(title + " (Kazakhstan reacts)", include=["Kazakhstan"]) == [
        ("head-of-government", "prime minister")
    ]
    assert hits(title, exclude=["Kyrgyzstan"]) == []
    assert hits(title, exclude=["Uzbekistan"]) != []


# ------------------------------------------------------------------ the record + run

REPORT = """\
report: {id: kz, title: Kazakhstan, published: 2025-10-15}
sections:
  - title: Terroryzm
    watch: [terrorism, terroryzm*, терроризм*]
facts:
  - id: head-of-government
    section: Government and prime minister
    expect: Olzhas Bektenov
    watch: [prime minister, Bektenov*, премьер-министр*, premier*]
  - id: population
    section: Population
    expect: 20260006
    watch: [population, население, ludność]
"""


def feeds(url: str, extra: str = "") -> str:
    return f"""\
sources:
  news:
    kind: rss
    url: {url}
    timeout: 2
{extra}http:
  retries: 0
digest:
  schedule: "0 0 1 1 *"
"""


def rss(*items: tuple[str, str, str]) -> bytes:
    """(guid, title, date) → a small RSS 2.0 document."""
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://n.example/{g}</link>"
        f"<pubDate>{d}</pubDate></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>N</title><link>https://n.example</link>{body}</channel></rss>"
    ).encode()


OLD = ("g1", "Wheat harvest", "Mon, 13 Oct 2025 08:00:00 GMT")
PM = ("g2", "Prime Minister Bektenov visits Aktau", "Tue, 14 Oct 2025 08:00:00 GMT")
PM_EDITED = (
    "g2",
    "Prime Minister Bektenov visits Aktau port (updated)",
    "Tue, 14 Oct 2025 08:00:00 GMT",
)
TERROR_ITEM = ("g3", "Terrorism trial opens in Astana", "Wed, 15 Oct 2025 08:00:00 GMT")


def serve(server, body: bytes, **kw) -> None:
    server.route(
        "/feed", Reply(body=body, content_type=kw.pop("content_type", "application/rss+xml"), **kw)
    )


@pytest.fixture
def ws(workspace, server):
    return workspace(feeds(server.url("/feed")), {"kz": REPORT})


def run(ws, when: str):
    return run_once(ws, now=utc(when), run_all=True, send_email=False)


def test_first_fetch_is_a_baseline_and_a_new_pm_item_matches_the_fact(ws, server):
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T09:00:00")
    assert unreported_matches(ws) == []  # old news of a new feed is not reported
    serve(server, rss(TERROR_ITEM, PM, OLD))
    run(ws, "2025-10-15T09:00:00")
    matches = unreported_matches(ws)
    assert [(m["fact"], m["section"], m["keyword"]) for m in matches] == [
        (None, "Terroryzm", "terrorism")
    ]
    assert matches[0]["feed"] == "news" and matches[0]["report"] == "kz"
    assert matches[0]["item"] == {
        "id": "g3",
        "title": "Terrorism trial opens in Astana",
        "link": "https://n.example/g3",
        "published": "2025-10-15T08:00:00Z",
        "summary": "",
    }


def test_pm_item_is_matched_reported_once_and_never_again_after_a_restart(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T10:00:00")
    matches = unreported_matches(ws)
    assert [
        (m["report"], m["fact"], m["section"], m["keyword"], m["item"]["id"]) for m in matches
    ] == [("kz", "head-of-government", "Government and prime minister", "prime minister", "g2")]
    assert unreported_matches(ws) == matches  # reading does not consume
    mark_reported(ws, [matches[0]["id"]], utc("2025-10-14T10:05:00"))
    assert unreported_matches(ws) == []
    # a new process, the same feed, then the same item with an edited title
    serve(server, rss(PM_EDITED, OLD))
    done = warm_run(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "-w",
            str(ws),
            "run",
            "--all",
            "--now",
            "2025-10-14T11:00:00+00:00",
            "--no-email",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    snapshot = GitStore(ws).read_snapshot("news")
    assert snapshot["items"]["g2"]["title"].endswith("(updated)")  # changed, not new
    assert list(snapshot["items"]) == ["g1", "g2"]
    assert unreported_matches(ws) == []


def test_edited_title_of_an_unreported_item_is_not_a_second_match(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T10:00:00")
    serve(server, rss(PM_EDITED, OLD))
    run(ws, "2025-10-14T11:00:00")
    assert len(unreported_matches(ws)) == 1


def test_not_modified_feed_brings_nothing(ws, server):
    server.route("/feed", Reply(body=rss(PM, OLD), etag=True, content_type="application/rss+xml"))
    run(ws, "2025-10-14T09:00:00")
    result = run(ws, "2025-10-14T10:00:00")
    assert result.sources[0].not_modified and server.hits("/feed") == 2
    assert unreported_matches(ws) == []


def test_an_untouched_snapshot_is_neither_read_nor_rewritten(ws, server, monkeypatch):
    """Unchanged pass: no snapshot read, news.json left as it was. A snapshot rewritten
    with the same bytes (new mtime) is hashed, found equal, and brings nothing."""
    import tracker.evaluate.news as news

    server.route("/feed", Reply(body=rss(OLD), etag=True, content_type="application/rss+xml"))
    run(ws, "2025-10-14T09:00:00")
    record = ws / ".tracker" / "news.json"
    before = (record.read_bytes(), record.stat().st_mtime_ns)
    read, real = [], Path.read_bytes

    def reading(self):
        if self.parent.name == "snapshots":
            read.append(self.name)
        return real(self)

    monkeypatch.setattr(news.Path, "read_bytes", reading)
    run(ws, "2025-10-14T10:00:00")
    assert read == [] and (record.read_bytes(), record.stat().st_mtime_ns) == before
    snapshot = GitStore(ws).snapshot_path("news")
    os.utime(snapshot, ns=(snapshot.stat().st_atime_ns, snapshot.stat().st_mtime_ns + 10**9))
    run(ws, "2025-10-14T11:00:00")
    assert read == ["news.yaml"] and unreported_matches(ws) == []
    serve(server, rss(PM, OLD))  # and a real change still matches
    run(ws, "2025-10-14T12:00:00")
    assert [m["item"]["id"] for m in unreported_matches(ws)] == ["g2"]


def test_feed_filters_apply(workspace, server):
    ws = workspace(feeds(server.url("/feed"), "    exclude: [Aktau]\n"), {"kz": REPORT})
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, rss(TERROR_ITEM, PM, OLD))
    run(ws, "2025-10-15T09:00:00")
    assert [m["item"]["id"] for m in unreported_matches(ws)] == ["g3"]


def test_mark_reported_ignores_unknown_ids_and_forgets_old_reported_matches(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T10:00:00")
    (match,) = unreported_matches(ws)
    mark_reported(ws, ["nope", match["id"]], utc("2025-10-14T10:00:00"))
    record = json.loads((ws / ".tracker" / "news.json").read_text())
    assert record["matches"][match["id"]]["reported_at"].startswith("2025-10-14")
    mark_reported(ws, [], utc("2026-10-14T10:00:00"))
    record = json.loads((ws / ".tracker" / "news.json").read_text())
    assert record["matches"] == {} and "g2" in record["feeds"]["news"]["seen"]


def test_damaged_record_is_kept_aside_and_nothing_is_reported_twice(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    (ws / ".tracker" / "news.json").write_text("{not json")
    assert unreported_matches(ws) == []
    assert (ws / ".tracker" / "news.json.damaged").read_text() == "{not json"
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T10:00:00")  # the feed is seen afresh: a baseline
    assert unreported_matches(ws) == []


# ------------------------------------------------------------------ bad input in a run


def _previous_then(ws, server, reply: Reply, max_bytes: str = "") -> tuple[dict, object]:
    """Store a good feed, then serve `reply`: return the old snapshot and the run result."""
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, rss(PM, OLD))
    run(ws, "2025-10-14T10:00:00")
    mark_reported(ws, [m["id"] for m in unreported_matches(ws)], utc("2025-10-14T10:01:00"))
    before = GitStore(ws).read_snapshot("news")
    server.route("/feed", reply)
    return before, run(ws, "2025-10-14T11:00:00")


def _attack() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "'
        + b"x" * 100_000
        + b'">\n]>\n<rss version="2.0"><channel><title>t</title><item><guid>g9</guid>'
        b"<title>Prime minister &a;</title></item></channel></rss>"
    )


@pytest.mark.parametrize(
    "case, reply, ok",
    [
        (
            "malformed, no items",
            Reply(body=(RSS / "garbage.xml").read_bytes(), content_type="application/rss+xml"),
            False,
        ),
        (
            "html page",
            Reply(body=(RSS / "html-page.html").read_bytes(), content_type="text/html"),
            False,
        ),
        ("empty feed", Reply(body=rss(), content_type="application/rss+xml"), True),
        ("duplicate guids", Reply(body=rss(PM_EDITED, PM, OLD), content_type="text/xml"), True),
        ("entity expansion", Reply(body=_attack(), content_type="application/rss+xml"), False),
        (
            "enormous",
            Reply(
                body=rss(PM, OLD) + b"<!--" + b"x" * 300_000 + b"-->",
                content_type="application/rss+xml",
            ),
            False,
        ),
        ("server error", Reply(status=500, body=b"oops", content_type="text/plain"), False),
    ],
)
def test_bad_input_creates_no_new_item_and_keeps_the_snapshot(workspace, server, case, reply, ok):
    ws = workspace(feeds(server.url("/feed"), "    max_bytes: 200000\n"), {"kz": REPORT})
    before, result = _previous_then(ws, server, reply)
    (outcome,) = result.sources
    assert outcome.ok is ok, (case, outcome.error)
    after = GitStore(ws).read_snapshot("news")
    assert list(after["items"]) == list(before["items"]), case  # nothing new, nothing lost
    if not ok:
        assert after == before and not outcome.changed, case
    assert unreported_matches(ws) == []


def test_malformed_feed_with_items_keeps_what_parsed(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    broken = rss(PM, OLD).replace(b"</channel></rss>", b"<item><title>cut o")
    serve(server, broken)
    result = run(ws, "2025-10-14T10:00:00")
    assert result.sources[0].ok and result.sources[0].changed
    assert [m["item"]["id"] for m in unreported_matches(ws)] == ["g2"]


def test_non_utf8_feed_is_matched_in_russian(ws, server):
    serve(server, rss(OLD))
    run(ws, "2025-10-14T09:00:00")
    serve(server, (RSS / "cp1251.xml").read_bytes())
    run(ws, "2025-10-14T10:00:00")
    (match,) = unreported_matches(ws)
    assert (match["fact"], match["keyword"]) == ("head-of-government", "премьер-министр*")
    assert match["item"]["title"] == "Премьер-министр Бектенов встретился с акимами"
