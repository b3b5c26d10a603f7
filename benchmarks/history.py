#!/usr/bin/env python3
"""How cheap is `tracker history FACT` over the whole Factbook archive?

Backfills all cia-geos-kz versions (../shared/data) into a temporary workspace, then times
`tracker history head-of-government` (in-process, cold blob cache and warm) against a
baseline measured in the same run: re-read every snapshot version from git and fully
parse it with ruamel.yaml (pure Python), which is what a naive implementation does.

    .venv/bin/python benchmarks/history.py [--data DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEEDS = "sources:\n  fb:\n    kind: factbook\n    url: http://127.0.0.1:9/kz.json\n"
REPORT = """report: {id: kz}
facts:
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/cia-geos-kz")
    args = parser.parse_args()

    from ruamel.yaml import YAML

    from tracker.config import load_config
    from tracker.evaluate.history import fact_history
    from tracker.run.backfill import backfill
    from tracker.store.git import GitStore
    from tracker.workspace import init_workspace

    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        root = init_workspace(tmp / "ws")
        (root / "feeds.yaml").write_text(FEEDS)
        (root / "reports" / "example.yaml").write_text(REPORT)
        start = time.perf_counter()
        result = backfill(root, "fb", args.data)
        print(
            f"backfill: {len(list(args.data.iterdir()))} files → {len(result.commits)} commits "
            f"in {time.perf_counter() - start:.1f}s"
        )
        ref = load_config(root).reports["kz"].facts[0].primary

        store = GitStore(root)
        versions = store.versions(store.relpath("fb"))
        start = time.perf_counter()
        yaml = YAML(typ="rt", pure=True)
        for version in versions:
            yaml.load(store.repo.odb.stream(bytes.fromhex(version.blob)).read())
        baseline = time.perf_counter() - start

        shutil.rmtree(root / ".tracker" / "cache", ignore_errors=True)
        start = time.perf_counter()
        rows = fact_history(GitStore(root), ref)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        fact_history(GitStore(root), ref)
        warm = time.perf_counter() - start

        print(f"versions: {len(versions)}; history rows: {[r['value'] for r in rows]}")
        print(f"baseline (ruamel, parse every version): {baseline:.2f}s")
        print(
            f"tracker history, cold cache (libyaml):   {cold:.2f}s   ratio {baseline / cold:.1f}x"
        )
        print(
            f"tracker history, warm cache (blob JSON): {warm:.2f}s   ratio {baseline / warm:.1f}x"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
