"""diff_snapshots walks the mappings both sides share and hands only what differs to
deepdiff: the result must be what deepdiff says over the whole documents."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.evaluate.diff import _KINDS, diff_snapshots

KEYS = st.sampled_from(["a", "b", "c", "People", "total", "0"])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("xy ", max_size=3))
TREES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)
DOCS = st.dictionaries(KEYS, TREES, max_size=4)


def whole(old: dict[str, Any], new: dict[str, Any]) -> list[tuple]:
    """The reference: one deepdiff over both documents."""
    tree = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    out = []
    for report_type, kind in _KINDS.items():
        for level in tree.get(report_type, []):
            path = tuple(str(p) for p in level.path(output_format="list"))
            out.append(
                (
                    path,
                    kind,
                    None if kind == "added" else level.t1,
                    None if kind == "removed" else level.t2,
                )
            )
    return sorted(out, key=lambda c: c[0])


def mine(old: dict[str, Any], new: dict[str, Any]) -> list[tuple]:
    return [(c.path, c.change, c.old, c.new) for c in diff_snapshots(old, new)]


def same_types(a: Any, b: Any) -> bool:
    """Whether equal values are also of equal types all the way down (deepdiff reports
    1 == True as a type change; the walk skips equal subtrees)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(same_types(a[k], b[k]) for k in a.keys() & b.keys())
    if isinstance(a, list):
        return all(same_types(x, y) for x, y in zip(a, b))
    return True


@settings(max_examples=120, deadline=None)
@given(DOCS, DOCS)
def test_the_walk_says_what_one_deepdiff_says(old, new):
    if not same_types(old, new):
        return
    assert sorted(mine(old, new), key=repr) == sorted(whole(old, new), key=repr)


def test_a_deep_change_among_many_equal_entries():
    old = {"People": {f"field{i}": {"text": str(i)} for i in range(500)}}
    new = {"People": {**old["People"], "field7": {"text": "changed"}, "added": {"text": "x"}}}
    del new["People"]["field9"]
    assert mine(old, new) == [
        (("People", "added"), "added", None, {"text": "x"}),
        (("People", "field7", "text"), "changed", "7", "changed"),
        (("People", "field9"), "removed", {"text": "9"}, None),
    ]


def test_from_nothing_and_to_nothing():
    assert mine({}, {"a": 1}) == [(("a",), "added", None, 1)]
    assert [(c.path, c.change) for c in diff_snapshots({"a": 1}, None)] == [(("a",), "removed")]
    assert diff_snapshots({"a": [1, 2]}, {"a": [1, 2]}) == []


def test_entries_only_added_or_only_removed_read_as_deepdiff_reads_them():
    """The walk reports a mapping that gained (or lost) entries without deepdiff; it must
    say exactly what deepdiff says, whatever the keys and values."""
    cases = [
        ({}, {"title": "t", "link": None, "items": {"g1": {"title": "a"}, "g2": {}}}),
        ({"items": {"g1": {"title": "a"}}}, {"items": {"g1": {"title": "a"}, "g2": [1, {}]}}),
        ({"items": {"g1": {"title": "a"}, "g2": None}}, {"items": {"g1": {"title": "a"}}}),
        ({"x": {}}, {"x": {1: "int key", (2, 3): "tuple key", None: "none"}}),
        ({"x": {1.5: "a", True: "b"}}, {"x": {}}),
        ({"a": 1}, {}),
    ]
    for old, new in cases:
        assert mine(old, new) == whole(old, new), (old, new)
