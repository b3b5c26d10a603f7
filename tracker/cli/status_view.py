"""`tracker status` as lines that fit the width: problems first, ids whole, a totals line.

    kz-security-2025 · 79 facts
    population                 stale         2026-01-22  factbook-kz
        expected 20260006 · current 20432662
    …
    79 facts: 4 stale, 25 expired, 5 unverifiable, 45 current

Facts are grouped by report, so an id is shown without its report prefix. An id is never
cut or wrapped (when it is wider than the line, it gets a line of its own); values and
notes wrap instead.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import TYPE_CHECKING, Iterable, Sequence

from tracker.cli.output import one_line, show, styled
from tracker.models import STATUSES, Finding

if TYPE_CHECKING:
    from rich.text import Text

# What needs a person comes first; then what no source checks, what was reviewed, the rest.
ORDER = (
    "stale",
    "expired",
    "source-failing",
    "unverifiable",
    "unchecked",
    "acknowledged",
    "current",
)
PROBLEMS = frozenset(ORDER[:4])
STYLE = {
    "current": "green",
    "stale": "red",
    "expired": "yellow",
    "unverifiable": "magenta",
    "source-failing": "red",
    "acknowledged": "cyan",
    "unchecked": "dim",
}
INDENT = "    "


def rank(status: str) -> int:
    return ORDER.index(status) if status in ORDER else len(ORDER)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Problems first (in ORDER), file order within a status."""
    return sorted(findings, key=lambda f: rank(f.status))


def status_lines(
    findings: Sequence[Finding], width: int, *, total: int | None = None
) -> list[Text]:
    """The whole listing; `total` is the number of facts before a --status filter."""
    lines: list[Text] = []
    reports = list(dict.fromkeys(f.report for f in findings))
    for report in reports:
        group = ordered(f for f in findings if f.report == report)
        header = textwrap.wrap(
            f"{one_line(report)} · {_count(len(group))}",
            width=width,
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.extend(styled((part, "bold")) for part in header)
        lines.extend(_report_lines(group, width))
    if not findings:
        lines.append(styled("No facts match." if total else "No facts."))
    lines.extend(styled(line) for line in totals(findings, width, total))
    return lines


def totals(findings: Sequence[Finding], width: int, total: int | None = None) -> list[str]:
    counts = Counter(f.status for f in findings)
    parts = [f"{counts[s]} {s}" for s in sorted(counts, key=rank)]
    head = _count(len(findings))
    if total is not None and total != len(findings):
        head = f"{len(findings)} of {_count(total)} shown"
    text = f"{head}: {', '.join(parts)}" if parts else head
    return textwrap.wrap(
        text, width=max(width, 20), subsequent_indent="  ", break_on_hyphens=False
    ) or [text]


def _count(n: int) -> str:
    return f"{n} fact" if n == 1 else f"{n} facts"


def _report_lines(group: list[Finding], width: int) -> list[Text]:
    status_width = max(len(f.status) for f in group)
    since_width = max((len(one_line(f.since)) for f in group if f.since), default=0)
    fixed = 2 + status_width + (2 + since_width if since_width else 0)
    # ids are padded to the longest that still leaves room for the columns after them
    fitting = [len(f.fact) for f in group if len(f.fact) + fixed <= width]
    id_width = max(fitting, default=0)
    lines: list[Text] = []
    for finding in group:
        lines.extend(_fact_lines(finding, width, id_width, status_width, since_width))
    return lines


def _fact_lines(
    f: Finding, width: int, id_width: int, status_width: int, since_width: int
) -> list[Text]:
    style = STYLE.get(f.status, "")
    columns: list[tuple[str, str | None]] = [("  ", None), (f.status.ljust(status_width), style)]
    if since_width:
        columns.append(("  " + one_line(f.since or "").ljust(since_width), None))
    source = one_line(f.source or "")
    rest = sum(len(text) for text, _ in columns)
    name: tuple[str, str | None] = (one_line(f.fact), "bold" if f.status in PROBLEMS else None)
    details = _details(f)
    lines: list[Text] = []
    if len(f.fact) <= id_width:
        head: list[tuple[str, str | None]] = [(name[0].ljust(id_width), name[1]), *columns]
        if source and id_width + rest + 2 + len(source) <= width:
            head.append(("  " + source, None))
        elif source:
            details[0] = f"source {source} · {details[0]}"
        lines.append(_line(head))
    else:  # too long to share its line: the id alone, whole, the columns below it
        lines.append(_line([name]))
        below: list[tuple[str, str | None]] = [(INDENT + f.status, style)]
        if f.since:
            below.append(("  " + one_line(f.since), None))
        if source and sum(len(t) for t, _ in below) + 2 + len(source) <= width:
            below.append(("  " + source, None))
        elif source:
            details[0] = f"source {source} · {details[0]}"
        lines.append(_line(below))
    for text in details:
        lines.extend(styled(chunk) for chunk in _wrap(text, width))
    return lines


def _line(parts: list[tuple[str, str | None]]) -> Text:
    line = styled(*parts)
    line.rstrip()
    return line


def _details(f: Finding) -> list[str]:
    """One paragraph (wrapped later): the values, then the note."""
    expected, current = show(f.expected), show(f.current)
    if f.current is None:
        text = f"expected {expected or '—'}"
    elif expected == current:
        text = f"value {current}"
    else:
        text = f"expected {expected or '—'} · current {current}"
    if f.note:
        text += f" · note: {one_line(f.note)}"
    return [text]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, len(INDENT) + 20),
        initial_indent=INDENT,
        subsequent_indent=INDENT + "  ",
        break_on_hyphens=False,
    ) or [INDENT]


__all__ = ["ORDER", "STATUSES", "ordered", "status_lines", "totals"]
