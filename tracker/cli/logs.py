"""Logging of the lower layers (warnings such as crash repairs; the daemon's job lines).

On stderr, or appended to --log-file. Lines carry the time (UTC) when they are read later:
from the daemon, from cron or a pipe, in a log file. Messages are made safe like every
other output (a server's text in a warning cannot drive the terminal).
"""

from __future__ import annotations

import logging
import sys
import time

from tracker.cli.context import Settings
from tracker.cli.output import is_terminal, safe

_HANDLER_MARK = "_tracker_cli"
CHATTY = ("apscheduler", "aiohttp")


class SafeFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)  # UTC, like the run lines

    def format(self, record: logging.LogRecord) -> str:
        return safe(super().format(record))


def setup_logging(settings: Settings, *, daemon: bool = False) -> None:
    """Warnings by default; what ran with -v (and always for the daemon)."""
    level = logging.INFO if settings.verbose or (daemon and not settings.quiet) else logging.WARNING
    stamped = daemon or settings.log_file is not None or not is_terminal(sys.stderr)
    handler: logging.Handler
    if settings.log_file is not None:
        handler = logging.FileHandler(settings.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    layout = (
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
        if stamped
        else "%(levelname)s: %(message)s"
    )
    handler.setFormatter(SafeFormatter(layout, datefmt="%Y-%m-%dT%H:%M:%SZ"))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:  # the daemon's own lines say what ran
        logging.getLogger(name).setLevel(logging.WARNING)
