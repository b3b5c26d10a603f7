"""A workspace where good sources change while one source turns hostile.

Three sources live beside each other on the real local server: `good-fb` (a Factbook
profile) and `good-news` (a feed), which change between the two runs a test makes, and
`bad`, of the kind under test, which answers well on the first run and with a hostile
document on the second. `tracker` runs as a real subprocess whose peak memory (VmHWM) is
reported, so a test sees the exit code, stdout, stderr, git, the digest and the state.

All documents are made here (synthetic), so no test needs ../shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tests.conftest import make_workspace, utc
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event
from tests.support.server import LocalServer, Reply
from tests.support.zygote import run as warm_run
from tracker.run.runner import run_once

TESTS = Path(__file__).resolve().parents[1]
WIKIDATA = TESTS / "data" / "wikidata"
FIRST, SECOND, THIRD = utc("2025-10-08T04:00"), "2025-10-09T04:00", "2025-10-10T04:00"
ENV = {"ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD}


def geos(categories: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A CIA geos profile: {category: {field: text}} → the JSON shape the CIA served."""
    return {
        "name": "Kazakhstan",
        "categories": [
            {
                "id": title.lower(),
                "title": title,
                "fields": [{"name": name, "content": text} for name, text in fields.items()],
            }
            for title, fields in categories.items()
        ],
    }


def profile(
    pm: str = "Olzhas Bektenov", population: str = "20,260,006", extra: int = 6
) -> dict[str, Any]:
    """A Factbook profile of `2 + extra` categories (a shrink is easy to make)."""
    categories = {
        "Government": {"head of government": pm, "capital": "Astana"},
        "People and Society": {"Population": population},
    }
    for n in range(extra):
        categories[f"Category {n}"] = {f"field {n}.{k}": f"text {n}.{k}" for k in range(4)}
    return geos(categories)


def feed(
    titles: list[tuple[str, str]], declared: str = "utf-8", channel: str = "Новости Казахстана"
) -> str:
    """An RSS 2.0 feed of (guid, title) items, each dated by its guid (see _hour)."""
    items = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title>"
        f"<link>https://news.example.org/{guid}</link>"
        f"<pubDate>Wed, 08 Oct 2025 {_hour(guid):02d}:00:00 GMT</pubDate></item>"
        for guid, title in titles
    )
    return (
        f'<?xml version="1.0" encoding="{declared}"?>\n<rss version="2.0"><channel>'
        f"<title>{channel}</title><link>https://news.example.org/</link>{items}"
        "</channel></rss>\n"
    )


def _hour(guid: str) -> int:
    """An item's hour of the day, fixed by its guid (the same item, the same date)."""
    return sum(map(ord, guid)) % 20


NEWS_1 = [("n1", "Токаев подписал указ"), ("n2", "Астана: новый мост открыт")]
NEWS_2 = [("n3", "Bektenov met investors in Astana"), *NEWS_1]

REPORT = """\
report: {{id: kz, title: Hostile input}}
facts:
  - id: pm
    expect: Olzhas Bektenov
    source: good-fb
    path: [Government, head of government, text]
    extract: person
    watch: [Bektenov]
{bad_fact}"""

BAD_FACTS = {
    "factbook": """\
  - id: bad-pm
    expect: Olzhas Bektenov
    source: bad
    path: [Government, head of government, text]
    extract: person
""",
    "wikidata": """\
  - id: bad-capital
    expect: Astana
    source: bad
    path: [P36, value]
    extract: text
""",
    "acled": """\
  - id: bad-fatalities
    expect: 2
    source: bad
    path: [fatalities]
    extract: acled
    params: {from: 2025-01-01, to: 2025-09-12}
""",
    "rss": "",
}

BAD_SOURCES = {
    "factbook": "  bad: {{kind: factbook, url: '{base}/bad.json'{extra}}}\n",
    "wikidata": "  bad: {{kind: wikidata, url: '{base}', entity: Q232, "
    "properties: [P6, P35, P1082, P36], languages: [en, pl]{extra}}}\n",
    "acled": "  bad: {{kind: acled, url: '{base}', country: Kazakhstan, since: 2025-01-01, "
    "until: 2025-09-12, credentials: {{username_env: ACLED_USERNAME, "
    "password_env: ACLED_PASSWORD}}{extra}}}\n",
    "rss": "  bad: {{kind: rss, url: '{url}'{extra}}}\n",
}


