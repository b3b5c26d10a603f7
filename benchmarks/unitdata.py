"""The unit of benchmarks/unit.py: what its sources serve and the workspace that reads them.

A country-of-origin unit: R reports, each a variant of the Kazakhstan report
(reports/kz-security-2025.yaml, 79 facts, plus one fact of its own: 80), each over its own
sources — two Factbook profiles (variants of the real archived Kazakhstan profiles in
../shared/data/cia-geos-kz, as the report's factbook-kz and factbook-cia), a Wikidata
entity, a World Bank country, an ACLED query and a news feed — plus what the whole unit
shares: the 14 Wikidata items the report cross-checks and a pool of news feeds.

Factbook, Wikidata, World Bank and RSS documents are files served by feedserver.py (its
own process, loopback hosts); ACLED is tests/support/acled_server.py's fake API on the
test server (tests/support/server.py), one query per report under its own path prefix.
Everything is generated from a seed; nothing leaves the machine.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchlib import ROOT

KZ_REPORT = ROOT / "reports" / "kz-security-2025.yaml"
KZ_FEEDS = ROOT / "feeds.yaml"
PROFILES = ROOT.parent / "shared" / "data" / "cia-geos-kz"
SHARED_FEEDS = 20  # news feeds the whole unit reads
FEED_ITEMS = 20
RECENT_PROFILES = 40  # reports read one of the 40 newest archived profiles
PER_REPORT = ("fb", "fbc", "wd", "wb", "acled", "news")  # source id prefixes, one each
# The report's own source ids → this unit's, per report r
RENAMES = {
    "factbook-kz": "fb",
    "factbook-cia": "fbc",
    "wikidata-kz": "wd",
    "worldbank-kz": "wb",
    "acled-kz": "acled",
}
WATCH_WORDS = [
    "protest",
    "Prime Minister",
    "election",
    "population",
    "terrorism",
    "referendum",
    "Senate",
    "drug trafficking",
    "floods",
    "budget",
]
SERVED_AT = datetime(2026, 11, 22, tzinfo=timezone.utc)  # the day the living data is from


def sid(prefix: str, report: int) -> str:
    return f"{prefix}-{report:03d}"


def rid(report: int) -> str:
    return f"unit-{report:03d}"


def load_profiles() -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes()) for p in sorted(PROFILES.glob("*.json"))]


def variant(document: dict[str, Any], marker: str) -> dict[str, Any]:
    """A distinct profile: the real text, marked at the start of its Background."""
    doc = json.loads(json.dumps(document))
    intro = doc["categories"][0]["fields"][0]
    intro["content"] = f"<p>Variant {marker}.</p>" + intro["content"]
    return doc


def profile_leaves(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field or subfield that carries text (a 'field' of a profile)."""
    out: list[dict[str, Any]] = []
    for category in document["categories"]:
        for item in category.get("fields") or []:
            out.extend(item.get("subfields") or [item])
    return [leaf for leaf in out if leaf.get("content")]


def change_fields(document: dict[str, Any], share: float, rng: random.Random) -> int:
    """Revise `share` of a profile's fields upstream; how many were revised."""
    chosen = [leaf for leaf in profile_leaves(document) if rng.random() < share]
    for leaf in chosen:
        leaf["content"] += f" (revised {rng.randrange(10**6)})"
    return len(chosen)


@dataclass
class Unit:
    """The generated unit: served documents (kept to revise them) and the workspace text."""

    reports: int
    seed: int = 19
    shared_feeds: int = SHARED_FEEDS  # fewer in unit.py --small: each one is fetched and parsed
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # factbook sid → doc
    acled: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # sid → rows

    @property
    def report_ids(self) -> list[str]:
        return [rid(r) for r in range(self.reports)]

    def source_count(self) -> int:
        return self.reports * len(PER_REPORT) + len(shared_items()) + self.shared_feeds

    def fact_count(self) -> int:
        return self.reports * 80


# ---------------------------------------------------------------- served documents


def shared_items() -> dict[str, tuple[str, bytes]]:
    """The 14 Wikidata items of the report other than Kazakhstan's: source id → (item id,
    Special:EntityData document), built by the demo's hand-made item generator."""
    from tracker.demo import living

    feeds = _kz_sources()
    out: dict[str, tuple[str, bytes]] = {}
    for source_id, options in feeds.items():
        if options.get("kind") != "wikidata" or source_id == "wikidata-kz":
            continue
        if options.get("entity") == "Q1520":
            out[source_id] = ("Q1520", living.astana())
            continue
        document = json.loads(living.item_by_article("enwiki", options["article"], SERVED_AT))
        document.pop("success", None)
        [qid] = document["entities"]
        out[source_id] = (qid, json.dumps(document).encode())
    return out


