"""`tracker report scan`: read a report file, write its citations and draft facts, commit.

Writes reports/<id>.citations.yaml (canonical YAML: footnotes, the sentences citing them,
warnings) and reports/<id>.draft.yaml (draft facts, with sources suggested from the
workspace's current snapshots), then commits both. A scan that finds no footnote writes
nothing: that is a wrong file or a text layer this reader does not understand.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tracker.config import is_ident
from tracker.errors import ConfigError
from tracker.reports.drafts import draft_facts, latest_citation
from tracker.reports.footnotes import citation_date, citations_document, parse_report
from tracker.reports.review import round_trip_yaml
from tracker.reports.text import read_report_text
from tracker.store import snapshot_yaml
from tracker.store.files import inside
from tracker.store.git import GitStore
from tracker.workspace import Workspace, Writer

AGE_BUCKETS = ((92, "< 3 months"), (365, "3–12 months"), (730, "1–2 years"), (10**6, "> 2 years"))


@dataclass
class ScanResult:
    report_id: str
    paths: list[str]
    commit: str | None
    footnotes: int
    urls: int
    drafts: int
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def scan_report(
    root: Path | str,
    file: Path | str,
    report_id: str | None,
    now: datetime,
    wait: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    published: date | None = None,
) -> ScanResult:
    """`progress(done, total)`: pages read, for a PDF (the CLI's bar). `published`: the
    report's publication date (default: its latest citation date, at most today); no
    draft expires before it."""
    file = Path(file)
    report_id = report_id or file.stem
    if not is_ident(report_id):
        raise ConfigError(f"bad report id {report_id!r}: letters, digits, '.', '_', '-' only")
    workspace = Workspace(root)
    config = workspace.config
    parsed = parse_report(read_report_text(file, progress))
    if not parsed["footnotes"]:
        raise ConfigError(
            "no footnotes found (expected numbered footnotes and [n] or "
            "superscript markers); nothing written",
            file=str(file),
        )
    with workspace.writing(now=now, wait=wait, clean_on=(ConfigError,)) as writer:
        when = published or min(latest_citation(parsed) or now.date(), now.date())
        snapshots = {
            sid: snapshot_as_of(writer.store, sid, when)
            for sid, options in config.sources.items()
            if options.kind != "citations"
        }
        document = citations_document(parsed, report_id, file.name)
        draft = draft_facts(
            parsed, report_id, {k: v for k, v in snapshots.items() if v}, published=when
        )
        paths = [f"reports/{report_id}.citations.yaml", f"reports/{report_id}.draft.yaml"]
        _write_yaml(writer, paths[0], document)
        _write_text(writer, paths[1], draft_header(report_id) + draft_yaml(draft))
        commit = writer.commit(
            paths,
            f"Scan report {report_id} ({file.name}): "
            f"{len(parsed['footnotes'])} footnotes, "
            f"{len(draft['facts'])} draft facts",
            when=now,
        )
    urls = {u for n in parsed["footnotes"] for u in n["urls"]}
    return ScanResult(
        report_id,
        paths,
        commit,
        len(parsed["footnotes"]),
        len(urls),
        len(draft["facts"]),
        parsed["warnings"],
        summarize(parsed, now),
    )


def snapshot_as_of(store: GitStore, source_id: str, when: date) -> Any:
    """The version of a source the report read: the last one committed on or before its
    publication date (the current one when there is none): a figure the source has
    revised since still finds its path, and the adopted fact shows `stale`."""
    versions = [v for v in store.versions(store.relpath(source_id)) if v.date.date() <= when]
    if versions and versions[-1].blob is not None:
        return store.load_blob(versions[-1].blob)
    return store.read_snapshot(source_id)


def draft_header(report_id: str) -> str:
    return (
        f"# Draft facts of {report_id}, for review: a valid report file as it is.\n"
        f"# Adopt the ones you confirm (edit them first if need be):\n"
        f"#   tracker report adopt {report_id} DRAFT_ID...\n"
        f"# which moves them into reports/{report_id}.yaml and commits.\n"
    )


FACT_ORDER = (
    "id",
    "footnote",
    "claim",
    "expect",
    "source",
    "path",
    "extract",
    "params",
    "tolerance",
    "valid_until",
    "note",
)


def draft_yaml(draft: dict[str, Any]) -> str:
    """The draft file in the layout of a hand-written report: a fact's keys in reading
    order, paths as one flow list (`[People and Society, Population, total]`)."""
    facts = CommentedSeq()
    for fact in draft["facts"]:
        node = CommentedMap()
        for key in sorted(fact, key=lambda k: (FACT_ORDER + (k,)).index(k)):
            node[key] = fact[key]
        if isinstance(node.get("path"), list):
            node["path"] = CommentedSeq(node["path"])
            node["path"].fa.set_flow_style()
        facts.append(node)
    tree = CommentedMap(report=CommentedMap(draft["report"]), facts=facts)
    buffer = io.StringIO()
    round_trip_yaml().dump(tree, buffer)
    return buffer.getvalue()


def _write_text(writer: Writer, relpath: str, text: str) -> None:
    try:
        existing = inside(writer.root, relpath).read_bytes()  # refuses a symlink
    except OSError:
        existing = None
    if existing != text.encode("utf-8"):
        writer.write_file(relpath, text)


def _write_yaml(writer: Writer, relpath: str, data: Any) -> None:
    """Canonical YAML, written only when the data changed: a file an older version wrote
    with the same data in another layout stays as it is (no commit for a format)."""
    text = snapshot_yaml.dumps(data)
    try:
        existing = inside(writer.root, relpath).read_bytes()  # refuses a symlink
    except OSError:
        existing = None
    if existing is None or not snapshot_yaml.unchanged(existing, text):
        writer.write_file(relpath, text)


def summarize(parsed: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Footnotes by outlet (or the URL's host) and by age of the access (or cited) date."""
    outlets: dict[str, dict[str, Any]] = defaultdict(lambda: {"footnotes": 0, "urls": set()})
    ages: Counter[str] = Counter()
    for note in parsed["footnotes"]:
        name = (
            note.get("outlet")
            or (urlsplit(note["urls"][0]).hostname if note["urls"] else None)
            or "—"
        )
        row = outlets[name.strip()]
        row["footnotes"] += 1
        row["urls"].update(note["urls"])
        when = citation_date(note)
        ages[_age_bucket((now.date() - when).days) if when else "undated"] += 1
    by_outlet = sorted(
        (
            {"outlet": k, "footnotes": v["footnotes"], "urls": len(v["urls"])}
            for k, v in outlets.items()
        ),
        key=lambda r: (-r["footnotes"], r["outlet"]),
    )
    order = [label for _, label in AGE_BUCKETS] + ["undated"]
    by_age = [{"age": label, "footnotes": ages[label]} for label in order if ages[label]]
    return {"by_outlet": by_outlet, "by_age": by_age}


def _age_bucket(days: int) -> str:
    return next(label for limit, label in AGE_BUCKETS if days < limit)
