"""Poll on every core when a run has many sources.

HTTP handling (httpx), parsing (feedparser, HTML → text) and writing YAML are CPU-bound
Python; with hundreds of sources one process is the bottleneck while the network waits.
A run with at least `POOL_MIN_SOURCES` sources is split into shards, one per core (at
most `MAX_WORKERS`). Each shard is polled in a forked worker with its own client and event
loop — fetch, normalize, merge with the previous snapshot, write the snapshot file (every
file belongs to exactly one shard) — and sends back its results and the sources' new
states. The parent makes the run's one commit. The overall and per-host connection limits
are divided between the shards, so the politeness limits hold for the run as a whole.
Small runs (and runs with an injected test transport) stay in-process: no process start-up.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

POOL_MIN_SOURCES = 16
MAX_WORKERS = 4


@dataclass
class _Job:
    root: Path
    config: Any
    state: Any
    ids: list[str]
    now: datetime
    shards: int


_JOB: _Job | None = None  # set before forking: workers inherit it, nothing is pickled


def shard_count(sources: int, workers: int | None = None) -> int:
    workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if sources < POOL_MIN_SOURCES or workers < 2 or \
            "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return workers


def poll_sharded(root: Path, config: Any, state: Any, ids: list[str], now: datetime,
                 shards: int) -> list[tuple[Any, Any]]:
    """[(SourceResult, SourceState)] for `ids`, polled by `shards` forked workers."""
    global _JOB
    _JOB = _Job(root, config, state, ids, now, shards)
    parts: dict[int, list[tuple[Any, Any]]] = {}
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(shards, mp_context=context) as pool:
            futures = {index: pool.submit(_poll_shard, index) for index in range(shards)}
            for index, future in futures.items():
                try:
                    parts[index] = future.result()
                except BrokenProcessPool:
                    pass  # a worker died (killed, out of memory): redone below, in-process
        for index in range(shards):
            if index not in parts:
                parts[index] = _poll_shard(index)
    finally:
        _JOB = None
    by_id = {result.source: (result, entry) for part in parts.values() for result, entry in part}
    return [by_id[sid] for sid in ids]


def _poll_shard(index: int) -> list[tuple[Any, Any]]:
    import asyncio

    from .runner import make_sources, poll_all, store_polled
    from .store import GitStore

    job = _JOB
    assert job is not None, "poll_sharded sets the job before forking"
    http = job.config.http.model_copy(update={
        "per_host": max(1, job.config.http.per_host // job.shards),
        "concurrency": max(1, job.config.http.concurrency // job.shards)})
    sources = make_sources(job.root, job.config, job.ids[index::job.shards])
    polled = asyncio.run(poll_all(http, job.state, sources, job.now, None))
    store = GitStore(job.root)
    return [(store_polled(store, job.state, item, job.now), job.state.source(item.source.id))
            for item in polled]
