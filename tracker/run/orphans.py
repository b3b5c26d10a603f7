"""Processes of a run that must not outlive it (the parse pool's fork server, its
workers): the kernel's SIGKILL when the parent goes."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when this process's parent ends (Linux; elsewhere a
    no-op, and the callers' own checks are all there is). The request applies from now
    on: a parent that already went is the caller's to check (`os.getppid()`)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
