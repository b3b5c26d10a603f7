"""Footnote parsing: the two real reports against hand-checked files, the URL-break rules,
PDF and DOCX input, and bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import TEST_DATA
from tests.support.data import shared_path
from tracker.errors import ConfigError
from tracker.evaluate.extract import EXTRACTORS, parse_date
from tracker.reports.footnotes import join_note, parse_report
from tracker.reports.text import read_report_text
from tracker.store import snapshot_yaml

EXPECTED = TEST_DATA / "citations"


def _compare(parsed: dict, expected: dict) -> None:
    got = [
        {
            "number": n["number"],
            "urls": n["urls"],
            "published": n["published"],
            "accessed": n["accessed"],
            **({"period": n["period"]} if n["period"] else {}),
        }
        for n in parsed["footnotes"]
    ]
    want = expected["footnotes"]
    assert [g["number"] for g in got] == [w["number"] for w in want]
    for g, w in zip(got, want):
        assert g == w, f"footnote {w['number']}"


@pytest.mark.parametrize("name", ["kazakhstan-security-2025", "kazakhstan-russia-relations-2023"])
def test_real_reports_match_hand_checked_files(name: str) -> None:
    parsed = parse_report(shared_path("reports", f"{name}.txt").read_text(encoding="utf-8"))
    expected = snapshot_yaml.loads((EXPECTED / f"{name}.expected.yaml").read_text())
    _compare(parsed, expected)
    for missing in expected["missing_footnotes"]:
        assert f"marker [{missing}] in the text has no footnote" in parsed["warnings"]


def test_security_brief_has_all_68_footnotes_and_their_citing_sentences() -> None:
    text = shared_path("reports", "kazakhstan-security-2025.txt").read_text(encoding="utf-8")
    parsed = parse_report(text)
    assert len(parsed["footnotes"]) == 68
    by_number = {n["number"]: n for n in parsed["footnotes"]}
    population = [parsed["sentences"][i]["text"] for i in by_number[1]["cited_in"]]
    assert population == ["Ludność: ok. 20,26 mln."]
    senate = [parsed["sentences"][i]["text"] for i in by_number[15]["cited_in"]]
    assert senate == ["Kolejne wybory do senatu planowane są w 2026 r."]
    # one sentence citing two footnotes, mid-sentence and at its end
    both = [s for s in parsed["sentences"] if s["footnotes"] == [21, 22]]
    assert len(both) == 1 and "[" not in both[0]["text"]
    assert by_number[19]["accessed"] == ["2025-09-17"]
    assert by_number[19]["period"] == ["2023-01-01", "2025-09-12"]
    assert (
        "footnote 52: '05.01.20265' is not a valid date (typo in the report?)" in parsed["warnings"]
    )


def test_superscript_markers_and_a_footnote_continued_after_the_next_page() -> None:
    text = shared_path("reports", "kazakhstan-russia-relations-2023.txt").read_text("utf-8")
    parsed = parse_report(text)
    note5 = parsed["footnotes"][4]
    assert note5["number"] == 5 and note5["text"].endswith("kazakhstan/>.")
    assert "umożliwiającą poszerzenie" in note5["text"]
    assert not any("umożliwiającą poszerzenie" in s["text"] for s in parsed["sentences"])
    cited = [s for s in parsed["sentences"] if 10 in s["footnotes"]]
    assert len(cited) == 1 and "rosyjskojęzycznych" in cited[0]["text"]


@pytest.mark.parametrize(
    "lines, url",
    [
        # a real hyphen repeated on the next line ('-\n-') is one hyphen
        (
            ["X, Putin traci [online]: <https://www.money.pl/putin-", "-traci.html>."],
            "https://www.money.pl/putin-traci.html",
        ),
        # a hyphenated word of the title loses its hyphen
        (
            [
                "X, Protesty w Kazachstanie, dw [online]: <https://dw.com/protesty-w-kazach-",
                "stanie-zmora/a-1>.",
            ],
            "https://dw.com/protesty-w-kazachstanie-zmora/a-1",
        ),
        # a piece that is a word of the title keeps it
        (
            ["X, Kazachstan gotowy [online]: <https://w.pl/114065-kazachstan-", "gotowy-x>."],
            "https://w.pl/114065-kazachstan-gotowy-x",
        ),
        # a bare URL ending the line with no space after it goes on; a space ends it
        (
            [
                "CIA, The World Factbook, 01.10.2025, https://www.cia.gov/the-world-",
                "factbook/countries/kazakhstan/  ",
            ],
            "https://www.cia.gov/the-world-factbook/countries/kazakhstan/",
        ),
        # spaces and blank lines inside <…> are extraction noise
        (
            ["X, [online]: <https://www.rp.pl/ dyplomacja/", "", "art1-kazachstan>."],
            "https://www.rp.pl/dyplomacja/art1-kazachstan",
        ),
    ],
)
def test_url_breaks(lines: list[str], url: str) -> None:
    from tracker.reports.footnotes import find_urls

    assert find_urls(join_note(lines)) == [url]


def test_bare_url_followed_by_text_is_not_extended() -> None:
    from tracker.reports.footnotes import find_urls

    text = join_note(["Outlet, Title, 01.01.2025, https://a.example/page/ ", "more words"])
    assert find_urls(text) == ["https://a.example/page/"]


@pytest.mark.parametrize(
    "text, iso",
    [
        ("1 stycznia 2025 r.", "2025-01-01"),
        ("28 xi 2021", "2021-11-28"),
        ("22  x 2022", "2022-10-22"),
        ("5 марта 2014 г.", "2014-03-05"),
        ("14 stycznia 2023", "2023-01-14"),
        ("01.10.2025", "2025-10-01"),
    ],
)
def test_local_dates(text: str, iso: str) -> None:
    assert parse_date(text).isoformat() == iso
    assert EXTRACTORS["date"](f"od {text} do", {}) == iso


def test_local_number_forms() -> None:
    assert EXTRACTORS["number"]("ok. 20,26 mln", {}) == 20_260_000
    assert EXTRACTORS["number"]("wynosi: 3 692 tenge", {}) == 3692


# ------------------------------------------------------------------ PDF and DOCX


def _pdf(path: Path, pages: list[list[str]]) -> None:
    """A minimal PDF with a text layer (Helvetica, one line per string)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for lines in pages:
        ops = (
            "BT /F1 10 Tf 12 TL 50 780 Td "
            + " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines)
            + " ET"
        )
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents "
            f"{len(objects)} 0 R /Resources << /Font << /F1 FONT 0 R >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    objects = [o.replace("FONT", str(len(objects))) for o in objects]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)


