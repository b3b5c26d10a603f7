"""`report scan`: a report's footnotes, citing sentences and draft facts."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tracker.cli.context import workspace_root
from tracker.cli.options import Format, FormatOpt, NowOpt, WaitOpt, clock
from tracker.cli.output import Messages, print_json, table
from tracker.cli.progress import progress_bar

ReportFileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                               help="the report: .pdf, .docx or text layer",
                                               show_default=False)]
IdOpt = Annotated[Optional[str], typer.Option("--id", metavar="ID",
                                              help="report id (default: the file name)")]


def scan(file: ReportFileArg, id_: IdOpt = None, now: NowOpt = None, wait: WaitOpt = 0.0,
         format_: FormatOpt = Format.table) -> None:
    """Find every footnote and the sentences citing it; write reports/<id>.citations.yaml
    and reports/<id>.draft.yaml (draft facts to confirm) and commit them."""
    from tracker.reports.scan import scan_report

    with progress_bar(f"reading {file.name}", at_least=5) as progress:
        result = scan_report(workspace_root(), file, id_, clock(now), wait=wait,
                             progress=progress)
    if format_ is Format.json:
        print_json({"report": result.report_id, "files": result.paths, "commit": result.commit,
                    "footnotes": result.footnotes, "urls": result.urls,
                    "drafts": result.drafts, "warnings": result.warnings, **result.summary})
        return
    say = Messages()
    say.info(f"{result.report_id}: {result.footnotes} footnotes, {result.urls} distinct URLs, "
             f"{result.drafts} draft facts → {', '.join(result.paths)}")
    table(("outlet", "footnotes", "URLs"),
          ((row["outlet"], row["footnotes"], row["urls"]) for row in result.summary["by_outlet"]),
          title="By outlet", whole=(1, 2))
    table(("access (or cited) date", "footnotes"),
          ((row["age"], row["footnotes"]) for row in result.summary["by_age"]),
          title="By age", whole=(0, 1))
    for warning in result.warnings:
        say.warn(f"warning: {warning}")
