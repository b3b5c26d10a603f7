"""kind `rss`: normalize (RSS 2.0, Atom 1.0, RSS 1.0/RDF), merge, and bad input.

Fixtures under tests/data/rss/ are synthetic (each says so in a comment).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracker.errors import ParseError, SourceGone
from tracker.sources.rss import merge_feeds, normalize_feed

RSS = Path(__file__).parent / "data" / "rss"


def load(name: str, headers: dict[str, str] | None = None) -> dict:
    return normalize_feed((RSS / name).read_bytes(), headers or {}, where=name)


def test_wordpress_rss2_items_keyed_by_guid_with_plain_text_and_utc_dates():
    feed = load("wordpress-rss2.xml")
    assert feed["title"] == "Example Central Asia Times"
    assert list(feed["items"]) == [
        "https://news.example.org/?p=1003",
        "https://news.example.org/?p=1002",
        "https://news.example.org/?p=1001",
    ]
    first = feed["items"]["https://news.example.org/?p=1003"]
    assert first["title"] == "Kazakhstan’s Prime Minister Bektenov visits Aktau port"
    assert first["link"] == "https://news.example.org/2025/10/14/pm-visits-aktau/"
    assert first["published"] == "2025-10-14T08:30:00Z"
    assert "<" not in first["summary"] and first["summary"].startswith("The head of government")
    # +0300 is converted to UTC
    assert feed["items"]["https://news.example.org/?p=1002"]["published"] == "2025-10-13T08:00:00Z"


def test_atom_html_title_is_text_and_updated_stands_in_for_published():
    feed = load("atom.xml")
    items = feed["items"]
    first = items["tag:studies.example.org,2025:analysis-77"]
    assert first["title"] == "Analysis: terrorism trials in Central Asia"
    assert first["published"] == "2025-10-14T04:00:00Z"
    assert first["summary"] == "Courts in Kazakhstan convicted 34 people."
    second = items["tag:studies.example.org,2025:analysis-76"]
    assert second["published"] == "2025-10-10T12:00:00Z"
    assert second["summary"] == "Ports and trade."


def test_rss1_rdf_with_dc_date():
    feed = load("rdf-rss1.xml")
    assert feed["title"] == "Пример: новости"
    item = feed["items"]["https://www.example.org/ru/a-200"]
    assert item["title"] == "Погода в Алматы"
    assert item["published"] == "2025-10-13T13:00:00Z"


def test_markup_and_script_in_titles_and_summaries_become_plain_text():
    feed = load("markup.xml")
    item = feed["items"]["https://markup.example.org/1"]
    assert item["title"] == "Prime minister speaks"
    assert item["summary"] == "Body text.\nTom & Jerry"
    assert feed["title"] == "Markup Feed"
    for text in (item["title"], item["summary"]):
        assert not any(bad in text for bad in ("<", "alert", "cookie", "color", "steal"))


def test_malformed_xml_keeps_the_items_that_parsed():
    feed = load("malformed.xml")
    assert list(feed["items"]) == ["https://broken.example.org/1", "https://broken.example.org/2"]
    assert feed["items"]["https://broken.example.org/2"]["title"] == "Second item & friends"


def test_malformed_xml_without_items_is_a_parse_error():
    with pytest.raises(ParseError, match="garbage.xml: malformed feed"):
        load("garbage.xml")


def test_html_page_instead_of_a_feed_is_source_gone():
    with pytest.raises(SourceGone, match="HTML page where a feed was expected"):
        load("html-page.html", {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(SourceGone):  # without the header too
        load("html-page.html")


def test_empty_feed_is_valid_and_has_no_items():
    feed = load("empty-feed.xml", {"Content-Type": "application/rss+xml"})
    assert feed == {
        "title": "Example Central Asia Times",
        "link": "https://news.example.org",
        "items": {},
    }


@pytest.mark.parametrize("content", [b"", b"   \n", b"just some text"])
def test_empty_or_non_xml_document_is_a_parse_error(content):
    with pytest.raises(ParseError):
        normalize_feed(content, {"Content-Type": "application/rss+xml"}, where="x")


def test_duplicate_guids_give_one_item_and_the_first_text_wins():
    feed = load("duplicate-guids.xml")
    assert list(feed["items"]) == ["dupes-42", "https://dupes.example.org/b"]
    assert feed["items"]["dupes-42"]["title"] == "Prime minister announces reshuffle (updated)"


def test_items_without_dates_or_ids():
    feed = load("no-dates.xml")
    assert [i["published"] for i in feed["items"].values()] == [None, None, None]
    keys = list(feed["items"])
    assert keys[0] == "undated-1" and keys[2] == "https://undated.example.org/3"
    assert keys[1].startswith("sha1:")
    assert load("no-dates.xml") == feed  # the hash key is stable


def test_encoding_declared_in_xml_windows_1251():
    feed = load("cp1251.xml")
    item = feed["items"]["https://ru.example.org/1"]
    assert item["title"] == "Премьер-министр Бектенов встретился с акимами"
    assert item["summary"] == "Глава правительства — о бюджете."


def test_encoding_given_only_by_the_http_header_iso_8859_2():
    feed = load(
        "latin2-header-only.xml", {"Content-Type": "application/rss+xml; charset=ISO-8859-2"}
    )
    item = feed["items"]["https://pl.example.org/1"]
    assert item["title"] == "Premier Kazachstanu zapowiada zmiany w rządzie"
    assert item["summary"] == "Ludność Kazachstanu przekroczyła 20 mln; żółć."


def test_long_summaries_are_shortened():
    body = "word " * 500
    doc = (
        f'<rss version="2.0"><channel><title>t</title><item><guid>g</guid>'
        f"<title>x</title><description>{body}</description></item></channel></rss>"
    )
    item = normalize_feed(doc.encode(), {"Content-Type": "application/rss+xml"})["items"]["g"]
    assert len(item["summary"]) <= 610 and item["summary"].endswith("…")


# ------------------------------------------------------------------ merge


def _item(title: str, published: str | None) -> dict:
    return {"title": title, "link": None, "published": published, "summary": ""}


def test_merge_keeps_previous_items_and_the_newest_n():
    previous = {
        "title": "Old",
        "link": None,
        "items": {"a": _item("A", "2025-10-01T00:00:00Z"), "b": _item("B", "2025-10-02T00:00:00Z")},
    }
    new = {
        "title": "New",
        "link": None,
        "items": {"c": _item("C", "2025-10-03T00:00:00Z"), "u": _item("U", None)},
    }
    merged = merge_feeds(previous, new, limit=3)
    assert merged["title"] == "New"
    assert set(merged["items"]) == {"c", "b", "a"}  # undated ranks last, dropped first
    assert set(merge_feeds(previous, new, limit=10)["items"]) == {"a", "b", "c", "u"}


def test_merge_same_guid_new_title_replaces_and_keeps_a_lost_date():
    previous = {
        "title": "T",
        "link": None,
        "items": {"g": _item("Old title", "2025-10-01T00:00:00Z")},
    }
    new = {"title": "T", "link": None, "items": {"g": _item("New title", None)}}
    merged = merge_feeds(previous, new, limit=200)
    assert merged["items"] == {"g": _item("New title", "2025-10-01T00:00:00Z")}


def test_merge_of_an_empty_feed_loses_nothing():
    previous = load("wordpress-rss2.xml")
    merged = merge_feeds(previous, load("empty-feed.xml"), limit=200)
    assert merged["items"] == previous["items"]


# ------------------------------------------------------------------ entity expansion

BILLION_LAUGHS = (
    """<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY lol "lol">
