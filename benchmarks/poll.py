#!/usr/bin/env python3
"""Polling many feeds with default settings: tracker vs urlwatch 2.29, in the same run.

benchmarks/feedserver.py (its own process) serves N generated RSS 2.0 feeds of 20 items
each on `--hosts` loopback addresses (127.0.0.1 … 127.0.0.50: 1,000 feeds are 20 per
site), with a simulated per-request latency and ETag / Last-Modified. Each round,
alternating, in fresh state:

  tracker:  `tracker run --all --no-email` on a workspace with N rss sources and no
            `http:` or `run:` section — the defaults a user who never tunes gets
            (tracker parses every feed into a structured snapshot and commits it)
  urlwatch: `urlwatch --urls … --cache …` on the same N URLs, its defaults (stores the
            raw text)

each twice: a first pass, then a second pass with nothing changed (conditional GETs).
Prints wall time, CPU time (user+system, children included) and peak RSS of each, the
two ratios against the targets, and for tracker's second pass the share of requests
answered 304 and whether it made a commit. urlwatch runs from its own virtualenv
(benchmarks/.venv-urlwatch, created on first use with `pip install urlwatch==2.29`).

    .venv/bin/python benchmarks/poll.py [--feeds 1000] [--latency 0.2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from benchlib import HERE, ROOT, Cost, FeedServer, feed_server, measure, tracker

sys.path.insert(0, str(ROOT))
URLWATCH_VENV = HERE / ".venv-urlwatch"
URLWATCH_CONFIG = """display: {new: true, error: true, unchanged: false}
report:
  stdout: {enabled: true, color: false}
  email: {enabled: false}
"""
WORDS = (
    "Astana Almaty Tokayev parliament senate election ministry security border "
    "Caspian oil gas uranium grain tenge inflation court reform protest"
).split()


def feed(index: int, items: int = 20) -> str:
    start = datetime(2025, 10, 1, tzinfo=timezone.utc)
    body = []
    for n in range(items):
        words = " ".join(WORDS[(index + n + k) % len(WORDS)] for k in range(12))
        when = format_datetime(start + timedelta(hours=index % 97 + n * 3), usegmt=True)
        body.append(
            f"<item><title>Feed {index} story {n}: {words[:60]}</title>"
            f"<link>https://news{index % 50}.example.org/{index}/{n}</link>"
            f'<guid isPermaLink="false">feed{index}-item{n}</guid><pubDate>{when}</pubDate>'
            f"<description>&lt;p&gt;{words}. {words}.&lt;/p&gt;&lt;p&gt;More on "
            f'&lt;a href="https://example.org/{n}"&gt;{WORDS[n % len(WORDS)]}&lt;/a&gt;.'
            f"&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>News site {index}</title><link>https://news{index % 50}.example.org/</link>"
        f"<description>Feed {index}</description>{''.join(body)}</channel></rss>\n"
    )


def write_feeds(folder: Path, count: int) -> list[str]:
    """`count` generated feeds in `folder` (made here); their file names, in order."""
    folder.mkdir()
    names = [f"feed{i:04d}.xml" for i in range(count)]
    for i, name in enumerate(names):
        (folder / name).write_text(feed(i), encoding="utf-8")
    return names


def urlwatch_bin() -> Path:
    exe = URLWATCH_VENV / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(URLWATCH_VENV)], check=True)
        subprocess.run(
            [str(URLWATCH_VENV / "bin" / "pip"), "install", "-q", "urlwatch==2.29"], check=True
        )
    return exe


def tracker_workspace(root: Path, urls: list[str], extra: str = "") -> None:
    """N rss sources and nothing else: no `http:`, no `run:` (unless `extra`)."""
    from tracker.workspace import init_workspace

    init_workspace(root)
    (root / "reports" / "example.yaml").unlink()  # it cites a Factbook source
    lines = ["sources:"] + [
        f"  feed{i:04d}:\n    kind: rss\n    url: {url}" for i, url in enumerate(urls)
    ]
    (root / "feeds.yaml").write_text("\n".join(lines) + "\n" + extra)


def urlwatch_dir(root: Path, urls: list[str]) -> list[str]:
    root.mkdir()
    jobs = "\n---\n".join(f'name: "feed{i:04d}"\nurl: "{url}"' for i, url in enumerate(urls))
    (root / "urls.yaml").write_text(jobs + "\n")
    (root / "urlwatch.yaml").write_text(URLWATCH_CONFIG)
    return [
        str(urlwatch_bin()),
        "--urls",
        str(root / "urls.yaml"),
        "--config",
        str(root / "urlwatch.yaml"),
        "--cache",
        str(root / "cache.db"),
        "--hooks",
        str(root / "hooks.py"),
    ]


def one_round(
    server: FeedServer, urls: list[str], tmp: Path, n: int, extra: str
) -> dict[str, Cost | dict]:
    out: dict[str, Cost | dict] = {}
    workspace = tmp / f"ws-{n}"
    tracker_workspace(workspace, urls, extra)
    command = urlwatch_dir(tmp / f"uw-{n}", urls)
    for label in ("first", "second"):
        server.stats(reset=True)
        out[f"tracker {label}"] = tracker(
            workspace, "run", "--all", "--no-email", "--format", "json"
        )
        out[f"tracker {label} stats"] = server.stats()
        server.stats(reset=True)
        out[f"urlwatch {label}"] = measure(command)
        out[f"urlwatch {label} stats"] = server.stats()
    for name, cost in out.items():
        if isinstance(cost, Cost) and cost.returncode != 0:
            raise SystemExit(f"{name}: exit {cost.returncode}\n{cost.stdout[-3000:]}")
    second = json.loads(out["tracker second"].stdout)  # type: ignore[union-attr]
    first = json.loads(out["tracker first"].stdout)  # type: ignore[union-attr]
    out["commits"] = {
        "first": first["commit"],
        "second": second["commit"],
        "parsed": sum(1 for s in first["sources"] if s["changed"]),
    }
    return out


TARGETS = {"first": 0.25, "second": 0.10}
RSS_TARGET_MB = 150


def parser_floor(served: Path) -> dict[str, float]:
    """feedparser's CPU for every served feed (feedparser_floor.py, best of 3), and the
    least wall time that is on this machine's cores."""
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, str(HERE / "feedparser_floor.py"), str(served)],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            ).stdout
        )
        for _ in range(3)
    ]
    cpu = min(run["cpu"] for run in runs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores or 1, "wall": cpu / (cores or 1)}


