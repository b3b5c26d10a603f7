"""Workspaces: `init` (a new one) and `demo` (an offline replay into a new one)."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from tracker.cli.output import Messages, print_lines, short, styled, table
from tracker.cli.status_view import PROBLEMS, ordered, rank

if TYPE_CHECKING:
    from tracker.demo import DemoResult
    from tracker.models import RunResult

InitDirArg = Annotated[Path, typer.Argument(file_okay=False, help="where to create the workspace")]


def _new_folder(value: str) -> Path:
    path = Path(value)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise typer.BadParameter(f"{value} exists and is not an empty folder; choose a new one")
    return path


DemoDirArg = Annotated[
    Path, typer.Argument(parser=_new_folder, help="new folder for the demo workspace")
]


def _clone_url(value: str) -> str:
    """A git URL git reads as one (scp-like user@host:path, a scheme git speaks, or a
    local path) — never an option, never another scheme."""
    text = value.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else None
    if not text or text.startswith("-") or any(c in text for c in "\r\n\0"):
        raise typer.BadParameter(f"{value!r} is not a git URL")
    if scheme is not None and scheme not in ("https", "http", "ssh", "git", "file"):
        raise typer.BadParameter(f"{value!r}: git URLs here are https, ssh, git or file")
    return text


CloneOpt = Annotated[
    Optional[str],
    typer.Option(
        "--clone",
        metavar="URL",
        parser=_clone_url,
        help="start from the team's remote workspace (git clone URL DIR)",
    ),
]


def init(directory: InitDirArg = Path("."), clone: CloneOpt = None) -> None:
    """Create a workspace: git repository, example feeds.yaml and report, .gitignore —
    or, with --clone, a clone of the team's workspace."""
    from tracker.store.remote import redact
    from tracker.workspace import Workspace, clone_workspace, init_workspace

    say = Messages()
    if clone:
        root = clone_workspace(clone, directory, now=datetime.now(timezone.utc))
        say.info(
            f"Workspace cloned from {redact(clone)} into {root}; "
            f"`tracker -w {root} status` shows its facts."
        )
        if not Workspace(root).config.git.remote:
            say.warn(
                "note: feeds.yaml sets no git.remote: writers here commit locally and push nothing"
            )
        return
    root = init_workspace(directory)
    say.info(
        f"Workspace created in {root}. Edit feeds.yaml and reports/, then "
        f"`tracker -w {root} run --all`."
    )


def demo(directory: DemoDirArg = Path("demo-workspace")) -> None:
    """Offline: replay bundled real data through a local HTTP server, end to end."""
    from tracker.demo import run_demo

    say = Messages()
    say.info(f"Replaying Kazakhstan sources into {directory} (offline, local server)…")

    def progress(when: datetime, result: RunResult) -> None:
        changed = [s.source for s in result.sources if s.changed]
        failed = [s.source for s in result.sources if not s.ok]
        line = f"  {when:%Y-%m-%d}  changed: {', '.join(changed) or '—'}"
        if failed:
            line += f"  failed: {', '.join(failed)}"
        if result.digests:
            line += f"  digest: {len(result.digests)} file(s)"
        say.info(line)

    _print_summary(run_demo(directory, progress))


def _print_summary(result: DemoResult) -> None:
    counts = Counter(f.status for f in result.findings)
    print_lines(
        ["", "Facts by status: " + ", ".join(f"{counts[s]} {s}" for s in sorted(counts, key=rank))]
    )
    problems = [f for f in ordered(result.findings) if f.status in PROBLEMS]
    table(
        ("fact", "status", "expected", "current", "since", "note"),
        (
            (f.fact, f.status, short(f.expected, 24), short(f.current, 24), f.since, f.note)
            for f in problems
        ),
        title="Needs review",
        whole=(0, 1, 4),
    )
    table(
        ("source", "kind", "health", "since", "last error"),
        (
            (r["source"], r["kind"], r["health"], r["since"], short(r["last_error"], 50))
            for r in result.sources
        ),
        title="Sources",
        whole=(0, 1, 2, 3),
    )
    from tracker.evaluate.verifiability import summarize

    print_lines(f"Verifiability: {summary.text()}" for summary in summarize(result.findings))
    lines = ["What changed when (git log):"]
    lines += [f"  {day}  {subject}" for day, subject in result.timeline]
    root = result.root.resolve()
    lines += ["", f"Workspace: {root}"]
    latest = sorted(d for d in result.digests if d.endswith(".html"))
    if latest:
        lines += [
            f"Latest digest: {root / latest[-1]}",
            f"               {root / latest[-1][:-5]}.txt",
        ]
    exe = sys.argv[0] if Path(sys.argv[0]).name == "tracker" else "tracker"
    lines.append(f"Try: {exe} -w {root} status   ·   {exe} -w {root} history population")
    print_lines(styled(line) for line in lines)
