"""Parsing on more cores: the standard library's process pool with pure workers.

A worker only runs `parse.parse` — bytes in, data out; it opens no file, touches no git,
makes no request. The main process fetches, writes and commits. Workers are forked by a
fork server (never from this process: the daemon is multi-threaded) and die with their
owner: on Linux the initializer asks the kernel for SIGKILL when the parent goes
(PR_SET_PDEATHSIG), then checks that the owner did not go before that. The pool starts
only once a run has more documents to parse than `threshold` (`run.pool_threshold`):
starting workers costs more than parsing a few documents in-process
(benchmarks/parsepool.py measures both). A worker that dies (BrokenProcessPool) ends the
pool; that document and the rest are parsed in-process — also when it died while writing
its result, which the standard library's pool alone would wait for forever
(pool_watch.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import threading
import time
from typing import TYPE_CHECKING

from tracker.config.options import SOURCE_OPTIONS
from tracker.run.fork_server_guard import OWNER_VARIABLE
from tracker.run.orphans import die_with_parent
from tracker.run.parse import Failed, Parsed, ParseJob, failed, parse
from tracker.run.pool_watch import ResultWatch
from tracker.sources.base import kind_module

if TYPE_CHECKING:  # multiprocessing is imported when a pool starts: most runs need none
    import multiprocessing.context
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

MAX_WORKERS = 4
WATCH_EVERY = 1.0  # seconds between a worker's looks at its owner
# what parsing imports (ruamel's codec is otherwise loaded on first use)
PRELOAD = [
    "tracker.run.parse",
    "tracker.store.yaml_codec",
    "feedparser",
    "deepdiff",
    *map(kind_module, SOURCE_OPTIONS),
]


def default_workers() -> int:
    """One worker per core this process may run on (at most MAX_WORKERS); 0 on one core,
    where a worker could only take turns with the main process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


def _die_with_parent(owner: int) -> None:
    """Worker initializer: never outlive the process that owns the pool.

    The kernel sends SIGKILL when the worker's parent, the fork server, dies
    (PR_SET_PDEATHSIG); the fork server exits when every holder of its "alive" pipe is
    gone — and multiprocessing hands that pipe to each worker too, so a worker lets go of
    it here, or the server would wait for the workers and they for it. An owner that died
    before the prctl took effect is caught by the check after it; a watchdog thread
    covers platforms without prctl."""
    die_with_parent()
    _release_alive_pipe()
    if os.getppid() == 1 or not _alive(owner):
        os._exit(1)
    threading.Thread(target=_watch_owner, args=(owner,), daemon=True).start()


def _release_alive_pipe() -> None:
    import multiprocessing.forkserver

    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _watch_owner(owner: int) -> None:
    while _alive(owner):
        time.sleep(WATCH_EVERY)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the parser once: each worker is a cheap fork of it
    instead of a fresh interpreter importing everything again (spawn). The server is a
    single-threaded process of its own, so nothing forks the multi-threaded daemon."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(fork_server_preload())
    return context


def fork_server_preload() -> list[str]:
    """The guard first, so that the server dies with its owner even while it imports the
    rest; "__main__" too: a worker would otherwise import the tracker script (and the
    CLI)."""
    return ["tracker.run.fork_server_guard", "__main__", *PRELOAD]


class _ForkServerFolder:
    """Whether this process started a pool, and so a fork server whose socket lies in a
    `pymp-*` folder of the temp directory."""

    made = False


def remove_fork_server_folder() -> None:
    """multiprocessing removes the fork server's `pymp-*` folder at interpreter exit
    (atexit); the console script ends with os._exit, which skips that, so it calls this
    first: otherwise every run that started the workers leaves one behind."""
    if not _ForkServerFolder.made:
        return
    import multiprocessing.util

    with contextlib.suppress(OSError):  # a temp directory it could not even make
        shutil.rmtree(multiprocessing.util.get_temp_dir(), ignore_errors=True)


def _cannot_start(exc: OSError) -> str:
    """Why the workers are not used: the OSError that kept them from starting."""
    return f"the parse workers cannot start ({exc.strerror or exc})"


