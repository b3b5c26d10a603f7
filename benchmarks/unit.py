#!/usr/bin/env python3
"""A whole country-of-origin unit in one workspace: 100 reports × 80 facts, ~640 sources,
five years of nightly history.

The unit (unitdata.py): 100 variants of the Kazakhstan report (79 facts + 1) over variants
of the real archived Factbook profiles; per report two Factbook profiles, a Wikidata
entity, a World Bank country, an ACLED query and a news feed; shared by the unit the 14
Wikidata items the report cross-checks and 20 news feeds. Factbook, Wikidata, World Bank
and RSS are files on loopback hosts (feedserver.py, its own process); ACLED is the fake
OAuth API of the test server (tests/support/acled_server.py). Each measurement is one
whole `tracker` process (wall, CPU, peak RSS; the read-only `status`, `status --report
ONE` and warm `history` measurements, which change nothing, the best of five runs):

  first run, unchanged run (all 304), run with 5% of every profile's fields changed,
  `status`, `status --report ONE`, `digest` (all reports), `diff`, `history FACT` cold
  (no parsed-snapshot cache) and warm;

then five simulated years of nightly runs (unityears.py: one commit per night with the few
sources that changed and one with that night's digests, written with git fast-import) and
`history` cold and warm, `diff --since` (the last 30 days), `status`, the repository's
packed size and `git gc` again. Figures are printed with ratios against baselines measured
in the same run: the bare interpreter start (`python -c pass`) for fixed costs, the
unchanged run's network latency floor (its own requests, logged by the servers and replayed
by a bare client, floor.py) for the unchanged run, and the same unit at 33 reports (2,640
facts, the size of the 260-source scale.py figures) for growth: per-fact and per-source
costs from one size to the other.

    .venv/bin/python benchmarks/unit.py                 # 100 reports, baseline 33, 1826 nights
    .venv/bin/python benchmarks/unit.py --small         # smoke: 2 reports, baseline 1 (its two
                                                        # runs only), 2 shared feeds, 15 nights,
                                                        # each measurement once
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchlib import ROOT, Cost, feed_server, latency_floor, local_requests, measure

sys.path.insert(0, str(ROOT))

import unitdata  # noqa: E402
from unitdata import Unit  # noqa: E402

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)  # the first run; digests due (06:00)
HISTORY_FACT = "unit-000/population-000"  # on fb-000, whose five years replay the archive
READS = 5  # read-only commands that change nothing: the best of five (a shared machine reads up to 30% high)
ACLED_ENV = {"ACLED_USERNAME": "analyst@example.org", "ACLED_PASSWORD": "s3cret-Pa55word-XYZ"}


@dataclass
class Sized:
    """One unit's figures."""

    unit: Unit
    costs: dict[str, Cost] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sizes: dict[str, str] = field(default_factory=dict)
    floor: float = 0.0  # the unchanged run's network latency floor (floor.py), seconds
    years_now: list[str] = field(default_factory=list)  # --now of the five-year measurements
    paired: tuple[Cost, Cost] | None = None  # `status` before / after five years, interleaved


def at(when: datetime) -> list[str]:
    return ["--now", when.isoformat()]


