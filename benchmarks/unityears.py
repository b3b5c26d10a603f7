"""Five simulated years of nightly runs on benchmarks/unit.py's workspace, fast.

A nightly run that finds a few sources changed commits their new snapshots, then the
digests of the reports reading them. Running the tracker 1,826 times would take hours, so
this writes the same commits with `git fast-import`: each changed snapshot is made by the
source kind's own pure step (`Source.snapshot_of`: normalize the served document, merge
the previous snapshot) and serialized by the tracker's canonical YAML, exactly the bytes a
run would write; the digest files are the report's last real digest with that night's
date and the changed source named. Commit messages are shortened (no per-path change
list: that needs a deepdiff per source per night). Each night:

- every ~10th night fb-000 moves to the next archived Factbook profile (so `history
  unit-000/population-000` reads real versions);
- two other Factbook profiles get ~1% of their fields revised;
- one news feed gets two new items (about nothing a report watches: see NEUTRAL_WORDS).

Afterwards the work tree is set to the new HEAD, the served documents to the last
versions, and the caller does one real run (the last night), which brings the sources'
state up to date as nightly runs would have.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import unitdata
from unitdata import Unit

NIGHT_HOUR = 3  # the nightly run, UTC
DIGEST_HOUR = 6  # digest.schedule "0 6 * * *"
EDITED_PROFILES = 2  # Factbook profiles revised per night besides the archive replay
REVISED_SHARE = 0.01
NEW_ITEMS = 2
# Words no report watches. Nightly, a digest reports the news matched and they leave the
# pending list; here the one real run after five years would match them all at once
# (350,000 pending matches: a 180 MB .tracker/news.json), which is no night's work.
NEUTRAL_WORDS = ["weather", "football", "concert", "exhibition", "harvest", "marathon"]


@dataclass
class Summary:
    nights: int
    commits: int
    snapshots: int
    digests: int
    archive_versions: int
    seconds: float
    last_night: datetime

    def text(self) -> str:
        return (
            f"five years: {self.nights} nights → {self.commits} commits "
            f"({self.snapshots} snapshot versions, {self.digests} digest files, "
            f"{self.archive_versions} archived profiles replayed on fb-000) "
            f"written with git fast-import in {self.seconds:.1f} s"
        )


class Nightly:
    """The sources that change, their current snapshots and served documents."""

    def __init__(
        self, workspace: Path, unit: Unit, profiles: list[dict[str, Any]], seed: int
    ) -> None:
        from tracker.sources.base import make_source
        from tracker.store import snapshot_yaml
        from tracker.workspace import Workspace

        self.workspace, self.unit, self.archive = workspace, unit, profiles
        self.rng = random.Random(seed)
        config = Workspace(workspace).config
        self.sources = {sid: make_source(sid, config.sources[sid]) for sid in config.sources}
        self.snapshot_yaml = snapshot_yaml
        self.feeds = [unitdata.sid("news", r) for r in range(unit.reports)] + [
            f"feed{n:02d}" for n in range(unit.shared_feeds)
        ]
        self.feed_items = {feed: 1000 for feed in self.feeds}  # item numbers after the first run's
        self.served_feeds: dict[str, bytes] = {}
        self.current: dict[str, Any] = {}
        self.texts: dict[str, str] = {}  # source id → its current snapshot's YAML
        self.archive_index = 0

    def snapshot(self, source_id: str) -> Any:
        if source_id not in self.current:
            path = self.workspace / "snapshots" / f"{source_id}.yaml"
            raw = path.read_bytes()
            self.current[source_id] = self.snapshot_yaml.loads(raw)
            self.texts[source_id] = raw.decode("utf-8")
        return self.current[source_id]

    def night(self, n: int, when: datetime) -> dict[str, str]:
        """{source id: new snapshot text} of the sources that changed this night."""
        changed: dict[str, bytes] = {}
        if n % 10 == 0 and self.archive_index + 1 < len(self.archive):
            self.archive_index += 1
            doc = unitdata.variant(self.archive[self.archive_index], "0/fb")
            self.unit.profiles["fb-000"] = doc
            changed["fb-000"] = json.dumps(doc).encode()
        others = [s for s in self.unit.profiles if s != "fb-000"]
        for source_id in self.rng.sample(others, min(EDITED_PROFILES, len(others))):
            doc = self.unit.profiles[source_id]
            if unitdata.change_fields(doc, REVISED_SHARE, self.rng):
                changed[source_id] = json.dumps(doc).encode()
        feed = self.rng.choice(self.feeds)
        changed[feed] = self.feed(feed, when)
        return {
            sid: text
            for sid, raw in changed.items()
            if (text := self.apply(sid, raw, when)) is not None
        }

    def feed(self, feed: str, when: datetime) -> bytes:
        start = self.feed_items[feed]
        self.feed_items[feed] = start + NEW_ITEMS
        items = "".join(
            f"<item><title>{escape(feed)}: story {k}</title>"
            f"<link>https://news.example.org/{escape(feed)}/{k}</link>"
            f"<guid>{escape(feed)}-{k}</guid>"
            f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S')} GMT</pubDate>"
            f"<description>&lt;p&gt;Item {k}, {self.rng.choice(NEUTRAL_WORDS)}, "
            f"{self.rng.randrange(10**6)}.&lt;/p&gt;</description></item>"
            for k in range(start + NEW_ITEMS - 1, start - 1, -1)
        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(feed)}</title><link>https://news.example.org/</link>"
            f"<description>synthetic</description>{items}</channel></rss>"
        ).encode()
        self.served_feeds[feed] = body
        return body

    def apply(self, source_id: str, raw: bytes, when: datetime) -> str | None:
        """The run's pure step for one fetched document; None when nothing changed."""
        from tracker.models import RawDocument

        source = self.sources[source_id]
        data = source.snapshot_of(RawDocument(raw, source.url, when), self.snapshot(source_id))
        text = self.snapshot_yaml.dumps(data)
        if text == self.texts[source_id]:
            return None
        self.current[source_id], self.texts[source_id] = data, text
        return text

    def write_served(self, served: Path) -> None:
        """The served documents as of the last night (the caller's real run fetches them)."""
        unitdata.write_profiles(self.unit, served)
        for feed, body in self.served_feeds.items():
            r = feed.removeprefix("news-")
            path = f"r{r}/news.xml" if feed.startswith("news-") else f"feeds/{feed}.xml"
            (served / path).write_bytes(body)


