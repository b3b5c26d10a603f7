"""A progress bar on a terminal for long work, fed by a lower layer's progress callback.

The lower layers know nothing of Rich: they call `progress(done, total)`. Here that
becomes a transient bar on stderr — only when stderr is a terminal and not with -q, so
cron logs and pipes never see it.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from tracker.cli.context import settings
from tracker.cli.output import console, plain, safe

ProgressCallback = Callable[[int, int], None]


@contextmanager
def progress_bar(label: str, *, at_least: int = 1) -> Iterator[ProgressCallback | None]:
    """Yields a callback for the lower layer, or None when no bar is wanted. The bar
    shows up once the work has `at_least` steps (a run of two sources needs none)."""
    if settings().quiet or plain(sys.stderr):
        yield None
        return
    err = console(stderr=True)
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(safe(label), total=None, visible=False)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=total >= at_least)

        yield update
