"""The global options of one invocation (-w, -q, -v, --log-file), wherever they were given.

They are accepted before or after the subcommand; `core.command` collects them into one
Settings per invocation (kept on the root click context, so a test that invokes the app
twice in one process never sees the previous invocation's) and activates it here for
the command body.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Settings:
    workspace: Path = Path(".")
    quiet: bool = False
    verbose: bool = False
    log_file: Path | None = None


_CURRENT: ContextVar[Settings | None] = ContextVar("tracker_cli_settings", default=None)


def activate(current: Settings) -> None:
    _CURRENT.set(current)


def settings() -> Settings:
    """This invocation's settings (the defaults outside a command)."""
    return _CURRENT.get() or Settings()


def workspace_root() -> Path:
    return settings().workspace
