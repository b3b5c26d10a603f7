"""Storing what a poll brought: snapshot files, source states, the run's commit message.

Runs in the main process only, after every source has its outcome: each snapshot was
serialized (and its encoding checked) while parsing, so writing cannot fail half-way for
a reason of one source's content.
"""

from __future__ import annotations

from datetime import datetime

from tracker.evaluate.diff import summarize
from tracker.models import Failure, RunResult, SourceResult
from tracker.run.parse import Failed
from tracker.run.poll import Polled
from tracker.run.suspect import held
from tracker.workspace import Writer


def store_outcomes(
    writer: Writer, polled: list[Polled], result: RunResult, now: datetime
) -> list[str]:
    """Write changed snapshots, update each source's state, fill `result.sources`;
    → the paths to commit."""
    paths: list[str] = []
    for item in polled:
        entry = writer.state.source(item.source)
        outcome = item.result
        if isinstance(outcome, Failed):
            if outcome.failure is not Failure.STOPPED:  # a stop is not the source's fault:
                entry.failed(now, outcome.message, outcome.gone)  # no backoff, still due
            result.sources.append(
                SourceResult(
                    item.source,
                    ok=False,
                    error=outcome.message,
                    gone=outcome.gone,
                    failure=outcome.failure,
                )
            )
        elif outcome is None:  # 304: nothing parsed, nothing written
            entry.succeeded(now, False, item.validators)
            result.sources.append(SourceResult(item.source, ok=True, not_modified=True))
        elif (
            hold := held(
                item.source,
                writer.config.sources[item.source].confirm_shrink,
                entry,
                outcome.suspicion,
                now,
            )
        ) is not None:
            result.sources.append(hold)  # suspicious shrink: nothing written (suspect.py)
        else:
            if outcome.changed:
                rel = writer.store.relpath(item.source)
                writer.write_file(rel, outcome.text)
                paths.append(rel)
            entry.succeeded(now, outcome.changed, item.validators)
            result.sources.append(
                SourceResult(
                    item.source,
                    ok=True,
                    changed=outcome.changed,
                    changes=outcome.changes,
                    snapshot=outcome.snapshot if outcome.changed else None,
                )
            )
    return paths


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
