"""What several commands need: the workspace, a checked --report, the findings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tracker.cli.context import workspace_root
from tracker.errors import ConfigError

if TYPE_CHECKING:  # heavy imports stay inside the commands: `tracker --help` starts fast
    from tracker.models import Finding
    from tracker.workspace import Workspace


def open_workspace() -> Workspace:
    from tracker.workspace import Workspace

    return Workspace(workspace_root())


def check_report(ws: Workspace, report: str | None) -> None:
    if report is not None and report not in ws.config.reports:
        known = ", ".join(ws.config.reports) or "none"
        raise ConfigError(f"--report: unknown report {report!r}; known: {known}")


def findings(ws: Workspace, now: datetime, report: str | None = None) -> list[Finding]:
    from tracker.evaluate.findings import evaluate_all

    check_report(ws, report)
    return evaluate_all(ws.config, ws.store, ws.state, now, report)


def findings_json(ws: Workspace, now: datetime, report: str | None = None) -> list[tuple[str, str]]:
    """(status, JSON text) of each finding, as `findings` gives them."""
    from tracker.evaluate.findings import findings_json as as_json

    check_report(ws, report)
    return as_json(ws.config, ws.store, ws.state, now, report)
