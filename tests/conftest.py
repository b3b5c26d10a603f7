"""Shared fixtures: real temp git workspaces, a real local HTTP server, test data.

Real Factbook versions are vendored in tests/data (tests/support/data.py); ../shared is
used only for what is not redistributed here (the complete archives, the report texts),
and a test needing it skips, saying so, when it is absent."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.bytecode import cache_rewritten_tests, compile_packages
from tests.support.data import SHARED, TEST_DATA, shared_path
from tests.support.seed import generator_for, replay_hint, suite_seed
from tests.support.server import LocalServer
from tests.support.temproot import PYTEST_TEMPROOT_ENV, temp_root
from tests.support.zygote import run as warm_run

DATA = SHARED / "data"  # the complete archives (use shared_path("data", ...) to read them)
__all__ = ["DATA", "SHARED", "TEST_DATA", "make_workspace", "utc"]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    if os.environ.get("HOME"):  # its includes name ~/…: git refuses them without a HOME
        os.environ.setdefault(
            "GIT_CONFIG_GLOBAL", str(Path(__file__).parent / "support" / "gitconfig")
        )
    # compiled once, not in every child process and worker (tests/support/bytecode.py)
    cache_rewritten_tests()
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # before the workers start
        compile_packages()
    config.stash[SEED] = suite_seed()
    from hypothesis import settings

    # no example database: a run must not depend on what earlier runs found
    settings.register_profile("tracker", database=None)
    settings.load_profile("tracker")


SEED = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)  # before xdist starts the workers: they inherit TMPDIR
def pytest_sessionstart(session: pytest.Session) -> None:
    """Whatever the suite's processes put in the temp directory outside `tmp_path` — the
    `pymp-*` folders of runs the suite kills on purpose, which no one can remove after a
    SIGKILL, the warm helper's streams — goes under this session's base temp folder, which
    pytest removes when every test passed, instead of piling up in the system's."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller's choice, inherited
    temp = session_base_temp(session.config) / "tmp"
    temp.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(temp)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


def session_base_temp(config: pytest.Config) -> Path:
    """The session's base temp folder, made here first: under a RAM file system when there
    is one (tests/support/temproot.py). pytest reads the root only when it first makes the
    folder, so the variable is set for that moment alone: a pytest the suite starts must
    not share this session's root, whose older folders it would clean up."""
    root = temp_root()
    if root is None:
        return config._tmp_path_factory.getbasetemp()
    os.environ[PYTEST_TEMPROOT_ENV] = root
    try:
        return config._tmp_path_factory.getbasetemp()
    finally:
        del os.environ[PYTEST_TEMPROOT_ENV]


