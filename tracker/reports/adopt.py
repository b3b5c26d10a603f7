"""`tracker report adopt`: move confirmed drafts into the report file, validated, committed.

The drafts come from reports/<id>.draft.yaml (`tracker report scan`); the report file is
reports/<id>.yaml, created when missing with the draft's `report:` header. Both files are
edited with ruamel's round trip, so the analyst's comments and order survive. The whole
workspace configuration is loaded again before the commit: an adopted draft that the
loader refuses (a source feeds.yaml does not define, an `expect` its extractor cannot
compare) restores both files and is a ConfigError naming the file and line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tracker.config import is_ident, load_config
from tracker.errors import ConfigError
from tracker.evaluate.suggest import nearest_keys
from tracker.reports.review import refuse_uncommitted, round_trip_yaml
from tracker.store.files import inside
from tracker.workspace import Workspace, Writer

DRAFT_NOTE = "draft:"  # notes `report scan` wrote; adoption is the confirmation


@dataclass
class AdoptResult:
    report_id: str
    adopted: list[str]
    file: str  # the report file, relative to the workspace
    created: bool
    commit: str | None
    left: int  # drafts still in the draft file


def adopt_drafts(
    root: Path | str,
    report_id: str,
    draft_ids: list[str],
    now: datetime,
    *,
    drafts_of: str | None = None,
    wait: float = 0.0,
) -> AdoptResult:
    """Move `draft_ids` from reports/<drafts_of or report_id>.draft.yaml into the report."""
    for name in (report_id, drafts_of or report_id):
        if not is_ident(name):
            raise ConfigError(f"bad report id {name!r}: letters, digits, '.', '_', '-' only")
    if not draft_ids:
        raise ConfigError("name the drafts to adopt (their ids, e.g. fn1-population)")
    workspace = Workspace(root)
    with workspace.writing(now=now, wait=wait, clean_on=(ConfigError,)) as writer:
        draft_rel = f"reports/{drafts_of or report_id}.draft.yaml"
        report_rel = _report_file(writer, report_id)
        refuse_uncommitted(writer, report_rel)  # the draft file may hold the analyst's edits
        drafts = _load(
            writer,
            draft_rel,
            missing=f"no drafts for {drafts_of or report_id}: "
            f"`tracker report scan FILE --id {drafts_of or report_id}` writes them",
        )
        report = _load(writer, report_rel, missing=None) or _new_report(report_id, drafts)
        moved = _move(drafts, report, _unique(draft_ids), draft_rel, report_rel)
        originals = {rel: _read(writer, rel) for rel in (report_rel, draft_rel)}
        writer.write_file(report_rel, _dump(report))
        writer.write_file(draft_rel, _dump(drafts))
        _validate(writer, originals)
        commit = writer.commit(
            [report_rel, draft_rel],
            f"Adopt {len(moved)} draft fact(s) into {report_id}: {', '.join(moved)}",
            when=now,
        )
    return AdoptResult(
        report_id,
        moved,
        report_rel,
        originals[report_rel] is None,
        commit,
        len(drafts.get("facts") or []),
    )


def _report_file(writer: Writer, report_id: str) -> str:
    """The file holding report `report_id`, else reports/<id>.yaml (refused when that
    file holds another report)."""
    known = writer.config.reports.get(report_id)
    if known is not None:
        return str(known.file.relative_to(writer.root))
    rel = f"reports/{report_id}.yaml"
    other = next(
        (
            r
            for r in writer.config.reports.values()
            if r.file.resolve() == inside(writer.root, rel).resolve()
        ),
        None,
    )
    if other is not None:
        raise ConfigError(
            f"{rel} holds report {other.meta.id!r}, not {report_id!r}", file=str(other.file)
        )
    return rel


def _read(writer: Writer, rel: str) -> str | None:
    try:
        return inside(writer.root, rel).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _load(writer: Writer, rel: str, missing: str | None) -> Any:
    text = _read(writer, rel)
    if text is None:
        if missing is None:
            return None
        raise ConfigError(missing, file=rel)
    try:
        tree = round_trip_yaml().load(text)
    except Exception as exc:  # ruamel raises many kinds; the file is unreadable either way
        raise ConfigError(f"not valid YAML: {exc}", file=str(inside(writer.root, rel))) from None
    if not isinstance(tree, CommentedMap) or not isinstance(tree.get("facts", []), list):
        raise ConfigError(
            "not a report file (a mapping with `report:` and `facts:`)",
            file=str(inside(writer.root, rel)),
        )
    return tree


def _new_report(report_id: str, drafts: CommentedMap) -> CommentedMap:
    meta = CommentedMap()
    meta["id"] = report_id
    header = drafts.get("report")
    if isinstance(header, dict):
        for key, value in header.items():
            if key != "id":
                meta[key] = value
    report = CommentedMap()
    report["report"] = meta
    report["facts"] = CommentedSeq()
    return report


def _move(
    drafts: CommentedMap, report: CommentedMap, wanted: list[str], draft_rel: str, report_rel: str
) -> list[str]:
    pool = drafts.get("facts") or CommentedSeq()
    by_id = {str(f.get("id")): f for f in pool if isinstance(f, dict)}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise ConfigError("; ".join(_not_a_draft(i, list(by_id)) for i in unknown), file=draft_rel)
    if report.get("facts") is None:
        report["facts"] = CommentedSeq()
    present = {str(f.get("id")) for f in report["facts"] if isinstance(f, dict)}
    clash = [i for i in wanted if i in present]
    if clash:
        raise ConfigError(
            f"{report_rel} already has fact(s) {', '.join(clash)}: rename the "
            f"draft(s) in {draft_rel} first",
            file=report_rel,
        )
    for draft_id in wanted:
        node = by_id[draft_id]
        pool.remove(node)
        note = node.get("note")
        if isinstance(note, str) and note.startswith(DRAFT_NOTE):
            del node["note"]
        report["facts"].append(node)
    return wanted


def _not_a_draft(draft_id: str, known: list[str]) -> str:
    near = nearest_keys(draft_id, known)
    if near:
        return f"no draft {draft_id!r}; did you mean {' or '.join(near)}?"
    return f"no draft {draft_id!r}; drafts: {', '.join(known[:12]) or 'none left'}"


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i.strip()))


def _dump(tree: Any) -> str:
    buffer = io.StringIO()
    round_trip_yaml().dump(tree, buffer)
    return buffer.getvalue()


def _validate(writer: Writer, originals: dict[str, str | None]) -> None:
    """The whole configuration loads with the new files; else they are put back."""
    try:
        load_config(writer.root)
    except ConfigError:
        for rel, text in originals.items():
            if text is None:
                inside(writer.root, rel).unlink(missing_ok=True)
            else:
                writer.write_file(rel, text)
        raise
