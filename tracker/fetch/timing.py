"""Time bounds: one deadline per source over all its requests and retries; Retry-After.

`async with deadline(seconds):` around a source's fetch gives the source its budget; the
clock starts at its first request. Inside it the client bounds each attempt by what is left (so the last attempt ends with the
deadline, and its message names the URL), does not sleep towards a retry that could not
finish in time, and the block as a whole is cut a moment after the deadline should any of
its time go elsewhere. Every message states the real elapsed time.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timezone
from typing import AsyncIterator

from tracker.errors import FetchError

# The client's own bounds end at the deadline; the block's backstop a moment later, so that
# the message of an HTTP wait comes from the client (it knows the URL and what it waited for).
BACKSTOP_GRACE = 0.25


@dataclass
class Deadline:
    """A source's time budget. Its clock starts when the source's first request gets its
    connection slot: time queued behind other sources for a busy host is the run's (the
    run has its own deadline), not this source's."""

    seconds: float
    started: float | None = None
    backstop: asyncio.Timeout | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()
            if self.backstop is not None:
                loop = asyncio.get_running_loop()
                self.backstop.reschedule(loop.time() + self.seconds + BACKSTOP_GRACE)

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def passed(self, where: str) -> FetchError:
        return FetchError(
            f"{where}: the source's deadline of {self.seconds:g} s passed "
            f"(gave up after {self.elapsed():.1f} s)"
        )


CURRENT: ContextVar[Deadline | None] = ContextVar("tracker_fetch_deadline", default=None)


@asynccontextmanager
async def deadline(seconds: float | None, what: str = "fetch") -> AsyncIterator[Deadline | None]:
    """Bound the block's requests by `seconds` (None: no deadline), counted from its first
    request. Context-local: each source polled in its own task has its own clock."""
    if seconds is None:
        yield None
        return
    bound = Deadline(seconds)
    token = CURRENT.set(bound)
    try:
        async with asyncio.timeout(None) as backstop:
            bound.backstop = backstop
            yield bound
    except TimeoutError:
        if not backstop.expired():
            raise
        raise bound.passed(what) from None
    finally:
        CURRENT.reset(token)


def attempt_bound(timeout: float) -> tuple[float, Deadline | None]:
    """How long the next attempt may take: its timeout, or what is left of the deadline
    (whose clock this starts)."""
    bound = CURRENT.get()
    if bound is None:
        return timeout, None
    bound.start()
    return min(timeout, bound.remaining()), bound


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))
