"""The collector settings of a one-command process (tracker/cli/heap.py): the console
script collects young objects less often and `run` freezes its start-up, while the same
commands called in a long-lived process leave Python's defaults alone."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from tests.cli_fixtures import cli, make
from tracker.cli import heap


def python(code: str) -> str:
    """`code` in a fresh interpreter (a freeze would outlive the test in this one)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_a_command_called_in_process_keeps_the_collector_as_it_was(tmp_path, server):
    root = make(tmp_path, server)
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    outcome = cli("-w", str(root), "run", "--all", "--no-email", "--now", "2026-01-30T07:00")
    assert outcome.code in (0, 3), outcome.err
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_the_console_script_freezes_its_start_up_once():
    out = python(
        """
        import gc
        from tracker.cli import heap
        heap.settle()  # not a one-command process yet: nothing happens
        assert gc.get_freeze_count() == 0, gc.get_freeze_count()
        heap.one_command()
        heap.settle()
        frozen = gc.get_freeze_count()
        made_later = [[] for _ in range(1000)]
        heap.settle()  # a second call (a daemon's next job) freezes nothing more
        print(gc.get_threshold()[0], frozen > 0, gc.get_freeze_count() == frozen)
        """
    )
    assert out == f"{heap.YOUNG_THRESHOLD} True True"


def test_cycles_made_after_the_freeze_are_still_collected():
    """Memory stays bounded: garbage cycles are collected without anyone asking."""
    out = python(
        """
        import gc, weakref
        from tracker.cli import heap
        heap.one_command()
        heap.settle()

        class Node:
            pass

        alive = 0
        refs = []
        for n in range(300_000):
            node = Node()
            node.self = node  # a cycle: only the collector frees it
            if n % 10_000 == 0:
                refs.append(weakref.ref(node))
        del node
        print(sum(ref() is not None for ref in refs[:-1]))
        """
    )
    assert out == "0", f"{out} early cycles still alive"
