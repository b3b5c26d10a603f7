"""Finding a fact's path before writing it: `paths` (a source's leaf paths) and `probe`
(what a fact with that path and extractor reads now, and over the history)."""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from tracker.cli.commands.common import open_workspace
from tracker.cli.options import Format, FormatOpt, SourceArg
from tracker.cli.output import print_json, print_lines, short, show, styled, table, width
from tracker.errors import ConfigError, TrackerError

if TYPE_CHECKING:
    from tracker.evaluate.probe import Probe
    from tracker.workspace import Workspace


class NothingRead(TrackerError):
    """The probed path reads nothing now (exit 1; the reason was printed)."""


def _grep(value: str) -> str:
    if not value.strip():
        raise typer.BadParameter("give the text to look for (a word of the path or value)")
    return value


def _extractor(value: str) -> str:
    from tracker.config.extractors import EXTRACTOR_SPECS

    if value not in EXTRACTOR_SPECS:
        raise typer.BadParameter(f"{value!r}: choose from {', '.join(sorted(EXTRACTOR_SPECS))}")
    return value


def _regex_with_group(value: str) -> str:
    from tracker.config.extractors import EXTRACTOR_SPECS

    try:
        EXTRACTOR_SPECS["text"].check({"within": value})
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _regex(value: str) -> str:
    if not value:
        raise typer.BadParameter("give a regex")
    try:
        re.compile(value)
    except re.error as exc:
        raise typer.BadParameter(f"{value!r} is not a valid regex: {exc}") from None
    return value


def _group(value: str) -> int | str:
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if not re.fullmatch(r"[A-Za-z_]\w*", text):
        raise typer.BadParameter(f"{value!r}: a group number (0, 1, …) or a group name")
    return text


def _label(value: str) -> str:
    if not value.strip():
        raise typer.BadParameter("give the label the percentage follows")
    return value


def _param(value: str) -> tuple[str, Any]:
    """KEY=VALUE, the value read as YAML (`true`, `2024-01-01`, `[Protests, Riots]`)."""
    key, sep, raw = value.partition("=")
    if not sep or not re.fullmatch(r"[a-z_]+", key.strip()):
        raise typer.BadParameter(f"{value!r}: write KEY=VALUE, e.g. from=2024-01-01")
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from tracker.config.yamlfile import plain

    try:
        parsed = YAML(typ="safe").load(raw) if raw.strip() else ""
    except YAMLError:
        raise typer.BadParameter(f"{value!r}: the value is not valid YAML") from None
    return key.strip(), plain(parsed)


GrepOpt = Annotated[
    Optional[str],
    typer.Option(
        "--grep",
        parser=_grep,
        metavar="TEXT",
        help="only paths whose keys or value contain TEXT (case and accents ignored)",
    ),
]
KeysArg = Annotated[
    list[str],
    typer.Argument(
        metavar="KEY...",
        show_default=False,
        help='the path, one key per argument: "People and Society" Population total',
    ),
]
ExtractOpt = Annotated[
    str,
    typer.Option(
        "--extract",
        parser=_extractor,
        metavar="KIND",
        help="the extractor (text, number, person, …)",
    ),
]
WithinOpt = Annotated[
    Optional[str],
    typer.Option(
        "--within",
        parser=_regex_with_group,
        metavar="RE",
        help="read only the part of the text the regex's first group matches",
    ),
]
IndexOpt = Annotated[
    Optional[int],
    typer.Option("--index", metavar="N", help="which occurrence (0 = the first, -1 = the last)"),
]
PatternOpt = Annotated[
    Optional[str],
    typer.Option("--pattern", parser=_regex, metavar="RE", help="the regex of `--extract regex`"),
]
GroupOpt = Annotated[
    Optional[Any],
    typer.Option("--group", parser=_group, metavar="G", help="the group `--extract regex` reads"),
]
LabelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--label", parser=_label, metavar="TEXT", help="`--extract percent`: the label before it"
    ),
]
MonthFirstOpt = Annotated[
    bool, typer.Option("--month-first", help="`--extract date`: 02/06/2024 is 6 February")
]
ParamOpt = Annotated[
    Optional[list[Any]],
    typer.Option(
        "--param",
        parser=_param,
        metavar="KEY=VALUE",
        help="any other extractor parameter (repeat), e.g. --param from=2024-01-01",
    ),
]


