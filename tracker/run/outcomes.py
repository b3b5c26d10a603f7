"""Storing what a poll brought: snapshot files, source states, the run's commit message.

Runs in the main process only, as each source's outcome arrives: each snapshot was
serialized (and its encoding checked) while parsing, so writing cannot fail for a reason
of one source's content.
"""

from __future__ import annotations

from datetime import datetime

from tracker.evaluate.diff import summarize
from tracker.models import Failure, RunResult, SourceResult
from tracker.run.parse import Failed
from tracker.run.poll import Polled
from tracker.run.suspect import held
from tracker.workspace import Writer


class OutcomeStore:
    """Stores each source's outcome as the poll learns it (`take`), so that writing the
    snapshot files overlaps the fetching and parsing of the others; `finish` stores what
    is left (sources cut short) and fills `result.sources` in the poll's order.

    `take` writes a changed snapshot, updates the source's state, and holds a suspicious
    shrink back. A run that dies before its commit leaves written files for the next
    writer's repair (store/recovery.py), as any write path does."""

    def __init__(self, writer: Writer, now: datetime) -> None:
        self.writer = writer
        self.now = now
        self.paths: list[str] = []  # written: to commit
        self._results: dict[str, SourceResult] = {}

    def take(self, item: Polled) -> None:
        if item.source not in self._results:
            self._results[item.source] = self._store(item)

    def finish(self, polled: list[Polled], result: RunResult) -> list[str]:
        """Store the rest; → the paths to commit."""
        for item in polled:
            self.take(item)
        result.sources.extend(self._results[item.source] for item in polled)
        return self.paths

    def _store(self, item: Polled) -> SourceResult:
        writer, now = self.writer, self.now
        entry = writer.state.source(item.source)
        outcome = item.result
        if isinstance(outcome, Failed):
            if outcome.failure is not Failure.STOPPED:  # a stop is not the source's fault:
                entry.failed(now, outcome.message, outcome.gone)  # no backoff, still due
            return SourceResult(
                item.source,
                ok=False,
                error=outcome.message,
                gone=outcome.gone,
                failure=outcome.failure,
            )
        if outcome is None:  # 304: nothing parsed, nothing written
            entry.succeeded(now, False, item.validators)
            return SourceResult(item.source, ok=True, not_modified=True)
        confirm = writer.config.sources[item.source].confirm_shrink
        hold = held(item.source, confirm, entry, outcome.suspicion, now)
        if hold is not None:
            return hold  # suspicious shrink: nothing written (suspect.py)
        if outcome.changed:
            rel = writer.store.relpath(item.source)
            writer.write_and_stage(rel, outcome.text)
            self.paths.append(rel)
        entry.succeeded(now, outcome.changed, item.validators)
        return SourceResult(
            item.source,
            ok=True,
            changed=outcome.changed,
            changes=outcome.changes,
            snapshot=outcome.snapshot if outcome.changed else None,
        )


def commit_message(result: RunResult, now: datetime) -> str:
    changed = [s for s in result.sources if s.changed]
    names = ", ".join(s.source for s in changed)
    lines = [
        f"Update {names}" if len(changed) <= 3 else f"Update {len(changed)} sources",
        "",
        f"tracker run at {now.isoformat()}",
    ]
    for source in changed:
        lines.append(f"{source.source}: {len(source.changes)} change(s)")
        lines.extend(summarize(source.changes, limit=12))
    failed = [s for s in result.sources if not s.ok]
    if failed:
        lines.append(f"failed (kept previous snapshot): {', '.join(s.source for s in failed)}")
    return "\n".join(lines)
