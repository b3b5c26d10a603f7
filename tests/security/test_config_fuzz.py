"""Configuration fuzzing (hypothesis): any feeds.yaml or report file gives a Config or a
ConfigError, never another exception; YAML loads are safe (a python tag is an error, not
code); no source id or report id can name a path outside snapshots/ (or digests/)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.config import Config, load_config
from tracker.errors import ConfigError, StoreError
from tracker.store import snapshot_yaml
from tracker.store.files import SNAPSHOTS
from tracker.store.git import GitStore

SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

VALID_FEEDS = {
    "sources": {
        "fb": {
            "kind": "factbook",
            "url": "https://example.org/kz.json",
            "schedule": "0 4 * * 4",
            "expect_update_within": "45d",
        },
        "wd": {"kind": "wikidata", "entity": "Q232", "properties": ["P6", "P36"]},
        "news": {"kind": "rss", "url": "https://example.org/feed", "max_items": 50},
        "acled-kz": {
            "kind": "acled",
            "country": "Kazakhstan",
            "since": "2023-01-01",
            "credentials": {"username_env": "U", "password_env": "P"},
        },
    },
    "http": {"retries": 1},
}
VALID_REPORT = {
    "report": {"id": "kz", "title": "T", "published": "2025-10-15"},
    "facts": [
        {
            "id": "pm",
            "expect": "Olzhas Bektenov",
            "source": "fb",
            "path": ["Government", "Executive branch", "head of government"],
            "extract": "person",
        },
        {
            "id": "pop",
            "expect": 20260000,
            "source": "wd",
            "path": ["P1082", "value"],
            "extract": "number",
            "tolerance": "0.5%",
        },
        {"id": "senate", "expect": "2026", "valid_until": "2026-12-31"},
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "factbook",
            "rss",
            "wikidata",
            "acled",
            "citations",
            "../../etc",
            "/etc/passwd",
            "..",
            "a/b",
            "fb\n",
            "0 4 * * 4",
            "45d",
            "P6",
            "Q232",
            "2025-13-45",
            "-1",
            "1e309",
            "person",
            "number",
            "text",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), scalars), inner, max_size=4),
    ),
    max_leaves=12,
)
ids = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "../escape",
            "../../etc/passwd",
            "/abs",
            "a/b",
            "a\\b",
            "..",
            ".",
            "fb\n",
            "ok.id",
            "x" * 101,
            "snap\x00shot",
            "con",
            "ü",
        ]
    ),
)


def mutate(document: dict, path: list, value) -> dict:
    """Replace (or add) the value at a key path of a copy of `document`."""
    import copy

    out = copy.deepcopy(document)
    node = out
    for key in path[:-1]:
        nxt = node.get(key) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            return out
        node = nxt
    node[path[-1]] = value
    return out


def load(feeds_text: str, report_text: str | None = None) -> Config | ConfigError:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "feeds.yaml").write_text(feeds_text, encoding="utf-8", errors="surrogatepass")
        if report_text is not None:
            (root / "reports").mkdir()
            (root / "reports" / "kz.yaml").write_text(
                report_text, encoding="utf-8", errors="surrogatepass"
            )
        try:
            config = load_config(root)
        except ConfigError as exc:
            assert str(exc).strip() and "Traceback" not in str(exc)
            return exc
        for sid in config.sources:  # whatever was accepted stays inside snapshots/
            store = GitStore.__new__(GitStore)
            store.root = root
            target = store.snapshot_path(sid).resolve()
            assert target.parent == (root / SNAPSHOTS).resolve(), sid
            assert store.relpath(sid) == f"{SNAPSHOTS}/{sid}.yaml" and "\n" not in sid
        for rid in config.reports:
            assert "/" not in rid and "\\" not in rid and not rid.startswith(".")
        return config


def dump(document) -> str:
    return snapshot_yaml.dumps(document)


def test_the_valid_files_load():
    assert isinstance(load(dump(VALID_FEEDS), dump(VALID_REPORT)), Config)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_as_feeds_yaml(text):
    load(text)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_as_a_report(text):
    load(dump(VALID_FEEDS), text)


FEEDS_KEYS = st.sampled_from(
    [
        ["sources"],
        ["http"],
        ["digest"],
        ["email"],
        ["sources", "fb"],
        ["sources", "fb", "kind"],
        ["sources", "fb", "url"],
        ["sources", "fb", "schedule"],
        ["sources", "fb", "timeout"],
        ["sources", "fb", "max_bytes"],
        ["sources", "fb", "expect_update_within"],
        ["sources", "wd", "entity"],
        ["sources", "wd", "properties"],
        ["sources", "news", "max_items"],
        ["sources", "acled-kz", "since"],
        ["sources", "acled-kz", "credentials"],
        ["http", "retries"],
        ["http", "max_retry_after"],
        ["sources", "new"],
        ["unknown"],
    ]
)


@SETTINGS
@given(FEEDS_KEYS, values)
def test_any_value_anywhere_in_feeds_yaml(path, value):
    load(dump(mutate(VALID_FEEDS, path, value)), dump(VALID_REPORT))


REPORT_KEYS = st.sampled_from(
    [
        ["report"],
        ["report", "id"],
        ["report", "published"],
        ["facts"],
        ["sections"],
        ["report", "title"],
        ["unknown"],
    ]
)
FACT_KEYS = st.sampled_from(
    [
        "id",
        "expect",
        "source",
        "path",
        "extract",
        "tolerance",
        "valid_until",
        "params",
        "also",
        "reviewed",
        "aliases",
        "watch",
        "footnote",
        "compare",
        "bogus",
    ]
)


@SETTINGS
@given(REPORT_KEYS, values)
def test_any_value_anywhere_in_a_report(path, value):
    load(dump(VALID_FEEDS), dump(mutate(VALID_REPORT, path, value)))


@SETTINGS
@given(st.integers(0, 2), FACT_KEYS, values)
def test_any_value_in_any_fact_field(index, key, value):
    report = mutate(VALID_REPORT, ["facts"], [dict(f) for f in VALID_REPORT["facts"]])
    report["facts"][index][key] = value
    load(dump(VALID_FEEDS), dump(report))


@SETTINGS
@given(ids)
def test_no_source_id_escapes_snapshots(sid):
    feeds = {"sources": {sid: {"kind": "factbook", "url": "https://example.org/x.json"}}}
    load(dump(feeds))


@SETTINGS
@given(ids)
def test_no_report_id_escapes(rid):
    load(dump(VALID_FEEDS), dump(mutate(VALID_REPORT, ["report", "id"], rid)))


@pytest.mark.parametrize("sid", ["../escape", "../../etc/passwd", "/abs", "a/b", "..", "fb\n"])
def test_the_store_refuses_escaping_ids_too(tmp_path, sid):
    store = GitStore.init(tmp_path / "ws")
    with pytest.raises(StoreError, match="escape"):
        store.write_snapshot(sid, {"a": 1})
    with pytest.raises(StoreError, match="escape"):
        store.relpath(sid)
    assert not list(tmp_path.rglob("*.yaml"))


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:subprocess.check_output [['touch', '{marker}']]",
        "!!python/name:os.system",
        "!!binary aGVsbG8=",
        "!custom {{a: 1}}",
    ],
)
@pytest.mark.parametrize("where", ["feeds", "report"])
def test_yaml_tags_are_errors_not_code(tmp_path, tag, where):
    marker = tmp_path / "PWNED"
    hostile = tag.format(marker=marker)
    feeds = f"sources:\n  fb:\n    kind: factbook\n    url: {hostile}\n"
    report = f"report: {{id: kz}}\nfacts:\n  - id: x\n    expect: {hostile}\n"
    result = load(feeds) if where == "feeds" else load(dump({"sources": {}}), report)
    assert not marker.exists(), "a YAML tag ran code"
    if "binary" not in tag:  # !!binary is a standard safe tag; it must still not crash
        assert isinstance(result, ConfigError), result
