"""Snapshot YAML through ruamel.yaml: canonical, byte-stable, one meaning in YAML 1.1 and
1.2, and snapshots PyYAML wrote before read as the data they held (no commit for a
format)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.conftest import utc
from tests.support.server import Reply
from tracker.config.yamlfile import read_yaml
from tracker.errors import ParseError
from tracker.run.runner import run_once
from tracker.store import snapshot_yaml, yaml_dialects
from tracker.store.git import GitStore

# Strings each of the two dialects would read as something else when written plain.
LOOKALIKES = [
    "1e3",
    "1.5e3",
    "-2E10",
    "0o17",
    "017",
    "0x1F",
    "0b101",
    "1_000",
    "1:20",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    "2024-01-01",
    "2024-01-01 10:00:00",
    ".inf",
    "-.Inf",
    ".nan",
    ".5",
    "+1",
    "<<",
    "=",
    "!",
    "&a",
    "*a",
]

# Byte for byte what PyYAML 6 (CSafeDumper, sort_keys, block style, literal blocks for
# multi-line text) wrote for the data in PYYAML_DATA: YAML 1.1, where `1e3`, `1.5e3`
# and `0o17` are strings and so stayed plain.
PYYAML_TEXT = """\
Economy:
  GDP:
    note: 'note: data are in current dollars'
    text: 1e3
  Inflation:
    text: 1.5e3
Government:
  Capital:
    text: |-
      Astana
      (since 2019)
  Code:
    text: 0o17
  Flags:
  - 'yes'
  - 'null'
  - '2024-01-01'
  - ''
