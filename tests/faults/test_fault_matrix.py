"""Every source kind × every fault, through `tracker.run.runner.run_once` against the real local
server: no false change, nothing committed, the previous snapshot kept, the source marked
failing with a clear one-line error, and the next good answer makes no spurious diff."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import make_workspace, utc
from tests.support.faults import (
    CREDENTIALS,
    FAULTS,
    KIND_FAULTS,
    KINDS,
    Kind,
    citations_file,
    make_kind,
    workspace_files,
)
from tests.support.server import LocalServer
from tracker.run.runner import run_once
from tracker.store.git import GitStore
from tracker.store.state import State

FIRST, FAULTY, AGAIN = utc("2025-10-08T04:00"), utc("2025-10-09T04:00"), utc("2025-10-10T04:00")

# What each kind does with a fault, where it is not "fails" (the source fails, nothing
# else moves). "unchanged": the fault is harmless for the kind and the run succeeds with no
# change. "recorded": the kind's data IS the HTTP outcome (link health), so the run
# succeeds and stores it. "accepted": a legitimate document the kind takes, bounded.
HARMLESS_FOR_JSON = (
    "wrong charset in the header",
    "no charset, no content type",
    "body in another encoding (UTF-16)",
)
EXPECT: dict[tuple[str, str], str] = {
    **{
        (k, f): "unchanged"
        for k in ("factbook", "wikidata", "acled", "worldbank")
        for f in HARMLESS_FOR_JSON
    },
    ("rss", "no charset, no content type"): "unchanged",
    # a feed cut short keeps its complete items (all known already); a header charset that
    # contradicts the document's own valid declaration is ignored
    ("rss", "truncated document"): "unchanged",
    ("rss", "wrong charset in the header"): "unchanged",
    ("rss", "body in another encoding (UTF-16)"): "unchanged",
    ("rss", "feed of 10,000 items"): "accepted",
    # citations checks links with HEAD (no body to go wrong); a transient answer (429, 5xx,
    # timeout) keeps a link's last state. Only when no link answers at all does it fail.
    **{
        ("citations", f): "unchanged"
        for f in FAULTS
        if f not in ("connection refused", "redirect loop")
    },
}


def expectation(kind: str, fault: str) -> str:
    return EXPECT.get((kind, fault), "fails")


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Per kind, once per module: a server and a workspace after its first good run.
    Each test works on a copy (git repository and .tracker/ included)."""
    made: dict[str, tuple[Path, Kind, LocalServer]] = {}
    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)

        def get(name: str) -> tuple[Path, Kind, LocalServer]:
            if name not in made:
                server, kind = stack.enter_context(LocalServer()), make_kind(name)
                made[name] = (first_run(tmp_path_factory.mktemp(name), kind, server), kind, server)
            return made[name]

        yield get


def first_run(base: Path, kind: Kind, server: LocalServer) -> Path:
    feeds, reports = workspace_files(kind, server.url(""))
    root = make_workspace(base / "ws", feeds, reports)
    if kind.name == "citations":
        (root / "reports" / "kz.citations.yaml").write_text(citations_file(server.url("")))
        GitStore(root).commit(["reports/kz.citations.yaml"], "citations", when=FIRST)
    kind.serve_good(server)
    first = run_once(root, now=FIRST, run_all=True, send_email=False)
    assert first.sources[0].ok and first.sources[0].changed, first.sources[0].error
    return root


@pytest.fixture
def setup(templates, tmp_path, request):
    template, kind, server = templates(request.param)
    root = tmp_path / "ws"
    shutil.copytree(template, root, symlinks=True)
    kind.serve_good(server)
    return root, kind, server


def snapshot_head(root) -> str:
    return GitStore(root).repo.git.log("-1", "--format=%H", "--", "snapshots")


def untracked_or_modified(root) -> str:
    return subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=all",
            "snapshots",
            "reports",
            "feeds.yaml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("setup", KINDS, indirect=True)
def test_fault(setup, fault):
    root, kind, server = setup
    if FAULTS[fault].refused:
        with server.down():
            result = run_once(root, now=FAULTY, only=[kind.sid], send_email=False)
        check(root, kind, server, result, expectation(kind.name, fault), fault)
    else:
        kind.serve_fault(server, FAULTS[fault])
        check(root, kind, server, None, expectation(kind.name, fault), fault)


KIND_CASES = [(k, f) for k, faults in KIND_FAULTS.items() for f in faults]


@pytest.mark.parametrize(
    "setup, fault", KIND_CASES, indirect=["setup"], ids=[f"{k}-{f}" for k, f in KIND_CASES]
)
def test_fault_of_the_kinds_own_protocol(setup, fault):
    """Faults only one kind's protocol has (an API error answer, endless paging)."""
    root, kind, server = setup
    replies = KIND_FAULTS[kind.name][fault]()
    for path in kind.fault_paths:
        if callable(replies):
            server.handler(path, replies)
        else:
            server.route(path, *replies)
    check(root, kind, server, None, "fails", fault)


def check(root: Path, kind: Kind, server: LocalServer, result, expected: str, fault: str) -> None:
    """Run (unless `result` is given) with the fault in place; then the good answer again."""
    snapshot = root / "snapshots" / f"{kind.sid}.yaml"
    head, before = snapshot_head(root), snapshot.read_bytes()
    if result is None:
        result = run_once(root, now=FAULTY, only=[kind.sid], send_email=False)
    outcome = result.sources[0]
    assert untracked_or_modified(root) == "", "no garbage left in the work tree"

    if expected == "fails":
        assert not outcome.ok, f"{fault} must fail the source"
        error = outcome.error or ""
        assert error and "\n" not in error and "Traceback" not in error, error
        assert snapshot_head(root) == head, "a failed fetch is never a change"
        assert snapshot.read_bytes() == before, "previous snapshot kept"
        health = State.load(root).source(kind.sid)
        assert health.failures == 1 and health.last_error == error
        assert all(f.status == "source-failing" for f in result.findings if f.source == kind.sid)
    elif expected == "unchanged":
        assert outcome.ok and not outcome.changed, outcome.error
        assert snapshot_head(root) == head and snapshot.read_bytes() == before
    elif expected in ("accepted", "recorded"):
        assert outcome.ok and outcome.changed, outcome.error
        assert len(snapshot.read_bytes()) < 1_000_000, "bounded by max_items"

    # The next good answer: no spurious diff against what is stored now.
    kept = snapshot_head(root)
    kind.serve_good(server)
    again = run_once(root, now=AGAIN, only=[kind.sid], send_email=False)
    assert again.sources[0].ok, again.sources[0].error
    assert snapshot_head(root) == kept and not again.sources[0].changed, (
        f"spurious diff after {fault}: {again.sources[0].changes[:3]}"
    )
    assert State.load(root).source(kind.sid).failures == 0
    assert all(f.status == "current" for f in again.findings if f.source == kind.sid)
