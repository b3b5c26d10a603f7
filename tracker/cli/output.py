"""Everything the CLI prints goes through here: consoles, safe text, JSON, tables, messages.

Two promises hold for every command:
- text that came from a source (a server's message, a feed title, a snapshot value)
  reaches the terminal without control characters — an ESC sequence that would set the
  window title, clear the screen or forge a hyperlink is shown escaped (`\\x1b]0;…`);
- nothing printed is read as Rich markup or emoji codes (`[/]` prints as `[/]`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Sequence, TextIO

from tracker.cli.context import Settings, settings
from tracker.models import json_text

if TYPE_CHECKING:  # Rich is imported on first output: `tracker --help` starts without it
    from rich.console import Console
    from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some
# terminals), and the bidi overrides and isolates that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_WITH_LAYOUT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# JSON already escapes C0; these pass through json.dumps(ensure_ascii=False) raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object) -> str:
    """`text` with control characters shown escaped; line breaks and tabs kept."""
    return _UNSAFE.sub(_escape, str(text))


def one_line(text: object) -> str:
    """`text` on one line: runs of whitespace become one space, controls escaped."""
    return _UNSAFE_WITH_LAYOUT.sub(_escape, " ".join(str(text).split()))


def show(value: Any) -> str:
    """A value as one line: mappings and lists as JSON, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return one_line(value)


def short(value: Any, limit: int = 50) -> str:
    """`show(value)` cut to `limit` characters (never used for ids)."""
    text = show(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def console(*, stderr: bool = False) -> Console:
    """A console on stdout or stderr: no markup, no emoji codes, no highlighting; the
    width is the terminal's (stdout's, else stderr's or stdin's — so `| less` fits the
    screen), COLUMNS when set, else 80."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def width() -> int:
    return console().width


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# What makes Rich treat a stream that is no terminal as one (force-color.org, and Rich's
# own TTY_COMPATIBLE); TTY_INTERACTIVE is Rich's switch for live displays.
_TERMINAL_SWITCHES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def plain(stream: TextIO) -> bool:
    """True when Rich would write `stream` as plain text (no terminal, no switch set):
    then the text is written as it is and Rich is not loaded — a nightly run piped to a
    log says a few lines, and loading Rich for them costs more than the lines."""
    return not is_terminal(stream) and not any(
        os.environ.get(name) is not None for name in _TERMINAL_SWITCHES
    )


def print_json(data: Any) -> None:
    """Indented on a terminal. Otherwise a list is one item per line: the same JSON,
    written by json's C encoder (which does not indent) — a unit's status is thousands
    of findings — and still one line per finding for grep."""
    if isinstance(data, list) and data and not is_terminal():
        print_json_items([json_text(item) for item in data])
        return
    _write_json(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_json_items(items: list[str]) -> None:
    """A JSON list of items already written as JSON text (`tracker.models.json_text`)."""
    if not items:
        _write_json("[]")
    elif is_terminal():
        _write_json(json.dumps([json.loads(item) for item in items], ensure_ascii=False, indent=2))
    else:
        _write_json("[\n" + ",\n".join(items) + "\n]")


def _write_json(text: str) -> None:
    text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(_encodable_json(text, getattr(sys.stdout, "encoding", None)) + "\n")


def _encodable_json(text: str, encoding: str | None) -> str:
    """JSON text whose characters the stream cannot encode (an ASCII or Latin-1 locale,
    PYTHONIOENCODING) escaped as JSON escapes: still the same JSON, never a crash."""
    if (encoding or "utf-8").lower().replace("_", "-").startswith("utf"):
        return text  # every character encodes
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return _NON_ASCII.sub(lambda m: json.dumps(m.group()).strip('"'), text)
    return text


def tolerant_streams() -> None:
    """Text the terminal's encoding cannot show (a report's `—`, a Cyrillic name on an
    ASCII or Latin-1 locale) is written escaped (`\\u2014`) instead of failing the
    command; JSON is escaped as JSON beforehand (`_encodable_json`)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if reconfigure is not None and not encoding.startswith("utf"):
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream
                pass


def _as_is(line: object) -> bool:
    """Text Rich would write unchanged to a plain stream: a string without tabs (Rich
    expands those to its tab stops, counted in terminal cells)."""
    return isinstance(line, str) and "\t" not in line


