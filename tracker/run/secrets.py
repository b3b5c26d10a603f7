"""A run's messages cleaned of every secret the workspace names (config/secrets.py).

Each source's client already masks its own login in what its server says; a server may
also quote a secret it got some other way (another source's login, the SMTP password).
So before anything is saved, committed, mailed or printed, the run's failure messages,
the health records behind them and its notices pass the workspace's redactor.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable

from tracker.models import Notice, RunResult
from tracker.store.state import State

Redact = Callable[[str], str]


def redact_messages(result: RunResult, state: State, redact: Redact) -> None:
    """In place: errors and held-back notes of `result.sources`, their `last_error` and
    suspicion in `state`, and `result.notices`."""
    for outcome in result.sources:
        if outcome.error:
            outcome.error = redact(outcome.error)
        if outcome.suspect:
            outcome.suspect = redact(outcome.suspect)
        entry = state.sources.get(outcome.source)
        if entry is not None:
            if entry.last_error:
                entry.last_error = redact(entry.last_error)
            if entry.suspect_reason:
                entry.suspect_reason = redact(entry.suspect_reason)
    result.notices = redacted_notices(result.notices, redact)


def redacted_notices(notices: Iterable[Notice], redact: Redact) -> list[Notice]:
    return [
        replace(n, message=redact(n.message), detail=redact(n.detail) if n.detail else n.detail)
        for n in notices
    ]
