"""`tracker demo`: replay bundled real data offline, end to end, at simulated dates.

A local HTTP server (server.py) plays every source of the repository's Kazakhstan
workspace as it was on each simulated date: the real Factbook versions (frozen mirror and
the retired cia.gov endpoint), hand-built Wikidata documents and World Bank answers
(living.py), and SYNTHETIC ACLED events and news items (fixtures.py). The workspace is a copy of this repository's feeds.yaml and
reports/ with the URLs pointed at that server; the runs are ordinary `run_once` calls.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML

from tracker.demo.server import DemoServer
from tracker.errors import ConfigError
from tracker.evaluate.findings import evaluate_all
from tracker.models import Finding, RunResult
from tracker.run.runner import run_once
from tracker.store.state import source_health
from tracker.workspace import Workspace

# The repository's Kazakhstan workspace (feeds.yaml, reports/), shipped in the package
# (links to the top-level files in a checkout, copies in a wheel).
EXAMPLE = resources.files("tracker.demo").joinpath("data", "workspace")
DEMO_CREDENTIALS = {"ACLED_USERNAME": "demo@example.org", "ACLED_PASSWORD": "demo-only"}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# Simulated run dates: before the brief (Oct 2025) to today, at the moments things happened.
RUN_DATES = [
    _utc(t)
    for t in (
        "2025-09-04T06:30",
        "2025-10-09T06:30",
        "2025-11-21T06:30",
        "2025-12-12T06:30",
        "2026-01-21T23:00",
        "2026-01-22T23:00",
        "2026-02-05T06:30",
        "2026-02-12T06:30",
        "2026-03-17T06:30",
        "2026-05-04T06:30",
        "2026-07-02T06:30",
        "2026-09-21T06:30",
        "2026-11-22T06:30",
    )
]


@dataclass
class DemoResult:
    root: Path
    runs: list[tuple[datetime, RunResult]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[tuple[str, str]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


def run_demo(
    directory: Path | str,
    progress: Callable[[datetime, RunResult], None] | None = None,
    until: datetime | None = None,
) -> DemoResult:
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise ConfigError(f"{root} exists and is not empty; choose a new directory")
    for name, value in DEMO_CREDENTIALS.items():  # the synthetic ACLED server takes any login
        os.environ.setdefault(name, value)
    result = DemoResult(root)
    with DemoServer() as server:
        prepare_workspace(root, server)
        for when in RUN_DATES:
            if until and when > until:
                break
            server.today = when
            run = run_once(root, now=when, run_all=True, send_email=False)
            result.runs.append((when, run))
            if progress:
                progress(when, run)
    return summarize(result, result.runs[-1][0] if result.runs else RUN_DATES[0])


def prepare_workspace(root: Path, server: DemoServer) -> None:
    """Copy the example workspace, sources pointed at the demo server."""
    files = {
        ".gitignore": ".tracker/\n",
        "feeds.yaml": _demo_feeds(EXAMPLE.joinpath("feeds.yaml").read_text("utf-8"), server),
    }
    for entry in EXAMPLE.joinpath("reports").iterdir():
        files[f"reports/{entry.name}"] = entry.read_text("utf-8")
    workspace = Workspace.create(
        root,
        files,
        "Demo workspace: the Kazakhstan example, sources served by the local demo server",
        when=RUN_DATES[0],
    )
    workspace.config  # noqa: B018 - fail early, before any run, if the copy does not validate


def _demo_feeds(text: str, server: DemoServer) -> str:
    yaml = YAML(typ="rt")
    feeds = yaml.load(text)
    for sid in list(feeds["sources"]):
        options = feeds["sources"][sid]
        url = _demo_url(sid, options, server)
        if url is None:
            del feeds["sources"][sid]
        else:
            options["url"] = url
    feeds.pop("email", None)  # the demo writes digests, it sends no mail
    feeds["http"] = {"contact": "demo@example.org", "retries": 1, "backoff": 0.05}
    out = io.StringIO()
    yaml.dump(feeds, out)
    return out.getvalue()


def _demo_url(sid: str, options: Any, server: DemoServer) -> str | None:
    kind = options.get("kind")
    if kind == "factbook":
        return server.url(
            "/cia/geos/kz.json" if "cia.gov" in str(options.get("url")) else "/mirror/kz.json"
        )
    if kind == "wikidata":
        return server.url("/wikidata")
    if kind == "worldbank":
        return server.url("/worldbank")
    if kind == "acled":
        return server.url("/acled")
    if kind == "rss":
        return server.url(f"/rss/{sid}.xml")
    return None  # kinds the demo cannot play (e.g. link checks of the open web)


def summarize(result: DemoResult, now: datetime) -> DemoResult:
    root = result.root
    workspace = Workspace(root)
    config, store, state = workspace.config, workspace.store, workspace.state
    result.findings = evaluate_all(config, store, state, now)
    result.sources = source_health(config, state, now)
    for commit in reversed(list(store.repo.iter_commits())):
        message = (
            commit.message
            if isinstance(commit.message, str)
            else commit.message.decode("utf-8", "replace")
        )
        result.timeline.append(
            (commit.committed_datetime.date().isoformat(), message.splitlines()[0])
        )
    result.digests = (
        sorted(str(p.relative_to(root)) for p in (root / "digests").glob("*") if p.is_file())
        if (root / "digests").is_dir()
        else []
    )
    return result
