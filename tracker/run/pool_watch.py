"""A worker killed while it writes its result must not hang the run.

The standard library's pool reads results in a manager thread. A worker killed mid-way
through writing a result (the OOM killer, `kill -9`) leaves half a message in the result
pipe: the manager thread waits for the rest, forever, since this process holds a writing
end of that pipe too. It then never notices the dead worker, so the documents given to
the pool neither come back nor fail (Python 3.11; reproduced by
tests/test_pool_watch.py).

`ResultWatch` is a thread that looks at the workers a few times a second. When one has
died and the pool still has not noticed after `GRACE`, it ends the other workers and
closes this process's writing end: the manager thread reads end-of-file, declares the
pool broken, and every pending document fails with BrokenProcessPool — which ParsePool
answers by parsing it in-process. So a stuck result costs `GRACE`, never the run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

LOOK_EVERY = 0.25  # seconds between looks at the workers
GRACE = 1.0  # how long the pool may take to notice a dead worker by itself


class ResultWatch:
    """`ResultWatch(pool)` starts watching; `stop()` before the pool shuts down (workers
    that exit at shutdown are not deaths)."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pool = pool
        self._stopped = threading.Event()
        self.rescued = False  # whether it had to unstick the pool (tests read it)
        threading.Thread(target=self._watch, name="parse-pool-watch", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        dead_since: float | None = None
        while not self._stopped.wait(LOOK_EVERY):
            if getattr(self._pool, "_broken", False):  # noticed by the pool: nothing to do
                return
            if dead_since is None:
                dead_since = time.monotonic() if _a_worker_died(self._pool) else None
            elif time.monotonic() - dead_since >= GRACE:
                self._unstick()
                return

    def _unstick(self) -> None:
        if self._stopped.is_set() or getattr(self._pool, "_broken", False):
            return
        log.info("a parse worker died while handing back its result; ending the pool")
        self.rescued = True  # before: the documents come back as soon as the writer closes
        for process in _processes(self._pool):
            with contextlib.suppress(OSError, ValueError):
                process.kill()  # each holds a writing end of the result pipe too
        queue = getattr(self._pool, "_result_queue", None)
        writer = getattr(queue, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()


def _processes(pool: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(pool, "_processes", None) or {}).values())  # no public API in 3.11


def _a_worker_died(pool: ProcessPoolExecutor) -> bool:
    """Whether a worker's sentinel is ready (it ended) — without reading it, which is the
    manager thread's to do."""
    from multiprocessing.connection import wait

    sentinels = []
    for process in _processes(pool):
        with contextlib.suppress(ValueError):  # closed meanwhile
            sentinels.append(process.sentinel)
    try:
        return bool(sentinels) and bool(wait(sentinels, timeout=0))
    except (OSError, ValueError):  # a sentinel closed while we looked
        return False
