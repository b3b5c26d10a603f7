"""Parsing on more cores: the standard library's process pool with pure workers.

A worker only runs `parse.parse` — bytes in, data out; it opens no file, touches no git,
makes no request. The main process fetches, writes and commits. Workers are started with
`spawn` (never `fork`: the daemon is multi-threaded), and die with their parent: on Linux
the initializer asks the kernel for SIGKILL when the parent goes (PR_SET_PDEATHSIG), then
checks that the parent did not go before that. The pool is started only once a run has
more documents to parse than `threshold` (starting workers costs more than parsing a few
documents in-process: benchmarks/parsepool.py measures both). A worker that dies
(BrokenProcessPool) ends the pool; this document and the rest are parsed in-process.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tracker.run.parse import Failed, Parsed, ParseJob, failed, parse

log = logging.getLogger(__name__)

POOL_THRESHOLD = 48   # documents a run parses in-process before it starts workers
MAX_WORKERS = 4
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def default_workers() -> int:
    """One worker per core this process may run on (at most MAX_WORKERS); 0 on one core,
    where a worker could only take turns with the main process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


def _die_with_parent(parent: int) -> None:
    """Worker initializer: SIGKILL when the parent dies, and never outlive it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


class ParsePool:
    """`await pool.parse(job)` from the run's event loop; `close()` when polling ends.

    In-process until more than `threshold` documents arrived, then in `workers` processes
    (0: always in-process)."""

    def __init__(self, *, workers: int | None = None, threshold: int = POOL_THRESHOLD) -> None:
        self.workers = default_workers() if workers is None else workers
        self.threshold = threshold
        self.arrived = 0
        self.in_pool = 0  # documents parsed by workers (tests and benchmarks read it)
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._abandoned = False  # a worker may still be busy with a cancelled document

    @property
    def started(self) -> bool:
        return self._pool is not None or self._broken

    async def parse(self, job: ParseJob) -> Parsed | Failed:
        self.arrived += 1
        if self._pool is None and not self._broken and self.workers > 0 \
                and self.arrived > self.threshold:
            self._start()
        pool = self._pool
        if pool is None:
            await asyncio.sleep(0)  # let the other sources' replies in between documents
            return parse(job)
        try:
            result = await asyncio.get_running_loop().run_in_executor(pool, parse, job)
        except asyncio.CancelledError:  # the run's deadline, or a stop
            self._abandoned = True
            raise
        except BrokenProcessPool:
            self._give_up(pool)
            return parse(job)
        except Exception as exc:  # noqa: BLE001 - e.g. a result too deep to pickle back
            return failed(job.source, exc, "handing the parsed document back from a worker")
        self.in_pool += 1
        return result

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                         initializer=_die_with_parent,
                                         initargs=(os.getpid(),))

    def _give_up(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            log.warning("a parse worker died; parsing the rest of this run in-process")
            self._pool, self._broken = None, True
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """End the workers: idle ones exit by themselves; when a document was abandoned
        (the run's deadline, a stop) its worker is killed, as its result is not wanted."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public API in 3.11
        pool.shutdown(wait=False, cancel_futures=True)
        if self._abandoned:
            for process in processes:
                if process.is_alive():
                    process.kill()
