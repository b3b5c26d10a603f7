"""Polling the chosen sources of one run: fetch concurrently, parse each document as it
arrives, all within time bounds. Nothing is written here: each source's outcome goes to
`arrived` as soon as it is known (the runner stores it there, while the others are still
fetched and parsed).

Time bounds: each source's fetch has its own deadline (`Source.deadline`, enforced by the
HTTP client over every request and retry), the whole poll has the run's deadline, and a daemon's stop request (SIGTERM) ends it within a fraction of
a second. A source cut short by the run's deadline or a stop fails with a message saying
so; the sources that finished are kept.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from tracker.config import HttpConfig
from tracker.errors import ConfigError, FetchError
from tracker.fetch.timing import Deadline
from tracker.models import Failure
from tracker.run.parse import Failed, Parsed, ParseJob, failed
from tracker.run.pool import ParsePool
from tracker.sources.base import Source
from tracker.store.state import State

if TYPE_CHECKING:  # the client (aiohttp) is imported once the workers' fork server starts
    from tracker.fetch.client import Http

STOP_POLL = 0.1  # seconds between looks at the stop flag (a threading.Event)
# errors of the workspace's disk: they stop the run, whichever source met them
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


@dataclass(frozen=True)
class Polled:
    """A source's outcome before storing: parsed, failed, or not modified (result None)."""

    source: str
    result: Parsed | Failed | None
    validators: dict[str, str]


@dataclass
class Poller:
    """One poll: `await Poller(...).run(sources)` → one Polled per source, in order."""

    state: State
    http_config: HttpConfig
    now: datetime
    read_previous: Callable[[str], bytes | None]
    pool: ParsePool
    deadline: float  # seconds for the whole poll
    stop: threading.Event | None = None
    progress: Callable[[int, int], None] | None = None  # (done, total), as sources finish
    arrived: Callable[[Polled], None] | None = None  # each outcome, as soon as it is known

    def __post_init__(self) -> None:
        self._stage: dict[str, str] = {}
        self._done = 0

    async def run(self, sources: list[Source]) -> list[Polled]:
        # imported here, not above: by now a first pass has started the parse workers'
        # fork server (pool.expect), which imports the parser on the other core meanwhile
        from tracker.fetch.client import Http

        async with Http(self.http_config) as http:
            tasks = [asyncio.create_task(self._one(http, source)) for source in sources]
            if self.progress is not None:
                for task in tasks:
                    task.add_done_callback(lambda _: self._finished(len(tasks)))
            try:
                cut = await self._wait(tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        return [self._outcome(source, task, cut) for source, task in zip(sources, tasks)]

    def _finished(self, total: int) -> None:
        assert self.progress is not None
        self._done += 1
        self.progress(self._done, total)

    async def _wait(self, tasks: list[asyncio.Task[Polled]]) -> Failure | None:
        """Until every task is done (None), the deadline passed or a stop was asked for
        (that Failure). A workspace failure in a task is raised."""
        everything = asyncio.gather(*tasks, return_exceptions=True)  # one waiter for all
        raised = asyncio.get_running_loop().create_future()  # storing an outcome failed:
        for task in tasks:  # the workspace's error ends the poll now, not after the others
            task.add_done_callback(lambda done: _note_raised(done, raised))
        watched: set[asyncio.Future[Any]] = {everything, raised}
        if self.stop is not None:
            watched.add(asyncio.ensure_future(self._stop_requested()))
        try:
            done, _ = await asyncio.wait(
                watched, timeout=max(self.deadline, 0.0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for future in watched - {everything}:
                future.cancel()
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if everything in done:
            return None
        return (
            Failure.STOPPED
            if self.stop is not None and self.stop.is_set()
            else Failure.RUN_DEADLINE
        )

    async def _stop_requested(self) -> None:
        assert self.stop is not None
        while not self.stop.is_set():
            await asyncio.sleep(STOP_POLL)

    def _outcome(
        self, source: Source[Any], task: asyncio.Task[Polled], cut: Failure | None
    ) -> Polled:
        if task.done() and not task.cancelled() and task.exception() is None:
            return task.result()
        stage = self._stage.get(source.id, "waiting to be fetched")
        if cut is Failure.STOPPED:
            why = f"the run was asked to stop (SIGTERM) while {stage}"
        else:
            why = f"not finished within the run's deadline of {self.deadline:g} s, while {stage}"
        reason = cut or Failure.RUN_DEADLINE
        return Polled(source.id, Failed(source.id, why, reason), {})

    async def _one(self, http: Http, source: Source[Any]) -> Polled:
        polled = await self._fetch_and_parse(http, source)
        if self.arrived is not None:
            self.arrived(polled)  # an error storing it is the workspace's: it stops the run
        return polled

    async def _fetch_and_parse(self, http: Http, source: Source[Any]) -> Polled:
        sid = source.id
        self._stage[sid] = "fetching"
        validators = self.state.source(sid).validators
        bound: Deadline | None = None
        try:
            async with http.deadline(source.deadline(self.http_config), what=sid) as bound:
                fetched = await source.fetch(http, validators, self.now)
        except FetchError as exc:
            outcome = failed(sid, exc, "fetching")
            if bound is not None and bound.remaining() <= 0:  # the source's own time bound
                outcome = Failed(sid, outcome.message, Failure.SOURCE_DEADLINE)
            return Polled(sid, outcome, {})
        except ConfigError:
            raise  # the workspace's configuration: every source's problem, stops the run
        except OSError as exc:
            if exc.errno in DISK_ERRNOS:
                raise
            return Polled(sid, failed(sid, exc, "fetching"), {})
        except Exception as exc:  # noqa: BLE001 - one source's failure, never the run's
            return Polled(sid, failed(sid, exc, "fetching"), {})
        if fetched.raw is None:  # 304: nothing to parse
            return Polled(sid, None, fetched.validators)
        self._stage[sid] = "parsing"
        job = ParseJob(sid, source.options, fetched.raw, self.read_previous(sid))
        return Polled(sid, await self.pool.parse(job), fetched.validators)


def _note_raised(task: asyncio.Task[Polled], raised: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None and not raised.done():
        raised.set_result(None)
