"""kind `factbook`: a CIA World Factbook country profile.

Reads any of three upstream formats and gives one snapshot shape,
`{category: {field: {subfield: text}}}`, with HTML reduced to text:

* the CIA's own `geos/<code>.json` (as mirrored 1:1 by factbook/cache.factbook.json),
* the simplified factbook/factbook.json (`{category: {field: {subfield: {text}}}}`),
* Gatsby `page-data.json` (`result.data.fields.nodes[{name, data}]`, or the older
  `result.data.country.json` string holding a geos document).

A field without subfields becomes `{text: ...}`; a field note becomes `note`. Anything that
is not one of these JSON shapes (an HTML farewell page, a story page after a redirect) is
`SourceGone`: the Factbook was taken offline in February 2026.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from tracker.config import FactbookOptions
from tracker.errors import ParseError, SourceGone
from tracker.fetch.urls import safe_url
from tracker.models import RawDocument
from tracker.sources.base import Source, load_json
from tracker.sources.sanity import checked_snapshot, printable, read_as
from tracker.sources.shrink import count_nested, first_shrink
from tracker.text import html_to_text

TEXT = "text"
NOTE = "note"


class FactbookSource(Source[FactbookOptions]):
    """CIA World Factbook profile (geos JSON, factbook.json or page-data.json); frozen since
    February 2026 — point `url` at a mirror such as factbook/cache.factbook.json."""

    kind = "factbook"
    Options = FactbookOptions

    def shrinkage(self, previous: dict[str, Any], new: dict[str, Any]) -> str | None:
        (categories, fields), (now_categories, now_fields) = map(count_nested, (previous, new))
        return first_shrink(
            [("categories", categories, now_categories), ("fields", fields, now_fields)]
        )

    def normalize(self, raw: RawDocument) -> dict[str, Any]:
        where = safe_url(raw.url)
        with read_as(where, "a Factbook profile"):
            return checked_snapshot(normalize_factbook(raw.content, where=where), where)


def normalize_factbook(content: bytes, where: str = "document") -> dict[str, Any]:
    """Pure: bytes of any supported format → the canonical snapshot dict."""
    document = _load_json(content, where)
    if isinstance(document, dict) and isinstance(document.get("categories"), list):
        return _from_geos(document, where)
    if isinstance(document, dict) and isinstance(document.get("result"), dict):
        return _from_page_data(document, where)
    if isinstance(document, dict) and _looks_simplified(document):
        return _from_simplified(document)
    raise SourceGone(
        f"{where}: JSON, but not a Factbook profile (no categories, fields or "
        "sections); the source may have moved or be gone"
    )


def _load_json(content: bytes, where: str) -> Any:
    return load_json(
        content,
        where,
        "Factbook JSON",
        hint="the source may be gone (the CIA retired the Factbook in Feb 2026)",
    )


def _from_geos(document: dict[str, Any], where: str) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for category in document["categories"]:
        _require(category, dict, "a category", where)
        title = str(category.get("title") or category.get("id"))
        fields = snapshot.setdefault(title, {})
        entries = _require(category.get("fields") or [], list, f"{title}: `fields`", where)
        for field in entries:
            _require(field, dict, f"{title}: a `fields` entry", where)
            fields[str(field.get("name"))] = _geos_field(field, where)
    return snapshot


def _geos_field(field: dict[str, Any], where: str) -> dict[str, str]:
    name = str(field.get("name"))
    subfields = _require(field.get("subfields") or [], list, f"{name}: `subfields`", where)
    if subfields:
        out = {
            str(_require(s, dict, f"{name}: a `subfields` entry", where).get("name")): html_to_text(
                str(s.get("content") or "")
            )
            for s in subfields
        }
    else:  # `value` is a machine form ("181194000000"); the text is `content`
        out = {TEXT: html_to_text(str(field.get("content") or ""))}
    if field.get("field_note"):
        out[NOTE] = _note_text(str(field["field_note"]))
    return _without_note_in_text(out)


def _require(value: Any, kind: type, what: str, where: str) -> Any:
    """`value` when it is a `kind`, else the clear ParseError of a malformed profile."""
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise ParseError(
            f"{where}: not a Factbook profile as expected: {printable(what)} is a "
            f"{type(value).__name__}, not {expected}"
        )
    return value


def _without_note_in_text(out: dict[str, str]) -> dict[str, str]:
    """Older conversions repeat the field note at the end of the text; keep it once."""
    note, text = out.get(NOTE), out.get(TEXT)
    if note and text and text.endswith(note):
        out[TEXT] = text[: -len(note)].rstrip()
    return out


def _from_simplified(document: dict[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for category, fields in document.items():
        if not isinstance(fields, dict):
            continue
        out = snapshot.setdefault(category, {})
        for name, body in fields.items():
            out[name] = _simplified_field(body)
    return snapshot


def _simplified_field(body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        return {TEXT: html_to_text(str(body))}
    out: dict[str, str] = {}
    for key, value in body.items():
        if key == TEXT:
            out[TEXT] = html_to_text(str(value))
        elif key == NOTE and isinstance(value, str):
            out[NOTE] = _note_text(value)
        elif isinstance(value, dict) and TEXT in value:
            out[key] = html_to_text(str(value[TEXT]))
        else:
            out[key] = html_to_text(str(value))
    return _without_note_in_text(out)


def _looks_simplified(document: dict[str, Any]) -> bool:
    return any(
        isinstance(v, dict) and any(isinstance(f, dict) for f in v.values())
        for v in document.values()
    )


def _from_page_data(document: dict[str, Any], where: str) -> dict[str, Any]:
    data = _require(document["result"].get("data") or {}, dict, "result.data", where)
    country = _require(data.get("country") or {}, dict, "result.data.country", where)
    if isinstance(country.get("json"), str):  # 2021-22: a geos document as a JSON string
        return _from_geos(_geos_document(country["json"], where), where)
    fields = _require(data.get("fields") or {}, dict, "result.data.fields", where)
    nodes = fields.get("nodes")
    if not isinstance(nodes, list):
        raise SourceGone(
            f"{where}: page-data.json without result.data.fields.nodes; "
            "not a country page (the source may be gone)"
        )
    snapshot: dict[str, Any] = {}
    categories = _field_categories()
    seen: dict[str, int] = {}
    for node in nodes:
        name = str(_require(node, dict, "a result.data.fields.nodes entry", where).get("name"))
        # A few names occur in two categories (Urbanization: Environment and People and
        # Society); the nodes keep the profile's order, so the k-th occurrence is the k-th.
        nth = seen[name] = seen.get(name, -1) + 1
        options = categories.get(name) or ["Other"]
        category = options[min(nth, len(options) - 1)]
        snapshot.setdefault(category, {})[name] = _html_field(str(node.get("data") or ""))
    return snapshot


def _geos_document(text: str, where: str) -> dict[str, Any]:
    document = _load_json(text.encode("utf-8", "surrogatepass"), where)
    if not isinstance(document, dict) or not isinstance(document.get("categories"), list):
        raise ParseError(f"{where}: result.data.country.json is not a geos profile")
    return document


def _html_field(html: str) -> dict[str, str]:
    """`<strong>label: </strong>text<br><br>…` → {label: text}; no labels → {text: …}."""
    out: dict[str, str] = {}
    loose: list[str] = []
    for chunk in _split_paragraphs(html):
        label, body = _strong_label(chunk)
        if label is None:
            loose.append(chunk)
        elif label.startswith(NOTE):
            out[NOTE] = (
                _note_text(chunk) if NOTE not in out else out[NOTE] + "\n\n" + _note_text(chunk)
            )
        else:
            out[label] = html_to_text(body)
    if loose:
        out = {TEXT: html_to_text("<br><br>".join(loose)), **out}
    return out


def _split_paragraphs(html: str) -> list[str]:
    normalized = html.replace("<br />", "<br>").replace("<br/>", "<br>")
    return [c for c in normalized.split("<br><br>") if c.strip()]


def _strong_label(chunk: str) -> tuple[str | None, str]:
    stripped = chunk.strip()
    if not stripped.startswith("<strong>") or "</strong>" not in stripped:
        return None, chunk
    label, _, body = stripped[len("<strong>") :].partition("</strong>")
    return html_to_text(label).rstrip(":").strip(), body


def _note_text(html: str) -> str:
    """Field notes keep their 'note:' labels as text, so both formats agree."""
    return html_to_text(html.replace("<br /><br />", "<br><br>"))


@lru_cache(maxsize=1)
def _field_categories() -> dict[str, list[str]]:
    """Field name → category titles in profile order, from the real geos data (page-data
    has no categories)."""
    text = resources.files(__package__).joinpath("factbook_fields.json").read_text("utf-8")
    return json.loads(text)