def pytest_unconfigure(config: pytest.Config) -> None:
    """A session that started a parse pool in its own process (no workers: `-n 0`) has
    its multiprocessing temp folder in the base temp folder, which pytest removed with it
    once every test passed; multiprocessing's removal of it at exit would then print a
    FileNotFoundError traceback. An empty folder for it to remove instead."""
    import multiprocessing.process

    made = multiprocessing.process.current_process()._config.get("tempdir")
    if made:
        os.makedirs(made, exist_ok=True)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hypothesis tests draw from the suite's seed (unless a test pins its own). Long tests
    (marked `slow`) come first: xdist hands tests out in this order, so they start at once
    and the short ones fill in beside them.

    The shared demo (`demo_workspace`) is built by the first test that needs it, scheduled
    with the long ones; the demo's other tests come last, when it is built: pytest 9.2's
    structured node ids stopped `--dist loadgroup` from grouping them on one worker
    (pytest-xdist#1386), and a worker that took one early would wait for another's demo.
    They keep their `xdist_group` mark for when grouping works again."""
    from hypothesis import is_hypothesis_test
    from hypothesis import seed as hypothesis_seed

    for item in items:
        test = getattr(item, "obj", None)
        if (
            test is not None
            and is_hypothesis_test(test)
            and getattr(test, "_hypothesis_internal_use_seed", None) is None
        ):
            hypothesis_seed(config.stash[SEED])(test)
        if _uses_demo(item):
            item.add_marker(pytest.mark.xdist_group("demo"))
    builder = next((item for item in items if _uses_demo(item)), None)
    items[:] = _scheduled(items, builder)


def _scheduled(items: list[pytest.Item], builder: pytest.Item | None) -> list[pytest.Item]:
    """Long tests first, the demo's last (`_order`; stable: otherwise as collected), and
    the tests marked `waits` (they mostly sleep through timeouts, drips and deadlines)
    spread evenly over the ordinary ones: side by side in file order, they took every
    worker at once and left both cores idle for seconds (seen in /proc/stat during a run).
    They come only from modules without module-scoped fixtures, which a move would set up
    again."""
    groups: tuple[list[pytest.Item], ...] = ([], [], [])
    for item in items:
        groups[_order(item, builder)].append(item)
    first, ordinary, last = groups
    waiting = [item for item in ordinary if item.get_closest_marker("waits") is not None]
    rest = [item for item in ordinary if item.get_closest_marker("waits") is None]
    step = len(rest) / (len(waiting) + 1)  # the k-th after (k + 1) * step ordinary ones
    spread: list[pytest.Item] = []
    placed = 0
    for index, item in enumerate(rest):
        while placed < len(waiting) and index >= round((placed + 1) * step):
            spread.append(waiting[placed])
            placed += 1
        spread.append(item)
    return first + spread + waiting[placed:] + last


def _uses_demo(item: pytest.Item) -> bool:
    return "demo_workspace" in getattr(item, "fixturenames", ())


def _order(item: pytest.Item, builder: pytest.Item | None) -> int:
    if item is builder or item.get_closest_marker("slow") is not None:
        return 0
    return 2 if _uses_demo(item) else 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.sections.append(("random seed", replay_hint(item.config.stash[SEED])))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    terminalreporter.write_line(replay_hint(config.stash[SEED]))


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """This test's random generator (tests/support/seed.py); its seed is printed."""
    seed = request.config.stash[SEED]
    print(replay_hint(seed))
    # module and name, not nodeid: `--dist loadgroup` appends the group to some nodeids
    return generator_for(seed, f"{request.node.module.__name__}::{request.node.name}")


@pytest.fixture
def shared() -> Path:
    """../shared, or a skip naming it (for the report texts and the complete archives)."""
    return shared_path()


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def make_workspace(root: Path, feeds: str, reports: dict[str, str] | None = None) -> Path:
    """A real workspace: git repo + feeds.yaml + reports/*.yaml (committed)."""
    from tracker.store.git import GitStore

    store = GitStore.init(root)
    (root / ".gitignore").write_text(".tracker/\n")
    (root / "feeds.yaml").write_text(textwrap.dedent(feeds))
    (root / "reports").mkdir(exist_ok=True)
    for name, text in (reports or {}).items():
        (root / "reports" / f"{name}.yaml").write_text(textwrap.dedent(text))
    paths = [".gitignore", "feeds.yaml"] + [f"reports/{n}.yaml" for n in reports or {}]
    store.commit(paths, "Create workspace", when=utc("2020-01-01T00:00:00"))
    return root


@pytest.fixture
def workspace(tmp_path: Path):
    """Factory: workspace(feeds_yaml, {report_id: report_yaml}) → path."""

    def factory(feeds: str, reports: dict[str, str] | None = None, name: str = "ws") -> Path:
        return make_workspace(tmp_path / name, feeds, reports)

    return factory


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throw-away certificate and key for 127.0.0.1 (TLS tests trust it through
    SSL_CERT_FILE, which the default SSL context reads)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: cannot make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory) -> tuple[Path, str]:
    """`tracker demo` run once for the whole session — every xdist worker shares it, since
    each run costs ~15 s of CPU — as (workspace, what the demo printed). Read-only for its
    users: copy it to change it."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder, printed = base / "demo-once", base / "demo-once" / "stdout.txt"
    with FileLock(str(base / "demo-once.lock")):
        if not printed.exists():
            folder.mkdir(exist_ok=True)
            proc = warm_run(
                [sys.executable, "-m", "tracker.cli", "demo", str(folder / "ws")],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            printed.write_text(proc.stdout)
    return folder / "ws", printed.read_text()