def run_unit(
    unit: Unit,
    tmp: Path,
    profiles: list[dict],
    args: argparse.Namespace,
    years: bool,
    brief: bool = False,
) -> Sized:
    """The unit's measurements (`brief`: the first and the unchanged run only, the
    baseline of --small: growth is printed for what both units measured)."""
    from tests.support.server import LocalServer

    out = Sized(unit)
    served = tmp / f"served-{unit.reports}"
    unitdata.write_served(unit, served, profiles)
    workspace = tmp / f"ws-{unit.reports}"
    env = {**os.environ, **ACLED_ENV}
    with feed_server(served, args.latency, args.hosts) as server, LocalServer() as acled:
        serve_acled(acled, unit)
        unitdata.make_workspace(unit, workspace, server.hosts, acled.url(""))
        one = unit.report_ids[0]

        def cmd(name: str, *argv: str, best_of: int = 1) -> Cost:
            runs = [
                measure([str(tracker_exe()), "-w", str(workspace), *argv], env=env)
                for _ in range(best_of)
            ]
            cost = min(runs, key=lambda c: c.wall)
            out.costs[name] = cost
            if cost.returncode not in (0, 3):
                raise SystemExit(
                    f"{unit.reports} reports, {name}: exit {cost.returncode}\n{cost.stdout[-3000:]}"
                )
            return cost

        cmd("first run", "run", "--all", "--no-email", *at(T0))
        server.stats(reset=True)
        acled.requests.clear()
        cmd("unchanged run", "run", "--all", "--no-email", *at(T0 + timedelta(hours=1)))
        stats = server.stats()
        acled_made = local_requests(acled.url(""), acled.requests)
        made = server.log() + acled_made
        out.floor = latency_floor(made, tries=min(3, READS))
        out.notes.append(
            f"unchanged run: {stats['not_modified']}/{stats['requests']} file "
            f"requests answered 304, {len(acled_made)} ACLED API requests; "
            f"{commits(workspace)} commits so far; its {len(made)} requests replayed by a "
            f"bare client (floor.py, best of 3): {out.floor:.2f} s (the latency floor)"
        )
        if brief:
            return out
        revised = sum(
            unitdata.change_fields(doc, 0.05, _rng(unit, 5)) for doc in unit.profiles.values()
        )
        unitdata.write_profiles(unit, served)
        before = commits(workspace)
        cmd("5% changed run", "run", "--all", "--no-email", *at(T0 + timedelta(hours=2)))
        out.notes.append(
            f"5% run: {revised} profile fields revised upstream in "
            f"{len(unit.profiles)} profiles; commits {before} → "
            f"{commits(workspace)}"
        )
        now = at(T0 + timedelta(hours=3))
        status = cmd("status", "status", "--format", "json", *now, best_of=READS)
        count = len(json.loads(status.stdout))
        out.notes.append(f"status: {count} findings")
        cmd(
            "status --report ONE",
            "status",
            "--report",
            one,
            "--format",
            "json",
            *now,
            best_of=READS,
        )
        cmd("digest (all reports)", "digest", *now)
        cmd("diff", "diff", "--format", "json")
        drop_blob_cache(workspace)
        cmd("history cold", "history", HISTORY_FACT, "--format", "json")
        cmd("history warm", "history", HISTORY_FACT, "--format", "json", best_of=READS)
        out.sizes["before"] = packed(workspace)
        if years:
            before = tmp / f"ws-{unit.reports}-before-years"
            shutil.copytree(workspace, before, symlinks=True)  # to pair `status` with later
            five_years(out, workspace, served, profiles, args, cmd, one)
            paired_status(out, before, now, workspace, out.years_now, env)
    return out


def five_years(
    out: Sized,
    workspace: Path,
    served: Path,
    profiles: list[dict],
    args: argparse.Namespace,
    cmd,
    one: str,
) -> None:  # noqa: ANN001
    """Simulated nightly history, one real nightly run on top, then the measurements."""
    from unityears import simulate

    unit = out.unit
    summary = simulate(
        workspace,
        unit,
        profiles,
        start=T0 + timedelta(hours=2),
        nights=args.nights,
        seed=unit.seed,
        served=served,
    )
    out.notes.append(summary.text())
    last = summary.last_night + timedelta(days=1)
    cmd("5y nightly run (real)", "run", "--all", "--no-email", *at(last))
    end = last + timedelta(hours=3)
    now = out.years_now = at(end)
    drop_blob_cache(workspace)
    rows = cmd("5y history cold", "history", HISTORY_FACT, "--format", "json")
    out.notes.append(
        f"history {HISTORY_FACT} after five years: {len(json.loads(rows.stdout))} rows"
    )
    cmd("5y history warm", "history", HISTORY_FACT, "--format", "json", best_of=READS)
    since = (end - timedelta(days=30)).date().isoformat()
    diff = cmd("5y diff --since 30d", "diff", "--since", since, "--format", "json")
    out.notes.append(f"diff --since {since}: {len(json.loads(diff.stdout))} rows")
    cmd("5y status (cold)", "status", "--format", "json", *now)
    cmd("5y status", "status", "--format", "json", *now, best_of=READS)
    cmd(
        "5y status --report ONE", "status", "--report", one, "--format", "json", *now, best_of=READS
    )
    out.sizes["after five years"] = packed(workspace)
    start = time.perf_counter()
    subprocess.run(["git", "-C", str(workspace), "gc", "-q"], check=True)
    out.sizes["after git gc"] = (
        packed(workspace) + f" (git gc took {time.perf_counter() - start:.1f} s)"
    )
    cmd("5y status after gc", "status", "--format", "json", *now, best_of=READS)


