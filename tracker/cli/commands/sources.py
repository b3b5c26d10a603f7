"""Sources: `sources`, `kinds`, `diff`, `backfill`."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from tracker.cli.commands.common import open_workspace
from tracker.cli.options import Format, FormatOpt, NowOpt, SinceOpt, SourceArg, WaitOpt, clock
from tracker.cli.output import (
    Messages,
    aligned,
    print_json,
    print_lines,
    short,
    show,
    styled,
    width,
)
from tracker.cli.progress import progress_bar
from tracker.errors import ConfigError

EXIT_SOURCES_FAILED = 3


def sources(now: NowOpt = None, format_: FormatOpt = Format.table) -> None:
    """Sources with health: last success, failures, quiet, gone."""
    from tracker.store.state import source_health

    ws = open_workspace()
    rows = source_health(ws.config, ws.state, clock(now))
    if format_ is Format.json:
        print_json(rows)
        return
    # the last error (a long text) goes under its source's row, wrapped to the width
    print_lines(
        aligned(
            ("source", "kind", "health", "since", "last success", "failures"),
            [
                (
                    r["source"],
                    r["kind"],
                    _health(r),
                    r["since"],
                    (r["last_success"] or "")[:16],
                    r["failures"],
                )
                for r in rows
            ],
            notes=[r["last_error"] for r in rows],
        )
    )


def _health(row: dict[str, Any]) -> str:
    frozen = row.get("frozen") and row["health"] != "gone"
    return row["health"] + (" (frozen)" if frozen else "")


def kinds(format_: FormatOpt = Format.table) -> None:
    """List the source kinds this tracker knows, with their documentation and options."""
    from tracker.config.options import SOURCE_OPTIONS
    from tracker.sources.base import all_kinds

    rows: list[dict[str, Any]] = [
        {
            "kind": kind,
            "doc": " ".join((cls.__doc__ or "").split()),
            "options": list(SOURCE_OPTIONS[kind].model_fields) if kind in SOURCE_OPTIONS else [],
        }
        for kind, cls in sorted(all_kinds().items())
    ]
    if format_ is Format.json:
        print_json(rows)
        return
    lines = []
    room = max(width(), 40)
    for row in rows:
        first, *rest = textwrap.wrap(
            f"{row['kind']}: {row['doc']}",
            width=room,
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
        kind, doc = first.split(":", 1)
        lines.append(styled((kind, "bold"), f":{doc}"))
        lines += [styled(line) for line in rest]
        lines += [
            styled(line)
            for line in textwrap.wrap(
                f"options: {', '.join(row['options'])}",
                width=room,
                initial_indent="    ",
                subsequent_indent="      ",
            )
        ]
    print_lines(lines)


SourceOptArg = Annotated[
    Optional[str], typer.Argument(help="one source (default: all)", show_default=False)
]


def diff(
    source: SourceOptArg = None, since: SinceOpt = None, format_: FormatOpt = Format.table
) -> None:
    """Structured changes between snapshot versions."""
    from tracker.evaluate.history import source_changes

    ws = open_workspace()
    if source is not None and source not in ws.config.sources:
        raise ConfigError(
            f"unknown source {source!r}; known: {', '.join(ws.config.sources) or 'none'}"
        )
    ids = [source] if source else list(ws.config.sources)
    ws.store.read_all_versions(ws.store.relpath(sid) for sid in ids)  # one git log, not one each
    changes = [c for sid in ids for c in source_changes(ws.store, sid, since)]
    if format_ is Format.json:
        print_json([c.to_json() for c in changes])
        return
    if not changes:
        print_lines(["No changes."])
        return
    # per change: what and where, then `old → new` shortened to the line (a Factbook
    # paragraph would fill the screen); `--format json` has them whole
    room = max(width() - 7, 20) // 2
    lines: list[str] = []
    for c in changes:
        head = f"{(c.date or '')[:10]} {show(c.source)} {c.change} {' › '.join(map(show, c.path))}"
        lines += textwrap.wrap(
            head,
            width=max(width(), 40),
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        if c.change == "added":
            lines.append(f"    + {short(c.new, 2 * room)}")
        elif c.change == "removed":
            lines.append(f"    - {short(c.old, 2 * room)}")
        else:
            lines.append(f"    {short(c.old, room)} → {short(c.new, room)}")
    print_lines(lines)


DirOpt = Annotated[
    Path,
    typer.Option(
        "--dir",
        exists=True,
        file_okay=False,
        dir_okay=True,
        help="folder of dated raw files",
        show_default=False,
    ),
]


def backfill(source: SourceArg, dir_: DirOpt, now: NowOpt = None, wait: WaitOpt = 0.0) -> None:
    """Import archived raw documents in date order, one dated commit each; only versions
    the source's history lacks, never older than its newest snapshot."""
    from tracker.run.backfill import backfill as do_backfill

    with progress_bar(f"backfill {source}") as progress:
        result = do_backfill(
            open_workspace().root, source, dir_, now=clock(now), progress=progress, wait=wait
        )
    say = Messages()
    say.info(
        f"{len(result.commits)} commit(s), {len(result.unchanged)} unchanged and "
        f"{len(result.known)} already in the history skipped, "
        f"{len(result.refused)} refused, {len(result.failed)} failed."
    )
    for name, error in result.failed:
        say.warn(f"✗ {name}: {error}")
    older = [name for name in result.refused if name not in result.future]
    if older:
        newest = f"{result.newest:%Y-%m-%d %H:%M}" if result.newest else "?"
        say.warn(
            f"refused {len(older)} file(s) dated before {source}'s newest snapshot "
            f"({newest} UTC): backfill never puts older data on top of newer; nothing "
            f"was written for them: {', '.join(older)}",
            stderr=True,
        )
    if result.future:
        say.warn(
            f"refused {len(result.future)} file(s) dated after now: {', '.join(result.future)}",
            stderr=True,
        )
    if result.failed:
        raise typer.Exit(EXIT_SOURCES_FAILED)
    if result.refused:
        raise typer.Exit(1)