def test_pdf_text_layer(tmp_path: Path) -> None:
    pdf = tmp_path / "brief.pdf"
    _pdf(
        pdf,
        [
            [
                "Population: about 20.26 million.[1] The next Senate election is planned",
                "for 2026.[2]",
                "",
                "1 CIA, The World Factbook, 01.10.2025, https://www.cia.gov/the-",
                "world-factbook/",
                "2 Astana Times, Senate, 02.02.2025, https://astanatimes.com/senate/",
            ]
        ],
    )
    parsed = parse_report(read_report_text(pdf))
    assert [n["urls"] for n in parsed["footnotes"]] == [
        ["https://www.cia.gov/the-world-factbook/"],
        ["https://astanatimes.com/senate/"],
    ]
    assert [s["footnotes"] for s in parsed["sentences"]] == [[1], [2]]


def test_docx_footnotes(tmp_path: Path) -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ref = '<w:r><w:footnoteReference w:id="{}"/></w:r>'
    document = (
        f"<w:document {w}><w:body><w:p><w:r><w:t>Ludność: ok. 20,26 mln.</w:t></w:r>"
        f'{ref.format(2)}</w:p><w:p><w:r><w:t xml:space="preserve">Premier to Olzhas '
        f"Bektenov.</w:t></w:r>{ref.format(5)}</w:p></w:body></w:document>"
    )
    footnotes = (
        f'<w:footnotes {w}><w:footnote w:id="-1"/><w:footnote w:id="0"/>'
        '<w:footnote w:id="2"><w:p><w:r><w:t>CIA, The World Factbook, 01.10.2025, '
        "https://www.cia.gov/the-world-factbook/</w:t></w:r></w:p></w:footnote>"
        '<w:footnote w:id="5"><w:p><w:r><w:t>Gov.kz, Government, [dostęp: 3 x 2025] '
        "&lt;https://www.gov.kz/memleket/&gt;</w:t></w:r></w:p></w:footnote></w:footnotes>"
    )
    path = tmp_path / "brief.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlform'
                'ats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                'xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxml'
                'formats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/'
                'word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wo'
                'rdprocessingml.footnotes+xml"/></Types>'
            ),
        )
        z.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/packa'
                'ge/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformat'
                's.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"'
                "/></Relationships>"
            ),
        )
        z.writestr(
            "word/_rels/document.xml.rels",
            (
                '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/packa'
                'ge/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformat'
                's.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                "</Relationships>"
            ),
        )
        z.writestr("word/document.xml", document)
        z.writestr("word/footnotes.xml", footnotes)
    parsed = parse_report(read_report_text(path))
    assert [(n["number"], n["urls"], n["accessed"]) for n in parsed["footnotes"]] == [
        (1, ["https://www.cia.gov/the-world-factbook/"], []),
        (2, ["https://www.gov.kz/memleket/"], ["2025-10-03"]),
    ]
    assert [s["footnotes"] for s in parsed["sentences"]] == [[1], [2]]


def test_unreadable_input_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_report_text(tmp_path / "nope.pdf")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(ConfigError, match="broken.pdf"):
        read_report_text(broken)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Ludno\u015b\u0107".encode("cp1250"))
    with pytest.raises(ConfigError, match="UTF-8"):
        read_report_text(latin)
