"""Every extractor checks its params and its `expect` at load: a bad fact is a ConfigError
naming file and line (exit 2), never a crash of `status`, `run` or `digest` later."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import make_workspace
from tests.support.zygote import run as warm_run
from tracker.config import load_config
from tracker.errors import ConfigError

FEEDS = """\
sources:
  fb:
    kind: factbook
    url: http://127.0.0.1:9/kz.json
  acled-kz:
    kind: acled
    country: Kazakhstan
    since: 2023-01-01
    credentials: {username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}
"""
HEAD = """\
report: {id: r1}
facts:
  - id: fine
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
"""
BAD = {  # name → (fact lines, words the message must contain)
    "shares-with-a-text-expect": (
        [
            "expect: Kazakh 71%, Russian 14.9%",
            "source: fb",
            "path: [People, Ethnic groups]",
            "extract: shares",
        ],
        ["mapping", "expect"],
    ),
    "shares-with-a-text-share": (
        ["expect: {Kazakh: many}", "source: fb", "path: [a]", "extract: shares"],
        ["Kazakh", "percentage"],
    ),
    "shares-with-aliases": (
        [
            "expect: {Kazakh: 71}",
            "aliases: [Kazakh 71%]",
            "source: fb",
            "path: [a]",
            "extract: shares",
        ],
        ["aliases[0]"],
    ),
    "no-expect-with-a-source": (["source: fb", "path: [a]", "extract: number"], ["no `expect`"]),
    "no-expect-no-expiry": (["watch: [senate]"], ["no `expect`"]),
    "no-expect-with-source-and-expiry": (
        ["source: fb", "path: [a]", "valid_until: 2026-12-31"],
        ["no `expect`"],
    ),
    "number-expect-without-a-number": (
        ["expect: many, they say", "source: fb", "path: [a]", "extract: number"],
        ["must be a number"],
    ),
    "number-expect-is-a-mapping": (
        ["expect: {a: 1}", "source: fb", "path: [a]", "extract: number"],
        ["must be a number"],
    ),
    "number-alias-without-a-number": (
        ["expect: 5", "aliases: [many]", "source: fb", "path: [a]", "extract: number"],
        ["aliases[0]"],
    ),
    "date-expect-without-a-day": (
        ["expect: February 2024", "source: fb", "path: [a]", "extract: date"],
        ["date"],
    ),
    "person-expect-is-a-number": (
        ["expect: 42", "source: fb", "path: [a]", "extract: person"],
        ["must be a name"],
    ),
    "text-expect-is-empty": (["expect: ''", "source: fb", "path: [a]"], ["empty"]),
    "text-expect-is-a-list": (["expect: [a, b]", "source: fb", "path: [a]"], ["text"]),
    "acled-expect-is-not-a-count": (
        ["expect: 2.5", "source: acled-kz", "path: [events]", "extract: acled"],
        ["count"],
    ),
    "within-without-a-group": (
        ["expect: 50", "source: fb", "path: [a]", "extract: number", "params: {within: 'Senate'}"],
        ["no group", "within"],
    ),
    "within-not-a-regex": (
        [
            "expect: 50",
            "source: fb",
            "path: [a]",
            "extract: number",
            "params: {within: 'Senate (('}",
        ],
        ["not a valid regex"],
    ),
    "within-on-a-structure-extractor": (
        [
            "expect: 5",
            "source: acled-kz",
            "path: [events]",
            "extract: acled",
            "params: {within: '(x)'}",
        ],
        ["unknown", "within"],
    ),
    "index-is-text": (
        ["expect: 50", "source: fb", "path: [a]", "extract: number", "params: {index: first}"],
        ["index"],
    ),
    "regex-group-missing": (
        [
            "expect: '98'",
            "source: fb",
            "path: [a]",
            "extract: regex",
            "params: {pattern: 'Mazhilis \\((\\d+) seats', group: 2}",
        ],
        ["group", "1 group"],
    ),
    "regex-named-group-missing": (
        [
            "expect: '98'",
            "source: fb",
            "path: [a]",
            "extract: regex",
            "params: {pattern: '(?P<seats>\\d+)', group: count}",
        ],
        ["seats"],
    ),
    "month-first-not-a-flag": (
        [
            "expect: 2024-02-06",
            "source: fb",
            "path: [a]",
            "extract: date",
            "params: {month_first: maybe}",
        ],
        ["true or false"],
    ),
    "also-without-a-source": (
        ["expect: Olzhas Bektenov", "also: [{source: fb, path: [a], extract: person}]"],
        ["also", "no `source`"],
    ),
    "also-extractor-cannot-compare-expect": (
        [
            "expect: Olzhas Bektenov",
            "source: fb",
            "path: [a]",
            "extract: person",
            "also: [{source: fb, path: [b], extract: number}]",
        ],
        ["number"],
    ),
}


def report_with(lines: list[str]) -> str:
    return HEAD + "  - id: bad\n" + "".join(f"    {line}\n" for line in lines)


def bad_fact_line(text: str) -> int:
    return text.splitlines().index("  - id: bad") + 1


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_fact_is_a_config_error_with_file_and_line(tmp_path: Path, name: str):
    lines, words = BAD[name]
    text = report_with(lines)
    root = make_workspace(tmp_path / "ws", FEEDS, {"r1": text})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    error = caught.value
    assert error.file and error.file.endswith("r1.yaml")
    assert error.line is not None and error.line >= bad_fact_line(text), str(error)
    assert all(word in str(error) for word in words), str(error)


GOOD = {
    "number-with-scale-words": [
        "expect: 20,26 mln",
        "source: fb",
        "path: [a]",
        "extract: number",
        "aliases: ['20 260 006']",
    ],
    "number-as-a-word": ["expect: five", "source: fb", "path: [a]", "extract: number"],
    "yaml-date": ["expect: 2024-02-06", "source: fb", "path: [a]", "extract: date"],
    "written-date": ["expect: 6 lutego 2024 r.", "source: fb", "path: [a]", "extract: date"],
    "shares": [
        "expect: {Kazakh: 71, Russian: '14.9%'}",
        "source: fb",
        "path: [a]",
        "extract: shares",
    ],
    "acled-count": [
        "expect: 5",
        "source: acled-kz",
        "path: [events]",
        "extract: acled",
        "params: {from: 2025-01-01, to: 2025-09-12}",
    ],
    "within-with-a-group": [
        "expect: 50",
        "source: fb",
        "path: [a]",
        "extract: number",
        "params: {within: 'Senate \\((\\d+) seats', index: -1}",
    ],
    "tracked-by-expiry-only": ["valid_until: 2026-12-31", "watch: [senate]"],
    "text-number-expect": ["expect: 2026", "valid_until: 2026-12-31"],
}


@pytest.mark.parametrize("name", list(GOOD))
def test_good_facts_load(tmp_path: Path, name: str):
    root = make_workspace(tmp_path / "ws", FEEDS, {"r1": report_with(GOOD[name])})
    assert [f.id for f in load_config(root).reports["r1"].facts] == ["fine", "bad"]


@pytest.mark.parametrize("command", [["status"], ["history", "bad"], ["digest"]])
def test_commands_stop_with_exit_2_and_the_line(tmp_path: Path, command: list[str]):
    """The shares fact with a string `expect` once crashed status, run and digest."""
    text = report_with(BAD["shares-with-a-text-expect"][0])
    root = make_workspace(tmp_path / "ws", FEEDS, {"r1": text})
    proc = warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *command],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"r1.yaml:{bad_fact_line(text) + 1}" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "name,key",
    [
        ("within-without-a-group", "params"),
        ("shares-with-a-text-expect", "expect"),
        ("also-without-a-source", "also"),
    ],
)
def test_the_error_points_at_the_key(tmp_path: Path, name: str, key: str):
    text = report_with(BAD[name][0])
    root = make_workspace(tmp_path / "ws", FEEDS, {"r1": text})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    line = next(
        n
        for n, row in enumerate(text.splitlines(), 1)
        if n > bad_fact_line(text) and row.strip().startswith(f"{key}:")
    )
    assert (caught.value.line, caught.value.key) == (line, f"facts[1].{key}")
