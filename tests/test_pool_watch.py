"""A parse worker killed while it writes its result (tracker/run/pool_watch.py).

The standard library's pool then waits for the rest of that result forever: the
documents handed to it never come back. Here the half-written result is put into the
result pipe by the test (a length header announcing 1 MB, then four bytes), exactly as a
worker killed mid-write leaves it, and the worker is killed: the next document must
still be parsed — in-process, after the watch unsticks the pool.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time

import psutil
import pytest

from tests.test_perf_structure import job, workers_of
from tracker.run.parse import Parsed
from tracker.run.pool import ParsePool
from tracker.run.pool_watch import GRACE

pytestmark = pytest.mark.waits  # mostly waits (timeouts, drips): spread over the run

BOUND = 30  # seconds: far beyond GRACE; without the watch the document never comes back


def _half_a_result(pool: ParsePool) -> None:
    writer = pool._pool._result_queue._writer  # type: ignore[union-attr]
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"half")


def test_a_worker_killed_while_writing_its_result_costs_time_not_the_document():
    pool = ParsePool(workers=1, threshold=0)

    async def scenario() -> tuple[Parsed, Parsed, float]:
        first = await pool.parse(job(0))  # a worker is up and has answered once
        _half_a_result(pool)
        await asyncio.sleep(0.3)  # the pool's reader takes the header, waits for the rest
        for worker in workers_of(psutil.Process()):
            worker.kill()
        start = time.monotonic()
        second = await asyncio.wait_for(pool.parse(job(1)), BOUND)
        return first, second, time.monotonic() - start

    try:
        first, second, took = asyncio.run(scenario())
    finally:
        watch = pool._watch
        if pool._pool is not None and not (watch and watch.rescued):
            pool._pool._result_queue._writer.close()  # let a failing run end, not hang
        pool.close()
    assert isinstance(first, Parsed) and isinstance(second, Parsed)
    assert second.source == "feed01" and second.snapshot["items"]
    assert watch is not None and watch.rescued
    assert pool._pool is None and pool.in_pool == 1  # the second one was parsed in-process
    assert took < BOUND


def test_the_watch_leaves_a_healthy_pool_alone():
    """Workers that end at the pool's shutdown are not deaths; documents keep coming back
    from workers for longer than the grace time."""
    pool = ParsePool(workers=1, threshold=0)

    async def scenario() -> list[Parsed]:
        results = []
        end = time.monotonic() + 2 * GRACE + 0.5
        index = 0
        while time.monotonic() < end:
            results.append(await pool.parse(job(index)))
            index += 1
            await asyncio.sleep(0.05)
        return results

    try:
        results = asyncio.run(scenario())
    finally:
        pool.close()
    assert all(isinstance(r, Parsed) for r in results)
    assert pool.in_pool == len(results)
    assert pool._watch is not None and not pool._watch.rescued