def print_lines(lines: Iterable[Text | str]) -> None:
    lines = list(lines)
    if plain(sys.stdout) and all(_as_is(line) for line in lines):
        sys.stdout.write("".join(f"{safe(line)}\n" for line in lines))
        sys.stdout.flush()
        return
    from rich.text import Text

    out = console()
    texts = [line if isinstance(line, Text) else Text(safe(line)) for line in lines]
    if not texts:
        return
    if out.color_system is None:  # a pipe or a file: the text alone, styles dropped
        out.file.write("".join(text.plain + "\n" for text in texts))
        out.file.flush()
        return
    # one print of all lines: Rich's cost is per call, and a unit's status is many lines
    out.print(Text("\n").join(texts), soft_wrap=True)


def styled(*parts: tuple[str, str | None] | str) -> Text:
    """A line from (text, style) parts; every part made safe."""
    from rich.text import Text

    line = Text()
    for part in parts:
        text, style = (part, None) if isinstance(part, str) else part
        line.append(safe(text), style=style or "")
    return line


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    whole: Sequence[int] = (0,),
) -> None:
    """Rows under headers. On a terminal, a boxed table; otherwise plain aligned columns
    (no box characters) at the real width. Columns in `whole` (ids) are never cut or
    wrapped; the others wrap."""
    from rich import box
    from rich.table import Table

    rows = [[show(cell) for cell in row] for row in rows]
    out = console()
    boxed = out.is_terminal
    grid = Table(
        title=safe(title) if title else None,
        box=box.HEAVY_HEAD if boxed else None,
        show_edge=boxed,
        pad_edge=boxed,
        header_style="bold" if boxed else "",
        title_justify="left",
    )
    for index, header in enumerate(headers):
        if index in whole:
            longest = max([len(header)] + [len(row[index]) for row in rows])
            grid.add_column(header, no_wrap=True, min_width=longest)
        else:
            grid.add_column(header, overflow="fold")
    for row in rows:
        grid.add_row(*row)
    out.print(grid)


def aligned(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[Any] | None = None
) -> list[Text]:
    """Short columns aligned under headers (values whole), each row followed by its note
    (a long text: an error message) indented and wrapped to the width."""
    import textwrap

    cells = [[show(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = [styled(("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), "bold"))]
    room = max(width(), 40)
    for index, row in enumerate(cells):
        lines.append(styled("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()))
        note = show(notes[index]) if notes else ""
        lines += [
            styled(part)
            for part in textwrap.wrap(
                note,
                width=room,
                initial_indent="    ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        ]
    return lines


def error(message: str, current: Settings | None = None) -> None:
    """`error: …` on stderr (and in the --log-file)."""
    Messages(current).write(f"error: {safe(message)}", style="red", stream=sys.stderr)


class Messages:
    """What a command says about its work, one line each, on stdout.

    `stamped`: the lines carry the time when they will be read later — the output is not
    a terminal (cron, a pipe) or goes to --log-file (whose lines are always stamped).
    `-q` keeps only warnings and errors;
    `-v` adds details. With --log-file, lines go to that file instead of stdout, and
    errors to stderr as well (so cron still mails about a run that could not run)."""

    def __init__(self, current: Settings | None = None, *, stamped: bool = False) -> None:
        self.settings = current or settings()
        self.log_file = self.settings.log_file
        self.stamped = stamped and (self.log_file is not None or not is_terminal())

    def info(self, text: str, style: str | None = None) -> None:
        if not self.settings.quiet:
            self.write(safe(text), style=style)

    def detail(self, text: str, style: str | None = None) -> None:
        if self.settings.verbose:
            self.write(safe(text), style=style)

    def warn(self, text: str, *, stderr: bool = False) -> None:
        """A warning; `stderr` for a refusal the caller's exit code is about."""
        self.write(safe(text), style="yellow", stream=sys.stderr if stderr else None)

    def write(self, text: str, *, style: str | None = None, stream: TextIO | None = None) -> None:
        """One line (already safe). Stamped with the time, UTC, when read later."""
        if self.log_file is not None and self._append(f"{stamp()} {text}\n") and stream is None:
            return
        line = f"{stamp()} {text}" if self.stamped else text
        target = sys.stderr if stream is sys.stderr else sys.stdout
        if target is not None and plain(target) and _as_is(line):
            target.write(line + "\n")
            target.flush()
            return
        from rich.text import Text

        out = console(stderr=stream is sys.stderr)
        out.print(Text(line, style=style or ""), soft_wrap=True)

    def _append(self, line: str) -> bool:
        """Append to the log file; False when it cannot be written (then the line goes to
        the terminal: a message is never lost to a full disk)."""
        assert self.log_file is not None
        try:
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write(line)
            return True
        except OSError:
            return False


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