def paired_status(
    out: Sized,
    before: Path,
    before_now: list[str],
    after: Path,
    after_now: list[str],
    env: dict[str, str],
) -> None:
    """`status` on a copy of the workspace made before the five years and on the
    workspace after them, alternately (best of READS each): "no slower" measured in
    the same moments, not minutes apart on a machine whose load comes and goes."""
    exe = str(tracker_exe())

    def status(root: Path, now: list[str]) -> Cost:
        cost = measure([exe, "-w", str(root), "status", "--format", "json", *now], env=env)
        if cost.returncode != 0:
            raise SystemExit(f"status in {root}: exit {cost.returncode}\n{cost.stdout[-3000:]}")
        return cost

    status(before, before_now)  # the copy's kept findings name the old path: keep anew
    runs = [(status(before, before_now), status(after, after_now)) for _ in range(READS)]
    out.paired = (
        min((a for a, _ in runs), key=lambda c: c.wall),
        min((b for _, b in runs), key=lambda c: c.wall),
    )


def tracker_exe() -> Path:
    from benchlib import TRACKER

    return TRACKER


def _rng(unit: Unit, salt: int):  # noqa: ANN202 - a random.Random
    import random

    return random.Random(unit.seed * 1000 + unit.reports + salt)


def serve_acled(server, unit: Unit) -> None:  # noqa: ANN001 - tests.support.server.LocalServer
    """One fake ACLED API per report on the one test server, each under its own prefix."""
    from tests.support.acled_server import FakeAcled

    for source_id, rows in unit.acled.items():
        fake = FakeAcled(server, rows=rows)
        for path, handler in (
            ("/oauth/token", fake._token),
            ("/api/acled/read", fake._read),
            ("/api/deleted/read", fake._deleted),
        ):
            server.handler(f"/{source_id}{path}", handler)


