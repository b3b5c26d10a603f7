"""Byte-compiled code for the suite, even where PYTHONDONTWRITEBYTECODE is set.

With that variable set (some CI images and sandboxes set it), nothing ever writes a .pyc:
every `tracker` child process the suite starts compiles the whole package from source
again, and every xdist worker rewrites every test module's asserts again. Python still
*reads* an up-to-date .pyc when it finds one, so the suite writes them once per change of
a source file: the package with compileall (into the usual __pycache__ folders, which git
ignores), the test modules by letting pytest's assertion rewriter cache its output.
"""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tracker", "tests/support")  # what child processes import


def compile_packages(root: Path = ROOT) -> bool:
    """Write the missing or stale .pyc files of the packages child processes import; True
    when every file compiled (a syntax error is the tests' to report, not this step's)."""
    ok = True
    for package in PACKAGES:
        folder = root / package
        if folder.is_dir():
            ok = bool(compileall.compile_dir(str(folder), quiet=2, workers=1)) and ok
    return ok


def cache_rewritten_tests() -> None:
    """Let pytest keep the test modules it rewrote (it reads sys.dont_write_bytecode)."""
    sys.dont_write_bytecode = False
