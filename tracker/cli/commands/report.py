"""`report scan` (a report's footnotes, citing sentences and draft facts) and `report
adopt` (confirmed drafts into the report file)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from tracker.cli.context import workspace_root
from tracker.cli.options import Format, FormatOpt, NowOpt, WaitOpt, clock
from tracker.cli.output import Messages, print_json, table
from tracker.cli.progress import progress_bar

ReportFileArg = Annotated[
    Path,
    typer.Argument(
        exists=True,
        dir_okay=False,
        help="the report: .pdf, .docx or text layer",
        show_default=False,
    ),
]
IdOpt = Annotated[
    Optional[str], typer.Option("--id", metavar="ID", help="report id (default: the file name)")
]


def _published(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r}: a date, YYYY-MM-DD") from None


PublishedOpt = Annotated[
    Optional[date],
    typer.Option(
        "--published",
        parser=_published,
        metavar="DATE",
        help="the report's publication date (default: its latest citation date); no draft "
        "expires before it",
    ),
]
ReportIdArg = Annotated[
    str,
    typer.Argument(
        metavar="REPORT", show_default=False, help="the report id: reports/<REPORT>.yaml"
    ),
]
DraftIdsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="DRAFT_ID...",
        show_default=False,
        help="ids of drafts in reports/<REPORT>.draft.yaml, e.g. fn1-population",
    ),
]
FromOpt = Annotated[
    Optional[str],
    typer.Option(
        "--from", metavar="ID", help="take the drafts of another scan: reports/<ID>.draft.yaml"
    ),
]


def scan(
    file: ReportFileArg,
    id_: IdOpt = None,
    published: PublishedOpt = None,
    now: NowOpt = None,
    wait: WaitOpt = 0.0,
    format_: FormatOpt = Format.table,
) -> None:
    """Find every footnote and the sentences citing it; write reports/<id>.citations.yaml
    and reports/<id>.draft.yaml (draft facts to confirm) and commit them."""
    from tracker.reports.scan import scan_report

    with progress_bar(f"reading {file.name}", at_least=5) as progress:
        result = scan_report(
            workspace_root(),
            file,
            id_,
            clock(now),
            wait=wait,
            progress=progress,
            published=published,
        )
    if format_ is Format.json:
        print_json(
            {
                "report": result.report_id,
                "files": result.paths,
                "commit": result.commit,
                "footnotes": result.footnotes,
                "urls": result.urls,
                "drafts": result.drafts,
                "warnings": result.warnings,
                **result.summary,
            }
        )
        return
    say = Messages()
    say.info(
        f"{result.report_id}: {result.footnotes} footnotes, {result.urls} distinct URLs, "
        f"{result.drafts} draft facts → {', '.join(result.paths)}"
    )
    table(
        ("outlet", "footnotes", "URLs"),
        ((row["outlet"], row["footnotes"], row["urls"]) for row in result.summary["by_outlet"]),
        title="By outlet",
        whole=(1, 2),
    )
    table(
        ("access (or cited) date", "footnotes"),
        ((row["age"], row["footnotes"]) for row in result.summary["by_age"]),
        title="By age",
        whole=(0, 1),
    )
    for warning in result.warnings:
        say.warn(f"warning: {warning}")


def adopt(
    report_id: ReportIdArg,
    draft_ids: DraftIdsArg,
    from_: FromOpt = None,
    now: NowOpt = None,
    wait: WaitOpt = 0.0,
    format_: FormatOpt = Format.table,
) -> None:
    """Move the named drafts from reports/<REPORT>.draft.yaml into reports/<REPORT>.yaml
    (created if missing; comments kept), check the whole configuration, and commit."""
    from tracker.reports.adopt import adopt_drafts

    result = adopt_drafts(
        workspace_root(), report_id, draft_ids, clock(now), drafts_of=from_, wait=wait
    )
    if format_ is Format.json:
        print_json(
            {
                "report": result.report_id,
                "adopted": result.adopted,
                "file": result.file,
                "created": result.created,
                "commit": result.commit,
                "drafts_left": result.left,
            }
        )
        return
    verb = "created" if result.created else "updated"
    Messages().info(
        f"{result.report_id}: adopted {', '.join(result.adopted)} → {result.file} "
        f"({verb}; {result.left} draft(s) left). `tracker status --report "
        f"{result.report_id}` shows what they read now."
    )