def commits(workspace: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(workspace), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def packed(workspace: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(workspace), "count-objects", "-v"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = dict(line.split(": ", 1) for line in out.splitlines())
    return (
        f"{int(info['size-pack']) / 1024:.1f} MB packed in {info['packs']} pack(s), "
        f"{int(info['size']) / 1024:.1f} MB in {info['count']} loose objects; "
        f"{commits(workspace)} commits"
    )


def drop_blob_cache(workspace: Path) -> None:
    """Cold: no parsed snapshot version and no fact history cached (the git objects and
    the parsed configuration stay)."""
    for name in ("blobs", "history"):
        shutil.rmtree(workspace / ".tracker" / "cache" / name, ignore_errors=True)


def bare_start() -> Cost:
    """The fixed-cost baseline: the interpreter starting and doing nothing (best of 5)."""
    runs = [measure([sys.executable, "-c", "pass"]) for _ in range(5)]
    return min(runs, key=lambda c: c.wall)


# ---------------------------------------------------------------- printing


def show(base: Sized, main: Sized, bare: Cost, latency: float) -> None:
    print(f"\nbare interpreter start (python -c pass, best of 5): {bare}")
    if latency:
        print(f"feed server latency {latency:g} s per request")
    for sized in (base, main):
        unit = sized.unit
        print(
            f"\n== {unit.reports} reports: {unit.fact_count()} facts, "
            f"{unit.source_count()} sources =="
        )
        for note in sized.notes:
            print(f"  {note}")
        for name, cost in sized.costs.items():
            print(
                f"  {name:24s} {cost}   x{cost.wall / bare.wall:5.1f} / "
                f"cpu x{cost.cpu / max(bare.cpu, 1e-3):5.1f} bare start"
            )
        for name, size in sized.sizes.items():
            print(f"  repository {name}: {size}")
    growth(base, main)
    targets(main)


def growth(base: Sized, main: Sized) -> None:
    a, b = base.unit, main.unit
    print(
        f"\ngrowth {a.fact_count()} → {b.fact_count()} facts (x{b.fact_count() / a.fact_count():.2f}), "
        f"{a.source_count()} → {b.source_count()} sources "
        f"(x{b.source_count() / a.source_count():.2f}); CPU per fact / per source, "
        "and the ratio (≤ 1.0: flat or falling = no worse than linear):"
    )
    for name, small in base.costs.items():
        big = main.costs.get(name)
        if big is None:
            continue
        per_fact = (small.cpu / a.fact_count() * 1e3, big.cpu / b.fact_count() * 1e3)
        per_source = (small.cpu / a.source_count() * 1e3, big.cpu / b.source_count() * 1e3)
        print(
            f"  {name:24s} wall x{big.wall / small.wall:5.2f}  cpu x{big.cpu / small.cpu:5.2f}"
            f"  RSS x{big.rss_mb / small.rss_mb:4.2f}   per fact {per_fact[0]:.3f} → "
            f"{per_fact[1]:.3f} ms (x{per_fact[1] / per_fact[0]:.2f})   per source "
            f"{per_source[0]:.2f} → {per_source[1]:.2f} ms (x{per_source[1] / per_source[0]:.2f})"
        )


TARGETS = [  # (measurement, wall seconds at most, peak RSS MB at most)
    ("status", 1.0, 150),
    ("status --report ONE", 0.5, None),
    ("unchanged run", 3.0, None),  # beyond its latency floor
    ("digest (all reports)", 3.0, None),
    ("5y history warm", 0.5, None),
    ("5y history cold", 3.0, None),
]


NO_SLOWER = 1.05  # a ratio this close to 1 is the same time on a shared machine


def targets(main: Sized) -> None:
    print(
        f"\ntargets ({main.unit.fact_count()} facts; wall as measured here — on a loaded "
        "machine compare CPU, which the other jobs do not inflate as much):"
    )
    for name, wall, rss in TARGETS:
        cost = main.costs.get(name)
        if cost is None:
            continue
        floor = main.floor if name == "unchanged run" else 0.0
        ok = cost.wall - floor <= wall and (rss is None or cost.rss_mb <= rss)
        limit = f"≤ {wall:g} s" + (f", ≤ {rss} MB" if rss else "")
        beyond = f" ({cost.wall - floor:.2f} s beyond the floor of {floor:.2f} s)" if floor else ""
        print(
            f"  {name:24s} {limit:18s} wall {cost.wall:5.2f} s  cpu {cost.cpu:5.2f} s  "
            f"{cost.rss_mb:4.0f} MB  {'met' if ok else 'NOT met (wall)'}{beyond}"
        )
    if main.paired:
        before, after = main.paired
        verdict = "met" if after.wall <= before.wall * NO_SLOWER else "NOT met"
        print(
            f"  5y status vs status      no slower         wall {after.wall:.2f} s against "
            f"{before.wall:.2f} s (x{after.wall / before.wall:.2f}), cpu x"
            f"{after.cpu / before.cpu:.2f}: {verdict} (interleaved on a copy made before "
            f"the five years, best of {READS} each; within {NO_SLOWER - 1:.0%} counts as "
            "no slower)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--baseline-reports", type=int, default=33)
    parser.add_argument("--nights", type=int, default=1826, help="simulated nightly runs")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses (sites)")
    parser.add_argument(
        "--small",
        action="store_true",
        help="smoke run of every measurement, each once: 2 reports, baseline 1 (two runs), "
        "2 feeds, 15 nights",
    )
    parser.add_argument("--keep", type=Path, help="build the workspaces here and keep them")
    args = parser.parse_args()
    feeds = unitdata.SHARED_FEEDS
    if args.small:
        global READS
        READS = 1  # the smoke run: every measurement once
        args.reports, args.baseline_reports, args.nights, feeds = 2, 1, 15, 2
    profiles = unitdata.load_profiles()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench-unit-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        bare = bare_start()
        base = run_unit(
            Unit(args.baseline_reports, shared_feeds=feeds),
            tmp,
            profiles,
            args,
            years=False,
            brief=args.small,
        )
        main_unit = run_unit(
            Unit(args.reports, shared_feeds=feeds), tmp, profiles, args, years=True
        )
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    show(base, main_unit, bare, args.latency)


if __name__ == "__main__":
    main()