def report(
    rounds: list[dict], feeds: int, latency: float, hosts: int, floor: dict[str, float]
) -> None:
    print(
        f"\n{feeds} feeds × 20 items on {hosts} loopback hosts, {latency * 1000:.0f} ms "
        f"latency, default settings, {len(rounds)} round(s)"
    )
    for i, r in enumerate(rounds, 1):
        print(
            f"round {i}: tracker parsed and committed {r['commits']['parsed']} feeds "
            f"(commit {str(r['commits']['first'])[:10]}); second pass commit: "
            f"{r['commits']['second']}"
        )
        for label in ("first", "second"):
            t, u = r[f"tracker {label}"], r[f"urlwatch {label}"]
            ts, us = r[f"tracker {label} stats"], r[f"urlwatch {label} stats"]
            print(
                f"  {label:6s} tracker  {t}  requests {ts['requests']}, "
                f"304 {ts['not_modified']} ({100 * ts['not_modified'] / max(1, ts['requests']):.0f}%)"
            )
            print(
                f"  {label:6s} urlwatch {u}  requests {us['requests']}, "
                f"304 {us['not_modified']} ({100 * us['not_modified'] / max(1, us['requests']):.0f}%)"
            )
            ratio = t.wall / u.wall
            verdict = "met" if ratio <= TARGETS[label] else "NOT met"
            print(
                f"  {label:6s} ratio tracker/urlwatch: wall {ratio:.3f} (target ≤ "
                f"{TARGETS[label]:g}: {verdict}; urlwatch takes {u.wall / t.wall:.1f}x as "
                f"long), cpu {t.cpu / u.cpu:.2f}"
            )
        first = r["urlwatch first"].wall
        print(
            f"  first  parser floor: feedparser alone takes {floor['cpu']:.2f} s CPU for "
            f"these feeds, at best {floor['wall']:.2f} s on {floor['cores']:g} core(s) = "
            f"{floor['wall'] / first:.3f} of urlwatch's first pass, before any fetching, "
            "storing or committing"
        )
        peak = max(r["tracker first"].rss_mb, r["tracker second"].rss_mb)
        print(
            f"  tracker peak RSS {peak:.0f} MB (target ≤ {RSS_TARGET_MB} MB: "
            f"{'met' if peak <= RSS_TARGET_MB else 'NOT met'})"
        )


def served_feed_options(description: str, rounds: int) -> argparse.ArgumentParser:
    """The options of a benchmark over served feeds (poll.py, first_pass.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument(
        "--hosts", type=int, default=50, help="loopback addresses (sites): 127.0.0.1 … 127.0.0.N"
    )
    return parser


def main() -> None:
    parser = served_feed_options(__doc__.splitlines()[0], rounds=2)
    parser.add_argument(
        "--extra",
        default="",
        help="YAML appended to tracker's feeds.yaml (default: none, i.e. the "
        "defaults), e.g. 'run: {parse_workers: 0}'",
    )
    args = parser.parse_args()
    urlwatch_bin()
    tmp = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    try:
        served = tmp / "served"
        names = write_feeds(served, args.feeds)
        extra = args.extra.replace("\\n", "\n") + ("\n" if args.extra else "")
        with feed_server(served, args.latency, args.hosts) as server:
            urls = [server.url(i, name) for i, name in enumerate(names)]
            rounds = [one_round(server, urls, tmp, n, extra) for n in range(args.rounds)]
        report(rounds, args.feeds, args.latency, args.hosts, parser_floor(served))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