def write_served(unit: Unit, served: Path, profiles: list[dict[str, Any]]) -> None:
    """Every file the feed server serves: per report and shared."""
    from tracker.demo import living

    rng = random.Random(unit.seed)
    labels = living.with_labels((ROOT / "tracker/demo/data/wikidata/labels.json").read_bytes())
    q232 = json.loads((ROOT / "tracker/demo/data/wikidata/Q232.json").read_bytes())
    for r in range(unit.reports):
        for k, prefix in enumerate(("fb", "fbc")):
            # report 0's primary profile starts at the oldest version: unit.py's five
            # years replay the archive on it, so `history` has real versions to read
            index = (
                0
                if (r, k) == (0, 0)
                else len(profiles) - 1 - (2 * r + k) % min(RECENT_PROFILES, len(profiles))
            )
            unit.profiles[sid(prefix, r)] = variant(profiles[index], f"{r}/{prefix}")
        _write(
            served / f"r{r:03d}/wd/wiki/Special:EntityData/Q232.json", _wikidata_variant(q232, r)
        )
        _write(served / f"r{r:03d}/wd/w/api.php", labels)
        for code in ("SP.POP.TOTL", "SP.URB.TOTL.IN.ZS"):
            answer = living.worldbank_answer(code, {"per_page": "1000", "page": "1"}, SERVED_AT)
            _write(
                served / f"r{r:03d}/wb/country/KAZ/indicator/{code}",
                json.dumps(_worldbank_variant(answer, r)).encode(),
            )
        _write(served / f"r{r:03d}/news.xml", rss_feed(f"news {r}", rng, FEED_ITEMS))
        unit.acled[sid("acled", r)] = acled_rows(r)
    write_profiles(unit, served)
    for qid, document in shared_items().values():
        _write(served / f"items/wiki/Special:EntityData/{qid}.json", document)
    _write(served / "items/w/api.php", labels)
    for n in range(unit.shared_feeds):
        _write(served / f"feeds/feed{n:02d}.xml", rss_feed(f"shared {n}", rng, FEED_ITEMS))


def write_profiles(unit: Unit, served: Path) -> None:
    for source_id, document in unit.profiles.items():
        _write(served / f"factbook/{source_id}.json", json.dumps(document).encode())


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _wikidata_variant(document: dict[str, Any], r: int) -> bytes:
    """Kazakhstan's entity with the latest population shifted by `r` (distinct per report)."""
    doc = json.loads(json.dumps(document))
    [entity] = doc["entities"].values()
    claims = entity["claims"].get("P1082") or []
    if claims:
        amount = claims[-1]["mainsnak"]["datavalue"]["value"]
        amount["amount"] = f"+{int(float(amount['amount'])) + r}"
    return json.dumps(doc).encode()


def _worldbank_variant(answer: Any, r: int) -> Any:
    meta, rows = answer
    for row in rows:
        if isinstance(row.get("value"), int):
            row["value"] += r
    return [meta, rows]


def rss_feed(title: str, rng: random.Random, items: int, start: int = 0) -> bytes:
    """An RSS 2.0 feed of `items` synthetic items numbered from `start` (newest first)."""
    from xml.sax.saxutils import escape

    body = []
    for n in range(start + items - 1, start - 1, -1):
        word = WATCH_WORDS[(n + len(title)) % len(WATCH_WORDS)]
        day = 1 + n % 28
        body.append(
            f"<item><title>{escape(title)}: {word} story {n}</title>"
            f"<link>https://news.example.org/{escape(title)}/{n}</link>"
            f"<guid>{escape(title)}-{n}</guid>"
            f"<pubDate>Sun, {day:02d} Nov 2026 0{n % 10}:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Synthetic item {n} about {word}, "
            f"{rng.randrange(10**6)}.&lt;/p&gt;</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.org/</link>"
        f"<description>synthetic</description>{''.join(body)}</channel></rss>"
    ).encode()


def acled_rows(r: int) -> list[dict[str, str]]:
    """The demo's synthetic Kazakhstan rows, a few dropped per report (distinct counts)."""
    from tracker.demo import fixtures

    rows = fixtures.acled_rows(SERVED_AT)
    return [row for n, row in enumerate(rows) if (n + r) % 23]