"""
    + "\n".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + """
]>
<rss version="2.0"><channel><title>t</title>
<item><guid>g</guid><title>&lol9;</title></item></channel></rss>
"""
)


def quadratic_blowup(size: int = 100_000, refs: int = 100_000) -> str:
    """One big entity referenced many times: 10 GB expanded. Plain feedparser runs out of
    memory on this one (its lenient parser expands "safe" entities itself)."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"x" * size}">\n]>\n'
        f'<rss version="2.0"><channel><title>t</title><item><guid>g</guid>'
        f"<title>{'&a;' * refs}</title></item></channel></rss>"
    )


@pytest.mark.parametrize(
    "name", ["billion_laughs", "quadratic", "malformed_quadratic", "utf16_quadratic"]
)
def test_entity_expansion_is_refused_under_a_memory_bound(name, tmp_path):
    """Run in a child with a 1 GiB address-space limit: refused, no item, little memory."""
    documents = {
        "billion_laughs": BILLION_LAUGHS.encode(),
        "quadratic": quadratic_blowup().encode(),
        # a broken DTD before the declaration: the strict scan cannot finish the prolog
        "malformed_quadratic": quadratic_blowup()
        .replace("<!DOCTYPE rss [", "<!DOCTYPE rss [\n<!BOGUS>")
        .encode(),
        "utf16_quadratic": quadratic_blowup()
        .replace('version="1.0"?>', 'version="1.0" encoding="utf-16"?>')
        .encode("utf-16"),
    }
    path = tmp_path / "attack.xml"
    path.write_bytes(documents[name])
    child = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from tracker.errors import ParseError
        from tracker.sources.rss import normalize_feed
        try:
            feed = normalize_feed(open({str(path)!r}, "rb").read(), {{}}, where="attack")
        except ParseError as exc:
            print("REFUSED", exc)
        else:
            print("ITEMS", len(feed["items"]))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
        # (a pytest worker of a few hundred MB), VmHWM belongs to this process alone.
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
        print("PEAK_MB", int(hwm[0].split()[1]) // 1024)
    """)
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REFUSED" in done.stdout and "entities" in done.stdout, done.stdout
    peak = int(done.stdout.split("PEAK_MB")[1])
    assert peak < 300, done.stdout
