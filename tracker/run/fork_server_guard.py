"""The parse workers' fork server imports this first (`pool.fork_server_preload`): the
server dies with the run that started it.

multiprocessing's fork server notices that its owner is gone only in its main loop, after
its preload imports: a run killed while its server still imported left the server
importing alone for a while before it exited. The kernel kills it as soon as its parent
goes (PR_SET_PDEATHSIG), and the check after the prctl covers a parent that went before
it took effect. The pool names the owner in `OWNER_VARIABLE` only while it launches the
server, so that no other process inherits it; without it this module does nothing.
"""

from __future__ import annotations

import os

from tracker.run.orphans import die_with_parent

OWNER_VARIABLE = "TRACKER_FORK_SERVER_OWNER"


def _guard() -> None:
    owner = os.environ.pop(OWNER_VARIABLE, "")
    if owner.isdigit():
        die_with_parent()
        if os.getppid() != int(owner):
            os._exit(1)


_guard()
