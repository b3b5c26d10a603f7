"""Cited links that died, from the git history of a `citations` snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def died_links(store: Any, source_id: str, since: datetime | None) -> list[dict[str, Any]]:
    """Links of a `citations` source that are gone now but were not at `since`.

    Computed from the git history of snapshots/<source_id>.yaml, so a link that died
    between two digests is listed by the next digest only (its `since` moves past it).
    """
    versions = [v for v in store.versions(store.relpath(source_id)) if v.blob]
    if not versions:
        return []
    before = [v for v in versions if since is not None and v.date <= since]
    old = store.load_blob(before[-1].blob) if before else {}
    later = [v for v in versions if since is None or v.date > since]
    current = store.load_blob(versions[-1].blob) or {}
    out = []
    for url, entry in sorted(current.items()):
        if not entry.get("gone") or (old or {}).get(url, {}).get("gone"):
            continue
        died = next(
            (v for v in later if (store.load_blob(v.blob) or {}).get(url, {}).get("gone")),
            versions[-1],
        )
        out.append(
            {
                "source": source_id,
                "url": url,
                "state": entry.get("state"),
                "status": entry.get("status"),
                "final_url": entry.get("final_url"),
                "footnotes": entry.get("footnotes") or [],
                "died": died.date.date().isoformat(),
                "commit": died.commit,
            }
        )
    return out


def dead_citations(
    config: Any, store: Any, since: datetime | None, report: str | None = None
) -> list[dict[str, Any]]:
    """Every citation that died since `since`, with the report's facts resting on it."""
    out = []
    for sid, options in config.sources.items():
        if options.kind != "citations" or (report and options.report != report):
            continue
        facts = config.reports[options.report].facts if options.report in config.reports else []
        for link in died_links(store, sid, since):
            link["report"] = options.report
            link["facts"] = [f.id for f in facts if f.footnote in link["footnotes"]]
            out.append(link)
    return out
