"""The suite's own scheduling (tests/conftest.py): long tests first, the demo's last, and
the tests that mostly wait spread evenly over the rest instead of side by side."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.conftest import _scheduled


@dataclass
class Item:
    name: str
    marks: set[str] = field(default_factory=set)
    fixturenames: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None


def test_waiting_tests_are_spread_evenly_between_the_ordinary_ones():
    slow = Item("slow", {"slow"})
    ordinary = [Item(f"o{i}") for i in range(9)]
    waiting = [Item(f"w{i}", {"waits"}) for i in range(2)]
    demo = Item("demo", fixturenames=("demo_workspace",))
    builder = Item("builder", fixturenames=("demo_workspace",))
    items = [builder, slow, *waiting, *ordinary, demo]

    order = [item.name for item in _scheduled(items, builder)]

    assert order[:2] == ["builder", "slow"] and order[-1] == "demo"
    assert order[2:-1] == ["o0", "o1", "o2", "w0", "o3", "o4", "o5", "w1", "o6", "o7", "o8"]


def test_a_waiting_test_that_is_long_stays_with_the_long_ones():
    items = [Item("long", {"slow", "waits"}), Item("o0"), Item("w", {"waits"})]
    assert [item.name for item in _scheduled(items, None)] == ["long", "w", "o0"]


def test_nothing_moves_without_waiting_tests():
    items = [Item("a"), Item("b")]
    assert _scheduled(items, None) == items
