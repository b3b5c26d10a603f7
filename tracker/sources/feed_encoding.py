"""Reading a feed's bytes as text, in whatever encoding it is in, before the parser sees it.

feedparser hands the bytes to expat, which knows only a few single-byte encodings and
UTF-8/16: a feed declaring Shift_JIS, EUC-JP, GB2312, GBK, Big5, EUC-KR or UTF-7 ends in
"multi-byte encodings are not supported". And a UTF-8 feed with one invalid byte makes
feedparser give up on UTF-8 for the whole document and read it as windows-1252: every
non-ASCII title turns to mojibake, a false change of every item, and back on the next run.

So the tracker decodes the document itself through Python's codecs and hands feedparser
UTF-8 (with the XML declaration saying so). The encoding is chosen as XML parsers do:

1. a byte-order mark, or the byte pattern of `<?xml` in UTF-16/32 (XML 1.0, appendix F);
2. the document's own declaration (`<?xml … encoding="…"?>`);
3. the HTTP header's charset;
4. UTF-8 (XML's default).

The first of these that reads the whole document without an error wins. When none does,
the first known one is used with each undecodable sequence replaced by U+FFFD — except a
"UTF-8" document that holds no valid multi-byte character at all, which is really a legacy
single-byte document mislabelled (read as windows-1252, as browsers and feedparser do).
An encoding Python does not know, with no other candidate that reads the document, is the
source's clear failure. A last character cut off by a truncated body is dropped.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from tracker.errors import ParseError

UTF8 = "utf-8"
LEGACY = "cp1252"  # what a mislabelled "UTF-8" document really is, nearly always
# Python codecs that are not character encodings of documents: never a feed's encoding
NOT_DOCUMENT_ENCODINGS = {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# `<?` as the first characters in an encoding that is not ASCII-compatible, without a BOM
_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"'\s>]{1,60})["']""")
_DECLARATION_TEXT = re.compile(r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])[^"']*\2""")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_UTF8_MULTIBYTE = re.compile(  # well-formed 2-, 3- and 4-byte sequences (RFC 3629)
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass(frozen=True)
class Decoded:
    """The document as UTF-8 bytes (its declaration rewritten) and how it was read."""

    content: bytes
    encoding: str  # the codec used (Python's name)
    replaced: bool = False  # some undecodable bytes became U+FFFD


def feed_as_utf8(content: bytes, header_charset: str | None, where: str) -> Decoded:
    """The feed's bytes re-encoded as UTF-8 for the parser (see the module docstring)."""
    sniffed = _sniffed(content)
    declared = _declared(content) if sniffed is None else None
    if declared is not None and _codec(declared) is None:
        return _with_header_only(content, declared, header_charset, where)
    names = [name for name in (sniffed, declared, header_charset, UTF8) if name]
    known = list(dict.fromkeys(c for c in map(_codec, names) if c is not None))
    for codec in known:
        text = _decode(content, codec, "strict")
        if text is not None:
            return Decoded(_as_utf8(text), codec)
    codec = known[0]
    if codec == UTF8 and _mislabelled_utf8(content):
        codec = LEGACY
    text = _decode(content, codec, "replace")
    assert text is not None  # "replace" never fails
    return Decoded(_as_utf8(text), codec, replaced=True)


def _with_header_only(
    content: bytes, declared: str, header_charset: str | None, where: str
) -> Decoded:
    """A declared encoding Python does not know: the HTTP header's charset, when it names
    one that reads the document (RFC 7303 gives the header precedence), else a failure."""
    codec = _codec(header_charset) if header_charset else None
    text = _decode(content, codec, "strict") if codec else None
    if codec is None or text is None:
        raise ParseError(
            f"{where}: the feed declares the encoding {declared[:40]!r}, which "
            "Python does not know; cannot read it"
        )
    return Decoded(_as_utf8(text), codec)


def _sniffed(content: bytes) -> str | None:
    """The encoding a BOM or the first bytes fix (no declaration can override them)."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    head = content[:4]
    return next((name for pattern, name in _PATTERNS if head == pattern), None)


def _declared(content: bytes) -> str | None:
    match = _DECLARED.match(content[:512])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "replace")
    codec = _codec(name)
    if codec is not None and "<?xml".encode(codec, "ignore") != b"<?xml":
        # Read as ASCII, so not what it says (a "UTF-16" document whose bytes are ASCII)
        return None
    return name


def _codec(name: str) -> str | None:
    """Python's name of the codec for `name`, or None when it is no document encoding."""
    try:
        info = codecs.lookup(name.strip().strip('"').lower())
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_DOCUMENT_ENCODINGS:
        return None
    return UTF8 if info.name == "utf-8-sig" and not name.lower().endswith("sig") else info.name


def _decode(content: bytes, codec: str, errors: str) -> str | None:
    """`content` decoded, an incomplete last character (a cut-off body) left out; None
    when it is not valid in `codec` under `errors`."""
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors=errors)
        return decoder.decode(content, final=False)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _mislabelled_utf8(content: bytes) -> bool:
    """Fewer valid UTF-8 multi-byte characters than invalid sequences: legacy bytes with
    a wrong label, not UTF-8 with a damaged byte or two."""
    valid = len(_UTF8_MULTIBYTE.findall(content))
    invalid = content.decode(UTF8, "replace").count("\ufffd") - content.count("\ufffd".encode(UTF8))
    return valid < invalid


def _as_utf8(text: str) -> bytes:
    text = text.removeprefix("\ufeff")
    text = _DECLARATION_TEXT.sub(
        lambda m: f"{m.group(1)}{m.group(2)}utf-8{m.group(2)}", text, count=1
    )
    text = _SURROGATE.sub("\ufffd", text)
    return _CHAR_REF.sub(_safe_char_ref, text).encode(UTF8)


def _safe_char_ref(match: re.Match[str]) -> str:
    """A character reference to no character (a surrogate, NUL, past U+10FFFF) becomes
    U+FFFD: feedparser's lenient parser raises on `&#xD800;` and the whole feed is lost."""
    hexa, decimal = match.group(1), match.group(2)
    digits = hexa or decimal
    if len(digits) <= 8:
        code = int(digits, 16 if hexa else 10)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return match.group()
    return "&#xFFFD;"
