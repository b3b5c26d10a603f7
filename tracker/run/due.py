"""Which sources a run fetches: the due ones (cron mode), all, or those named."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from tracker.config import Config
from tracker.errors import ConfigError
from tracker.store.state import State


def due_sources(config: Config, state: State, now: datetime) -> list[str]:
    """Sources whose cron schedule fired since their last success (and not in backoff)."""
    from apscheduler.triggers.cron import CronTrigger

    due = []
    for sid, options in config.sources.items():
        entry = state.source(sid)
        retry_at = entry.retry_not_before()
        if retry_at is not None and now < retry_at:
            continue
        if entry.last_success is None or options.schedule is None:
            due.append(sid)
            continue
        last = datetime.fromisoformat(entry.last_success) + timedelta(seconds=1)
        trigger = CronTrigger.from_crontab(options.schedule, timezone="UTC")
        fire = trigger.get_next_fire_time(None, last)
        if fire is not None and fire <= now:
            due.append(sid)
    return due


def select_sources(
    config: Config, state: State, now: datetime, only: Iterable[str] = (), run_all: bool = False
) -> list[str]:
    only = list(only)
    unknown = [s for s in only if s not in config.sources]
    if unknown:
        raise ConfigError(
            f"unknown source {unknown[0]!r}; known: {', '.join(sorted(config.sources)) or 'none'}"
        )
    if only:
        return only
    return list(config.sources) if run_all else due_sources(config, state, now)
