"""One pass over a workspace: fetch due sources, store snapshots, commit once, evaluate."""
from __future__ import annotations

import asyncio
import importlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from tracker.config import Config
from tracker.config.secrets import workspace_redactor
from tracker.errors import ConfigError, SourceError
from tracker.evaluate.diff import diff_snapshots, summarize
from tracker.fetch.client import Http
from tracker.models import Change, RawDocument, RunResult, SourceResult
from tracker.run.secrets import redact_messages
from tracker.run.suspect import hold_back
from tracker.sources.base import Fetched, Source, make_source
from tracker.store.files import STATE_DIR
from tracker.store.git import GitStore
from tracker.store.state import State
from tracker.workspace import Workspace, Writer

# What a run needs only after polling. Imported while shards poll (the parent is idle
# then), so these ~0.1 s are off the run's critical path; in-process runs import them later.
AFTER_POLL = ("tracker.evaluate.findings", "tracker.evaluate.news", "tracker.digest.job")


def import_after_poll() -> None:
    for name in AFTER_POLL:
        importlib.import_module(name)


@dataclass
class Polled:
    """A source's fetch outcome before storing: a new snapshot, 'not modified', or an error."""

    source: Source
    fetched: Fetched | None = None
    snapshot: Any = None
    error: SourceError | None = None


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


def select_sources(config: Config, state: State, now: datetime, only: Iterable[str] = (),
                   run_all: bool = False) -> list[str]:
    only = list(only)
    unknown = [s for s in only if s not in config.sources]
    if unknown:
        raise ConfigError(f"unknown source {unknown[0]!r}; known: "
                          f"{', '.join(sorted(config.sources)) or 'none'}")
    if only:
        return only
    return list(config.sources) if run_all else due_sources(config, state, now)


def run_once(root: Path | str, *, now: datetime, only: Iterable[str] = (),
             run_all: bool = False,
             config: Config | None = None, send_email: bool = True,
             wait: float = 0.0) -> RunResult:
    """One run at a time (LockError after `wait` s); repairs a dead run's leftovers first."""
    workspace = Workspace(root)
    if config is not None:
        workspace.config = config  # type: ignore[misc]  # already loaded by the caller
    with workspace.writing(now=now, wait=wait) as writer:
        result = _run_locked(writer, now=now, only=only, run_all=run_all,
                             send_email=send_email)
        result.repaired = writer.repaired
    return result


def _run_locked(writer: Writer, *, now: datetime, only: Iterable[str] = (),
                run_all: bool = False, send_email: bool = True) -> RunResult:
    """Fetch, store, commit, evaluate. One failing source never stops the others."""
    root, config, store, state = writer.root, writer.config, writer.store, writer.state
    result = RunResult(started=now)
    chosen = select_sources(config, state, now, only, run_all)
    paths: list[str] = []
    for outcome in _poll_and_store(root, config, store, state, chosen, now):
        result.sources.append(outcome)
        result.notices += [outcome.suspect] if outcome.suspect else []
        if outcome.changed:
            paths.append(store.relpath(outcome.source))
    redact = workspace_redactor(config, os.environ)  # every secret, before anything is kept
    redact_messages(result, state, redact)
    result.commit = store.commit(paths, commit_message(result, now), when=now)
    state.save()
    store.prune_cache()
    # news: items new in rss snapshots → pending matches in .tracker/news.json (news.py)
    from tracker.evaluate.news import match_new_items

    match_new_items(root, config, now, store=store,
                    fresh={s.source: s.snapshot for s in result.sources if s.changed})
    from tracker.evaluate.findings import evaluate_all

    result.findings = evaluate_all(config, store, state, now)
    # the digest, when due (digest_job.py); --no-email writes it without sending
    from tracker.digest.job import run_if_due

    result.digests, notices = run_if_due(writer, result.findings, now, send=send_email)
    result.notices.extend(redact(notice) for notice in notices)
    return result


