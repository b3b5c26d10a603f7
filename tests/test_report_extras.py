"""PDF and DOCX reading is the `reports` extra: without it, `tracker report scan` of such a
file is a usage error (exit 2) that gives the pip command, and plain text still works."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from tracker.cli.app import app
from tracker.errors import ConfigError
from tracker.reports.text import PIP_INSTALL, read_report_text


@pytest.fixture
def without_readers(monkeypatch):
    for module in ("pypdf", "docx"):  # None in sys.modules: `import pypdf` fails
        monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize("name", ["brief.pdf", "brief.DOCX"])
def test_scan_without_the_extra_is_exit_2_with_the_pip_command(
    workspace, tmp_path, without_readers, name
):
    root = workspace("sources: {}\n")
    report = tmp_path / name
    report.write_bytes(b"%PDF-1.4 or PK\x03\x04: never opened")
    result = CliRunner().invoke(app, ["-w", str(root), "report", "scan", str(report)])
    assert result.exit_code == 2, result.output
    assert "report-tracker[reports]" in result.output and "pip install" in result.output
    assert "Traceback" not in result.output
    assert not list((root / "reports").glob("brief.*"))  # nothing written


def test_the_error_names_the_file_and_the_command(tmp_path, without_readers):
    report = tmp_path / "brief.pdf"
    report.write_bytes(b"%PDF-1.4")
    with pytest.raises(ConfigError) as caught:
        read_report_text(report)
    assert caught.value.exit_code == 2 and caught.value.file == str(report)
    assert PIP_INSTALL in str(caught.value) and "pypdf" in str(caught.value)
    assert PIP_INSTALL.endswith("-m pip install 'report-tracker[reports]'")


def test_text_reports_need_no_extra(tmp_path, without_readers):
    report = tmp_path / "brief.txt"
    report.write_text("Ludność: 20,26 mln.[1]\n\n1 https://example.org/a\n", encoding="utf-8")
    assert "20,26" in read_report_text(report)
