"""`tracker schedule`: the APScheduler 3 daemon around `run_once`.

Jobs: one per source with a `schedule` (cron, UTC) running `run_once(only=[source])`, one
for the digest schedule running a cron-mode pass (`run_once()`: every due source, then the
digest when due — the digest itself lives in the runner), and one catch-up pass at start,
so that after downtime every overdue source runs once (not once per missed firing).

Runs never overlap: one worker thread here, and the workspace run lock against a `tracker
run` from cron. Every job is coalesced, one instance at a time, with a misfire grace period.
`serve(stop)` returns within a few seconds of `stop` being set (SIGTERM/SIGINT in cli/):
the run in progress stops polling at once, stores and commits what finished, and
releases the lock and its holder note; a job waiting for the lock gives up. A SIGKILL is
left to crash recovery.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.errors import LockError, TrackerError
from tracker.models import RunResult
from tracker.run.runner import run_once
from tracker.workspace import Workspace

log = logging.getLogger(__name__)

CATCH_UP = "catch-up"
DIGEST = "digest"
SOURCE_PREFIX = "source:"
LOCK_STEP = 1.0  # seconds a job waits for the lock between looks at the stop flag


@dataclass(frozen=True)
class JobPlan:
    """One scheduled job: its id, when it fires (cron, UTC), which sources it fetches."""

    id: str
    cron: str | None
    only: tuple[str, ...] = ()


def plan_jobs(root: Path | str) -> list[JobPlan]:
    """The jobs feeds.yaml asks for (a ConfigError here stops the daemon before it starts)."""
    config = Workspace(root).config
    jobs = [
        JobPlan(f"{SOURCE_PREFIX}{sid}", options.schedule, (sid,))
        for sid, options in config.sources.items()
        if options.schedule
    ]
    if config.digest.schedule:
        jobs.append(JobPlan(DIGEST, config.digest.schedule))
    return jobs


def describe(result: RunResult) -> str:
    """One log line for a finished run."""
    changed = [s.source for s in result.sources if s.changed]
    failed = [f"{s.source} ({s.error})" for s in result.sources if not s.ok]
    parts = [f"{len(result.sources)} source(s) fetched"]
    if changed:
        parts.append(f"changed: {', '.join(changed)}")
    if failed:
        parts.append(f"failed: {'; '.join(failed)}")
    parts.append(f"commit {result.commit[:10]}" if result.commit else "no commit")
    if result.repaired:
        parts.append(f"{len(result.repaired)} crash repair(s)")
    if result.stopped:
        parts.append("stopped early on request")
    return "; ".join(parts)


@dataclass
class Daemon:
    """The scheduler for one workspace. `clock` gives the run time (UTC) of each job."""

    root: Path
    clock: Callable[[], datetime]
    send_email: bool = True
    misfire_grace: float = 3600.0  # a job that could not start within this is skipped
    lock_wait: float = 600.0  # how long a job waits for a `tracker run` from cron
    interval: float | None = None  # demos/tests: every job every N seconds instead of cron
    finished: list[tuple[str, str]] = field(default_factory=list)  # (job id, outcome)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run_job(self, job_id: str, only: tuple[str, ...] = ()) -> str:
        """Run one job; never raises (a failing job must not stop the daemon)."""
        if self.stopping.is_set():  # queued before the stop: do not start new work
            log.info("%s: not started, the daemon is stopping", job_id)
            return "not started"
        started = time.monotonic()
        log.info("%s: started", job_id)
        try:
            result = self._run_when_free(only)
            outcome = f"done: {describe(result)}"
            level = logging.WARNING if result.failed else logging.INFO
        except LockError as exc:
            outcome, level = f"skipped: {exc}", logging.WARNING
        except TrackerError as exc:
            outcome, level = f"failed: {exc}", logging.ERROR
        except Exception as exc:  # noqa: BLE001 - logged with traceback, daemon goes on
            log.exception("%s: crashed", job_id)
            outcome, level = f"crashed: {exc.__class__.__name__}: {exc}", logging.ERROR
        log.log(level, "%s: %s (%.1f s)", job_id, outcome, time.monotonic() - started)
        self.finished.append((job_id, outcome))
        return outcome

    def _run_when_free(self, only: tuple[str, ...]) -> RunResult:
        """run_once, waiting up to `lock_wait` s for the lock in short steps, so that a
        stop request is noticed while another run (cron) holds the workspace."""
        give_up = time.monotonic() + self.lock_wait
        while True:
            step = max(0.0, min(LOCK_STEP, give_up - time.monotonic()))
            try:
                return run_once(
                    self.root,
                    now=self.clock(),
                    only=only,
                    wait=step,
                    send_email=self.send_email,
                    stop=self.stopping,
                )
            except LockError:
                if self.stopping.is_set() or time.monotonic() >= give_up:
                    raise

    def _trigger(self, cron: str | None) -> BaseTrigger:
        if self.interval is not None or cron is None:
            return IntervalTrigger(seconds=self.interval or 3600, timezone=timezone.utc)
        return CronTrigger.from_crontab(cron, timezone=timezone.utc)

    def build(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.misfire_grace),
            },
        )
        for job in plan_jobs(self.root):
            scheduler.add_job(
                self.run_job,
                self._trigger(job.cron),
                args=(job.id, job.only),
                id=job.id,
                name=job.id,
            )
        # after downtime: each overdue source once, through the cron-mode due logic
        scheduler.add_job(self.run_job, "date", args=(CATCH_UP,), id=CATCH_UP, name=CATCH_UP)
        scheduler.add_listener(_log_skipped, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        return scheduler

    def serve(self, stop: threading.Event) -> None:
        """Run until `stop` is set, then let the current run finish and return."""
        scheduler = self.build()
        scheduler.start()
        for job in scheduler.get_jobs():
            log.info("scheduled %s, next at %s", job.id, _when(job.next_run_time))
        while not stop.wait(0.2):
            pass
        log.info("stopping: ending the run in progress (what finished is kept)")
        self.stopping.set()
        scheduler.shutdown(wait=True)
        log.info("stopped cleanly after %d run(s)", len(self.finished))


def _log_skipped(event: JobExecutionEvent) -> None:
    why = (
        "missed its time (beyond the misfire grace)"
        if event.code == EVENT_JOB_MISSED
        else "still running from its previous firing"
    )
    log.warning("%s: skipped, %s", event.job_id, why)


def _when(moment: Any) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"
