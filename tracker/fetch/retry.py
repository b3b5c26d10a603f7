"""Retries after the first failed attempt (tenacity): imported only when one is needed, so
the common single-attempt request never builds a retry loop."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_none,
)

from tracker.fetch.exchange import RetryableError

T = TypeVar("T")


async def retry_attempts(
    attempt: Callable[[], Awaitable[T]],
    tries: int,
    should_retry: Callable[[BaseException], bool],
    pause: Callable[[RetryableError, int], Awaitable[None]],
) -> T:
    """Up to `tries` more attempts. `pause(error, failed_attempts)` waits before each
    next one (Retry-After or backoff) or re-raises the error when the source's deadline
    would pass first; the last error is raised as it is."""

    async def before_next(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        assert isinstance(error, RetryableError)
        await pause(error, state.attempt_number + 1)  # the first try ran before the loop

    retrying = AsyncRetrying(
        stop=stop_after_attempt(tries),
        wait=wait_none(),
        retry=retry_if_exception(should_retry),
        before_sleep=before_next,
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            return await attempt()
    raise AssertionError("unreachable")  # pragma: no cover