def paths(source: SourceArg, grep: GrepOpt = None, format_: FormatOpt = Format.table) -> None:
    """Every leaf path of the source's current snapshot, as a report file writes it, with
    its value."""
    from tracker.evaluate.probe import leaf_paths, matching
    from tracker.evaluate.suggest import report_form

    ws = open_workspace()
    snapshot = _snapshot(ws, source, required=True)
    every = leaf_paths(snapshot)
    shown = matching(every, grep)
    if format_ is Format.json:
        print_json(
            [
                {"path": leaf.path, "value": leaf.value, "yaml": f"path: {report_form(leaf.path)}"}
                for leaf in shown
            ]
        )
        return
    room = max(width(), 40)
    lines: list[Any] = []
    for leaf in shown:
        head = f"path: {report_form(leaf.path)}"
        value = short(leaf.value, max(room - len(head) - 4, 24))
        lines.append(styled(head, ("  # " + value, "dim")) if value else styled(head))
    found = f"{len(shown)} of {len(every)}" if grep else f"{len(every)}"
    what = f" matching {grep!r}" if grep else ""
    lines.append(styled(f"{source}: {found} paths{what}"))
    print_lines(lines)


def probe(
    source: SourceArg,
    keys: KeysArg,
    extract: ExtractOpt = "text",
    within: WithinOpt = None,
    index: IndexOpt = None,
    pattern: PatternOpt = None,
    group: GroupOpt = None,
    label: LabelOpt = None,
    month_first: MonthFirstOpt = False,
    param: ParamOpt = None,
    format_: FormatOpt = Format.table,
) -> None:
    """What a fact with this path and extractor reads now (or why it reads nothing), and
    its values over the snapshot's history. Exit 1 when it reads nothing now."""
    from tracker.config import SourceRef
    from tracker.evaluate.probe import probe as do_probe

    if any(not key.strip() for key in keys):
        raise typer.BadParameter("a key cannot be empty", param_hint="KEY")
    params = _params(
        extract,
        within=within,
        index=index,
        pattern=pattern,
        group=group,
        label=label,
        month_first=month_first or None,
        extra=param or [],
    )
    ws = open_workspace()
    snapshot = _snapshot(ws, source, required=False)
    ref = SourceRef(source=source, path=list(keys), extract=extract, params=params)
    result = do_probe(ws.store, ref, snapshot)
    if format_ is Format.json:
        print_json(result.to_json())
    else:
        show_probe(result)
    if not result.read:
        raise typer.Exit(1)


def _params(extract: str, *, extra: list[tuple[str, Any]], **given: Any) -> dict[str, Any]:
    """The extractor's params from the options, checked as a report file's are."""
    from tracker.config.extractors import EXTRACTOR_SPECS

    params = {key: value for key, value in given.items() if value is not None}
    params.update(dict(extra))
    try:
        EXTRACTOR_SPECS[extract].check(params)
    except ValueError as exc:
        raise ConfigError(f"--extract {extract}: {exc}") from None
    return params


def _snapshot(ws: Workspace, source: str, *, required: bool) -> Any:
    if source not in ws.config.sources:
        from tracker.evaluate.suggest import nearest_keys

        near = nearest_keys(source, list(ws.config.sources))
        hint = (
            f"did you mean {' or '.join(near)}?"
            if near
            else f"known: {', '.join(ws.config.sources) or 'none'}"
        )
        raise ConfigError(f"unknown source {source!r}; {hint}")
    snapshot = ws.store.read_snapshot(source)
    if snapshot is None and required:
        raise NothingRead(
            f"no snapshot of {source} yet: `tracker run --source {source}` "
            f"fetches it, `tracker backfill {source} --dir DIR` imports archives"
        )
    return snapshot


def show_probe(result: Probe) -> None:
    """The value (or the reason there is none), the fact it makes, then the history."""
    from tracker.evaluate.suggest import report_form

    ref = result.ref
    room = max(width(), 40)
    lines: list[Any] = [styled((f"{ref.source} › {' › '.join(ref.path)}", "bold"))]
    if result.raw is not None:
        lines += _wrapped("holds: ", short(result.raw, 4 * room), room)
    if result.read:
        lines.append(styled(f"reads ({ref.extract}): ", (show(result.value), "green")))
        taken = result.path if result.path is not None else ref.path
        lines += [
            "as a fact:",
            f"  source: {ref.source}",
            f"  path: {report_form(taken)}",
            f"  extract: {ref.extract}",
        ]
        if ref.params:
            lines.append(f"  params: {show(ref.params)}")
    else:
        lines += [
            styled((line, "yellow"))
            for line in _wrapped("reads nothing: ", result.reason or "", room)
        ]
    rows = result.history
    if not rows:
        print_lines([*lines, "", "History: no snapshot version holds a value here"])
        return
    values = {show(r["value"]) for r in rows if r["value"] is not None}
    print_lines([*lines, "", f"History: {len(values)} distinct value(s) since {rows[0]['since']}"])
    table(
        ("since", "value", "commit"),
        (
            (
                r["since"],
                "(no value)" if r["value"] is None else r["value"],
                (r["commit"] or "")[:10],
            )
            for r in rows
        ),
        whole=(0, 2),
    )


def _wrapped(label: str, text: str, room: int) -> list[str]:
    return textwrap.wrap(
        label + text, width=room, subsequent_indent="  ", break_on_hyphens=False
    ) or [label]