"""
PYYAML_DATA = {
    "Economy": {
        "GDP": {"note": "note: data are in current dollars", "text": "1e3"},
        "Inflation": {"text": "1.5e3"},
    },
    "Government": {
        "Code": {"text": "0o17"},
        "Capital": {"text": "Astana\n(since 2019)"},
        "Flags": ["yes", "null", "2024-01-01", ""],
    },
}


def ruamel12(text: str):
    return YAML(typ="safe", pure=True).load(text)


# ------------------------------------------------------------------ canonical form


def test_canonical_layout():
    data = {
        "b": {"z": "x" * 300, "a": "two\nlines"},
        "a": [1, 2.5, True, None],
        "ü": "Ołżas",
        "trailing": "line \nnext",
        "empty": {},
        "nested": [{"k": "v"}],
    }
    text = snapshot_yaml.dumps(data)
    assert text == (
        "a:\n- 1\n- 2.5\n- true\n- null\n"
        "b:\n  a: |-\n    two\n    lines\n  z: " + "x" * 300 + "\n"
        "empty: {}\n"
        "nested:\n- k: v\n"
        'trailing: "line \\nnext"\n'
        "ü: Ołżas\n"
    )
    assert snapshot_yaml.loads(text) == data
    assert snapshot_yaml.dumps(snapshot_yaml.loads(text)) == text


def test_pyyaml_layout_is_kept_but_lookalikes_are_quoted():
    """The same bytes as PyYAML wrote, except the strings YAML 1.2 would misread: most
    existing snapshots are not even reformatted by the change of library."""
    expected = PYYAML_TEXT
    for lookalike in ("1e3", "1.5e3", "0o17"):
        expected = expected.replace(f"text: {lookalike}\n", f"text: '{lookalike}'\n")
    assert snapshot_yaml.dumps(PYYAML_DATA) == expected


@pytest.mark.parametrize("value", LOOKALIKES)
def test_lookalike_strings_round_trip_as_strings_in_both_dialects(value, tmp_path):
    text = snapshot_yaml.dumps({"expect": value, "list": [value]})
    assert snapshot_yaml.loads(text) == {"expect": value, "list": [value]}
    assert ruamel12(text) == {"expect": value, "list": [value]}  # YAML 1.2, as config reads
    draft = tmp_path / "draft.yaml"
    draft.write_text(text)
    assert read_yaml(draft, "safe")["expect"] == value  # the config loader (drafts, reports)


def test_values_keep_their_types():
    data = {
        "int": 15,
        "neg": -3,
        "big": 10**30,
        "float": 1000.0,
        "tiny": 1e-05,
        "huge": 1e17,
        "inf": math.inf,
        "bool": False,
        "none": None,
        "day": utc("2024-01-01T00:00:00").date(),
    }
    back = snapshot_yaml.loads(snapshot_yaml.dumps(data))
    assert back == data and all(type(back[k]) is type(v) for k, v in data.items())
    assert math.isnan(snapshot_yaml.loads(snapshot_yaml.dumps(math.nan)))


def test_text_yaml_cannot_hold_is_a_parse_error_naming_the_place():
    with pytest.raises(ParseError, match=r"surrogate at People\.total"):
        snapshot_yaml.dumps({"People": {"total": "x\ud800"}})
    with pytest.raises(ValueError, match="cannot store a set"):
        snapshot_yaml.dumps({"a": {1, 2}})


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",  # aliases: never in a snapshot
        "a: !!python/object:os.system {}\n",  # no objects, ever
        "a: !custom x\n",
        "a: 1\na: 2\n",  # duplicate key
        "a: [1\n",  # broken
        "? [1, 2]\n: x\n",  # a key that is not a scalar
        "a: !!int xyz\n",
    ],
)
def test_loads_refuses_what_a_snapshot_never_holds(text):
    with pytest.raises(ValueError):
        snapshot_yaml.loads(text)


def test_explicit_standard_tags_are_honoured():
    assert snapshot_yaml.loads("a: !!str 1e3\nb: !!float '2'\nc: !!int '7'\n") == {
        "a": "1e3",
        "b": 2.0,
        "c": 7,
    }


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=25)
scalars = st.one_of(
    text,
    st.sampled_from(LOOKALIKES),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=25,
)


@settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(documents)
def test_any_document_round_trips_and_means_the_same_in_yaml_1_2(data):
    text = snapshot_yaml.dumps(data)
    assert snapshot_yaml.loads(text) == data
    assert snapshot_yaml.dumps(snapshot_yaml.loads(text)) == text  # byte-stable
    assert ruamel12(text) == data


def test_dialect_tables():
    assert yaml_dialects.plain_meaning("Astana") == "str"
    assert yaml_dialects.plain_meaning("12") == "int"
    assert yaml_dialects.plain_meaning("1.5") == "float"
    assert yaml_dialects.plain_meaning("2024-01-01") == "timestamp"
    for disputed in ("1e3", "0o17", "yes", "on", "1:20", "017", "<<"):
        assert yaml_dialects.plain_meaning(disputed) == yaml_dialects.AMBIGUOUS, disputed


# ------------------------------------------------------------------ files PyYAML wrote


def test_a_pyyaml_snapshot_reads_as_the_strings_it_held():
    assert snapshot_yaml.loads(PYYAML_TEXT) == PYYAML_DATA
    assert ruamel12(PYYAML_TEXT)["Economy"]["GDP"]["text"] == 1000.0  # why it matters


def test_a_reformat_is_not_a_change(tmp_path):
    store = GitStore.init(tmp_path / "ws")
    path = store.snapshot_path("fb")
    path.parent.mkdir(parents=True)
    path.write_text(PYYAML_TEXT)
    first = store.commit(["snapshots/fb.yaml"], "written by PyYAML", when=utc("2025-01-01"))
    assert store.write_snapshot("fb", PYYAML_DATA) is False
    assert path.read_text() == PYYAML_TEXT
    assert store.commit(["snapshots/fb.yaml"], "again", when=utc("2025-01-02")) is None
    assert store.read_snapshot("fb") == store.read_snapshot("fb", rev=first) == PYYAML_DATA
    changed = {**PYYAML_DATA, "Economy": {"GDP": {"text": "2e3"}}}
    assert store.write_snapshot("fb", changed) is True
    assert "text: '2e3'" in path.read_text()
    assert snapshot_yaml.unchanged(PYYAML_TEXT.encode(), snapshot_yaml.dumps(PYYAML_DATA))
    assert not snapshot_yaml.unchanged(b"a: [broken", snapshot_yaml.dumps(PYYAML_DATA))


def test_a_run_over_a_pyyaml_snapshot_commits_nothing(workspace, server):
    document = {
        "Economy": {"GDP": {"text": "1e3"}, "Code": {"text": "0o17"}},
        "Government": {"Capital": {"text": "Astana"}},
    }
    server.route("/fb.json", Reply(body=json.dumps(document).encode()))
    ws = workspace(
        f"""\
        sources:
          fb: {{kind: factbook, url: "{server.url("/fb.json")}"}}
        http: {{retries: 0}}
        """,
        {
            "r": """\
        report: {id: r}
        facts:
          - {id: gdp, expect: "1e3", source: fb, path: [Economy, GDP], extract: text}
        """
        },
    )
    first = run_once(ws, now=utc("2026-01-01T00:00:00"), send_email=False)
    snapshot = ws / "snapshots" / "fb.yaml"
    assert first.commit and "text: '1e3'" in snapshot.read_text()
    old = snapshot.read_text().replace("'1e3'", "1e3").replace("'0o17'", "0o17")
    snapshot.write_text(old)  # as the PyYAML writer left it
    store = GitStore(ws)
    store.commit(["snapshots/fb.yaml"], "PyYAML layout", when=utc("2026-01-01T01:00:00"))
    head = store.head()
    again = run_once(ws, now=utc("2026-01-02T00:00:00"), send_email=False)
    assert again.commit is None and store.head() == head
    assert snapshot.read_text() == old
    [finding] = again.findings
    assert finding.status == "current" and finding.current == "1e3"


def test_depth_costs_memory_not_the_stack():
    """Both walks keep their own stack: a deeply nested snapshot neither overflows the C
    stack (a crash with a recursive composer) nor hits Python's recursion limit."""
    deep: list = []
    inner = deep
    for _ in range(3000):
        inner.append({"k": []})
        inner = inner[0]["k"]
    text = snapshot_yaml.dumps(deep)
    back = snapshot_yaml.loads(text)
    for _ in range(3000):
        back = back[0]["k"]
    assert back == []
    assert snapshot_yaml.loads("[" * 5000 + "]" * 5000) is not None


def test_data_that_contains_itself_is_refused():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        snapshot_yaml.dumps({"a": loop})
    shared = ["x"]
    assert snapshot_yaml.loads(snapshot_yaml.dumps([shared, shared])) == [["x"], ["x"]]
