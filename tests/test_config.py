"""Every configuration error names the file, the line, the key and what is allowed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.zygote import run as warm_run
from tracker.config import load_config, parse_duration
from tracker.errors import ConfigError

GOOD_FEEDS = """\
sources:
  fb:
    kind: factbook
    url: http://127.0.0.1:1/kz.json
    schedule: "0 4 * * 4"
    expect_update_within: 45d
"""
GOOD_REPORT = """\
report:
  id: r1
  published: 2025-10-15
facts:
  - id: pm
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
"""


def write(
    root: Path,
    feeds: str = GOOD_FEEDS,
    report: str = GOOD_REPORT,
    extra: dict[str, str] | None = None,
) -> Path:
    (root / "reports").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(textwrap.dedent(feeds))
    (root / "reports" / "r1.yaml").write_text(textwrap.dedent(report))
    for name, text in (extra or {}).items():
        (root / "reports" / name).write_text(textwrap.dedent(text))
    return root


def error_for(tmp_path: Path, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, **kw))
    return info.value


def test_good_config_loads(tmp_path):
    config = load_config(write(tmp_path))
    assert config.sources["fb"].schedule == "0 4 * * 4"
    assert config.sources["fb"].expect_update_within.days == 45
    assert config.reports["r1"].facts[0].extract == "person"


CASES = {
    "unknown key in a source": (
        {"feeds": GOOD_FEEDS + "    colour: blue\n"},
        "feeds.yaml",
        7,
        "sources.fb.colour",
        ["unknown key 'colour'", "allowed:", "schedule"],
    ),
    "wrong type": (
        {"feeds": GOOD_FEEDS + "    timeout: soon\n"},
        "feeds.yaml",
        7,
        "sources.fb.timeout",
        ["soon"],
    ),
    "unknown source kind": (
        {"feeds": "sources:\n  fb:\n    kind: telepathy\n"},
        "feeds.yaml",
        3,
        "sources.fb.kind",
        ["unknown source kind 'telepathy'", "factbook"],
    ),
    "fact names a missing source": (
        {"report": GOOD_REPORT.replace("source: fb", "source: nowhere")},
        "r1.yaml",
        7,
        "facts[0].source",
        ["'nowhere'", "known sources: fb"],
    ),
    "duplicate fact ids": (
        {"report": GOOD_REPORT + "  - id: pm\n    expect: x\n"},
        "r1.yaml",
        10,
        "facts[1].id",
        ["duplicate fact id 'pm'"],
    ),
    "duplicate source ids": (
        {"feeds": GOOD_FEEDS + "  fb:\n    kind: factbook\n"},
        "feeds.yaml",
        7,
        None,
        ["duplicate key"],
    ),
    "bad cron expression": (
        {"feeds": GOOD_FEEDS.replace('"0 4 * * 4"', '"0 25 * * 4"')},
        "feeds.yaml",
        5,
        "sources.fb.schedule",
        ["bad cron expression", "0 25 * * 4"],
    ),
    "cron with too few fields": (
        {"feeds": GOOD_FEEDS.replace('"0 4 * * 4"', '"daily"')},
        "feeds.yaml",
        5,
        "sources.fb.schedule",
        ["five fields"],
    ),
    "bad duration": (
        {"feeds": GOOD_FEEDS.replace("45d", "45 fortnights")},
        "feeds.yaml",
        6,
        "sources.fb.expect_update_within",
        ["bad duration", "s|m|h|d|w"],
    ),
    "unparseable date": (
        {"report": GOOD_REPORT.replace("2025-10-15", "15.10.2025")},
        "r1.yaml",
        3,
        "report.published",
        ["date"],
    ),
    "unparseable valid_until": (
        {"report": GOOD_REPORT + "    valid_until: next year\n"},
        "r1.yaml",
        10,
        "facts[0].valid_until",
        ["date"],
    ),
    "unknown extractor": (
        {"report": GOOD_REPORT.replace("extract: person", "extract: vibes")},
        "r1.yaml",
        9,
        "facts[0].extract",
        ["unknown extractor 'vibes'", "number"],
    ),
    "unknown key in a fact": (
        {"report": GOOD_REPORT + "    expectt: 3\n"},
        "r1.yaml",
        10,
        "facts[0].expectt",
        ["unknown key 'expectt'", "expect"],
    ),
    "source id that would escape snapshots/": (
        {"feeds": "sources:\n  ../evil:\n    kind: factbook\n"},
        "feeds.yaml",
        2,
        "sources.../evil",
        ["bad source id"],
    ),
    "invalid YAML": ({"feeds": "sources: [unclosed\n"}, "feeds.yaml", 2, None, ["invalid YAML"]),
    "bad tolerance": (
        {"report": GOOD_REPORT + "    tolerance: lots\n"},
        "r1.yaml",
        10,
        "facts[0].tolerance",
        ["bad tolerance"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_config_errors_name_file_line_and_key(tmp_path, case):
    kw, file, line, key, fragments = CASES[case]
    error = error_for(tmp_path, **kw)
    message = str(error)
    assert error.file and error.file.endswith(file), message
    assert error.line == line, message
    if key:
        assert error.key == key, message
        assert key in message
    assert f"{file}:{line}" in message
    for fragment in fragments:
        assert fragment in message


def test_duplicate_report_ids_across_files(tmp_path):
    error = error_for(tmp_path, extra={"r2.yaml": GOOD_REPORT})
    assert "duplicate report id 'r1'" in str(error)


def test_durations():
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("2w").days == 14
    with pytest.raises(ValueError):
        parse_duration("1y")


def test_cli_exits_2_and_writes_nothing(tmp_path):
    root = write(tmp_path, feeds=GOOD_FEEDS + "    colour: blue\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    proc = warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), "run", "--all"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "feeds.yaml:7" in proc.stderr and "colour" in proc.stderr
    after = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    assert before == after
