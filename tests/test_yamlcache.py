"""Parsed YAML values cached per file content (.tracker/cache/yaml/): the same answers
as a fresh parse, never stale, never in the way of an error message."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.store import yamlcache
from tracker.workspace import Workspace, init_workspace

VALUES = {
    "a": [1, 2.5, None, True, "x"],
    "when": date(2025, 10, 7),
    "at": datetime(2025, 10, 7, 8, 30, tzinfo=timezone.utc),
    "nested": {"k": {"v": []}},
}


def cached(tmp_path: Path, data, raw: bytes = b"v1"):
    calls = []

    def parse():
        calls.append(1)
        return data

    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    value, remember = yamlcache.YamlCache(tmp_path / "cache").load(path, raw, parse)
    if remember is not None:
        remember()  # what load_config does once everything validated
    return value, calls


def test_second_load_of_the_same_bytes_does_not_parse_and_gives_equal_values(tmp_path):
    first, calls = cached(tmp_path, VALUES)
    again, calls_again = cached(tmp_path, VALUES)
    assert first == again == VALUES and calls == [1] and calls_again == []
    assert isinstance(again["when"], date) and again["at"].tzinfo is not None


def test_changed_bytes_are_parsed_again(tmp_path):
    cached(tmp_path, {"v": 1}, b"v: 1")
    value, calls = cached(tmp_path, {"v": 2}, b"v: 2")
    assert value == {"v": 2} and calls == [1]


@pytest.mark.parametrize("data", [{"$date": "2025-01-01"}, {1: "int key"}, {"s": {1, 2}}])
def test_values_json_cannot_hold_are_parsed_every_time(tmp_path, data):
    cached(tmp_path, data)
    value, calls = cached(tmp_path, data)
    assert value == data and calls == [1]


def test_a_damaged_cache_file_is_ignored(tmp_path):
    cached(tmp_path, VALUES)
    for entry in (tmp_path / "cache").glob("*.json"):
        entry.write_text('{"content": ')
    value, calls = cached(tmp_path, VALUES)
    assert value == VALUES and calls == [1]


def test_nothing_is_cached_before_the_caller_says_so(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"v1")
    value, remember = yamlcache.YamlCache(tmp_path / "cache").load(path, b"v1", lambda: VALUES)
    assert value == VALUES and remember is not None and not (tmp_path / "cache").exists()


def test_workspace_config_from_cache_equals_a_fresh_parse_and_errors_still_name_lines(tmp_path):
    root = init_workspace(tmp_path / "ws")
    fresh = Workspace(root).config
    assert list((root / ".tracker" / "cache" / "yaml").glob("*.json"))
    again = Workspace(root).config
    assert again.sources == fresh.sources and again.reports == fresh.reports
    feeds = root / "feeds.yaml"
    feeds.write_text(feeds.read_text() + "http:\n  retries: many\n")
    with pytest.raises(ConfigError) as caught:
        Workspace(root).config  # noqa: B018
    assert "retries" in str(caught.value) and "feeds.yaml:" in str(caught.value)
