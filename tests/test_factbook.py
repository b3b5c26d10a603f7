"""The factbook kind: three upstream formats, one snapshot shape; gone vs broken."""

from __future__ import annotations

import json

import pytest

from tests.support.data import GEOS, SIMPLE, factbook_names, factbook_version, shared_path
from tracker.config import SourceRef
from tracker.errors import ParseError, SourceGone
from tracker.evaluate.facts import extract
from tracker.sources.factbook import normalize_factbook

PATHS = {
    "head of government": ([["Government", "Executive branch", "head of government"]], "person"),
    "chief of state": ([["Government", "Executive branch", "chief of state"]], "person"),
    "population": (
        [
            ["People and Society", "Population", "total"],
            ["People and Society", "Population", "text"],
        ],
        "number",
    ),
    "capital": ([["Government", "Capital", "name"]], "text"),
    "ethnic groups": ([["People and Society", "Ethnic groups", "text"]], "shares"),
    "independence": ([["Government", "Independence", "text"]], "date"),
    "urbanization": ([["People and Society", "Urbanization", "urban population"]], "percent"),
}


def page_data_from_geos(geos: dict) -> bytes:
    """A page-data.json document (newer Gatsby shape) built from a geos document.

    Synthetic: the field HTML is the CIA's own `content`, wrapped in the documented
    `result.data.fields.nodes[{name, data}]` envelope (data-sources.md §1.1).
    """
    nodes = [
        {"name": f["name"], "data": f["content"]} for c in geos["categories"] for f in c["fields"]
    ]
    return json.dumps(
        {
            "componentChunkName": "component---src-templates-country-js",
            "path": "/the-world-factbook/countries/kazakhstan/",
            "result": {"data": {"fields": {"nodes": nodes}}},
            "staticQueryHashes": [],
        }
    ).encode()


def test_geos_and_simplified_formats_give_identical_snapshots():
    names = sorted(set(factbook_names(GEOS)) & set(factbook_names(SIMPLE)))
    assert len(names) >= 8
    for name in names:
        assert normalize_factbook(factbook_version(name, GEOS)) == normalize_factbook(
            factbook_version(name, SIMPLE)
        ), name


@pytest.mark.slow
def test_every_archived_version_is_identical_in_both_formats():
    """The complete archives (../shared/data): every version mirrored in both formats."""
    geos, simple = shared_path("data", GEOS), shared_path("data", SIMPLE)
    names = sorted({p.name for p in geos.iterdir()} & {p.name for p in simple.iterdir()})
    assert len(names) > 100
    for name in names:
        a = normalize_factbook((geos / name).read_bytes())
        b = normalize_factbook((simple / name).read_bytes())
        assert a == b, name


@pytest.mark.parametrize("version", ["2021-02-15T2223", "2025-10-07T1500", "2026-01-22T2232"])
def test_all_three_formats_agree_on_every_fact_path(version):
    raw = factbook_version(version, GEOS)
    snapshots = [
        normalize_factbook(raw),
        normalize_factbook(page_data_from_geos(json.loads(raw))),
        normalize_factbook(factbook_version(version, SIMPLE)),
    ]
    for name, (paths, extractor) in PATHS.items():
        ref = SourceRef(source="fb", path=paths, extract=extractor)
        values = {json.dumps(extract(s, ref)[0], sort_keys=True) for s in snapshots}
        assert len(values) == 1, (name, values)


def test_snapshot_shape_and_html_reduced_to_text():
    raw = factbook_version("2026-01-22")
    snap = normalize_factbook(raw)
    hog = snap["Government"]["Executive branch"]["head of government"]
    assert hog == "Prime Minister Olzhas BEKTENOV (since 6 February 2024)"
    assert snap["People and Society"]["Population"]["total"] == "20,432,662 (2025 est.)"
    assert snap["Government"]["Capital"]["note"].startswith("note: founded in 1830")
    flat = json.dumps(snap)
    assert "<strong>" not in flat and "&nbsp;" not in flat and "<br" not in flat


def test_old_page_data_shape_with_json_string():
    raw = factbook_version("2022-04")
    wrapped = json.dumps({"result": {"data": {"country": {"json": raw.decode()}}}}).encode()
    assert normalize_factbook(wrapped) == normalize_factbook(raw)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Spotlighting The World Factbook as We Bid a Fond Farewell",
        b"   <html><head><title>CIA</title></head></html>",
        b'{"result": {"data": {"story": {"title": "farewell"}}}}',
        b'{"hello": "world"}',
    ],
)
def test_not_a_profile_is_source_gone(body):
    with pytest.raises(SourceGone) as info:
        normalize_factbook(body, where="https://www.cia.gov/the-world-factbook/geos/kz.json")
    assert "gone" in str(info.value)


def test_truncated_json_is_a_parse_error():
    raw = factbook_version("2025-10-07")
    with pytest.raises(ParseError):
        normalize_factbook(raw[: len(raw) // 2])