def readers(workspace: Path) -> dict[str, set[str]]:
    """Source id → the reports with a fact on it."""
    from tracker.workspace import Workspace

    out: dict[str, set[str]] = {}
    for rid, report in Workspace(workspace).config.reports.items():
        for fact in report.facts:
            if fact.source:
                out.setdefault(fact.source, set()).add(rid)
    return out


def last_digests(workspace: Path) -> dict[str, dict[str, str]]:
    """Report id → {ext: the text of its newest digest file}."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted((workspace / "digests").glob("*.*")):
        rid = path.stem[11:]  # YYYY-MM-DD-<report>
        out.setdefault(rid, {})[path.suffix[1:]] = path.read_text("utf-8")
    return out


def simulate(
    workspace: Path,
    unit: Unit,
    profiles: list[dict[str, Any]],
    start: datetime,
    nights: int,
    seed: int,
    served: Path,
) -> Summary:
    import time

    began = time.perf_counter()
    nightly = Nightly(workspace, unit, profiles, seed)
    who_reads, digests = readers(workspace), last_digests(workspace)
    template_day = _digest_day(workspace)
    proc = subprocess.Popen(
        ["git", "-C", str(workspace), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    out = proc.stdin
    head = subprocess.run(
        ["git", "-C", str(workspace), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out.write(f"reset refs/heads/main\nfrom {head}\n\n".encode())
    commits = snapshots = digest_files = 0
    when = start
    for n in range(1, nights + 1):
        day = (start + timedelta(days=n)).replace(hour=NIGHT_HOUR, minute=0, second=0)
        when = day
        changed = nightly.night(n, day)
        if not changed:
            continue
        files = {f"snapshots/{sid}.yaml": text for sid, text in changed.items()}
        names = sorted(changed)
        title = f"Update {', '.join(names)}" if len(names) <= 3 else f"Update {len(names)} sources"
        message = "\n".join(
            [title, "", f"tracker run at {day.isoformat()}"] + [f"{sid}: changed" for sid in names]
        )
        _commit(out, files, message, day)
        commits, snapshots = commits + 1, snapshots + len(files)
        reports = sorted({rid for sid in names for rid in who_reads.get(sid, ())})
        files = {}
        for rid in reports:
            for ext, body in digests.get(rid, {}).items():
                text = body.replace(template_day, day.date().isoformat())
                text += (
                    f"\n<!-- {', '.join(names)} changed -->\n"
                    if ext == "html"
                    else f"\nChanged tonight: {', '.join(names)}\n"
                )
                files[f"digests/{day.date().isoformat()}-{rid}.{ext}"] = text
        if files:
            digest_at = day.replace(hour=DIGEST_HOUR)
            _commit(out, files, f"Digest {day.date()}: {len(files) // 2} report(s)", digest_at)
            commits, digest_files = commits + 1, digest_files + len(files)
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(workspace), "reset", "-q", "--hard", "HEAD"], check=True)
    nightly.write_served(served)
    return Summary(
        nights,
        commits,
        snapshots,
        digest_files,
        nightly.archive_index,
        time.perf_counter() - began,
        when,
    )


def _digest_day(workspace: Path) -> str:
    names = sorted(p.name for p in (workspace / "digests").glob("*.txt"))
    return names[-1][:10] if names else "0000-00-00"


def _commit(out: Any, files: dict[str, str], message: str, when: datetime) -> None:
    stamp = int(when.astimezone(timezone.utc).timestamp())
    raw = message.encode()
    out.write(b"commit refs/heads/main\n")
    out.write(f"committer report-tracker <tracker@localhost> {stamp} +0000\n".encode())
    out.write(b"data %d\n%s\n" % (len(raw), raw))
    for path, text in files.items():
        body = text.encode("utf-8")
        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body))
    out.write(b"\n")