def _launch_fork_server() -> None:
    """Start the fork server without waiting for it (the first worker waits for its
    imports), naming this process its owner (fork_server_guard.py); nothing to do where
    there is none (spawn)."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    import multiprocessing.forkserver

    os.environ[OWNER_VARIABLE] = str(os.getpid())
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        os.environ.pop(OWNER_VARIABLE, None)


class ParsePool:
    """`await pool.parse(job)` from the run's event loop; `close()` when polling ends.

    In-process until more than `threshold` documents arrived, then in `workers` processes
    (0: always in-process)."""

    def __init__(self, *, workers: int | None = None, threshold: int = 48) -> None:
        self.workers = default_workers() if workers is None else workers
        self.threshold = threshold
        self.arrived = 0
        self.in_pool = 0  # documents parsed by workers (tests and benchmarks read it)
        self._pool: ProcessPoolExecutor | None = None
        self._watch: ResultWatch | None = None  # unsticks a result its worker died writing
        self._broken = False
        self._abandoned = False  # a worker may still be busy with a cancelled document

    @property
    def started(self) -> bool:
        return self._pool is not None or self._broken

    async def parse(self, job: ParseJob) -> Parsed | Failed:
        self.arrived += 1
        if (
            self._pool is None
            and not self._broken
            and self.workers > 0
            and self.arrived > self.threshold
        ):
            self._start()
        pool = self._pool
        if pool is None:
            await asyncio.sleep(0)  # let the other sources' replies in between documents
            return parse(job)
        from concurrent.futures.process import BrokenProcessPool

        try:
            result = await asyncio.get_running_loop().run_in_executor(pool, parse, job)
        except asyncio.CancelledError:  # the run's deadline, or a stop
            self._abandoned = True
            raise
        except BrokenProcessPool:
            self._give_up(pool, "a parse worker died")
            return parse(job)
        except OSError as exc:  # parse() never raises: the workers could not be started
            self._give_up(pool, _cannot_start(exc))
            return parse(job)
        except Exception as exc:  # noqa: BLE001 - e.g. a result too deep to pickle back
            return failed(job.source, exc, "handing the parsed document back from a worker")
        self.in_pool += 1
        return result

    def expect(self, documents: int) -> None:
        """`documents` are sure to arrive (e.g. sources fetched without validators): past
        the threshold, start the workers' fork server now, so that it imports the parser
        while the requests are out rather than when the documents are in."""
        if self.workers > 0 and not self.started and documents > self.threshold:
            self._start()

    def _start(self) -> ProcessPoolExecutor | None:
        """The workers' pool; None (and in-process from now on) where the system refuses
        one: no semaphores (a container without /dev/shm), no file descriptors left."""
        from concurrent.futures import ProcessPoolExecutor

        _ForkServerFolder.made = True
        log.info("parsing in %d worker processes from document %d on", self.workers, self.arrived)
        try:
            pool = ProcessPoolExecutor(
                self.workers,
                mp_context=_context(),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        except OSError as exc:
            self._fall_back(_cannot_start(exc))
            return None
        self._pool, self._watch = pool, ResultWatch(pool)
        try:  # here, not at the first document handed over: see _launch_fork_server
            _launch_fork_server()
        except OSError as exc:  # e.g. a temp directory too deep for a socket's path
            self._give_up(pool, _cannot_start(exc))
            return None
        return pool

    def _give_up(self, pool: ProcessPoolExecutor, why: str) -> None:
        if self._pool is pool:
            self._fall_back(why)
            self._stop_watching()
            pool.shutdown(wait=False, cancel_futures=True)

    def _fall_back(self, why: str) -> None:
        log.warning("%s; parsing the rest of this run in-process", why)
        self._pool, self._broken = None, True

    def close(self) -> None:
        """End the workers: idle ones exit by themselves; when a document was abandoned
        (the run's deadline, a stop) its worker is killed, as its result is not wanted."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public API in 3.11
        self._stop_watching()
        pool.shutdown(wait=False, cancel_futures=True)
        if self._abandoned:
            for process in processes:
                if process.is_alive():
                    process.kill()

    def _stop_watching(self) -> None:
        if self._watch is not None:
            self._watch.stop()
