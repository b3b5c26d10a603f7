"""Command line (Typer + Rich): the only module that prints or reads argv.

Heavy modules are imported inside the commands, so `tracker --help` starts fast.
Exit codes: 0 done; 2 configuration error; 3 run completed but sources failed; 75 locked.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from tracker.errors import TrackerError

# pydantic scans every installed package's entry points for plugins on first use (~20 ms
# of each command); tracker uses none. An explicit setting in the environment still wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# No locals in tracebacks: they could hold credentials.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_show_locals=False,
                  help="Track a country report's facts against their sources.")
FORMAT_HELP = "table (default) or json"
_state: dict[str, Any] = {"workspace": Path(".")}

EXIT_SOURCES_FAILED = 3


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped or from cron there is no terminal width: tables get room instead of the
    # 80-column default that cuts source ids and dates short.
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def parse_now(value: Optional[str]) -> datetime:
    """--now ISO (date or datetime, UTC if no zone) or the real clock."""
    if not value:
        return datetime.now(timezone.utc)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"--now {value!r} is not an ISO date or datetime") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _guard(func: Callable[[], Any]) -> Any:
    """Run a command body; turn TrackerError into its exit code with a clear message."""
    try:
        return func()
    except TrackerError as exc:
        from rich.markup import escape  # the message is text, not markup ("[reports]")

        _console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", markup=True)
        raise typer.Exit(exc.exit_code) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _root() -> Path:
    return _state["workspace"]


@app.callback()
def main_options(workspace: Path = typer.Option(Path("."), "--workspace", "-w",
                                                help="workspace directory (default: here)",
                                                envvar="TRACKER_WORKSPACE")) -> None:
    _state["workspace"] = workspace


@app.command()
def init(directory: Path = typer.Argument(Path("."), help="where to create the workspace")) -> None:
    """Create a workspace: git repository, example feeds.yaml and report, .gitignore."""
    from tracker.workspace import init_workspace

    root = _guard(lambda: init_workspace(directory))
    _console().print(f"Workspace created in {root}. Edit feeds.yaml and reports/, then "
                     f"`tracker -w {root} run --all`.")


@app.command()
def run(source: List[str] = typer.Option([], "--source", "-s", help="only this source (repeat)"),
        all_: bool = typer.Option(False, "--all", help="fetch every source, due or not"),
        now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO (for replays)"),
        no_email: bool = typer.Option(False, "--no-email", help="do not send the digest"),
        wait: float = typer.Option(0.0, "--wait", help="seconds to wait for another run's lock"),
        format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """One pass: fetch due (or all/selected) sources, commit, evaluate, digest when due."""
    from tracker.run.runner import run_once

    when = parse_now(now)
    _setup_logging(verbose=False)  # crash-recovery notes go to stderr as warnings
    result = _guard(lambda: run_once(_root(), now=when, only=source, run_all=all_,
                                     send_email=not no_email, wait=wait))
    if format_ == "json":
        _print_json({"commit": result.commit, "repaired": result.repaired,
                     "digests": result.digests, "notices": result.notices,
                     "sources": [{"source": s.source, "ok": s.ok, "changed": s.changed,
                                  "not_modified": s.not_modified, "error": s.error,
                                  "changes": len(s.changes)} for s in result.sources],
                     "findings": [f.to_json() for f in result.findings]})
    else:
        _print_run(result)
    if result.failed:
        raise typer.Exit(EXIT_SOURCES_FAILED)


def _setup_logging(verbose: bool) -> None:
    """stderr logging: warnings only for `run`; what ran and how it ended for `schedule`."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s"
                        if verbose else "%(levelname)s: %(message)s")
    for chatty in ("apscheduler", "aiohttp"):  # tracker.schedule says what ran
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _print_run(result: Any) -> None:
    console = _console()
    if not result.sources:
        console.print("Nothing due.")
    for item in result.sources:
        if not item.ok:
            console.print(f"[red]✗ {item.source}[/red]: {item.error}", markup=True)
        elif item.not_modified:
            console.print(f"· {item.source}: not modified (304)")
        elif item.changed:
            console.print(f"[green]✓ {item.source}[/green]: {len(item.changes)} change(s)",
                          markup=True)
        else:
            console.print(f"· {item.source}: unchanged")
    console.print(f"commit: {result.commit[:10]}" if result.commit else "no commit (no changes)")
    for path in result.digests[::2]:
        console.print(f"digest: {path.rsplit('.', 1)[0]}.{{txt,html}}", markup=False)
    for notice in result.notices:
        style = "yellow" if notice.startswith("email not sent") else "green"
        console.print(notice, style=style, markup=False)
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    if counts:
        console.print("facts: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


STATUS_STYLE = {"current": "green", "stale": "red", "expired": "yellow", "unverifiable": "magenta",
                "source-failing": "red", "acknowledged": "cyan", "unchecked": "dim"}


@app.command()
def status(report: Optional[str] = typer.Option(None, "--report", help="only this report"),
           now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
           format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """Every fact: status, expected, current value, since when, source."""
    findings = _guard(lambda: _findings(parse_now(now), report))
    if format_ == "json":
        _print_json([f.to_json() for f in findings])
        return
    from rich.table import Table

    table = Table("fact", "status", "expected", "current", "since", "source", "note")
    for f in findings:
        style = STATUS_STYLE.get(f.status, "")
        table.add_row(f"{f.report}/{f.fact}", f"[{style}]{f.status}[/{style}]", _short(f.expected),
                      _short(f.current), f.since or "", f.source or "", _short(f.note, 60))
    _console().print(table)


def _workspace() -> Any:
    from tracker.workspace import Workspace

    return Workspace(_root())


def _findings(now: datetime, report: Optional[str] = None) -> list[Any]:
    from tracker.evaluate.findings import evaluate_all

    ws = _workspace()
    if report and report not in ws.config.reports:
        from tracker.errors import ConfigError

        raise ConfigError(f"unknown report {report!r}; known: {', '.join(ws.config.reports)}")
    return evaluate_all(ws.config, ws.store, ws.state, now, report)


def _short(value: Any, width: int = 40) -> str:
    text = "" if value is None else (json.dumps(value, ensure_ascii=False)
                                     if isinstance(value, (dict, list)) else str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def diff(source: Optional[str] = typer.Argument(None, help="one source (default: all)"),
         since: Optional[str] = typer.Option(None, "--since",
                                             help="ISO date or git revision (default: latest)"),
         format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """Structured changes between snapshot versions."""
    from tracker.evaluate.history import source_changes

    def body() -> list[Any]:
        ws = _workspace()
        config, store = ws.config, ws.store
        ids = [source] if source else list(config.sources)
        if source and source not in config.sources:
            from tracker.errors import ConfigError

            raise ConfigError(f"unknown source {source!r}")
        return [c for sid in ids for c in source_changes(store, sid, since)]

    changes = _guard(body)
    if format_ == "json":
        _print_json([c.to_json() for c in changes])
        return
    console = _console()
    for c in changes:
        where = " › ".join(c.path)
        console.print(f"{(c.date or '')[:10]} {c.source} {c.change:8} {where}: "
                      f"{_short(c.old, 50)} → {_short(c.new, 50)}")
    if not changes:
        console.print("No changes.")


@app.command()
def history(fact: str = typer.Argument(..., help="fact id or REPORT/FACT"),
            format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """The fact's value over time from git: one row per distinct value."""
    from tracker.errors import ConfigError
    from tracker.evaluate.history import fact_history

    def body() -> list[dict[str, Any]]:
        ws = _workspace()
        _, found = ws.config.fact(fact)
        if found.primary is None:
            raise ConfigError(f"fact {fact!r} has no source; nothing to trace")
        return fact_history(ws.store, found.primary)

    rows = _guard(body)
    if format_ == "json":
        _print_json(rows)
        return
    from rich.table import Table

    table = Table("since", "value", "commit")
    for row in rows:
        value = "(no value: gone from the source)" if row["value"] is None else \
            _short(row["value"], 70)
        table.add_row(row["since"], value, row["commit"][:10])
    _console().print(table)


@app.command()
def backfill(source: str = typer.Argument(..., help="source id from feeds.yaml"),
             dir_: Path = typer.Option(..., "--dir", help="folder of dated raw files")) -> None:
    """Import archived raw documents in name order, one dated commit each."""
    from tracker.run.backfill import backfill as do_backfill

    result = _guard(lambda: do_backfill(_root(), source, dir_))
    console = _console()
    console.print(f"{len(result.commits)} commit(s), {len(result.unchanged)} unchanged file(s) "
                  f"skipped, {len(result.failed)} failed.")
    for name, error in result.failed:
        console.print(f"[red]✗ {name}[/red]: {error}", markup=True)
    if result.failed:
        raise typer.Exit(EXIT_SOURCES_FAILED)


WAIT_HELP = "seconds to wait while a run holds the workspace"


def _locked(ws: Any, when: datetime, wait: float) -> Any:
    """The one write path (lock, git-state check, a dead run's repairs) for commands that
    write the report or commit: never beside a run."""
    return ws.writing(now=when, wait=wait, clean_on=(TrackerError,))


def _review(fact: str, note: Optional[str], now: Optional[str], accept: bool,
            wait: float) -> None:
    from tracker.evaluate.findings import evaluate_fact
    from tracker.reports.review import record_review

    when = parse_now(now)

    def body() -> Any:
        ws = _workspace()
        report, found = ws.config.fact(fact)
        with _locked(ws, when, wait) as writer:
            finding = evaluate_fact(ws.config, ws.store, writer.state, when, report.meta.id,
                                    found)
            sha = record_review(writer, finding, when, note=note, accept=accept)
        return finding, sha

    finding, sha = _guard(body)
    verb = "accepted" if accept else "acknowledged"
    _console().print(f"{finding.report}/{finding.fact} {verb} (current: {_short(finding.current)}"
                     f"){'; commit ' + sha[:10] if sha else ''}")


@app.command()
def ack(fact: str = typer.Argument(..., help="fact id or REPORT/FACT"),
        note: Optional[str] = typer.Option(None, "--note", help="why it is fine as it is"),
        now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
        wait: float = typer.Option(0.0, "--wait", help=WAIT_HELP)) -> None:
    """Record a review: the fact stays as written, the current value was seen."""
    _review(fact, note, now, accept=False, wait=wait)


@app.command()
def accept(fact: str = typer.Argument(..., help="fact id or REPORT/FACT"),
           note: Optional[str] = typer.Option(None, "--note", help="a note for the record"),
           now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
           wait: float = typer.Option(0.0, "--wait", help=WAIT_HELP)) -> None:
    """Adopt the source's current value as the report's new claim (committed)."""
    _review(fact, note, now, accept=True, wait=wait)


@app.command()
def sources(now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
            format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """Sources with health: last success, failures, quiet, gone."""
    from tracker.store.state import source_health

    when = parse_now(now)

    def body() -> list[dict[str, Any]]:
        ws = _workspace()
        return source_health(ws.config, ws.state, when)

    rows = _guard(body)
    if format_ == "json":  # exactly DESIGN.md's shape; `since` (of the health) is for the table
        _print_json([{k: v for k, v in r.items() if k != "since"} for r in rows])
        return
    from rich.table import Table

    table = Table("source", "kind", "health", "since", "last success", "failures", "last error")
    for r in rows:
        table.add_row(r["source"], r["kind"], r["health"], r["since"] or "",
                      (r["last_success"] or "")[:16], str(r["failures"]),
                      _short(r["last_error"], 60))
    _console().print(table)


@app.command()
def digest(report: Optional[str] = typer.Option(None, "--report", help="only this report"),
           output: Optional[Path] = typer.Option(None, "--output",
                                                 help="write to FILE (.html or .txt)"),
           send: bool = typer.Option(False, "--send", help="save under digests/, commit, email"),
           now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
           wait: float = typer.Option(0.0, "--wait", help=f"with --send: {WAIT_HELP}")) -> None:
    """Render the digest now (a preview that changes nothing), or --send it."""
    from tracker.digest import job as digest_job

    when = parse_now(now)
    fmt = "html" if output and output.suffix.lower() in (".html", ".htm") else "txt"
    if output and output.suffix.lower() not in (".html", ".htm", ".txt"):
        raise typer.BadParameter(f"{output}: use a .html or .txt file name", param_hint="--output")

    def body() -> Any:
        from tracker.evaluate.findings import evaluate_all

        ws = _workspace()
        config = ws.config
        if send and not config.email:
            from tracker.errors import ConfigError

            raise ConfigError("no `email:` section: nothing to send to", file="feeds.yaml")
        if not send:
            findings = evaluate_all(config, ws.store, ws.state, when, report)
            return digest_job.preview(ws, findings, when, fmt, report)
        # --send writes digests/, commits and fills the outbox: never beside a run
        with _locked(ws, when, wait) as writer:
            findings = evaluate_all(config, ws.store, writer.state, when, report)
            return digest_job.run_digests(writer, findings, when, send=True, force=True,
                                          only=report)

    result = _guard(body)
    console = _console()
    if send:
        for subject in result.queued:
            console.print(f"queued: {subject}", markup=False)
        for notice in digest_job.flush_notices(result.flush):
            console.print(notice, markup=False)
        if result.flush and (result.flush.error or result.flush.rejected):
            raise typer.Exit(1)
        return
    if output:
        if len(result) != 1:
            raise typer.BadParameter("several reports: choose one with --report",
                                     param_hint="--output")
        output.write_text(result[0][1], encoding="utf-8")
        console.print(f"wrote {output}")
        return
    sys.stdout.write("\n".join(text for _, text in result))


@app.command()
def schedule(no_email: bool = typer.Option(False, "--no-email", help="do not send digests"),
             wait: float = typer.Option(600.0, "--wait",
                                        help="seconds a job waits for another run's lock"),
             misfire_grace: float = typer.Option(3600.0, "--misfire-grace",
                                                 help="skip a job that could not start "
                                                      "within this many seconds"),
             interval: Optional[float] = typer.Option(None, "--interval",
                                                      help="demos/tests: run every job every "
                                                           "N seconds instead of its cron")) -> None:
    """Run the scheduler daemon from the schedules in feeds.yaml (SIGTERM stops it cleanly)."""
    import signal
    import threading

    from tracker.run.schedule import Daemon

    _setup_logging(verbose=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon = Daemon(_root(), clock=lambda: datetime.now(timezone.utc), send_email=not no_email,
                    misfire_grace=misfire_grace, lock_wait=wait, interval=interval)
    _guard(lambda: daemon.serve(stop))


@app.command()
def kinds() -> None:
    """List the source kinds this tracker knows, with their documentation."""
    from tracker.sources.base import SOURCES

    console = _console()
    for kind, cls in sorted(SOURCES.items()):
        console.print(f"[bold]{kind}[/bold]: {' '.join((cls.__doc__ or '').split())}",
                      markup=True)


@app.command()
def demo(directory: Path = typer.Argument(Path("demo-workspace"),
                                          help="new folder for the demo workspace")) -> None:
    """Offline: replay bundled real data through a local HTTP server, end to end."""
    from tracker.demo import run_demo

    console = _console()
    console.print(f"Replaying Kazakhstan sources into {directory} (offline, local server)…")

    def progress(when: datetime, result: Any) -> None:
        changed = [s.source for s in result.sources if s.changed]
        failed = [s.source for s in result.sources if not s.ok]
        line = f"  {when:%Y-%m-%d}  changed: {', '.join(changed) or '—'}"
        if failed:
            line += f"  failed: {', '.join(failed)}"
        if result.digests:
            line += f"  digest: {len(result.digests)} file(s)"
        console.print(line)

    result = _guard(lambda: run_demo(directory, progress))
    _print_demo_summary(console, result)


def _print_demo_summary(console: Any, result: Any) -> None:
    from rich.table import Table

    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    console.print("\nFacts by status: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    table = Table("fact", "status", "expected", "current", "since", "note", title="Needs review")
    for f in result.findings:
        if f.status not in ("current", "acknowledged", "unchecked"):
            style = STATUS_STYLE.get(f.status, "")
            table.add_row(f.fact, f"[{style}]{f.status}[/{style}]", _short(f.expected, 24),
                          _short(f.current, 24), f.since or "", _short(f.note, 50))
    console.print(table)
    sources = Table("source", "kind", "health", "since", "last error", title="Sources")
    for row in result.sources:
        sources.add_row(row["source"], row["kind"], row["health"], row["since"] or "",
                        _short(row["last_error"], 50))
    console.print(sources)
    console.print("What changed when (git log):")
    for day, subject in result.timeline:
        console.print(f"  {day}  {subject}")
    root = result.root.resolve()
    console.print(f"\nWorkspace: {root}")
    latest = sorted(d for d in result.digests if d.endswith(".html"))
    if latest:
        console.print(f"Latest digest: {root / latest[-1]}")
        console.print(f"               {root / latest[-1][:-5]}.txt")
    exe = sys.argv[0] if Path(sys.argv[0]).name == "tracker" else "tracker"
    console.print(f"Try: {exe} -w {root} status   ·   {exe} -w {root} history population")


report_app = typer.Typer(no_args_is_help=True, help="Read a report: citations, link health, "
                         "draft facts.")
app.add_typer(report_app, name="report")


@report_app.command("scan")
def report_scan(file: Path = typer.Argument(..., help="the report: .pdf, .docx or text layer"),
                id_: Optional[str] = typer.Option(None, "--id", help="report id (default: "
                                                  "the file name)"),
                now: Optional[str] = typer.Option(None, "--now", help="the clock, ISO"),
                format_: str = typer.Option("table", "--format", help=FORMAT_HELP)) -> None:
    """Find every footnote and the sentences citing it; write reports/<id>.citations.yaml
    and reports/<id>.draft.yaml (draft facts to confirm) and commit them."""
    from tracker.reports.scan import scan_report

    result = _guard(lambda: scan_report(_root(), file, id_, parse_now(now)))
    if format_ == "json":
        _print_json({"report": result.report_id, "files": result.paths, "commit": result.commit,
                     "footnotes": result.footnotes, "urls": result.urls,
                     "drafts": result.drafts, "warnings": result.warnings, **result.summary})
        return
    from rich.table import Table

    console = _console()
    console.print(f"{result.report_id}: {result.footnotes} footnotes, {result.urls} distinct "
                  f"URLs, {result.drafts} draft facts → {', '.join(result.paths)}")
    outlets = Table("outlet", "footnotes", "URLs", title="By outlet")
    for row in result.summary["by_outlet"]:
        outlets.add_row(_short(row["outlet"], 50), str(row["footnotes"]), str(row["urls"]))
    ages = Table("access (or cited) date", "footnotes", title="By age")
    for row in result.summary["by_age"]:
        ages.add_row(row["age"], str(row["footnotes"]))
    console.print(outlets, ages)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=True)


def main() -> None:
    """The console script. Once a command has finished and its output is flushed, the
    process ends with os._exit: tearing the interpreter down (module dicts, every object
    the loaded libraries made) took ~0.2 s of a 2.4 s run (benchmarks/startup.py), and
    there is nothing left to finalize — files are written atomically and closed, the run
    lock is released, worker pools are joined, and git's helper processes end on EOF."""
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int) and code is not None:
        raise SystemExit(code)  # a message to print: the ordinary way
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`tracker … | head`)
            code = code or 1
    os._exit(code or 0)


if __name__ == "__main__":
    main()
