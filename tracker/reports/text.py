"""The text layer of a report file: plain text, PDF (pypdf) or DOCX (python-docx).

The PDF and DOCX readers are an extra, `pip install 'report-tracker[reports]'`; without it
a .pdf or .docx is a ConfigError (exit 2) that gives the command.

Everything becomes the shape `citations.parse_report` reads: body text with footnote
markers, and footnotes as lines starting with their number. A PDF gives that shape by
itself; for a DOCX the footnote references become `[n]` markers and the footnotes part
(word/footnotes.xml) is appended as numbered lines.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Callable

from tracker.errors import ConfigError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# pypdf and python-docx are the `reports` extra: most workspaces never scan a PDF or DOCX.
PIP_INSTALL = f"{shlex.quote(sys.executable)} -m pip install 'report-tracker[reports]'"


def read_report_text(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    """Text of a .txt/.md, .pdf or .docx report; ConfigError naming the file if unreadable.
    `progress(done, total)` follows the pages of a PDF (the slow part of a scan)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("report file not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return _pdf_text(path, progress)
        if suffix == ".docx":
            return _docx_text(path)
        return path.read_text(encoding="utf-8")
    except ImportError as exc:
        raise ConfigError(
            f"reading {suffix} reports needs the `reports` extra "
            f"({exc.name or 'its reader'} is not installed); install it with: "
            f"{PIP_INSTALL}",
            file=str(path),
        ) from None
    except ConfigError:
        raise
    except UnicodeDecodeError:
        raise ConfigError(
            "not UTF-8 text (give a .pdf, .docx or UTF-8 .txt)", file=str(path)
        ) from None
    except Exception as exc:  # noqa: BLE001 - the PDF/DOCX readers raise many types
        raise ConfigError(
            f"cannot read this {suffix or 'file'}: {type(exc).__name__}: {exc}", file=str(path)
        ) from None


def _pdf_text(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = []
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        if progress is not None:
            progress(len(pages), len(reader.pages))
    if not any(p.strip() for p in pages):
        raise ConfigError("the PDF has no text layer (a scan?); OCR it first", file=str(path))
    # A page starts with a one-space indent, as in the reference extractions, so the
    # footnote block of the previous page ends there.
    return "\n".join(" " + p.lstrip() if i else p for i, p in enumerate(pages))


def _docx_text(path: Path) -> str:
    import docx
    from lxml import etree

    document = docx.Document(str(path))
    notes: list[str] = []
    numbers: dict[str, int] = {}  # footnote w:id → its number as shown (ids may skip)
    for part in document.part.package.parts:
        if str(part.partname) == "/word/footnotes.xml":
            root = etree.fromstring(part.blob)
            real = [n for n in root.iter(f"{W}footnote") if int(n.get(f"{W}id", "0")) > 0]
            for number, note in enumerate(real, start=1):
                numbers[note.get(f"{W}id")] = number
                text = " ".join(_paragraph_text(p, numbers) for p in note.iter(f"{W}p"))
                notes.append(f"{number} {text.strip()}")
    body = [_paragraph_text(p, numbers) for p in document.element.body.iter(f"{W}p")]
    return "\n\n".join(body) + "\n\n" + "\n".join(notes) + "\n"


def _paragraph_text(paragraph: object, numbers: dict[str, int]) -> str:
    out = []
    for node in paragraph.iter():  # type: ignore[attr-defined]
        if node.tag == f"{W}t" and node.text:
            out.append(node.text)
        elif node.tag == f"{W}tab":
            out.append(" ")
        elif node.tag == f"{W}footnoteReference":
            ref = node.get(f"{W}id")
            out.append(f"[{numbers.get(ref, ref)}]")
    return "".join(out)
