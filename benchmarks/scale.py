#!/usr/bin/env python3
"""How does a run's cost grow with the number of Factbook sources?

For each size N (default 10, 100, 260) a fresh workspace gets N factbook sources — variants
of the real Kazakhstan profiles (../shared/data/cia-geos-kz, version i mod 173, with a
variant marker) served by benchmarks/feedserver.py in its own process — and a report with
ten facts per source. Measured, each as a `tracker` process (wall, CPU, peak RSS):

  first   `tracker run --all`: every source new
  changed `tracker run --all` after 5% of every profile's fields changed upstream
  same    `tracker run --all` with nothing changed (all 304)
  diff    `tracker diff --format json` (each source's latest change)
  status  `tracker status --format json` (evaluate every fact)

then prints per-source costs and how they grow from the smallest size to the largest.

    .venv/bin/python benchmarks/scale.py [--sizes 10 100 260] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from benchlib import ROOT, Cost, feed_server, tracker

sys.path.insert(0, str(ROOT))

FACT_PATHS = [  # (path, extractor): ten facts per source, as in the Kazakhstan report
    (["Government", "Executive branch", "head of government"], "person"),
    (["Government", "Executive branch", "chief of state"], "person"),
    (["People and Society", "Population", "total"], "number"),
    (["Government", "Capital", "name"], "text"),
    (["Geography", "Area", "total "], "text"),
    (["People and Society", "Median age", "total"], "text"),
    (["Economy", "Real GDP growth rate", "Real GDP growth rate 2024"], "percent"),
    (["Government", "Legislative branch", "legislature name"], "text"),
    (["People and Society", "Ethnic groups", "text"], "shares"),
    (["Military and Security", "Military expenditures", "Military Expenditures 2024"], "percent"),
]


def variant(document: dict, index: int) -> dict:
    """A distinct profile per source: the real text, marked with its variant number."""
    doc = json.loads(json.dumps(document))
    intro = doc["categories"][0]["fields"][0]
    intro["content"] = f"<p>Variant {index}.</p>" + intro["content"]
    return doc


def leaves(document: dict) -> list[dict]:
    """Every field or subfield that carries text (what a 'field' of a profile is)."""
    out = []
    for category in document["categories"]:
        for field in category.get("fields") or []:
            out.extend(field.get("subfields") or [field])
    return [leaf for leaf in out if leaf.get("content")]


def change_fields(document: dict, share: float, rng: random.Random) -> int:
    chosen = [leaf for leaf in leaves(document) if rng.random() < share]
    for leaf in chosen:
        leaf["content"] += f" (revised {rng.randrange(10**6)})"
    return len(chosen)


def make_workspace(root: Path, urls: list[str]) -> None:
    from tracker.store.git import GitStore
    from tracker.workspace import init_workspace

    init_workspace(root)
    (root / "reports" / "example.yaml").unlink()
    feeds = ["sources:"] + [
        f"  fb{i:03d}:\n    kind: factbook\n    url: {url}" for i, url in enumerate(urls)
    ]
    (root / "feeds.yaml").write_text("\n".join(feeds) + "\n")
    facts = ["report: {id: scale}", "facts:"]
    for i in range(len(urls)):
        for n, (path, extract) in enumerate(FACT_PATHS):
            expect = "{Kazakh: 71}" if extract == "shares" else "'x'"
            facts.append(
                f"  - {{id: f{i:03d}-{n}, source: fb{i:03d}, extract: {extract}, "
                f"path: {json.dumps(path)}, expect: {expect}}}"
            )
    (root / "reports" / "scale.yaml").write_text("\n".join(facts) + "\n")
    GitStore(root).commit(
        ["feeds.yaml", "reports/scale.yaml", "reports/example.yaml"], "benchmark workspace"
    )


def run_size(size: int, profiles: list[dict], tmp: Path) -> dict[str, Cost]:
    served = tmp / f"served-{size}"
    served.mkdir()
    documents = [variant(profiles[i % len(profiles)], i) for i in range(size)]
    for i, doc in enumerate(documents):
        (served / f"fb{i:03d}.json").write_text(json.dumps(doc))
    costs: dict[str, Cost] = {}
    rng = random.Random(size)
    with feed_server(served) as server:
        workspace = tmp / f"ws-{size}"
        make_workspace(workspace, [server.url(0, f"fb{i:03d}.json") for i in range(size)])
        costs["first"] = tracker(workspace, "run", "--all", "--no-email", "--format", "json")
        changed = 0
        for i, doc in enumerate(documents):
            changed += change_fields(doc, 0.05, rng)
            (served / f"fb{i:03d}.json").write_text(json.dumps(doc))
        costs["changed"] = tracker(workspace, "run", "--all", "--no-email", "--format", "json")
        server.stats(reset=True)
        costs["same"] = tracker(workspace, "run", "--all", "--no-email", "--format", "json")
        stats = server.stats()
        costs["diff"] = tracker(workspace, "diff", "--format", "json")
        costs["status"] = tracker(workspace, "status", "--format", "json")
    for name, cost in costs.items():
        if cost.returncode != 0:
            raise SystemExit(f"N={size} {name}: exit {cost.returncode}\n{cost.stdout[-2000:]}")
    result = json.loads(costs["changed"].stdout)
    n_changes = sum(s["changes"] for s in result["sources"])
    diff_rows = len(json.loads(costs["diff"].stdout))
    print(
        f"N={size}: {changed} fields changed upstream → {n_changes} snapshot changes "
        f"committed ({result['commit'] and result['commit'][:10]}); diff rows {diff_rows}; "
        f"second unchanged pass: {stats['not_modified']}/{stats['requests']} answered 304, "
        f"commit {json.loads(costs['same'].stdout)['commit']}"
    )
    for name, cost in costs.items():
        print(f"  {name:8s} {cost}   per source {cost.wall / size * 1000:7.1f} ms")
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 260])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/cia-geos-kz")
    args = parser.parse_args()
    profiles = [json.loads(p.read_bytes()) for p in sorted(args.data.glob("*.json"))]
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        results = {size: run_size(size, profiles, tmp) for size in args.sizes}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    small, large = min(results), max(results)
    print(f"\ngrowth from N={small} to N={large} (sources x{large / small:g}):")
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        print(
            f"  {name:8s} wall x{b.wall / a.wall:5.1f}   cpu x{b.cpu / a.cpu:5.1f}   "
            f"peak RSS x{b.rss_mb / a.rss_mb:4.1f}   "
            f"per-source wall {a.wall / small * 1000:.0f} → {b.wall / large * 1000:.0f} ms"
        )
    print("(wall per source falling or flat as N grows = no worse than linear)")


if __name__ == "__main__":
    main()
