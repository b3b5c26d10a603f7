"""The garbage collector's settings for a process that runs one command and exits.

What such a process builds first — the modules, their classes and functions — lives
until the end. Python's collector would still scan all of it at every full collection,
and a young collection every 700 new objects finds next to nothing while a run waits on
a thousand replies. So the console script (`main`) collects young objects less often, and
`tracker run`, once its modules are imported, moves what exists by then out of the
collector's sight (`gc.freeze`). Cycles made after that are collected as before; memory
stays bounded. benchmarks/collector.py measures what it saves.

Only the console script asks for this: the same commands called in a long-lived process
(the test suite, a library user) keep Python's defaults, since objects frozen there
could not be collected even once they became garbage.
"""

from __future__ import annotations

import gc

# Young objects between collections (Python's default is 700): still a few megabytes of
# cyclic garbage at most, and far fewer collections that find none.
YOUNG_THRESHOLD = 50_000

_one_command = False
_settled = False


def one_command() -> None:
    """This process runs one command, then exits (the console script)."""
    global _one_command
    _one_command = True
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def settle() -> None:
    """Start-up is over: what exists now lives until the process ends. Only once, and
    only in a one-command process (in a daemon, the first job's start)."""
    global _settled
    if _one_command and not _settled:
        _settled = True
        gc.freeze()
