"""One pass over a workspace: fetch due sources, store snapshots, commit once, evaluate.

One process does the I/O: this one fetches (poll.py), writes and commits (outcomes.py);
documents may be parsed by pure worker processes (pool.py). One failing source never
stops the others; only the workspace's own failures (configuration, git, disk) stop a run.
"""

from __future__ import annotations

import asyncio
import os
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tracker.config import Config
from tracker.config.secrets import workspace_redactor
from tracker.errors import StoreError
from tracker.models import Failure, Notice, NoticeKind, RawDocument, RunResult
from tracker.run.due import select_sources
from tracker.run.outcomes import OutcomeStore, commit_message
from tracker.run.parse import Failed, Parsed, ParseJob, one_line, parse
from tracker.run.poll import Polled, Poller
from tracker.run.pool import ParsePool
from tracker.run.secrets import redact_messages, redacted_notices
from tracker.run.suspect import held_notices
from tracker.sources.base import Source, loaded_source
from tracker.store.files import STATE_DIR, write_atomic
from tracker.store.git import GitStore
from tracker.workspace import Workspace, Writer

Progress = Callable[[int, int], None]  # (done, total): the CLI draws a bar from it


def run_once(
    root: Path | str,
    *,
    now: datetime,
    only: Iterable[str] = (),
    run_all: bool = False,
    config: Config | None = None,
    send_email: bool = True,
    wait: float = 0.0,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """One run at a time (LockError after `wait` s); repairs a dead run's leftovers first.
    `stop` (the daemon's SIGTERM) ends polling early: what finished is stored and
    committed, the digest is left to the next run. `progress(done, total)` follows the
    polled sources (the CLI's bar)."""
    workspace = Workspace(root)
    if config is not None:
        workspace.config = config  # already loaded by the caller
    with workspace.writing(now=now, wait=wait) as writer:
        with disk_errors():
            result = _run_locked(
                writer,
                now=now,
                only=only,
                run_all=run_all,
                send_email=send_email,
                stop=stop,
                progress=progress,
            )
        result.repaired = writer.repaired
    return result


@contextmanager
def disk_errors() -> Iterator[None]:
    """A full disk (or any OSError of the workspace) ends the run with one line, not a
    traceback; the holder note stays, so the next run repairs what was half-written."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise StoreError(
            one_line(f"cannot write the workspace: {exc.strerror or exc}{where}")
        ) from None


def _run_locked(
    writer: Writer,
    *,
    now: datetime,
    only: Iterable[str],
    run_all: bool,
    send_email: bool,
    stop: threading.Event | None,
    progress: Progress | None,
) -> RunResult:
    config, store, state = writer.config, writer.store, writer.state
    result = RunResult(started=now)
    chosen = select_sources(config, state, now, only, run_all)
    storing = OutcomeStore(writer, now)
    polled, result.parsed_in_workers = poll_sources(
        writer, chosen, now, stop, progress, arrived=storing.take
    )
    paths = storing.finish(polled, result)
    result.notices.extend(held_notices(result))  # suspicious answers held back
    redact = workspace_redactor(config, os.environ)  # every secret, before anything is kept
    redact_messages(result, state, redact)
    result.commit = writer.commit(paths, commit_message(result, now), when=now)
    writer.save_state()
    store.prune_cache()
    result.notices.extend(cut_short(result, config))
    result.stopped = stop is not None and stop.is_set()
    if result.stopped:  # news, findings and the digest are the next run's
        return result
    # news: items new in rss snapshots → pending matches in .tracker/news.json
    from tracker.evaluate.news import match_new_items

    match_new_items(
        writer.root,
        config,
        now,
        store=store,
        fresh={s.source: s.snapshot for s in result.sources if s.changed},
    )
    from tracker.evaluate.findings import evaluate_all

    result.findings = evaluate_all(config, store, state, now)
    # the digest, when due; --no-email writes it without sending
    from tracker.digest.job import run_if_due

    result.digests, notices = run_if_due(writer, result.findings, now, send=send_email)
    result.notices.extend(redacted_notices(notices, redact))
    return result


def poll_sources(
    writer: Writer,
    chosen: list[str],
    now: datetime,
    stop: threading.Event | None,
    progress: Progress | None = None,
    arrived: Callable[[Polled], None] | None = None,
) -> tuple[list[Polled], int]:
    """Every chosen source's outcome (each also to `arrived` as soon as it is known), and
    how many documents worker processes parsed."""
    sources = make_sources(writer.root, writer.config, chosen)
    if not sources:
        return [], 0
    config = writer.config
    pool = ParsePool(workers=config.run.parse_workers, threshold=config.run.pool_threshold)
    poller = Poller(
        writer.state,
        config.http,
        now,
        lambda sid: previous_bytes(writer.store, sid),
        pool,
        deadline=config.run.deadline.total_seconds(),
        stop=stop,
        progress=progress,
        arrived=arrived,
    )
    # sources fetched without validators cannot answer 304: each brings a document
    pool.expect(sum(1 for s in sources if not writer.state.source(s.id).validators))
    try:
        return asyncio.run(poller.run(sources)), pool.in_pool
    finally:
        pool.close()


def make_sources(root: Path, config: Config, ids: list[str]) -> list[Source]:
    sources = [loaded_source(sid, config.sources[sid]) for sid in ids]
    for source in sources:  # kinds that cache locally (ACLED's token and rows) use .tracker/
        source.state_dir = root / STATE_DIR
    return sources


def previous_bytes(store: GitStore, source_id: str) -> bytes | None:
    """The snapshot file as it is in the work tree (a symlink there is refused)."""
    try:
        return store.snapshot_path(source_id).read_bytes()
    except FileNotFoundError:
        return None


def cut_short(result: RunResult, config: Config) -> list[Notice]:
    """A notice when the run's deadline or a stop left sources unfinished."""
    notices = []
    for kind, failure in (
        (NoticeKind.RUN_DEADLINE, Failure.RUN_DEADLINE),
        (NoticeKind.RUN_STOPPED, Failure.STOPPED),
    ):
        cut = [s.source for s in result.sources if s.failure is failure]
        if not cut:
            continue
        if kind is NoticeKind.RUN_DEADLINE:
            limit = f"{config.run.deadline.total_seconds():g} s"
            message = (
                f"run deadline ({limit}, run.deadline) reached: {len(cut)} source(s) "
                f"not finished: {', '.join(cut[:10])}{' …' if len(cut) > 10 else ''}"
            )
        else:
            limit = None
            message = (
                f"stopped on request: {len(cut)} source(s) not finished; what "
                "finished is committed, the digest is left to the next run"
            )
        notices.append(Notice(kind, message, count=len(cut), detail=limit))
    return notices


def store_document(store: GitStore, source: Source[Any], raw: RawDocument) -> Parsed | Failed:
    """Parse one document against the work tree's snapshot and write it when it changed
    (backfill, inside its Writer); the caller commits."""
    outcome = parse(ParseJob(source.id, source.options, raw, previous_bytes(store, source.id)))
    if isinstance(outcome, Parsed) and outcome.changed:
        write_atomic(store.snapshot_path(source.id), outcome.text)
    return outcome
