"""Normalize on every core when a run polls many sources.

Parsing (feedparser, HTML → text) is CPU-bound and holds the GIL, so with hundreds of
feeds the event loop stalls on it while responses wait. A run with at least
`POOL_MIN_SOURCES` sources hands `normalize` to a small pool of forked worker processes;
a run with few sources parses in-process, so a single-source run pays no process start-up.
Workers are forked up front, before the event loop has started any thread (forking a
threaded process can deadlock the child).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .models import RawDocument

POOL_MIN_SOURCES = 16
MAX_WORKERS = 4


def _normalize(source: Any, raw: RawDocument) -> Any:
    return source.normalize(raw)


class Normalizer:
    """`await normalizer(source, raw)`: the source's normalize, pooled or in-process.

    Errors (ParseError, SourceGone) come back from the workers as themselves."""

    def __init__(self, sources: int, workers: int | None = None) -> None:
        workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
        self.pool: ProcessPoolExecutor | None = None
        if sources >= POOL_MIN_SOURCES and workers > 1 and \
                "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            self.pool.submit(int).result()  # fork every worker now (3.11 forks all at once)

    async def __call__(self, source: Any, raw: RawDocument) -> Any:
        if self.pool is None:
            return source.normalize(raw)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, _normalize, source, raw)

    def __enter__(self) -> "Normalizer":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
