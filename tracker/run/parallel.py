"""Poll on every core when a run has many sources.

HTTP handling (httpx), parsing (feedparser, HTML → text) and writing YAML are CPU-bound
Python; with hundreds of sources one process is the bottleneck while the network waits.
A run with at least `POOL_MIN_SOURCES` sources is split into shards, one per core (at
most `MAX_WORKERS`). Each shard is polled in a forked worker with its own client and event
loop — fetch, normalize, merge with the previous snapshot, write the snapshot file (every
file belongs to exactly one shard) — and sends back its results and the sources' new
states. The parent makes the run's one commit.

Shards are cut along hosts (`plan_shards`): a host's sources go to one shard, which keeps
the host's whole `per_host` limit. Cutting by position instead halved every host's limit
(measured: an all-304 pass over 50 sites took 7 round trips per site instead of 4). Only a
host with more than a shard's share of the sources is spread over several shards, its
limit divided between them; the overall limit is divided too, so the politeness limits
hold for the run as a whole.
Small runs (and runs with an injected test transport) stay in-process: no process start-up.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from pathlib import Path
from typing import Any, Callable, Mapping

POOL_MIN_SOURCES = 16
MAX_WORKERS = 4


@dataclass
class Shard:
    ids: list[str] = field(default_factory=list)
    host_limits: dict[str, int] = field(default_factory=dict)  # hosts shared with other shards


@dataclass
class _Job:
    root: Path
    config: Any
    state: Any
    now: datetime
    shards: list[Shard]


_JOB: _Job | None = None  # set before forking: workers inherit it, nothing is pickled


def shard_count(sources: int, workers: int | None = None) -> int:
    workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if sources < POOL_MIN_SOURCES or workers < 2 or \
            "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return workers


def plan_shards(ids: list[str], hosts: Mapping[str, str], shards: int,
                per_host: int) -> list[Shard]:
    """Split `ids` into `shards` balanced parts, keeping each host's sources together.

    Hosts go largest first to the least loaded shard. A host with more sources than a
    shard's fair share is spread over the k least loaded shards (k ≤ per_host, so every
    shard keeps at least one connection) with per_host // k connections in each."""
    groups: dict[str, list[str]] = {}
    for sid in ids:
        groups.setdefault(hosts[sid], []).append(sid)
    fair = ceil(len(ids) / shards)
    plan = [Shard() for _ in range(shards)]
    for host, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        k = max(1, min(shards, per_host, ceil(len(group) / fair)))
        targets = sorted(plan, key=lambda shard: len(shard.ids))[:k]
        for offset, shard in enumerate(targets):
            shard.ids.extend(group[offset::k])
            if k > 1:
                shard.host_limits[host] = per_host // k
    return plan


def source_hosts(config: Any, ids: list[str]) -> dict[str, str]:
    """The host each source polls (its URL's host:port; a kind's fixed API when none)."""
    from tracker.fetch.client import host_key

    out = {}
    for sid in ids:
        options = config.sources[sid]
        out[sid] = host_key(options.url) if options.url else f"kind:{options.kind}"
    return out


def poll_sharded(root: Path, config: Any, state: Any, ids: list[str], now: datetime,
                 shards: int, meanwhile: Callable[[], None] | None = None
                 ) -> list[tuple[Any, Any]]:
    """[(SourceResult, SourceState)] for `ids`, polled by `shards` forked workers; the
    parent runs `meanwhile` while they work."""
    global _JOB
    import tracker.fetch.client  # noqa: F401 - loaded once here, not in each shard after the fork

    plan = plan_shards(ids, source_hosts(config, ids), shards, config.http.per_host)
    _JOB = _Job(root, config, state, now, [shard for shard in plan if shard.ids])
    shards = len(_JOB.shards)
    parts: dict[int, list[tuple[Any, Any]]] = {}
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(shards, mp_context=context) as pool:
            futures = {index: pool.submit(_poll_shard, index) for index in range(shards)}
            if meanwhile is not None:
                meanwhile()
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

    from tracker.run.runner import make_sources, poll_all, store_polled
    from tracker.store.git import GitStore

    job = _JOB
    assert job is not None, "poll_sharded sets the job before forking"
    shard = job.shards[index]
    http = job.config.http.model_copy(update={
        "concurrency": max(1, job.config.http.concurrency // len(job.shards))})
    sources = make_sources(job.root, job.config, shard.ids)
    polled = asyncio.run(poll_all(http, job.state, sources, job.now,
                                  host_limits=shard.host_limits))
    store = GitStore(job.root)
    return [(store_polled(store, job.state, item, job.now), job.state.source(item.source.id))
            for item in polled]