# ---------------------------------------------------------------- the workspace


def feeds_yaml(unit: Unit, hosts: list[str], acled_base: str) -> str:
    """feeds.yaml of the unit: every source on the loopback hosts of the feed server."""
    kz = _kz_sources()
    lines = ["sources:"]
    host = iter(range(10**9))

    def url(path: str) -> str:
        return f"http://{hosts[next(host) % len(hosts)]}/{path}"

    for r in range(unit.reports):
        lines += _source(
            sid("fb", r),
            {
                "kind": "factbook",
                "url": url(f"factbook/{sid('fb', r)}.json"),
                "expect_update_within": "45d",
            },
        )
        lines += _source(
            sid("fbc", r), {"kind": "factbook", "url": url(f"factbook/{sid('fbc', r)}.json")}
        )
        wd = kz["wikidata-kz"]
        lines += _source(
            sid("wd", r),
            {
                "kind": "wikidata",
                "url": url(f"r{r:03d}/wd"),
                "entity": wd["entity"],
                "properties": list(wd["properties"]),
                "languages": list(wd["languages"]),
            },
        )
        wb = kz["worldbank-kz"]
        lines += _source(
            sid("wb", r),
            {
                "kind": "worldbank",
                "url": url(f"r{r:03d}/wb"),
                "country": wb["country"],
                "indicators": list(wb["indicators"]),
                "since": wb["since"],
            },
        )
        lines += _source(
            sid("acled", r),
            {
                "kind": "acled",
                "url": f"{acled_base}/{sid('acled', r)}",
                "country": "Kazakhstan",
                "since": "2023-01-01",
                "credentials": {"username_env": "ACLED_USERNAME", "password_env": "ACLED_PASSWORD"},
            },
        )
        lines += _source(sid("news", r), {"kind": "rss", "url": url(f"r{r:03d}/news.xml")})
    for source_id, (qid, _) in shared_items().items():
        options = kz[source_id]
        lines += _source(
            source_id,
            {
                "kind": "wikidata",
                "url": url("items"),
                "entity": qid,
                "properties": list(options["properties"]),
            },
        )
    for n in range(unit.shared_feeds):
        lines += _source(f"feed{n:02d}", {"kind": "rss", "url": url(f"feeds/feed{n:02d}.xml")})
    lines += ["digest:", '  schedule: "0 6 * * *"']
    return "\n".join(lines) + "\n"


def _source(source_id: str, options: dict[str, Any]) -> list[str]:
    return [f"  {source_id}:"] + [
        f"    {key}: {json.dumps(value)}" for key, value in options.items()
    ]


def report_yaml(r: int) -> str:
    """The Kazakhstan report, renamed onto report r's sources, with an 80th fact."""
    text = KZ_REPORT.read_text("utf-8")
    for old, prefix in RENAMES.items():
        text = re.sub(rf"\b{re.escape(old)}\b", sid(prefix, r), text)
    text = text.replace("id: kz-security-2025", f"id: {rid(r)}", 1)
    # fact ids are unique across a workspace's reports: each report's own suffix
    text = re.sub(r"(?m)^  - id: (\S+)$", lambda m: f"  - id: {m.group(1)}-{r:03d}", text)
    text = text.replace(
        "title: Kazakhstan – security situation",
        f"title: Country {r} – security situation (unit variant)",
        1,
    )
    return (
        text.rstrip("\n")
        + f"""
  - id: profile-variant-{r:03d}
    section: About this variant
    claim: This report reads variant {r} of the profile.
    expect: "{r}"
    source: {sid("fb", r)}
    path: [Introduction, Background]
    extract: regex
    params: {{pattern: 'Variant (\\d+)/'}}
"""
    )


def _kz_sources() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return dict(YAML(typ="safe").load(KZ_FEEDS.read_text("utf-8"))["sources"])


def make_workspace(unit: Unit, root: Path, hosts: list[str], acled_base: str) -> None:
    from tracker.workspace import Workspace

    files = {".gitignore": ".tracker/\n", "feeds.yaml": feeds_yaml(unit, hosts, acled_base)}
    for r in range(unit.reports):
        files[f"reports/{rid(r)}.yaml"] = report_yaml(r)
    Workspace.create(
        root,
        files,
        "Unit workspace (benchmarks/unit.py)",
        when=datetime(2026, 11, 30, tzinfo=timezone.utc),
    )