@dataclass
class Hostile:
    """One workspace of the three sources, and how to run `tracker` on it."""

    root: Path
    server: LocalServer
    kind: str
    acled: FakeAcled | None = None
    peaks: list[int] = field(default_factory=list)  # kB, one per `tracker` call

    def bad_path(self) -> str:
        return {
            "factbook": "/bad.json",
            "rss": "/bad.xml",
            "wikidata": "/wiki/Special:EntityData/Q232.json",
            "acled": "/api/acled/read",
        }[self.kind]

    def serve_good_sources(self, epoch: int) -> None:
        """The good sources' documents of run `epoch` (1 or 2: each run changes both)."""
        pm = "Olzhas Bektenov"
        population = "20,260,006" if epoch == 1 else "20,330,111"
        self.server.route("/good.json", body=json.dumps(profile(pm, population)).encode())
        self.server.route(
            "/news.xml",
            body=feed(NEWS_1 if epoch == 1 else NEWS_2).encode(),
            content_type="application/rss+xml; charset=utf-8",
        )

    def serve_bad(self, *replies: Reply) -> None:
        if self.kind == "acled":
            assert self.acled is not None
            self.acled.fail_next(self.bad_path(), *replies)
        else:
            self.server.route(self.bad_path(), *replies)

    def serve_bad_good(self) -> None:
        """The hostile source's good answer (its first run)."""
        if self.kind == "factbook":
            self.server.route("/bad.json", body=json.dumps(profile()).encode())
        elif self.kind == "rss":
            self.server.route(
                "/bad.xml", body=feed(NEWS_1).encode(), content_type="application/rss+xml"
            )
        elif self.kind == "wikidata":
            self.server.route(self.bad_path(), body=(WIKIDATA / "Q232.json").read_bytes())
            self.server.route("/w/api.php", body=(WIKIDATA / "labels.json").read_bytes())

    def tracker(
        self, *args: str, now: str = SECOND, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`tracker -w ROOT ARGS --now NOW` as a subprocess; its peak memory is recorded."""
        # (not beside the workspace, whose disk a test may have filled)
        peak = Path(tempfile.mkdtemp(prefix="tracker-peak-")) / "kB"
        command = [sys.executable, "-m", "tracker.cli", "-w", str(self.root), *args]
        if args and args[0] == "run":
            command += ["--now", now]
        proc = warm_run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **ENV, **(env or {})},
            peak=str(peak),
        )
        text = peak.read_text() if peak.exists() else ""
        self.peaks.append(int(text) if text.isdigit() else 0)
        shutil.rmtree(peak.parent, ignore_errors=True)
        return proc

    def first_run(self) -> None:
        """Everything good: one commit holding all three snapshots."""
        self.serve_good_sources(1)
        self.serve_bad_good()
        result = run_once(self.root, now=FIRST, run_all=True, send_email=False)
        assert all(s.ok for s in result.sources), [s.error for s in result.sources]
        assert result.commit


def hostile_workspace(
    base: Path,
    server: LocalServer,
    kind: str,
    *,
    extra: str = "",
    url: str | None = None,
    http: str = "retries: 0, backoff: 0.01",
    bad_fact: str | None = None,
) -> Hostile:
    """The workspace of the three sources; `extra` adds options to the `bad` source."""
    entry = BAD_SOURCES[kind].format(
        base=server.url(""), url=url or server.url("/bad.xml"), extra=f", {extra}" if extra else ""
    )
    feeds = (
        "sources:\n"
        f"  good-fb: {{kind: factbook, url: '{server.url('/good.json')}'}}\n"
        f"  good-news: {{kind: rss, url: '{server.url('/news.xml')}'}}\n"
        + entry
        + f"http: {{{http}}}\ndigest: {{send_when_empty: true}}\n"
    )
    fact = BAD_FACTS[kind] if bad_fact is None else bad_fact
    root = make_workspace(base / "ws", feeds, {"kz": REPORT.format(bad_fact=fact)})
    acled = None
    if kind == "acled":
        acled = FakeAcled(server)
        vac = "Violence against civilians"
        acled.rows = [
            event("KAZ0001", "2025-02-01", vac, "Attack", 1, civilian=True),
            event("KAZ0002", "2025-05-30", vac, "Attack", 1, civilian=True),
            event("KAZ0003", "2025-06-14", "Protests", "Peaceful protest"),
            event("KAZ0004", "2025-07-01", "Protests", "Peaceful protest"),
        ]
    return Hostile(root, server, kind, acled)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


def committed_since(root: Path, rev: str) -> set[str]:
    """The files the commits after `rev` changed."""
    return set(git(root, "log", "--name-only", "--format=", f"{rev}..HEAD").split())


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def run_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"not JSON: {proc.stdout[:500]!r}\n{proc.stderr[-2000:]}") from None


Serve = Callable[[Hostile], None]
