"""kind `citations`: the health of every URL a report cites.

Reads the URLs from `reports/<report>.citations.yaml` (written by `tracker report scan`)
and checks them all concurrently and politely: at most `per_host` requests at once per
host, HEAD first and GET when a server refuses HEAD. The snapshot is
`{url: {state, status, final_url, gone, footnotes}}` with no timestamps, so the git
history of `snapshots/<id>.yaml` changes only when a link's state changes and
`git log -p` shows the day each link died.

States: `ok`; `redirected` (to another page); `gone` (404/410, or a deep link redirected
to a site's home page — how sites retire pages); `error` (another HTTP error status);
`unreachable` (timeout, refused connection: transient, not gone). If no URL answers at
all, the check itself failed (our network, not the links): the source fails and the
previous snapshot stays.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.config import CitationsOptions
from tracker.errors import FetchError, ParseError, SourceGone
from tracker.models import RawDocument
from tracker.sources.base import Fetched, Source
from tracker.sources.sanity import checked_snapshot
from tracker.sources.shrink import shrunk
from tracker.store import snapshot_yaml

HEAD_REFUSED = {400, 403, 405, 406, 409, 501}  # servers that mishandle HEAD; try GET
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
MIN_LINKS = 4  # fewer working links than this: losing half of them is no pattern  # a bad minute of a server, not a dead link


class CitationsSource(Source[CitationsOptions]):
    """Link health of a report's citations (`report: ID`; run `tracker report scan` first):
    status, final URL, gone (404/410 or redirected to the home page), per link."""

    kind = "citations"
    deadline_requests = 20  # many links, a few hosts at a time
    Options = CitationsOptions

    @property
    def url(self) -> str:  # not one document: the URLs come from the citations file
        return f"citations:{self.options.report}"

    def citations_file(self) -> Path:
        # the runner sets state_dir to <workspace>/.tracker
        root = Path(self.state_dir).parent if self.state_dir is not None else Path(".")
        return root / "reports" / f"{self.options.report}.citations.yaml"

    async def fetch(self, http: Any, validators: dict[str, str], now: datetime) -> Fetched:
        links = cited_links(self.citations_file())
        results = await check_links(http, links, self.options)
        answered = [r for r in results.values() if r["state"] != "unreachable"]
        if links and not answered:
            raise FetchError(
                f"citations of {self.options.report}: none of {len(links)} links "
                "answered (network down?); keeping the previous check"
            )
        for url, entry in results.items():
            entry["footnotes"] = links[url]
        body = snapshot_yaml.dumps(results).encode("utf-8")
        return Fetched(RawDocument(body, self.url, now), {})

    def merge(self, previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
        """A link checked before keeps its last state through a transient failure (timeout,
        refused, 429, 5xx): otherwise every bad minute of a server is two commits."""
        if not isinstance(previous, dict):
            return new
        merged = {}
        for url, entry in new.items():
            old = previous.get(url)
            if isinstance(old, dict) and is_transient(entry):
                entry = {**old, "footnotes": entry.get("footnotes", old.get("footnotes"))}
            merged[url] = entry
        return merged

    def shrinkage(self, previous: dict[str, Any], new: dict[str, Any]) -> str | None:
        """Most of the links that worked fail at once (a site blocking the checker, a
        network fault), counted over the links both checks have."""
        both = [url for url in new if url in previous]
        before = sum(_works(previous[url]) for url in both)
        after = sum(_works(new[url]) for url in both if _works(previous[url]))
        return shrunk("working links", before, after) if before >= MIN_LINKS else None

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        try:
            data = snapshot_yaml.loads(raw.content)
        except ValueError as exc:
            raise ParseError(f"{self.url}: link check result is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ParseError(f"{self.url}: link check result is not a mapping")
        return checked_snapshot(data, self.url)


def is_transient(entry: dict[str, Any]) -> bool:
    return entry.get("state") == "unreachable" or (
        entry.get("state") == "error" and entry.get("status") in TRANSIENT_STATUS
    )


def _works(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("state") in ("ok", "redirected")


def cited_links(path: Path) -> dict[str, list[int]]:
    """URL → the footnotes citing it, from a citations file."""
    # A source-level failure (not a ConfigError): the other sources of the run go on.
    if not path.exists():
        raise ParseError(
            f"{path} not found: run `tracker report scan FILE --id {path.name.split('.')[0]}` first"
        )
    try:
        data = snapshot_yaml.loads(path.read_bytes()) or {}
    except (OSError, ValueError) as exc:
        raise ParseError(f"{path}: cannot read it: {exc}") from None
    notes = data.get("footnotes") or [] if isinstance(data, dict) else None
    if not isinstance(notes, list):
        raise ParseError(
            f"{path}: no `footnotes` list; scan the report again (`tracker report scan`)"
        )
    links: dict[str, list[int]] = defaultdict(list)
    for index, note in enumerate(notes):
        number, urls = _footnote(note)
        if number is None:
            raise ParseError(
                f"{path}: footnotes[{index}] is not {{number, urls: [URL…]}}; "
                "scan the report again (`tracker report scan`)"
            )
        for url in urls:
            links[url].append(number)
    return dict(links)


def _footnote(note: Any) -> tuple[int | None, list[str]]:
    """(number, urls) of one footnote of a citations file; number None when misshapen."""
    if not isinstance(note, dict):
        return None, []
    number, urls = note.get("number"), note.get("urls") or []
    if (
        not isinstance(number, int)
        or isinstance(number, bool)
        or not isinstance(urls, list)
        or not all(isinstance(url, str) for url in urls)
    ):
        return None, []
    return number, urls


async def check_links(
    http: Any, links: dict[str, list[int]], options: CitationsOptions
) -> dict[str, dict[str, Any]]:
    hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(options.per_host))

    async def one(url: str) -> tuple[str, dict[str, Any]]:
        target = url if "://" in url else f"https://{url}"
        async with hosts[urlsplit(target).netloc]:
            return url, await check_link(http, target, options)

    return dict(await asyncio.gather(*(one(url) for url in links)))


async def check_link(http: Any, url: str, options: CitationsOptions) -> dict[str, Any]:
    """One link: HEAD, then GET if HEAD is refused; classified, never raising."""
    try:
        try:
            response = await http.request("HEAD", url, timeout=options.timeout, retries=0)
        except FetchError as exc:
            if exc.gone or exc.status not in HEAD_REFUSED:
                raise
            response = await http.request(
                "GET", url, timeout=options.timeout, retries=0, max_bytes=options.max_bytes
            )
    except SourceGone as exc:
        return {"state": "gone", "status": exc.status, "final_url": None, "gone": True}
    except FetchError as exc:
        state = "error" if exc.status else "unreachable"
        return {
            "state": state,
            "status": exc.status,
            "final_url": None,
            "gone": False,
            "error": str(exc),
        }
    return classify(url, response.status, response.url)


def classify(url: str, status: int, final_url: str) -> dict[str, Any]:
    """A 2xx/3xx answer: ok, redirected, or gone when a deep link lands on a home page."""
    if _same(url, final_url):
        return {"state": "ok", "status": status, "final_url": None, "gone": False}
    deep = urlsplit(url).path.strip("/") != ""
    home = urlsplit(final_url).path.strip("/") == "" and not urlsplit(final_url).query
    if deep and home:
        return {
            "state": "gone",
            "status": status,
            "final_url": final_url,
            "gone": True,
            "error": "redirected to the home page",
        }
    return {"state": "redirected", "status": status, "final_url": final_url, "gone": False}


def _same(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")