def _poll_and_store(root: Path, config: Config, store: GitStore, state: State,
                    chosen: list[str], now: datetime) -> list[SourceResult]:
    """Fetch and store the chosen sources: in-process, or sharded over cores (parallel.py)."""
    from tracker.run.parallel import poll_sharded, shard_count

    shards = shard_count(len(chosen))
    if shards > 1:
        outcomes = []
        for outcome, entry in poll_sharded(root, config, state, chosen, now, shards,
                                           meanwhile=import_after_poll):
            state.sources[outcome.source] = entry
            outcomes.append(outcome)
        return outcomes
    sources = make_sources(root, config, chosen)
    polled = asyncio.run(poll_all(config.http, state, sources, now)) \
        if sources else []
    return [store_polled(store, state, item, now) for item in polled]


def make_sources(root: Path, config: Config, ids: list[str]) -> list[Source]:
    sources = [make_source(sid, config.sources[sid]) for sid in ids]
    for source in sources:  # kinds that cache locally (ACLED's token and rows) use .tracker/
        source.state_dir = root / STATE_DIR
    return sources


async def poll_all(http_config: Any, state: State, sources: list[Source], now: datetime,
                   host_limits: dict[str, int] | None = None) -> list[Polled]:
    async with Http(http_config, host_limits=host_limits or {}) as http:
        return list(await asyncio.gather(*(_poll(http, state, s, now) for s in sources)))


async def _poll(http: Http, state: State, source: Source, now: datetime) -> Polled:
    validators = state.source(source.id).validators
    try:
        async with http.deadline(source.deadline(http.config), what=source.id):
            fetched = await source.fetch(http, validators, now)
        snapshot = source.normalize(fetched.raw) if fetched.raw is not None else None
        return Polled(source, fetched, snapshot)
    except SourceError as exc:
        return Polled(source, error=exc)


def store_polled(store: GitStore, state: State, item: Polled, now: datetime) -> SourceResult:
    entry = state.source(item.source.id)
    if item.error is not None:
        entry.failed(now, str(item.error), item.error.gone)
        return SourceResult(item.source.id, ok=False, error=str(item.error),
                            gone=item.error.gone)
    assert item.fetched is not None
    if item.snapshot is None:  # 304: nothing parsed, nothing written
        entry.succeeded(now, False, item.fetched.validators)
        return SourceResult(item.source.id, ok=True, not_modified=True)
    previous = store.read_snapshot(item.source.id)
    snapshot = item.source.merge(previous, item.snapshot)
    held = hold_back(item.source, entry, previous, snapshot, now)  # suspicious shrink
    if held is not None:
        return held
    changed = store.write_snapshot(item.source.id, snapshot)
    changes = diff_snapshots(previous, snapshot, item.source.id) if changed else []
    entry.succeeded(now, changed, item.fetched.validators)
    return SourceResult(item.source.id, ok=True, changed=changed, changes=changes,
                        snapshot=snapshot if changed else None)


def commit_message(result: RunResult, now: datetime) -> str:
    changed = [s for s in result.sources if s.changed]
    names = ", ".join(s.source for s in changed)
    lines = [f"Update {names}" if len(changed) <= 3 else f"Update {len(changed)} sources",
             "", f"tracker run at {now.isoformat()}"]
    for source in changed:
        lines.append(f"{source.source}: {len(source.changes)} change(s)")
        lines.extend(summarize(source.changes, limit=12))
    failed = [s for s in result.sources if not s.ok]
    if failed:
        lines.append(f"failed (kept previous snapshot): {', '.join(s.source for s in failed)}")
    return "\n".join(lines)


def store_document(store: GitStore, source: Source, raw: RawDocument) -> list[Change]:
    """Normalize one document and write it (used by backfill); returns the changes."""
    previous = store.read_snapshot(source.id)
    snapshot = source.merge(previous, source.normalize(raw))
    if not store.write_snapshot(source.id, snapshot):
        return []
    return diff_snapshots(previous, snapshot, source.id)
